"""Helpers and fixture texts shared by the knowledge tests (imported as `kb_helpers`)."""

from __future__ import annotations

import json
from pathlib import Path

DANA_NOTE = """\
---
title: 1:1 with Dana
person: Dana Lee
date: 2026-01-12
tags: [one-on-one, hiring]
---
# 1:1 with Dana

## Wins
- Shipped the onboarding checklist two weeks early.

## Pricing experiment
Dana wants to test tiered pricing for the enterprise plan before the board meeting.
We agreed the experiment needs a clear stop rule and a holdout group.

## Follow-ups
- [ ] Send Dana the roadmap draft for [[Roadmap Q3]]
- [x] Book the offsite venue @Sam
- [ ] Introduce Dana to [[people/sam|our design lead]]
"""

ROADMAP_NOTE = """\
---
title: Q3 roadmap bets
tags: roadmap
---
# Q3 roadmap bets

The three bets for the quarter are self-serve onboarding, usage-based billing and an admin
audit log. Each bet has an owner and a kill criterion agreed with engineering.
"""

SAM_NOTE = """\
# Sam Ortiz

Sam leads product design. Prefers async written feedback and sketches before meetings.
"""

STANDUP_NOTE = """\
Standup notes

* [ ] Ask @dana about the hiring plan for the platform team
- [ ] Draft the interview loop for the senior PM role
Nothing else came up; the release train is on time.
"""

TEXT_NOTE = "Plain text note about quarterly planning rituals and retro formats.\n"


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path


def manifest_rows(kb) -> list[dict]:
    import sqlite3

    con = sqlite3.connect(kb.manifest_path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM files")]
    finally:
        con.close()


def assert_consistent(kb) -> set[str]:
    """No pending rows, and the stored chunk ids are exactly the ids the manifest expects."""
    rows = manifest_rows(kb)
    assert all(r["state"] == "done" for r in rows), [r["relpath"] for r in rows]
    expected: set[str] = set()
    total = 0
    for r in rows:
        ids = json.loads(r["ids"])
        assert len(ids) == len(set(ids)) == r["chunks"]
        expected.update(ids)
        total += len(ids)
    assert total == len(expected)  # no id shared between files
    present = set(kb.store().all_meta())
    assert present == expected
    assert kb.store().count() == len(expected)
    return expected


def planned_ids(kb) -> set[str]:
    """The chunk ids a clean index of kb's folders must hold (computed without embedding)."""
    from companion.knowledge import chunker, loader
    from companion.knowledge.index import chunk_id
    from companion.knowledge.models import SyncReport

    notes, _ = kb._scan(kb._roots({"notes", "corpus"}), SyncReport())
    ids: set[str] = set()
    for note in notes.values():
        titles = loader.title_index(n for n in notes.values() if n.root == note.root)
        lines = loader.resolved_lines(note, titles)
        for c in chunker.chunk_lines(lines, note.body_start, count_tokens=kb.embedder.count_tokens):
            ids.add(chunk_id(note.key, c.index, note.title, c.heading, c.text))
    return ids


def hash_embedder(base):
    """A fast, deterministic stand-in for MiniLM (hashed bag of words, 384 dims) for tests that
    index hundreds of notes where embedding quality is not what is tested. Real chromadb."""
    import re
    import zlib

    import numpy as np

    from companion.knowledge.embeddings import MiniLMEmbedding

    class HashEmbedding(MiniLMEmbedding):
        @property
        def model_id(self) -> str:
            return "test-hash-384"

        def embed(self, texts):
            out = np.zeros((len(texts), 384), dtype=np.float32)
            for row, text in enumerate(texts):
                for word in re.findall(r"\w+", text.casefold()):
                    out[row, zlib.crc32(word.encode()) % 384] += 1.0
                out[row, 0] += 1e-3  # never the zero vector
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    fake = HashEmbedding()
    fake._counter = base._token_counter()
    return fake
