"""`KnowledgeBase`: the facade the app uses (sync, search, action items, status, rebuild).

Incremental sync keeps a manifest (SQLite, in the index folder) of every indexed file: its
content hash and the ids of its chunks. Chunk ids are deterministic (file, position, content),
so the sync is repairable at any point:

* before a file's chunks are written, its manifest row is marked `pending` with the new ids;
* chunks are added in small batches (chunks already stored are reused, not re-embedded);
* only after all are stored are old ids deleted and the row marked `done` with the new hash;
* a run that was killed leaves `pending` rows: the next run redoes those files, reusing the
  chunks already written; a full sync also deletes stray chunks no row expects and re-embeds
  files whose chunks went missing. So: no duplicates, nothing missing.

One ingest at a time: an inter-process file lock on the index folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from filelock import FileLock, Timeout

from companion import locations
from companion.errors import CompanionError
from companion.fileutil import move_aside, utc_now
from companion.knowledge import chunker, lexical, loader
from companion.knowledge.embeddings import Embedder, EmbeddingError, embedder_for
from companion.knowledge.models import (
    BREADCRUMB_SEP,
    ActionItem,
    IndexStatus,
    Passage,
    SyncReport,
)
from companion.knowledge.store import (
    ChunkStore,
    Hit,
    IndexDamaged,
    Metadata,
    ModelMismatch,
    StoreError,
)
from companion.storage import VERSION_KEY, Migration, SchemaError, open_versioned

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from companion.settings import Settings

# Bump when loading/chunking changes in a way that should re-index every file.
# 2: Obsidian Tasks fields, participants/attendees and people folders (chunks are reused).
# 3: a task line with no @owner is read for one ("Dana to ...", "I'll ...", "Send Dana ...").
PIPELINE_VERSION = "3"
# The manifest's own layout; manifests from before it was recorded are version 1.
# 2: action items carry Obsidian Tasks fields (status, owner, dates, priority, tags).
MANIFEST_VERSION = 2
EMBED_BATCH = 32  # chunks embedded and stored per step (progress + resumability granularity)

# Hybrid retrieval: reciprocal rank fusion of the dense and the lexical ranking (Cormack et al.
# 2009). k=10 (the paper: 60), lexical 1.0 and corpus 0.75 were chosen on
# benchmarks/data/hybrid-queries.jsonl (no held-out split: the set is small).
RRF_K = 10
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
SOURCE_WEIGHT = {"notes": 1.0, "corpus": 0.75}
"""Your notes count a little more than the bundled library, so they are not drowned by it."""

Progress = Callable[[int, int, str], None]
Ranked = tuple[str, float, Hit | None, lexical.LexHit | None]
"""(chunk id, fused score 0-1, dense hit or None, lexical hit or None): one of them found it."""
Planned = tuple[loader.Note, str, bool]
"""(note, manifest hash, new file) of a note to (re)index."""


class KnowledgeError(CompanionError):
    """A user-facing knowledge-layer error (the message says what to do)."""


class IndexBusy(KnowledgeError):
    """Another process is syncing the same index."""


class IndexSchemaError(KnowledgeError, SchemaError):
    """The manifest is newer than this companion, or its migration failed (exit code 2); it is
    left as it was."""


EmbeddingModelMismatch = ModelMismatch
__all__ = [
    "EmbeddingError",
    "EmbeddingModelMismatch",
    "IndexBusy",
    "IndexDamaged",
    "IndexSchemaError",
    "KnowledgeBase",
    "KnowledgeError",
    "StoreError",
    "mmr_select",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    root TEXT NOT NULL,
    relpath TEXT NOT NULL,
    title TEXT,
    hash TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    ids TEXT NOT NULL DEFAULT '[]',
    pending_ids TEXT NOT NULL DEFAULT '[]',
    chunks INTEGER NOT NULL DEFAULT 0,
    indexed_at TEXT
);
CREATE TABLE IF NOT EXISTS actions (
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    text TEXT NOT NULL,
    done INTEGER NOT NULL,
    person TEXT,
    date TEXT,
    status TEXT, state TEXT, owner TEXT, whose TEXT, due TEXT, scheduled TEXT, start TEXT,
    priority TEXT, tags TEXT
);
CREATE INDEX IF NOT EXISTS actions_key ON actions(key);
"""
# Manifest version 2 added these to `actions` (old rows read as plain tasks).
_ACTION_COLUMNS = (
    "status", "state", "owner", "whose", "due", "scheduled", "start", "priority", "tags",
)  # fmt: skip


def _add_task_columns(con: sqlite3.Connection) -> None:
    have = {r[1] for r in con.execute("PRAGMA table_info(actions)")}
    if not have:
        return  # no actions table yet: the schema creates it whole
    for column in _ACTION_COLUMNS:
        if column not in have:
            con.execute(f"ALTER TABLE actions ADD COLUMN {column} TEXT")


# version N -> the step that turns a version-N manifest into N+1 (see companion.storage).
MANIFEST_MIGRATIONS: dict[int, Migration] = {1: _add_task_columns}


def chunk_id(key: str, position: int, title: str, heading: str, text: str) -> str:
    raw = "\x1f".join((key, str(position), title, heading, text))
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:32]


