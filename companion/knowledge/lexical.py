"""The lexical index: BM25 over chunk text with SQLite FTS5 (standard library, no extra package).

Why FTS5 rather than an in-memory BM25 (bm25s): it updates one note at a time, persists in
the index folder, and a second process (the chat) reads it while an ingest writes it (WAL).
Names, acronyms and project code words ("MAI", "SKU", "Tuscany") that a small dense model
blurs are exact tokens here; the Porter stemmer folds "pricing"/"priced"/"price".

Rows are written as soon as a note is read and chunked, before any embedding, so keyword
search works within seconds of an ingest starting. Everything here is derived from the notes:
a damaged file is moved aside and rebuilt by the next sync.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (doc TEXT PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    source TEXT NOT NULL,
    root TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    heading TEXT NOT NULL DEFAULT '',
    line_start INTEGER NOT NULL,
    line_end INTEGER NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    date TEXT NOT NULL DEFAULT '',
    person TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    person_keys TEXT NOT NULL DEFAULT '|',
    tag_keys TEXT NOT NULL DEFAULT '|',
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, heading, text, content='chunks', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO fts(rowid, title, heading, text) VALUES (new.rowid, new.title, new.heading, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO fts(fts, rowid, title, heading, text)
    VALUES ('delete', old.rowid, old.title, old.heading, old.text);
END;
"""

_STEMMER_LOCK = threading.Lock()
_stemmer: sqlite3.Connection | None = None


def stems(text: str) -> set[str]:
    """The Porter stems of `text`'s words, by the tokenizer the keyword index uses (SQLite
    FTS5's): "resigned" and "resignations" share "resign"."""
    global _stemmer
    with _STEMMER_LOCK:
        if _stemmer is None:
            _stemmer = sqlite3.connect(":memory:", check_same_thread=False)
            _stemmer.execute("CREATE VIRTUAL TABLE words USING fts5(x, tokenize='porter unicode61 remove_diacritics 2')")
            _stemmer.execute("CREATE VIRTUAL TABLE terms USING fts5vocab(words, 'row')")
        _stemmer.execute("DELETE FROM words")
        _stemmer.execute("INSERT INTO words(x) VALUES (?)", (text,))
        return {row[0] for row in _stemmer.execute("SELECT term FROM terms")}


_COLUMNS = (
    "id", "doc", "source", "root", "path", "title", "heading", "line_start", "line_end",
    "position", "date", "person", "tags", "person_keys", "tag_keys", "text",
)  # fmt: skip

# Words too common to help a keyword match; dropping them keeps long queries fast.
STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves"]
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
TITLE_WEIGHT, HEADING_WEIGHT, TEXT_WEIGHT = 2.0, 1.5, 1.0


def query_terms(query: str, *, max_terms: int = 32) -> list[str]:
    """The distinct searchable words of a query, stopwords dropped (kept if nothing else)."""
    words = [w.casefold() for w in _WORD.findall(query)]
    kept = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(kept))[:max_terms]


def keys_field(values: Iterable[str]) -> str:
    """`|dana lee|dana|lee|`: exact-key membership with `instr`, no JSON functions needed."""
    keys = [v for v in values if v]
    return "|" + "|".join(keys) + "|" if keys else "|"


@dataclass
class LexHit:
    id: str
    bm25: float
    """Positive: higher is a better keyword match."""
    metadata: dict[str, Any]
    document: str


