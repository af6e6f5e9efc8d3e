"""The bundled library (`*.md`, `question-bank.yaml`), shipped as the package `companion.corpus`."""