def embed_text(title: str, heading: str, text: str) -> str:
    """What the model reads for a chunk: its title and breadcrumb, then the text."""
    first, _, rest = heading.partition(BREADCRUMB_SEP)
    if first.strip().casefold() == title.strip().casefold():
        heading = rest
    label = f"{title}{BREADCRUMB_SEP}{heading}" if heading else title
    return f"{label}\n\n{text}"


def mmr_select(
    query: np.ndarray,
    hits: list[Hit],
    k: int,
    *,
    lambda_mult: float = 0.6,
    max_per_doc: int | None = None,
) -> list[Hit]:
    """Maximal marginal relevance: relevant to the query, different from what is already picked.

    `max_per_doc` caps passages from one file while other files still have candidates.
    """
    usable = [h for h in hits if h.embedding is not None]
    if not usable:
        return hits[:k]
    emb = np.stack([h.embedding for h in usable if h.embedding is not None]).astype(np.float32)
    emb /= np.clip(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12, None)
    q = np.asarray(query, dtype=np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    relevance = emb @ q
    sims = emb @ emb.T
    docs = [str(h.metadata.get("doc", "")) for h in usable]
    n = len(usable)
    taken = np.zeros(n, dtype=bool)
    redundancy = np.zeros(n, dtype=np.float32)  # max similarity to anything chosen so far
    chosen: list[int] = []
    per_doc: Counter[str] = Counter()
    cap = max_per_doc
    while len(chosen) < min(k, n):
        score = lambda_mult * relevance - (1 - lambda_mult) * redundancy
        blocked = taken.copy()
        if cap is not None:
            blocked |= np.array([per_doc[d] >= cap for d in docs])
        if blocked.all():
            cap = None  # only capped files are left: fill from them
            continue
        best = int(np.argmax(np.where(blocked, -np.inf, score)))
        chosen.append(best)
        taken[best] = True
        per_doc[docs[best]] += 1
        redundancy = sims[best].copy() if len(chosen) == 1 else np.maximum(redundancy, sims[best])
    return [usable[i] for i in chosen]


class _VectorCache:
    """Embeddings of corpus chunks keyed by (model, text), shared by every index on this machine.

    A fresh index (an eval run, a test, a rebuild with the same model) then gets the bundled
    corpus in well under a second instead of re-embedding it. Only the corpus is cached: the
    notes' vectors live in their index only. Any cache problem just means a cache miss.
    """

    def __init__(self, path: Path | None):
        self.path = path

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha256(f"{model_id}\x1f{text}".encode("utf-8", "replace")).hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        try:
            con = sqlite3.connect(self.path, timeout=5)
            con.execute("CREATE TABLE IF NOT EXISTS v (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
            return con
        except sqlite3.Error:
            return None

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        con = self._connect()
        if con is None or not keys:
            return {}
        try:
            marks = ",".join("?" * len(keys))
            rows = con.execute(f"SELECT key, data FROM v WHERE key IN ({marks})", keys).fetchall()
            return {k: np.frombuffer(d, dtype=np.float32).copy() for k, d in rows}
        except sqlite3.Error:
            return {}
        finally:
            con.close()

    def put(self, items: dict[str, np.ndarray]) -> None:
        con = self._connect()
        if con is None or not items:
            return
        try:
            with con:
                con.executemany(
                    "INSERT OR REPLACE INTO v(key, data) VALUES (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
                )
        except sqlite3.Error:
            pass
        finally:
            con.close()


@dataclass
class _Root:
    source: str
    path: Path
    suffixes: tuple[str, ...]


@dataclass
class _Todo:
    note: loader.Note
    hash: str
    lines: list[str]
    chunks: list[chunker.Chunk]
    """Every chunk of the note (all of them are searchable by keyword)."""
    all_ids: list[str]
    ids: list[str]
    """The chunks that are embedded: the first `max_note_chunks`."""
    new: bool = False


class KnowledgeBase:
    """The corpus and the user's notes, indexed for retrieval with citations."""

    def __init__(
        self,
        settings: Settings,
        *,
        index_dir: Path | None = None,
        notes_dirs: list[Path] | None = None,
        include_corpus: bool = True,
        corpus_dir: Path | None = None,
        embedder: Embedder | None = None,
        lock_timeout: float = 5.0,
        collection: str | None = None,
        vector_cache: Path | None | bool = True,
    ):
        self.settings = settings
        self.index_dir = Path(index_dir) if index_dir is not None else locations.index_dir()
        self.index_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        dirs = settings.notes_dirs if notes_dirs is None else notes_dirs
        self.notes_dirs = [Path(d).expanduser().resolve() for d in dirs]
        self.include_corpus = include_corpus
        self.corpus_dir = Path(corpus_dir or locations.corpus_dir()).resolve()
        self.chroma_url: str | None = settings.chroma_url
        self.embedder = embedder if embedder is not None else embedder_for(settings)
        self.lock_timeout = lock_timeout
        self.collection_name = collection or "companion_chunks"
        self._store: ChunkStore | None = None
        self._schema_ready = False
        self._model_ok = False
        if self.chroma_url:
            tag = hashlib.sha256(self.chroma_url.encode()).hexdigest()[:10]
            self.manifest_path = self.index_dir / f"manifest-server-{tag}.sqlite3"
            self.lexical_path = self.index_dir / f"lexical-server-{tag}.sqlite3"
        else:
            self.manifest_path = self.index_dir / "manifest.sqlite3"
            self.lexical_path = self.index_dir / "lexical.sqlite3"
        self._lexical: lexical.LexicalIndex | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.me: tuple[str, ...] = tuple(
            dict.fromkeys([*getattr(settings, "vault_owner", ()), *loader.DEFAULT_ME])
        )
        """Names that mean the vault owner in task lines (`@Myself`, the `vault_owner` setting)."""
        self.max_note_chunks = int(getattr(settings, "max_note_chunks", 0) or 0)
        self._lock = FileLock(str(self.index_dir / "sync.lock"))
        if vector_cache is True:
            vector_cache = locations.cache_dir() / "corpus-vectors.sqlite3"
        self._vectors = _VectorCache(vector_cache or None)
        self.moved_aside: list[Path] = []
        """Damaged index files a rebuild moved aside."""

    # ------------------------------------------------------------------ plumbing
    @property
    def location(self) -> str:
        return self.chroma_url or str(self.index_dir / "chroma")

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.manifest_path, timeout=30)
        try:
            con.row_factory = sqlite3.Row
            if not self._schema_ready:
                try:
                    open_versioned(
                        con,
                        path=self.manifest_path,
                        what="index manifest",
                        schema=_SCHEMA,
                        current=MANIFEST_VERSION,
                        migrations=MANIFEST_MIGRATIONS,
                        error=IndexSchemaError,
                    )
                    con.execute("PRAGMA journal_mode=WAL")  # after the check: a refused file stays as it was
                except sqlite3.DatabaseError as exc:
                    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                        raise
                    raise IndexDamaged(self.manifest_path, str(exc)) from None
                self._schema_ready = True
            yield con
            con.commit()
        finally:
            con.close()

    def _meta(self, con: sqlite3.Connection, key: str) -> str | None:
        row = con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row["value"] if row else None

    def _set_meta(self, con: sqlite3.Connection, key: str, value: str) -> None:
        con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def store(self) -> ChunkStore:
        if self._store is None:
            self._store = ChunkStore(
                self.embedder,
                path=None if self.chroma_url else self.index_dir / "chroma",
                url=self.chroma_url,
                collection=self.collection_name,
            )
        return self._store

    def lexical(self) -> lexical.LexicalIndex:
        """The keyword index; a damaged file is moved aside and started afresh (it is derived
        from the notes, and the next sync refills it)."""
        if self._lexical is None:
            index = lexical.LexicalIndex(self.lexical_path)
            try:
                index.check()
            except sqlite3.DatabaseError as exc:
                if "locked" in str(exc):
                    raise
                self.moved_aside.append(move_aside(self.lexical_path, "damaged"))
                index = lexical.LexicalIndex(self.lexical_path)
                index.check()
            self._lexical = index
        return self._lexical

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dense-query")
        return self._executor

    def _check_model(self) -> None:
        """Refuse to mix embedding models (manifest, then the collection itself); once."""
        if self._model_ok:
            return
        with self._db() as con:
            built = self._meta(con, "embedding_model")
        current = self.embedder.model_id
        if built is not None and built != current:
            raise ModelMismatch(built, current)
        self.store().collection()  # checks the collection's own record
        self._model_ok = True

    @contextlib.contextmanager
    def _locked(self, timeout: float | None = None) -> Iterator[None]:
        wait = self.lock_timeout if timeout is None else timeout
        try:
            self._lock.acquire(timeout=wait)
        except Timeout:
            raise IndexBusy(
                f"another `companion ingest` is updating the index in {self.index_dir} "
                f"(waited {wait:g} s). Let it finish, then run the command again."
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def _roots(self, scope: set[str]) -> list[_Root]:
        roots: list[_Root] = []
        if "corpus" in scope and self.include_corpus:
            roots.append(_Root("corpus", self.corpus_dir, loader.CORPUS_SUFFIXES))
        if "notes" in scope:
            roots.extend(_Root("notes", d, loader.NOTE_SUFFIXES) for d in self.notes_dirs)
        return roots

    @staticmethod
    def _display(source: str, relpath: str) -> str:
        return f"corpus/{relpath}" if source == "corpus" else relpath

    # ------------------------------------------------------------------ sync
    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Bring the index in line with the corpus and the notes folders (incremental).

        `progress(done, total, current_file)` counts chunks (embedding is what takes time, so
        the ETA is honest); it is called once with (0, total, "") before the first file.
        Raises `IndexBusy` if another process is syncing, `EmbeddingModelMismatch` if the
        index was built by another embedding model. Ctrl-C leaves a state the next run resumes.
        """
        scope = {"notes"} | ({"corpus"} if self.include_corpus else set())
        with self._locked():
            return self._sync(scope, progress, reconcile=True)

    def ensure_corpus(self, progress: Progress | None = None) -> SyncReport | None:
        """Index the bundled corpus if it changed. None if another process holds the index."""
        if not self.include_corpus:
            return SyncReport()
        try:
            with self._locked(timeout=min(self.lock_timeout, 1.0)):
                return self._sync({"corpus"}, progress, reconcile=False)
        except IndexBusy:
            return None

    def rebuild(self, progress: Progress | None = None) -> SyncReport:
        """Drop the index and re-embed everything (with the current embedding model)."""
        scope = {"notes"} | ({"corpus"} if self.include_corpus else set())
        with self._locked():
            self._set_aside_damaged()
            self.store().drop()
            with self._db() as con:
                con.execute("DELETE FROM files")
                con.execute("DELETE FROM actions")
                con.execute("DELETE FROM meta WHERE key != ?", (VERSION_KEY,))
            self.lexical().clear()
            self._store = None
            self._model_ok = False
            return self._sync(scope, progress, reconcile=True)

    def _set_aside_damaged(self) -> None:
        """Move an unreadable manifest or chromadb folder aside (never delete it), so a
        rebuild starts clean; `moved_aside` lists where they went."""
        try:
            with self._db():
                pass
        except IndexDamaged:
            self.moved_aside.append(move_aside(self.manifest_path, "damaged"))
            self._schema_ready = False
        if self.chroma_url:
            return
        try:
            self.store()
        except IndexDamaged:
            self._store = None
            self.moved_aside.append(move_aside(self.index_dir / "chroma", "damaged"))

    def _scan(
        self, roots: list[_Root], report: SyncReport
    ) -> tuple[dict[str, loader.Note], set[str]]:
        notes: dict[str, loader.Note] = {}
        missing_roots: set[str] = set()
        seen: set[str] = set()
        exclude = list(self.settings.exclude)
        for root in roots:
            if not root.path.is_dir():
                report.skipped.append((str(root.path), "folder not found"))
                missing_roots.add(str(root.path))
                continue
            patterns = exclude if root.source == "notes" else []
            for path in loader.iter_files(root.path, suffixes=root.suffixes, exclude=patterns):
                key = f"{root.source}:{path}"
                if key in seen:
                    continue  # nested notes folders: index each file once
                seen.add(key)
                loaded = loader.load_note(
                    path, root.path, source=root.source, max_bytes=self.settings.max_note_bytes
                )
                if isinstance(loaded, loader.Skipped):
                    report.skipped.append(
                        (self._display(root.source, loaded.relpath), loaded.reason)
                    )
                    continue
                notes[key] = loaded
        return notes, missing_roots

    def _hash(self, note: loader.Note, titles: dict[str, str]) -> str:
        sig = loader.link_signature(note, titles)
        raw = (
            f"{PIPELINE_VERSION}\x1f{note.digest}\x1f{sig}\x1f{note.relpath}"
            f"\x1f{self.max_note_chunks}\x1f{','.join(self.me)}"
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    def _sync(self, scope: set[str], progress: Progress | None, *, reconcile: bool) -> SyncReport:
        t0 = time.monotonic()
        report = SyncReport()
        roots = self._roots(scope)
        notes, missing_roots = self._scan(roots, report)
        titles_by_root: dict[str, dict[str, str]] = {}
        for root in roots:
            titles_by_root[str(root.path)] = loader.title_index(
                n for n in notes.values() if n.root == root.path
            )

        with self._db() as con:
            built = self._meta(con, "embedding_model")
            rows = {
                r["key"]: r
                for r in con.execute(
                    f"SELECT * FROM files WHERE source IN ({','.join('?' * len(scope))})",
                    tuple(scope),
                )
            }
        current = self.embedder.model_id
        if built is not None and built != current:
            raise ModelMismatch(built, current)

        hashes: dict[str, str] = {}
        todo_notes: list[Planned] = []
        for key, note in notes.items():
            h = hashes[key] = self._hash(note, titles_by_root.get(str(note.root), {}))
            row = rows.get(key)
            if row is not None and row["state"] == "done" and row["hash"] == h:
                report.unchanged += 1
            else:
                todo_notes.append((note, h, row is None or not row["hash"]))
        gone = [r for k, r in rows.items() if k not in notes and r["root"] not in missing_roots]

        lex = self.lexical()
        lex_hashes = lex.doc_hashes()
        lex_stale = [k for k in notes if lex_hashes.get(k) != hashes[k]]
        lex_gone = [
            doc
            for doc in lex_hashes
            if doc not in notes
            and doc.split(":", 1)[0] in scope
            and not any(doc.split(":", 1)[1].startswith(m) for m in missing_roots)
        ]
        idle = not (todo_notes or gone or lex_stale or lex_gone or reconcile)
        if idle and built is not None:
            report.seconds = time.monotonic() - t0
            return report  # fast path: nothing to do, chromadb not even opened

        known = loader.people_lookup(p for n in notes.values() for p in n.person)
        plans: dict[str, _Todo] = {}

        def plan(note: loader.Note, h: str, new: bool = False) -> _Todo:
            if note.key not in plans:
                plans[note.key] = self._plan(note, h, titles_by_root, new)
            plans[note.key].new = plans[note.key].new or new
            return plans[note.key]

        # 1. Keyword index and action items first: searchable before anything is embedded.
        pending = [plan(n, h, new) for n, h, new in todo_notes]
        pending += [plan(notes[k], hashes[k]) for k in lex_stale]
        pending = list({t.note.key: t for t in pending}.values())
        self._write_lexical(pending, lex_gone, known)
        report.keyword_notes = sum(t.note.source == "notes" for t in pending)
        report.keyword_seconds = time.monotonic() - t0

        # 2. Dense index.
        store = self.store()
        store.collection()  # creates it, or raises ModelMismatch
        with self._db() as con:
            self._set_meta(con, "embedding_model", current)

        if reconcile:
            todo_notes = self._reconcile(store, rows, notes, todo_notes, titles_by_root, report)

        for row in gone:
            ids = json.loads(row["ids"]) + json.loads(row["pending_ids"])
            store.delete(list(dict.fromkeys(ids)))
            with self._db() as con:
                con.execute("DELETE FROM actions WHERE key=?", (row["key"],))
                con.execute("DELETE FROM files WHERE key=?", (row["key"],))
            report.removed.append(self._display(row["source"], row["relpath"]))

        todos = [plan(n, h, new) for n, h, new in todo_notes]
        self._embed_all(store, todos, rows, report, progress)

        with self._db() as con:
            self._set_meta(con, "last_sync", utc_now())
        report.seconds = time.monotonic() - t0
        return report

    def _plan(
        self, note: loader.Note, h: str, titles_by_root: dict[str, dict[str, str]], new: bool
    ) -> _Todo:
        """Chunk one note (links resolved) and decide which chunks are embedded."""
        lines = loader.resolved_lines(note, titles_by_root.get(str(note.root), {}))
        chunks = chunker.chunk_lines(
            lines, note.body_start, count_tokens=self.embedder.count_tokens
        )
        ids = [chunk_id(note.key, c.index, note.title, c.heading, c.text) for c in chunks]
        limit = self.max_note_chunks
        embedded = ids if not limit or len(ids) <= limit else ids[:limit]
        if len(embedded) < len(ids):
            note.reasons.append(
                f"{len(ids):,} chunks: the first {limit:,} are embedded (max_note_chunks), "
                f"all are searchable by keyword"
            )
        return _Todo(note, h, lines, chunks, ids, embedded, new)

    def _write_lexical(self, todos: list[_Todo], gone: list[str], known: dict[str, str]) -> None:
        """Keyword rows and action items of these notes, a few hundred notes per transaction."""
        lex = self.lexical()
        if gone:
            lex.delete_docs(gone)
        for start in range(0, len(todos), 200):
            part = todos[start : start + 200]
            docs = []
            for t in part:
                rows = []
                for cid, c in zip(t.all_ids, t.chunks, strict=True):
                    meta = self._metadata(t.note, c)
                    meta.update(
                        id=cid,
                        text=c.text,
                        person_keys=lexical.keys_field(meta.pop("person_lc", [])),
                        tag_keys=lexical.keys_field(meta.pop("tags_lc", [])),
                    )
                    rows.append(meta)
                docs.append((t.note.key, t.hash, rows))
            lex.replace_docs(docs)
            with self._db() as con:
                for t in part:
                    self._write_actions(con, t, known)

    def _write_actions(self, con: sqlite3.Connection, todo: _Todo, known: dict[str, str]) -> None:
        note = todo.note
        items = (
            loader.action_items(note, todo.lines, me=self.me, known=known)
            if note.source == "notes"
            else []
        )
        con.execute("DELETE FROM actions WHERE key=?", (note.key,))
        con.executemany(
            "INSERT INTO actions(key, path, line, text, done, person, date, status, state,"
            " owner, whose, due, scheduled, start, priority, tags)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    note.key, a.path, a.line, a.text, int(a.done), a.person, a.date, a.status,
                    a.state, a.owner, a.whose, a.due, a.scheduled, a.start, a.priority,
                    json.dumps(a.tags, ensure_ascii=False),
                )  # fmt: skip
                for a in items
            ],
        )

    def _reconcile(
        self,
        store: ChunkStore,
        rows: dict[str, sqlite3.Row],
        notes: dict[str, loader.Note],
        todo_notes: list[Planned],
        titles_by_root: dict[str, dict[str, str]],
        report: SyncReport,
    ) -> list[Planned]:
        """Delete chunks no manifest row expects; redo files whose chunks went missing."""
        # A local index holds only our chunks: ids are enough (much cheaper than metadata).
        present = store.all_meta() if self.chroma_url else dict.fromkeys(store.all_ids(), {})
        expected: set[str] = set()
        for r in rows.values():
            expected.update(json.loads(r["ids"]))
            expected.update(json.loads(r["pending_ids"]))
        # Rows outside this sync's scope (e.g. the corpus when include_corpus=False) are ours too.
        with self._db() as con:
            for r in con.execute("SELECT ids, pending_ids FROM files"):
                expected.update(json.loads(r["ids"]))
                expected.update(json.loads(r["pending_ids"]))
            known_docs = {r["key"] for r in con.execute("SELECT key FROM files")}
        mine = {str(self.corpus_dir), *(str(d) for d in self.notes_dirs)}
        stray = [
            i
            for i, m in present.items()
            if i not in expected
            and (not self.chroma_url or m.get("root") in mine or m.get("doc") in known_docs)
        ]
        if stray:
            store.delete(stray)
        queued = {n.key for n, _, _ in todo_notes}
        for key, row in rows.items():
            if key in queued or key not in notes or row["state"] != "done":
                continue
            if any(i not in present for i in json.loads(row["ids"])):
                note = notes[key]
                todo_notes.append(
                    (note, self._hash(note, titles_by_root.get(str(note.root), {})), False)
                )
                report.unchanged -= 1
        return todo_notes

    def _metadata(
        self, note: loader.Note, chunk: chunker.Chunk, *, for_update: bool = False
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "doc": note.key,
            "source": note.source,
            "root": str(note.root),
            "path": note.relpath,
            "title": note.title,
            "heading": chunk.heading,
            "line_start": chunk.line_start,
            "line_end": chunk.line_end,
            "position": chunk.index,
            "date": note.date or "",
            "person": ", ".join(note.person),
            "tags": ", ".join(note.tags),
        }
        # Array fields must be non-empty; on update, None deletes a key that is gone now.
        people = loader.person_keys(note.person)
        tags = sorted({t.casefold() for t in note.tags})
        for field, values in (("person_lc", people), ("tags_lc", tags)):
            if values:
                meta[field] = values
            elif for_update:
                meta[field] = None
        return meta

    def _embed(self, texts: list[str], *, cache: bool) -> tuple[np.ndarray, int]:
        """(vectors, how many were computed): corpus texts may come from the vector cache."""
        if not cache:
            return self.embedder.embed(texts), len(texts)
        model = self.embedder.model_id
        keys = [_VectorCache.key(model, t) for t in texts]
        known = self._vectors.get(keys)
        missing = [i for i, k in enumerate(keys) if k not in known]
        fresh = self.embedder.embed([texts[i] for i in missing]) if missing else None
        if fresh is not None:
            self._vectors.put({keys[i]: fresh[j] for j, i in enumerate(missing)})
        dim = fresh.shape[1] if fresh is not None else len(next(iter(known.values())))
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, k in enumerate(keys):
            if k in known:
                out[i] = known[k]
        if fresh is not None:
            out[missing] = fresh
        return out, len(missing)

    def _embed_all(
        self,
        store: ChunkStore,
        todos: list[_Todo],
        rows: dict[str, sqlite3.Row],
        report: SyncReport,
        progress: Progress | None,
    ) -> None:
        """Embed and store the chunks of `todos`, batched across files.

        Every file is announced `pending` (with its old and new ids) before any of its chunks
        is written, and marked `done` only once all of them are stored, so a run killed at any
        point is repaired by the next one. Chunks already stored (same id = same content) are
        reused, not re-embedded.
        """
        total = sum(len(t.ids) for t in todos)
        done = 0
        if progress:
            progress(0, total, "")
        if not todos:
            return
        old: dict[str, list[str]] = {}
        with self._db() as con:
            for t in todos:
                row = rows.get(t.note.key)
                old[t.note.key] = (
                    json.loads(row["ids"]) + json.loads(row["pending_ids"]) if row else []
                )
                con.execute(
                    """INSERT INTO files(key, source, root, relpath, title, hash, state, ids,
                                         pending_ids, chunks, indexed_at)
                       VALUES (?, ?, ?, ?, ?, '', 'pending', '[]', ?, 0, NULL)
                       ON CONFLICT(key) DO UPDATE SET state='pending',
                           pending_ids=excluded.pending_ids""",
                    (
                        t.note.key, t.note.source, str(t.note.root), t.note.relpath, t.note.title,
                        json.dumps(list(dict.fromkeys(old[t.note.key] + t.ids))),
                    ),  # fmt: skip
                )
        existing = store.existing([i for t in todos for i in t.ids])
        left: dict[str, int] = {}
        fresh: list[tuple[_Todo, int]] = []
        reuse_ids: list[str] = []
        reuse_meta: list[Metadata] = []
        for t in todos:
            n = 0
            for i, cid in enumerate(t.ids):
                if cid in existing:
                    reuse_ids.append(cid)
                    reuse_meta.append(self._metadata(t.note, t.chunks[i], for_update=True))
                else:
                    fresh.append((t, i))
                    n += 1
            left[t.note.key] = n
        for start in range(0, len(reuse_ids), 500):
            store.update_metadata(reuse_ids[start : start + 500], reuse_meta[start : start + 500])
        done += len(reuse_ids)
        for t in todos:
            if not left[t.note.key]:
                self._finish_file(store, t, old[t.note.key], report)
                if progress:
                    progress(done, total, t.note.relpath)
        for start in range(0, len(fresh), EMBED_BATCH):
            batch = fresh[start : start + EMBED_BATCH]
            texts = [embed_text(t.note.title, t.chunks[i].heading, t.chunks[i].text) for t, i in batch]
            corpus = [n for n, (t, _) in enumerate(batch) if t.note.source == "corpus"]
            if corpus and len(corpus) < len(batch):  # a batch straddling corpus and notes
                notes_at = [n for n in range(len(batch)) if n not in set(corpus)]
                cv, ce = self._embed([texts[n] for n in corpus], cache=True)
                nv, ne = self._embed([texts[n] for n in notes_at], cache=False)
                vectors = np.zeros((len(batch), cv.shape[1]), dtype=np.float32)
                vectors[corpus], vectors[notes_at] = cv, nv
                embedded = ce + ne
            else:
                vectors, embedded = self._embed(texts, cache=bool(corpus))
            store.add(
                [t.ids[i] for t, i in batch],
                [t.chunks[i].text for t, i in batch],
                [self._metadata(t.note, t.chunks[i]) for t, i in batch],
                vectors,
            )
            report.chunks_embedded += embedded
            done += len(batch)
            for t, _ in batch:
                left[t.note.key] -= 1
                if not left[t.note.key]:
                    self._finish_file(store, t, old[t.note.key], report)
            if progress:
                progress(done, total, batch[-1][0].note.relpath)

    def _finish_file(
        self, store: ChunkStore, todo: _Todo, old_ids: list[str], report: SyncReport
    ) -> None:
        """All chunks of the file are stored: drop its old ones, then mark it done."""
        note = todo.note
        keep = set(todo.ids)
        store.delete([i for i in dict.fromkeys(old_ids) if i not in keep])
        with self._db() as con:
            con.execute(
                """UPDATE files SET title=?, hash=?, state='done', ids=?, pending_ids='[]',
                       chunks=?, indexed_at=? WHERE key=?""",
                (note.title, todo.hash, json.dumps(todo.ids), len(todo.ids), utc_now(), note.key),
            )
        display = self._display(note.source, note.relpath)
        (report.added if todo.new else report.updated).append(display)
        if note.reasons:
            report.truncated.append((display, "; ".join(note.reasons)))

    # ------------------------------------------------------------------ retrieval
    def _where(
        self, source: str | None, person: str | None, tags: str | list[str] | None
    ) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if source:
            clauses.append({"source": source})
        if person:
            keys = loader.person_keys([person])
            if keys:
                clauses.append({"person_lc": {"$contains": keys[0]}})
        if tags:
            tag_list = [tags] if isinstance(tags, str) else list(tags)
            tag_list = [t.strip().lstrip("#").casefold() for t in tag_list if t.strip()]
            if len(tag_list) == 1:
                clauses.append({"tags_lc": {"$contains": tag_list[0]}})
            elif tag_list:
                clauses.append({"$or": [{"tags_lc": {"$contains": t}} for t in tag_list]})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        source: str | None = None,
        person: str | None = None,
        tags: str | list[str] | None = None,
        mmr: bool = True,
        fetch_k: int | None = None,
        lambda_mult: float = 0.7,
        mode: str = "hybrid",
    ) -> list[Passage]:
        """Top-k passages for `query`, best first, filterable by source, person and tags.

        `mode`: `hybrid` (default) fuses the dense (chromadb) and the keyword (FTS5) rankings
        by reciprocal rank, your notes weighted above the library; `dense` or `lexical` alone
        for comparison. Chunks not embedded yet are found by keyword. `mmr` keeps one file
        from filling more than half the slots while other files have matches.
        """
        k = int(k or self.settings.top_k)
        if k < 1 or not query or not query.strip():
            return []
        if source not in (None, "corpus", "notes"):
            raise ValueError("source must be 'corpus', 'notes' or None")
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError("mode must be 'hybrid', 'dense' or 'lexical'")
        del lambda_mult  # kept for callers; diversity is a per-file cap now
        q = query.strip()
        # Candidates: hybrid fuses two rankings and wants depth; dense alone needs only enough
        # for the per-file cap to find other files (reading 25 texts for 5 was its overhead).
        if mode == "hybrid":
            n = max(fetch_k or k * 5, 20)
        else:
            n = max(fetch_k or k * 3, 10) if mmr else k
        dense_job = None
        if mode != "lexical":
            self._check_model()
            where = self._where(source, person, tags)

            def dense_search() -> list[Hit]:
                vector = self.embedder.embed_one(q)
                return self.store().query(vector, n, where, embeddings=False)

            # The query embedding and chromadb run beside the keyword search (both release
            # the GIL): a hybrid query costs about the slower of the two, not their sum.
            dense_job = self._pool().submit(dense_search) if mode == "hybrid" else None
            dense = dense_search() if dense_job is None else []
        else:
            dense = []
        lex: list[lexical.LexHit] = []
        if mode != "dense":
            person_keys = loader.person_keys([person]) if person else []
            tag_list = [tags] if isinstance(tags, str) else list(tags or [])
            tag_keys = [t.strip().lstrip("#").casefold() for t in tag_list if t.strip()]
            try:
                lex = self.lexical().search(
                    q, n, source=source, person_key=person_keys[0] if person_keys else None,
                    tag_keys=tag_keys or None,
                )  # fmt: skip
            except sqlite3.Error:
                if mode == "lexical":
                    raise
                lex = []  # keyword index unavailable: dense results alone
        if dense_job is not None:
            dense = dense_job.result()
        if dense and lex:
            stale = self.lexical().stale([(h.id, str(h.metadata.get("doc", ""))) for h in dense])
            dense = [h for h in dense if h.id not in stale]
        ranked = _fuse(dense, lex) if mode == "hybrid" else None
        if mode == "dense":
            ranked = [(h.id, 1.0 - h.distance, h, None) for h in dense]
        elif mode == "lexical":
            ranked = _fuse([], lex)
        assert ranked is not None
        chosen = _diverse(ranked, k, cap=max(1, math.ceil(k / 2)) if mmr else None)
        return [_passage_of(*r) for r in chosen]

    def action_items(self, person: str | None = None, open_only: bool = True) -> list[ActionItem]:
        """Tasks from the notes, newest note first; `person` matches case-insensitively who
        the item is with (its owner, or the note's people for your own and unassigned items).
        `open_only` keeps everything not done or cancelled (custom statuses included)."""
        sql = "SELECT * FROM actions"
        if open_only:
            sql += " WHERE done = 0"
        with self._db() as con:
            rows = con.execute(sql).fetchall()
        items = [_action_of(r) for r in rows]
        if person:
            items = [a for a in items if loader.person_matches(a.person, person)]
        items.sort(key=lambda a: (a.path, a.line))
        items.sort(key=lambda a: a.date or "", reverse=True)
        return items

    def status(self) -> IndexStatus:
        with self._db() as con:
            counts = {
                r["source"]: r["n"]
                for r in con.execute(
                    "SELECT source, COUNT(*) AS n FROM files WHERE state='done' GROUP BY source"
                )
            }
            actions = con.execute("SELECT COUNT(*) FROM actions").fetchone()[0]
            model = self._meta(con, "embedding_model")
            last = self._meta(con, "last_sync")
        try:
            chunks = self.store().count()
        except Exception:
            chunks = 0
        try:
            keyword_chunks = self.lexical().count()
        except sqlite3.Error:
            keyword_chunks = 0
        return IndexStatus(
            files=sum(counts.values()),
            chunks=chunks,
            action_items=actions,
            embedding_model=model,
            last_sync=last,
            location=self.location,
            corpus_files=counts.get("corpus", 0),
            notes_files=counts.get("notes", 0),
            notes_dirs=[str(d) for d in self.notes_dirs],
            keyword_chunks=keyword_chunks,
        )


def _fuse(dense: list[Hit], lex: list[lexical.LexHit]) -> list[Ranked]:
    """(id, score 0-1, dense hit or None, lexical hit or None), best first: reciprocal rank
    fusion, each source's weight applied, normalised by the best possible score."""
    best = max(SOURCE_WEIGHT.values()) * (DENSE_WEIGHT + LEXICAL_WEIGHT) / (RRF_K + 1)
    scores: dict[str, float] = {}
    by_id: dict[str, list[Any]] = {}  # [dense Hit or None, LexHit or None]
    rankings: tuple[tuple[float, Sequence[Hit | lexical.LexHit], int], ...] = (
        (DENSE_WEIGHT, dense, 0),
        (LEXICAL_WEIGHT, lex, 1),
    )
    for weight, hits, slot in rankings:
        for rank, h in enumerate(hits, start=1):
            meta = h.metadata
            w = weight * SOURCE_WEIGHT.get(str(meta.get("source")), 1.0)
            scores[h.id] = scores.get(h.id, 0.0) + w / (RRF_K + rank)
            by_id.setdefault(h.id, [None, None])[slot] = h
    # On a tie an exact keyword match goes first (a rare name beats the nearest vector).
    order = sorted(scores, key=lambda i: (-round(scores[i], 12), by_id[i][1] is None))
    return [(i, scores[i] / best, by_id[i][0], by_id[i][1]) for i in order]


def _diverse(ranked: list[Ranked], k: int, cap: int | None) -> list[Ranked]:
    """The first k of `ranked`, at most `cap` per file while other files have candidates;
    still in score order."""
    if cap is None:
        return ranked[:k]
    chosen: list[Ranked] = []
    per_doc: Counter[str] = Counter()
    held: list[Ranked] = []
    for r in ranked:
        if len(chosen) >= k:
            break
        hit = r[2] or r[3]
        assert hit is not None  # every ranked chunk was found by one of the two
        meta = hit.metadata
        doc = str(meta.get("doc", ""))
        if per_doc[doc] >= cap:
            held.append(r)
            continue
        per_doc[doc] += 1
        chosen.append(r)
    if len(chosen) < k:  # only capped files are left: fill from them
        chosen.extend(held[: k - len(chosen)])
        chosen.sort(key=lambda r: -r[1])
    return chosen


def _passage_of(cid: str, score: float, dense: Hit | None, lex: lexical.LexHit | None) -> Passage:
    base = dense if dense is not None else lex
    assert base is not None
    p = _passage(Hit(cid, base.document, dict(base.metadata), 0.0, None))
    p.score = round(score, 4)
    p.dense = round(1.0 - dense.distance, 4) if dense is not None else None
    p.lexical = round(lex.bm25, 3) if lex is not None else None
    return p


def _action_of(r: sqlite3.Row) -> ActionItem:
    keys = r.keys()

    def col(name: str) -> Any:
        return r[name] if name in keys else None

    try:
        tags = json.loads(col("tags") or "[]")
    except ValueError:
        tags = []
    status = col("status") or ("x" if r["done"] else " ")
    return ActionItem(
        text=r["text"],
        done=bool(r["done"]),
        person=r["person"],
        date=r["date"],
        path=r["path"],
        line=r["line"],
        status=status,
        state=col("state") or ("done" if r["done"] else "open"),
        owner=col("owner"),
        whose=col("whose"),
        due=col("due"),
        scheduled=col("scheduled"),
        start=col("start"),
        priority=col("priority"),
        tags=tags if isinstance(tags, list) else [],
    )


def _passage(hit: Hit) -> Passage:
    m = hit.metadata

    def _split(value: Any) -> list[str]:
        return [p.strip() for p in str(value or "").split(",") if p.strip()]

    line_start = int(m.get("line_start") or 1)
    return Passage(
        id=hit.id,
        text=hit.document,
        source="corpus" if m.get("source") == "corpus" else "notes",
        path=str(m.get("path") or ""),
        title=str(m.get("title") or ""),
        heading=str(m.get("heading") or ""),
        line_start=max(1, line_start),
        line_end=max(line_start, int(m.get("line_end") or line_start)),
        score=round(1.0 - hit.distance, 4),
        tags=_split(m.get("tags")),
        person=_split(m.get("person")),
        date=str(m.get("date") or "") or None,
    )