class LexicalIndex:
    """Chunks of every note and article, searchable by keyword (BM25, FTS5)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ready = False
        self._local = threading.local()

    def _reader(self) -> sqlite3.Connection:
        """One read connection per thread, kept open: a query costs no connect (WAL readers
        see every committed write, so an ingest in another process shows up at once)."""
        con = getattr(self._local, "con", None)
        if con is None:
            with self._db():
                pass  # the schema exists before the first read
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._local.con = con
        return con

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30)
        try:
            if not self._ready:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(_SCHEMA)
                self._ready = True
            yield con
            con.commit()
        finally:
            con.close()

    def check(self) -> None:
        """Open (creating if needed); raises sqlite3.DatabaseError if the file is damaged."""
        with self._db() as con:
            con.execute("SELECT COUNT(*) FROM docs").fetchone()

    def doc_hashes(self) -> dict[str, str]:
        with self._db() as con:
            return dict(con.execute("SELECT doc, hash FROM docs"))

    def count(self) -> int:
        with self._db() as con:
            return int(con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def replace_docs(self, docs: list[tuple[str, str, list[dict[str, Any]]]]) -> None:
        """(doc, hash, chunk rows) for several notes, in one transaction."""
        if not docs:
            return
        with self._db() as con:
            for doc, digest, rows in docs:
                con.execute("DELETE FROM chunks WHERE doc=?", (doc,))
                con.executemany(
                    f"INSERT OR REPLACE INTO chunks({','.join(_COLUMNS)}) "
                    f"VALUES ({','.join('?' * len(_COLUMNS))})",
                    [tuple(r.get(c, "") for c in _COLUMNS) for r in rows],
                )
                con.execute("INSERT OR REPLACE INTO docs(doc, hash) VALUES (?, ?)", (doc, digest))

    def delete_docs(self, docs: Iterable[str]) -> None:
        with self._db() as con:
            for doc in docs:
                con.execute("DELETE FROM chunks WHERE doc=?", (doc,))
                con.execute("DELETE FROM docs WHERE doc=?", (doc,))

    def clear(self) -> None:
        with self._db() as con:
            con.execute("DELETE FROM chunks")
            con.execute("DELETE FROM docs")

    def stale(self, pairs: list[tuple[str, str]]) -> set[str]:
        """Of (chunk id, doc) pairs from the dense index, the ids this index knows to be out of
        date: their note is indexed here with other chunks (edited, not re-embedded yet)."""
        if not pairs:
            return set()
        ids = [i for i, _ in pairs]
        docs = list({d for _, d in pairs})
        con = self._reader()
        have = {
            r[0]
            for r in con.execute(
                f"SELECT id FROM chunks WHERE id IN ({','.join('?' * len(ids))})", ids
            )
        }
        indexed = {
            r[0]
            for r in con.execute(
                f"SELECT doc FROM docs WHERE doc IN ({','.join('?' * len(docs))})", docs
            )
        }
        return {i for i, d in pairs if i not in have and d in indexed}

    def search(
        self,
        query: str,
        n: int,
        *,
        source: str | None = None,
        person_key: str | None = None,
        tag_keys: list[str] | None = None,
    ) -> list[LexHit]:
        """Top `n` chunks by BM25 for any of the query's words (all of them rank highest)."""
        terms = query_terms(query)
        if not terms or n < 1:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        where = ["fts MATCH ?"]
        params: list[Any] = [match]
        if source:
            where.append("c.source = ?")
            params.append(source)
        if person_key:
            where.append("instr(c.person_keys, ?) > 0")
            params.append(f"|{person_key}|")
        if tag_keys:
            where.append("(" + " OR ".join("instr(c.tag_keys, ?) > 0" for _ in tag_keys) + ")")
            params.extend(f"|{t}|" for t in tag_keys)
        # Rank row ids first and read the columns (the chunk text above all) of the top n only:
        # sorting every match with its text was a third of a query at 10,000 chunks.
        filtered = len(where) > 1
        sql = (
            f"SELECT s, {', '.join('c.' + c for c in _COLUMNS)} FROM ("
            f"SELECT fts.rowid AS r, bm25(fts, {TITLE_WEIGHT}, {HEADING_WEIGHT}, {TEXT_WEIGHT}) AS s "
            f"FROM fts {'JOIN chunks c ON c.rowid = fts.rowid ' if filtered else ''}"
            f"WHERE {' AND '.join(where)} ORDER BY s LIMIT ?"
            f") JOIN chunks c ON c.rowid = r ORDER BY s"
        )
        params.append(int(n))
        rows = self._reader().execute(sql, params).fetchall()
        hits = []
        for row in rows:
            meta = dict(zip(_COLUMNS, row[1:], strict=True))
            hits.append(LexHit(meta["id"], -float(row[0]), meta, meta.pop("text")))
        return hits
