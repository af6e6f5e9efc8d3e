"""The corpus's question bank: deterministic questions the coach falls back on."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from companion import locations
from companion.errors import CompanionError


class BankError(CompanionError):
    pass


@functools.cache
def load_bank(path: Path | None = None) -> dict[str, Any]:
    path = path or locations.corpus_dir() / "question-bank.yaml"
    try:
        data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BankError(f"cannot read the question bank {path}: {exc}") from None
    from companion.coaching.modes import all_modes

    for section in (spec.bank for spec in all_modes() if spec.bank):
        if not isinstance(data.get(section), dict):
            raise BankError(f"{path}: the question bank needs a '{section}' mapping")
    return data


def fill(template: str, **values: str) -> str:
    """Fill `{topic}`-style slots; unknown slots stay readable rather than raising."""

    def sub(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    text = re.sub(r"\{(\w+)\}", sub, template)
    return text[0].upper() + text[1:] if text else text


def pick(options: list[str], key: str, avoid: set[str] | frozenset[str] = frozenset()) -> str:
    """A stable choice from `options` for `key`, skipping ones already used when possible."""
    fresh = [o for o in options if o not in avoid] or list(options)
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16)
    return fresh[digest % len(fresh)]
