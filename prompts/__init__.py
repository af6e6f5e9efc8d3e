"""The prompt files (`*.md`), shipped inside the wheel as the package `companion.prompts`."""
