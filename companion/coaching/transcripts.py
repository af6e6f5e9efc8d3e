"""Saved chat sessions: SQLite in the data folder, every turn committed the moment it happens.

* WAL journal and `synchronous=FULL`: a turn is on disk when `add_turn` returns, and a crash
  mid-write leaves the previous state (each write is one transaction).
* The file is created `0600` inside the `0700` data folder; SQLite gives its `-wal`/`-shm`
  files the same mode.
* Text is passed through `companion.llm.keys.redact` (plus the configured endpoint keys and
  anything shaped like an API key) before it is stored: keys never reach the database.
* Full-text search uses FTS5 when this SQLite has it, else `LIKE`.
* A file that is not a readable database is moved aside (`sessions.db.corrupt-<timestamp>`)
  and a fresh one created; `recovered_from` tells the UI so it can say so.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from companion import locations
from companion.errors import CompanionError
from companion.fileutil import move_aside, unique_path, utc_now
from companion.llm.keys import redact
from companion.storage import Migration, SchemaError, open_versioned

SCHEMA_VERSION = 1
# schema version N -> the step that turns a version-N database into N+1 (see companion.storage).
MIGRATIONS: dict[int, Migration] = {}
DEFAULT_TITLE = "New session"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'socratic',
    model TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'socratic',
    meta TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_session ON turns(session_id, id);
"""

_FTS = "CREATE VIRTUAL TABLE IF NOT EXISTS turns_fts USING fts5(content, tokenize='unicode61')"

# Shapes of common API keys (OpenAI `sk-…`, bearer tokens); a belt to `redact`'s braces.
_KEY_SHAPES = re.compile(
    r"\b(?:sk|pk|rk)-(?:proj-|live-|test-)?[A-Za-z0-9_\-]{16,}\b"
    r"|\bBearer\s+[A-Za-z0-9._\-]{16,}"
)


class TranscriptError(CompanionError):
    """The sessions database could not be used."""


class SessionsSchemaError(TranscriptError, SchemaError):
    """The sessions database is newer than this companion, or its migration failed (exit 2)."""


@dataclass
class Turn:
    id: int
    role: str
    content: str
    mode: str
    created: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class SessionInfo:
    id: int
    title: str
    mode: str
    model: str
    created: str
    updated: str
    turns: int = 0
    snippet: str = ""


