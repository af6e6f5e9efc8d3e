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
import datetime as _dt
import hashlib
import json
import math
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from companion import locations
from companion.errors import CompanionError
from companion.fileutil import move_aside
from companion.knowledge import chunker, loader
from companion.knowledge.embeddings import EmbeddingError, embedder_for
from companion.knowledge.models import (
    BREADCRUMB_SEP,
    ActionItem,
    IndexStatus,
    Passage,
    SyncReport,
)
from companion.knowledge.store import ChunkStore, Hit, IndexDamaged, ModelMismatch, StoreError
from companion.storage import VERSION_KEY, Migration, SchemaError, open_versioned

# Bump when loading/chunking changes in a way that should re-index every file.
PIPELINE_VERSION = "1"
# The manifest's own layout; manifests from before it was recorded are version 1.
MANIFEST_VERSION = 1
# version N -> the step that turns a version-N manifest into N+1 (see companion.storage).
MANIFEST_MIGRATIONS: dict[int, Migration] = {}
EMBED_BATCH = 32  # chunks embedded and stored per step (progress + resumability granularity)

Progress = Callable[[int, int, str], None]


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
    date TEXT
);
CREATE INDEX IF NOT EXISTS actions_key ON actions(key);
"""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


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
    emb = np.stack([h.embedding for h in usable]).astype(np.float32)
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
    ids: list[str]
    new: bool


class KnowledgeBase:
    """The corpus and the user's notes, indexed for retrieval with citations."""

    def __init__(
        self,
        settings,
        *,
        index_dir: Path | None = None,
        notes_dirs: list[Path] | None = None,
        include_corpus: bool = True,
        corpus_dir: Path | None = None,
        embedder=None,
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
        else:
            self.manifest_path = self.index_dir / "manifest.sqlite3"
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

    def _scan(self, roots: list[_Root], report: SyncReport):
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
        raw = f"{PIPELINE_VERSION}\x1f{note.digest}\x1f{sig}\x1f{note.relpath}"
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

        todo_notes: list[tuple[loader.Note, str, bool]] = []
        for key, note in notes.items():
            h = self._hash(note, titles_by_root.get(str(note.root), {}))
            row = rows.get(key)
            if row is not None and row["state"] == "done" and row["hash"] == h:
                report.unchanged += 1
            else:
                todo_notes.append((note, h, row is None or not row["hash"]))
        gone = [r for k, r in rows.items() if k not in notes and r["root"] not in missing_roots]
        if not todo_notes and not gone and not reconcile and built is not None:
            report.seconds = time.monotonic() - t0
            return report  # fast path: nothing to do, chromadb not even opened

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

        todos: list[_Todo] = []
        for note, h, new in todo_notes:
            titles = titles_by_root.get(str(note.root), {})
            lines = loader.resolved_lines(note, titles)
            chunks = chunker.chunk_lines(
                lines, note.body_start, count_tokens=self.embedder.count_tokens
            )
            ids = [chunk_id(note.key, c.index, note.title, c.heading, c.text) for c in chunks]
            todos.append(_Todo(note, h, lines, chunks, ids, new))

        total = sum(len(t.chunks) for t in todos)
        done = 0
        if progress:
            progress(0, total, "")
        for todo in todos:
            done = self._index_file(
                store, todo, rows.get(todo.note.key), report, progress, done, total
            )
            display = self._display(todo.note.source, todo.note.relpath)
            (report.added if todo.new else report.updated).append(display)
            if todo.note.reasons:
                report.truncated.append((display, "; ".join(todo.note.reasons)))

        with self._db() as con:
            self._set_meta(con, "last_sync", _now())
        report.seconds = time.monotonic() - t0
        return report

    def _reconcile(self, store, rows, notes, todo_notes, titles_by_root, report):
        """Delete chunks no manifest row expects; redo files whose chunks went missing."""
        present = store.all_meta()
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
        people = _person_keys(note.person)
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

    def _index_file(self, store, todo: _Todo, row, report, progress, done: int, total: int) -> int:
        note = todo.note
        old_ids: list[str] = []
        if row is not None:
            old_ids = json.loads(row["ids"]) + json.loads(row["pending_ids"])
        # 1. announce the new ids before writing any chunk (crash => redo, never strays)
        with self._db() as con:
            con.execute(
                """INSERT INTO files(key, source, root, relpath, title, hash, state, ids,
                                     pending_ids, chunks, indexed_at)
                   VALUES (?, ?, ?, ?, ?, '', 'pending', '[]', ?, 0, NULL)
                   ON CONFLICT(key) DO UPDATE SET state='pending',
                       pending_ids=excluded.pending_ids""",
                (
                    note.key,
                    note.source,
                    str(note.root),
                    note.relpath,
                    note.title,
                    json.dumps(list(dict.fromkeys(old_ids + todo.ids))),
                ),
            )
        # 2. store the chunks, reusing those already there (same id = same content)
        existing = store.existing(todo.ids)
        metas = [self._metadata(note, c) for c in todo.chunks]
        reuse = [i for i, cid in enumerate(todo.ids) if cid in existing]
        if reuse:
            store.update_metadata(
                [todo.ids[i] for i in reuse],
                [self._metadata(note, todo.chunks[i], for_update=True) for i in reuse],
            )
            done += len(reuse)
            if progress:
                progress(done, total, note.relpath)
        fresh = [i for i, cid in enumerate(todo.ids) if cid not in existing]
        for start in range(0, len(fresh), EMBED_BATCH):
            batch = fresh[start : start + EMBED_BATCH]
            texts = [
                embed_text(note.title, todo.chunks[i].heading, todo.chunks[i].text) for i in batch
            ]
            vectors, embedded = self._embed(texts, cache=note.source == "corpus")
            store.add(
                [todo.ids[i] for i in batch],
                [todo.chunks[i].text for i in batch],
                [metas[i] for i in batch],
                vectors,
            )
            report.chunks_embedded += embedded
            done += len(batch)
            if progress:
                progress(done, total, note.relpath)
        # 3. drop the old chunks, then mark the file done
        keep = set(todo.ids)
        store.delete([i for i in dict.fromkeys(old_ids) if i not in keep])
        items = loader.action_items(note, todo.lines) if note.source == "notes" else []
        with self._db() as con:
            con.execute(
                """UPDATE files SET title=?, hash=?, state='done', ids=?, pending_ids='[]',
                       chunks=?, indexed_at=? WHERE key=?""",
                (note.title, todo.hash, json.dumps(todo.ids), len(todo.ids), _now(), note.key),
            )
            con.execute("DELETE FROM actions WHERE key=?", (note.key,))
            con.executemany(
                "INSERT INTO actions(key, path, line, text, done, person, date)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(note.key, a.path, a.line, a.text, int(a.done), a.person, a.date) for a in items],
            )
        if not todo.chunks and progress:
            progress(done, total, note.relpath)
        return done

    # ------------------------------------------------------------------ retrieval
    def _where(self, source, person, tags) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if source:
            clauses.append({"source": source})
        if person:
            keys = _person_keys([person])
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
    ) -> list[Passage]:
        """Top-k passages for `query` (diverse with MMR), filterable by source, person, tags."""
        k = int(k or self.settings.top_k)
        if k < 1 or not query or not query.strip():
            return []
        if source not in (None, "corpus", "notes"):
            raise ValueError("source must be 'corpus', 'notes' or None")
        self._check_model()
        vector = self.embedder.embed_one(query.strip())
        where = self._where(source, person, tags)
        n = k if not mmr else max(fetch_k or k * 5, 20)
        hits = self.store().query(vector, n, where)
        if mmr:
            hits = mmr_select(
                vector, hits, k, lambda_mult=lambda_mult, max_per_doc=max(1, math.ceil(k / 2))
            )
        else:
            hits = hits[:k]
        return [_passage(h) for h in hits]

    def action_items(self, person: str | None = None, open_only: bool = True) -> list[ActionItem]:
        """Tasks from the notes, newest note first; `person` matches case-insensitively."""
        sql = "SELECT path, line, text, done, person, date FROM actions"
        if open_only:
            sql += " WHERE done = 0"
        with self._db() as con:
            rows = con.execute(sql).fetchall()
        items = [
            ActionItem(
                text=r["text"],
                done=bool(r["done"]),
                person=r["person"],
                date=r["date"],
                path=r["path"],
                line=r["line"],
            )
            for r in rows
        ]
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
        )


def _person_keys(people: list[str]) -> list[str]:
    """Lower-cased full names and their parts: `Dana Lee` -> dana lee, dana, lee."""
    keys: list[str] = []
    for name in people:
        n = " ".join(name.strip().lstrip("@").casefold().split())
        if not n:
            continue
        for k in (n, *n.split()):
            if k not in keys:
                keys.append(k)
    return keys


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
