"""File helpers every area shares: a name that is free, a damaged database moved aside, the
time stamp stored in databases."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path


def utc_now() -> str:
    """Now, in UTC, to the second: `2026-12-03T14:10:42+00:00`."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def unique_path(folder: Path, stem: str, suffix: str = ".md") -> Path:
    """`folder/<stem><suffix>`, or `<stem>-2<suffix>`, `-3`, … when that one exists."""
    path = folder / f"{stem}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


def move_aside(path: Path, label: str) -> Path:
    """Rename a damaged SQLite file (and its -wal/-shm) to `<name>.<label>-<stamp>`; nothing is
    deleted, so the user can still recover it."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = unique_path(path.parent, f"{path.name}.{label}-{stamp}", suffix="")
    os.replace(path, target)
    for extra in ("-wal", "-shm"):
        side = path.with_name(path.name + extra)
        if side.exists():
            with contextlib.suppress(OSError):
                os.replace(side, target.with_name(target.name + extra))
    return target