def safe_filename(title: str, *, suffix: str = ".md", max_len: int = 60) -> str:
    """A file name from free text that cannot leave its folder or be hidden."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-._")
    name = re.sub(r"-{2,}", "-", name)[:max_len].strip("-._")
    return (name or "session") + suffix


class TranscriptStore:
    """Sessions and their turns. Thread-safe: the UI thread and workers may share one store."""

    def __init__(self, path: Path | None = None, *, secrets: Iterable[str | None] = ()):
        self.path = Path(path) if path is not None else locations.sessions_db()
        self.secrets = [s for s in secrets if s]
        self.recovered_from: Path | None = None
        """Where a corrupt database was moved (None when the file was fine)."""
        self.backup: Path | None = None
        """The copy made before migrating an older database (None: nothing migrated)."""
        self.fts = False
        self._lock = threading.RLock()
        self._con = self._open()

    # ------------------------------------------------------------------ opening
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        con = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")
            check = con.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check[0] if check else '?'}")
            self.backup = open_versioned(
                con,
                path=self.path,
                what="sessions database",
                schema=_SCHEMA,
                current=SCHEMA_VERSION,
                migrations=MIGRATIONS,
                error=SessionsSchemaError,
            )
            con.execute("PRAGMA journal_mode=WAL")  # after the version check: a refused file stays as it was
            try:
                con.execute(_FTS)
                self.fts = True
            except sqlite3.OperationalError:
                self.fts = False
        except BaseException:
            con.close()
            raise
        return con

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError:
            self.recovered_from = move_aside(self.path, "corrupt")
            try:
                return self._connect()
            except sqlite3.DatabaseError as exc:
                raise TranscriptError(
                    f"cannot create the sessions database {self.path}: {exc}"
                ) from None
        except OSError as exc:
            raise TranscriptError(f"cannot open the sessions database {self.path}: {exc}") from None

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            else:
                con.execute("COMMIT")

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._con.close()

    # ------------------------------------------------------------------ redaction
    def clean(self, text: str) -> str:
        """Text as it may be stored: no configured or environment key, nothing key-shaped."""
        return _KEY_SHAPES.sub("***", redact(text, *self.secrets))

    def _clean_meta(self, meta: dict[str, Any] | None) -> str:
        return self.clean(json.dumps(meta or {}, ensure_ascii=False, default=str))

    # ------------------------------------------------------------------ writing
    def create_session(
        self, *, title: str = DEFAULT_TITLE, mode: str = "socratic", model: str = ""
    ) -> int:
        now = utc_now()
        with self._tx() as con:
            cur = con.execute(
                "INSERT INTO sessions(title, mode, model, created, updated) VALUES (?, ?, ?, ?, ?)",
                (self.clean(title)[:200] or DEFAULT_TITLE, mode, model, now, now),
            )
            return int(cast(int, cur.lastrowid))  # an INSERT always sets it

    def add_turn(
        self,
        session_id: int,
        role: str,
        content: str,
        *,
        mode: str = "socratic",
        meta: dict[str, Any] | None = None,
        model: str | None = None,
    ) -> int:
        """Store one turn and commit it before returning. The first user turn names the session."""
        text = self.clean(content)
        now = utc_now()
        with self._tx() as con:
            row = con.execute("SELECT title FROM sessions WHERE id=?", (session_id,)).fetchone()
            if row is None:
                raise TranscriptError(f"session {session_id} does not exist")
            cur = con.execute(
                "INSERT INTO turns(session_id, role, content, mode, meta, created) VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, role, text, mode, self._clean_meta(meta), now),
            )
            turn_id = int(cast(int, cur.lastrowid))  # an INSERT always sets it
            if self.fts:
                con.execute("INSERT INTO turns_fts(rowid, content) VALUES (?, ?)", (turn_id, text))
            title = row["title"]
            if role == "user" and title == DEFAULT_TITLE and text.strip():
                title = _title_from(text)
            con.execute(
                "UPDATE sessions SET updated=?, title=?, mode=?, model=COALESCE(?, model) WHERE id=?",
                (now, title, mode, model, session_id),
            )
            return turn_id

    def delete_turn(self, turn_id: int) -> None:
        """Remove one turn (a message whose reply failed and went back to the input box)."""
        with self._tx() as con:
            if self.fts:
                con.execute("DELETE FROM turns_fts WHERE rowid=?", (turn_id,))
            con.execute("DELETE FROM turns WHERE id=?", (turn_id,))

    def rename(self, session_id: int, title: str) -> None:
        title = " ".join(self.clean(title).split())[:200]
        if not title:
            raise TranscriptError("a session needs a name")
        with self._tx() as con:
            con.execute("UPDATE sessions SET title=? WHERE id=?", (title, session_id))

    def delete(self, session_id: int) -> None:
        with self._tx() as con:
            if self.fts:
                con.execute(
                    "DELETE FROM turns_fts WHERE rowid IN (SELECT id FROM turns WHERE session_id=?)",
                    (session_id,),
                )
            con.execute("DELETE FROM turns WHERE session_id=?", (session_id,))
            con.execute("DELETE FROM sessions WHERE id=?", (session_id,))

    # ------------------------------------------------------------------ reading
    def _info(self, row: sqlite3.Row, snippet: str = "") -> SessionInfo:
        return SessionInfo(
            id=row["id"],
            title=row["title"],
            mode=row["mode"],
            model=row["model"],
            created=row["created"],
            updated=row["updated"],
            turns=row["n"],
            snippet=snippet,
        )

    _LIST = (
        "SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS n FROM sessions s"
    )

    def get(self, session_id: int) -> SessionInfo | None:
        with self._lock:
            row = self._con.execute(self._LIST + " WHERE s.id=?", (session_id,)).fetchone()
        return self._info(row) if row else None

    def list_sessions(self, limit: int = 200) -> list[SessionInfo]:
        """Sessions with at least one turn, most recently used first."""
        with self._lock:
            rows = self._con.execute(
                self._LIST + " WHERE EXISTS (SELECT 1 FROM turns t WHERE t.session_id = s.id)"
                " ORDER BY s.updated DESC, s.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [self._info(r) for r in rows]

    def search(self, query: str, limit: int = 100) -> list[SessionInfo]:
        """Sessions whose title or turns match `query` (all words, prefix match with FTS5)."""
        words = re.findall(r"\w+", query.casefold())
        if not words:
            return self.list_sessions(limit)
        hits: dict[int, str] = {}
        with self._lock:
            if self.fts:
                match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
                rows = self._con.execute(
                    "SELECT t.session_id AS sid, snippet(turns_fts, 0, '', '', '…', 8) AS snip "
                    "FROM turns_fts JOIN turns t ON t.id = turns_fts.rowid "
                    "WHERE turns_fts MATCH ? ORDER BY rank LIMIT 500",
                    (match,),
                ).fetchall()
            else:
                clause = " AND ".join("lower(content) LIKE ? ESCAPE '\\'" for _ in words)
                params = [f"%{_like(w)}%" for w in words]
                rows = self._con.execute(
                    f"SELECT session_id AS sid, substr(content, 1, 80) AS snip FROM turns WHERE {clause} LIMIT 500",
                    params,
                ).fetchall()
            for r in rows:
                hits.setdefault(r["sid"], " ".join(r["snip"].split()))
            title_clause = " AND ".join("lower(title) LIKE ? ESCAPE '\\'" for _ in words)
            for r in self._con.execute(
                f"SELECT id FROM sessions WHERE {title_clause}", [f"%{_like(w)}%" for w in words]
            ):
                hits.setdefault(r["id"], "")
            if not hits:
                return []
            marks = ",".join("?" * len(hits))
            rows = self._con.execute(
                self._LIST + f" WHERE s.id IN ({marks}) ORDER BY s.updated DESC, s.id DESC LIMIT ?",
                [*hits, limit],
            ).fetchall()
        return [self._info(r, hits[r["id"]]) for r in rows]

    def turns(self, session_id: int) -> list[Turn]:
        with self._lock:
            rows = self._con.execute(
                "SELECT * FROM turns WHERE session_id=? ORDER BY id", (session_id,)
            ).fetchall()
        out = []
        for r in rows:
            try:
                meta = json.loads(r["meta"] or "{}")
            except ValueError:
                meta = {}
            out.append(
                Turn(
                    id=r["id"],
                    role=r["role"],
                    content=r["content"],
                    mode=r["mode"],
                    created=r["created"],
                    meta=meta if isinstance(meta, dict) else {},
                )
            )
        return out

    def history(self, session_id: int) -> list[dict[str, str]]:
        """The turns as chat messages (`role`, `content`) to resume a conversation."""
        return [{"role": t.role, "content": t.content} for t in self.turns(session_id)]

    # ------------------------------------------------------------------ export
    def to_markdown(self, session_id: int) -> str:
        info = self.get(session_id)
        if info is None:
            raise TranscriptError(f"session {session_id} does not exist")
        out = [
            f"# {info.title}",
            "",
            f"*{info.created[:10]} · mode {info.mode}"
            + (f" · model {info.model}" if info.model else "")
            + "*",
            "",
        ]
        for turn in self.turns(session_id):
            if turn.role == "user":
                out += ["## You", "", turn.content.strip(), ""]
                continue
            heading = "## Coach" + (" (stopped early)" if turn.meta.get("cancelled") else "")
            out += [heading, "", turn.content.strip(), ""]
            cited = turn.meta.get("cited") or turn.meta.get("sources") or []
            if cited:
                out += ["Sources:", ""]
                for ref in cited:
                    lines = (
                        f":{ref.get('line_start')}-{ref.get('line_end')}"
                        if ref.get("line_start")
                        else ""
                    )
                    out.append(f"- {ref.get('label', '')} ({ref.get('path', '')}{lines})")
                out.append("")
        return "\n".join(out).rstrip() + "\n"

    def export_markdown(self, session_id: int, folder: Path) -> Path:
        """Write the session as Markdown into `folder` (never outside it); returns the file."""
        info = self.get(session_id)
        if info is None:
            raise TranscriptError(f"session {session_id} does not exist")
        folder = Path(folder).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TranscriptError(f"cannot create {folder}: {exc.strerror or exc}") from None
        base = folder.resolve()
        stem = safe_filename(f"{info.created[:10]} {info.title}", suffix="")
        target = unique_path(base, stem, ".md")
        if target.resolve().parent != base:  # cannot happen after safe_filename; checked anyway
            raise TranscriptError("refusing to write outside the export folder")
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            tmp.write_text(self.to_markdown(session_id), "utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise TranscriptError(f"cannot write {target}: {exc.strerror or exc}") from None
        return target


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _title_from(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return (cut or line[:limit]) + "…"


def exports_dir() -> Path:
    """Default folder for exported sessions."""
    return locations.data_dir() / "exports"
