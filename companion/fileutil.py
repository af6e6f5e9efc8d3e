"""Helpers for the files the product writes: a damaged file set aside, a name that is free,
YAML front matter that any YAML reader parses back to the same values."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from pathlib import Path
from typing import Any

import yaml

SQLITE_SIDE_FILES = ("-wal", "-shm")


def unique_path(folder: Path, stem: str, suffix: str) -> Path:
    """`folder/stem+suffix`, or `stem-2`, `stem-3`, ... if that exists: never an existing file."""
    target = folder / f"{stem}{suffix}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


def move_aside(path: Path, tag: str) -> Path:
    """Rename `path` to `<name>.<tag>-<timestamp>` (never deleting anything) with its SQLite
    `-wal`/`-shm` files, so a fresh file can take its place. Returns the new path."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = unique_path(path.parent, f"{path.name}.{tag}-{stamp}", "")
    os.replace(path, target)
    for extra in SQLITE_SIDE_FILES:
        side = path.with_name(path.name + extra)
        if side.exists():
            with contextlib.suppress(OSError):
                os.replace(side, target.with_name(target.name + extra))
    return target


_LINE_BREAKS = frozenset("\n\r\x85\u2028\u2029")


class _OneLineDumper(yaml.SafeDumper):
    """Strings holding a line break are written double-quoted with escapes, on one line: a
    folded scalar could put a line reading `---` into the block, which closes front matter."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _LINE_BREAKS.intersection(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_OneLineDumper.add_representer(str, _str)


def front_matter(meta: dict[str, Any]) -> str:
    """`---`, `meta` as YAML (keys in order, short lists inline), `---`; values are quoted
    whenever YAML needs it (`person: 'Dana: PM'`), so the note parses back as written."""
    body = yaml.dump(
        meta,
        Dumper=_OneLineDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=1_000_000,
    )
    return f"---\n{body}---\n"


def utc_now() -> str:
    """Now in UTC to the second, ISO 8601: the timestamp every stored record carries."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
