"""Helpers shared by the test folders (on the path through pytest's `pythonpath`)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

# One open clarity question, as the scripted model answers a schema-constrained request.
QUESTION = "What do you mean by a launch that is ready?"
QUESTION_JSON = json.dumps({"question": QUESTION})


def write_dedented(folder: Path, name: str, text: str) -> Path:
    """Write `text` (dedented, leading blank lines dropped) to folder/name, making folders."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return path
