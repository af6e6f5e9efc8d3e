"""Schema versions of the SQLite files we keep (sessions database, index manifest).

Each file records `schema_version` in its `meta` table. Opening a file runs `open_versioned`:

* a new file gets the current schema and version;
* an older file is copied next to itself (`<name>.v<old>-backup`) and migrated one step at a
  time, each step one transaction with its version bump, so a crash leaves a consistent file;
* a newer file is refused with `SchemaError` (exit code 2) and left untouched; so is a file
  whose migration fails (the step's transaction is rolled back).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from companion.errors import CompanionError
from companion.fileutil import unique_path

VERSION_KEY = "schema_version"

Migration = Callable[[sqlite3.Connection], None]
"""Turns a file of version N into version N+1 (registered under N)."""


class SchemaError(CompanionError):
    """A file this companion cannot bring to its schema (newer, or a migration failed); the
    file is left as it was."""

    exit_code = 2


def _version(con: sqlite3.Connection, unversioned: int) -> int | None:
    """The file's version; None for a new file (no `meta` table yet)."""
    has_meta = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()
    if has_meta is None:
        return None
    row = con.execute("SELECT value FROM meta WHERE key=?", (VERSION_KEY,)).fetchone()
    if row is None:
        return unversioned
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise sqlite3.DatabaseError(f"unreadable {VERSION_KEY} {row[0]!r}") from None


def _set_version(con: sqlite3.Connection, version: int) -> None:
    con.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (VERSION_KEY, str(version))
    )


def _backup(con: sqlite3.Connection, path: Path, version: int) -> Path:
    target = unique_path(path.parent, f"{path.name}.v{version}-backup", "")
    dest = sqlite3.connect(target)
    try:
        con.backup(dest)
    finally:
        dest.close()
    return target


def open_versioned(
    con: sqlite3.Connection,
    *,
    path: Path,
    what: str,
    schema: str,
    current: int,
    migrations: Mapping[int, Migration],
    unversioned: int = 1,
    error: type[SchemaError] = SchemaError,
) -> Path | None:
    """Bring `con`'s file to schema `current` (see the module doc); returns the backup made
    before migrating, if any. `schema` is the current schema as idempotent `CREATE ... IF NOT
    EXISTS` statements; `unversioned` is the version of files from before versions were kept;
    `error` is the error to raise (a subclass, so callers' own error handling sees it)."""
    found = _version(con, unversioned)
    if found is not None and found > current:
        raise error(
            f"the {what} {path} has schema version {found}, but this companion reads up to "
            f"version {current}. It was written by a newer companion: upgrade companion to use "
            f"it. The file was not changed."
        )
    backup = None
    if found is not None and found < current:
        missing = [v for v in range(found, current) if v not in migrations]
        if missing:
            raise error(f"no migration of the {what} {path} from schema version {missing[0]}")
        backup = _backup(con, path, found)
        for version in range(found, current):
            if con.in_transaction:
                con.commit()
            con.execute("BEGIN IMMEDIATE")
            try:
                migrations[version](con)
                _set_version(con, version + 1)
            except BaseException as exc:
                con.execute("ROLLBACK")
                if not isinstance(exc, Exception):
                    raise
                raise error(
                    f"could not migrate the {what} {path} from schema version {version} to "
                    f"{version + 1} ({exc}); that step was undone, and a copy from before is at "
                    f"{backup}"
                ) from exc
            con.execute("COMMIT")
    con.executescript(schema)
    _set_version(con, current)
    if con.in_transaction:
        con.commit()
    return backup
