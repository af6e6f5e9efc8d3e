"""Retrieval benchmark: quality (dense / lexical / hybrid), ingest speed, memory, query latency
and re-sync of synthetic notes.

    python benchmarks/retrieval.py --quality          # recall@5 and MRR on the labelled set
    python benchmarks/retrieval.py [--sizes 1000,10000] [--queries 50] [--threads 2]

`--quality` indexes the bundled corpus and `benchmarks/data/notes/` (a realistic notes fixture:
1:1s, meetings, projects with code words, saved articles that overlap the library) and runs the
labelled queries of `benchmarks/data/hybrid-queries.jsonl` (names, acronyms, code words,
paraphrases, near-verbatim; each labelled with the one file that answers it) through
`KnowledgeBase.search(k=5)` in each mode. It prints recall@5 and MRR (reciprocal rank of the
expected file in the top 5, 0 when absent) per mode, overall and per kind of query.

Prints ONE JSON object, `{"runs": [...]}`, one entry per size:

- `chunks`: chunks indexed; `files`; `avg_chunk_tokens` (WordPiece tokens the model read per chunk)
- `ingest_chunks_per_s`: full `KnowledgeBase.sync()` (load, chunk, embed, store, manifest)
- `raw_embed_chunks_per_s`: the same model through onnxruntime alone on the same texts
- `ingest_peak_rss_mib`: peak resident memory of the process after the ingest
- `query_p50_ms`, `query_p95_ms`: `KnowledgeBase.search(k=5)` (embed + chromadb + MMR)
- `raw_query_p95_ms`: chromadb's own `collection.query(query_texts=...)` on the same
  collection with the same embedding function; `ratio_p95` = query_p95_ms / raw_query_p95_ms
- `resync_unchanged_s`: a second sync of the unchanged folder

Each size runs in a fresh child process (so peak memory is per size), in a temporary
COMPANION_HOME: nothing touches your real index. Embedding dominates: ~12-15 chunks/s on 2
cores, so 1,000 chunks take ~1.5 min and 10,000 ~15 min (plus the same again for the raw pass).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

SECTIONS_PER_FILE = 10
SECTION_TOKENS = 196  # WordPiece tokens per section body: one chunk per section, near the budget

_WORDS = (
    "roadmap stakeholder discovery interview customer churn retention pricing onboarding "
    "experiment metric hypothesis backlog sprint release launch feedback mentor mentee "
    "one-on-one agenda career promotion hiring culture diversity decision tradeoff risk "
    "estimate scope deadline dependency engineering design sales marketing support executive "
    "strategy vision okr outcome output prioritisation moscow impact effort confidence switch "
    "forces anxiety habit push pull timeline evidence assumption question clarify viewpoint "
    "implication reversible irreversible premortem journal delegate autonomy ownership coach "
    "underperformance expectations goals growth learning the a of to and in for with on that "
    "we they our team product manager week quarter plan review update problem solution user"
)
VOCAB = tuple(_WORDS.split())


def _paragraph(rng: random.Random, tokens: int, count) -> str:
    """Sentences of vocabulary words, cut at the word where the text reaches `tokens`."""
    words: list[str] = []
    while True:
        sentence = [rng.choice(VOCAB) for _ in range(rng.randint(8, 16))]
        sentence[0] = sentence[0].capitalize()
        sentence[-1] += "."
        for word in sentence:
            if count(" ".join([*words, word])) > tokens:
                return " ".join(words)
            words.append(word)


def make_notes(root: Path, chunks: int, count, seed: int = 7) -> int:
    rng = random.Random(seed)
    files = max(1, -(-chunks // SECTIONS_PER_FILE))
    made = 0
    for f in range(files):
        sections = []
        for s in range(SECTIONS_PER_FILE):
            if made >= chunks:
                break
            sections.append(
                f"## Topic {s}: {rng.choice(VOCAB)} {rng.choice(VOCAB)}\n\n{_paragraph(rng, SECTION_TOKENS, count)}\n"
            )
            made += 1
        folder = root / f"area-{f % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        date = f"2026-{1 + f % 12:02d}-{1 + f % 28:02d}"
        person = rng.choice(["Dana", "Sam", "Priya", "Lee", "Ana"])
        (folder / f"{date} note {f}.md").write_text(
            f"---\ntitle: Synthetic note {f}\nperson: {person}\ntags: [bench]\n---\n"
            f"# Synthetic note {f}\n\n" + "\n".join(sections),
            "utf-8",
        )
    return files


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def run_one(size: int, queries: int, threads: int) -> dict:
    from companion.knowledge import chunker, loader
    from companion.knowledge.embeddings import shared_minilm
    from companion.knowledge.index import KnowledgeBase, embed_text
    from companion.settings import load_settings

    work = Path(os.environ["COMPANION_HOME"])
    notes = work / "notes"
    settings = load_settings(threads=threads)
    embedder = shared_minilm(threads)
    files = make_notes(notes, size, embedder.count_tokens)
    embedder.embed(["warm up the session"])
    kb = KnowledgeBase(settings, notes_dirs=[notes], include_corpus=False, embedder=embedder)

    def progress(done: int, total: int, current: str) -> None:
        if done and (done % 100 == 0 or done == total):
            print(f"  ingest {done}/{total}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    report = kb.sync(progress)
    ingest_s = time.perf_counter() - t0
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    chunks = kb.status().chunks
    assert report.chunks_embedded == chunks, (report.chunks_embedded, chunks)

    # The same texts the index embedded, straight through onnxruntime.
    texts: list[str] = []
    for path in loader.iter_files(notes):
        note = loader.load_note(path, notes)
        assert isinstance(note, loader.Note)
        for c in chunker.chunk_lines(
            note.lines, note.body_start, count_tokens=embedder.count_tokens
        ):
            texts.append(embed_text(note.title, c.heading, c.text))
    assert len(texts) == chunks
    avg_tokens = statistics.mean(embedder.count_tokens(t) for t in texts)
    t0 = time.perf_counter()
    embedder.embed(texts)
    raw_s = time.perf_counter() - t0

    rng = random.Random(11)
    qs = [" ".join(rng.choice(VOCAB) for _ in range(rng.randint(4, 9))) for _ in range(queries)]
    for q in qs[:3]:
        kb.search(q, k=5)
    ours: list[float] = []
    for q in qs:
        t0 = time.perf_counter()
        kb.search(q, k=5)
        ours.append((time.perf_counter() - t0) * 1000)
    store = kb.store()
    for q in qs[:3]:
        store.query_texts([q], 5)
    raw: list[float] = []
    for q in qs:
        t0 = time.perf_counter()
        store.query_texts([q], 5)
        raw.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    again = kb.sync()
    resync_s = time.perf_counter() - t0
    assert again.chunks_embedded == 0

    p95, raw_p95 = _pct(ours, 95), _pct(raw, 95)
    return {
        "chunks": chunks,
        "files": files,
        "avg_chunk_tokens": round(avg_tokens, 1),
        "ingest_chunks_per_s": round(chunks / ingest_s, 2),
        "raw_embed_chunks_per_s": round(chunks / raw_s, 2),
        "ingest_peak_rss_mib": round(peak_rss_mib, 1),
        "query_p50_ms": round(_pct(ours, 50), 2),
        "query_p95_ms": round(p95, 2),
        "raw_query_p95_ms": round(raw_p95, 2),
        "ratio_p95": round(p95 / raw_p95, 2) if raw_p95 else None,
        "resync_unchanged_s": round(resync_s, 3),
    }


DATA = Path(__file__).parent / "data"
QUERIES = DATA / "hybrid-queries.jsonl"
NOTES = DATA / "notes"
MODES = ("dense", "lexical", "hybrid")


def load_queries() -> list[dict]:
    return [json.loads(x) for x in QUERIES.read_text("utf-8").splitlines() if x.strip()]


def rank_of(passages, query: dict) -> int | None:
    """1-based rank of the first passage from the expected file, None if absent."""
    for n, p in enumerate(passages, start=1):
        if p.source == query["source"] and p.path == query["expected"]:
            return n
    return None


def evaluate(kb, queries: list[dict], modes=MODES, k: int = 5) -> dict:
    """{mode: {"recall@5", "mrr", "by_kind": {...}, "misses": [...]}}"""
    out: dict = {}
    for mode in modes:
        ranks = []
        for q in queries:
            ranks.append(rank_of(kb.search(q["query"], k=k, mode=mode), q))

        def summary(idx: list[int], ranks=ranks) -> dict:
            hit = [ranks[i] for i in idx]
            return {
                "n": len(idx),
                "recall@5": round(sum(r is not None for r in hit) / max(1, len(idx)), 3),
                "mrr": round(sum(1 / r for r in hit if r) / max(1, len(idx)), 3),
            }

        result = summary(list(range(len(queries))))
        for key in ("kind", "source"):
            for value in sorted({q[key] for q in queries}):
                result[f"{key}:{value}"] = summary(
                    [i for i, q in enumerate(queries) if q[key] == value]
                )
        result["misses"] = [q["query"] for q, r in zip(queries, ranks, strict=True) if r is None]
        out[mode] = result
    return out


def run_quality(threads: int) -> dict:
    from companion.knowledge.embeddings import shared_minilm
    from companion.knowledge.index import KnowledgeBase
    from companion.settings import load_settings

    embedder = shared_minilm(threads)
    kb = KnowledgeBase(
        load_settings(threads=threads), notes_dirs=[NOTES], include_corpus=True, embedder=embedder
    )
    kb.sync()
    queries = load_queries()
    return {"queries": len(queries), "chunks": kb.status().chunks, **evaluate(kb, queries)}


class _SwitchableEmbedding:
    """MiniLM for queries; during `fast` a hashed bag of words for the stored chunks.

    Query latency depends on the index size, not on what the stored vectors mean, and
    embedding 10,000 chunks for real takes ~15 minutes on 2 cores; so the latency run stores
    hashed vectors (same dimension, same model id) and embeds every query with the real model,
    in our search and in chromadb's own query alike."""

    def __init__(self, real):
        self.real = real
        self.fast = True

    def __getattr__(self, name):
        return getattr(self.real, name)

    def embed(self, texts):
        import re
        import zlib

        import numpy as np

        if not self.fast:
            return self.real.embed(texts)
        out = np.zeros((len(texts), self.real.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.casefold()):
                out[row, zlib.crc32(word.encode()) % self.real.dim] += 1.0
            out[row, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_one(self, text):
        return self.embed([text])[0]

    def __call__(self, input):  # noqa: A002 (chromadb's name)
        return list(self.embed(list(input)))


def run_latency(size: int, queries: int, threads: int, profile: bool) -> dict:
    """Query p50/p95 at `size` chunks: dense and hybrid through `KnowledgeBase.search(k=5)`,
    against chromadb's own `collection.query(query_texts=...)` on the same collection."""
    from companion.knowledge.embeddings import shared_minilm
    from companion.knowledge.index import KnowledgeBase
    from companion.settings import load_settings

    work = Path(os.environ["COMPANION_HOME"])
    notes = work / "notes"
    real = shared_minilm(threads)
    make_notes(notes, size, real.count_tokens)
    emb = _SwitchableEmbedding(real)
    kb = KnowledgeBase(load_settings(threads=threads), notes_dirs=[notes], include_corpus=False,
                       embedder=emb)
    t0 = time.perf_counter()
    kb.sync()
    build_s = time.perf_counter() - t0
    emb.fast = False
    rng = random.Random(11)
    qs = [" ".join(rng.choice(VOCAB) for _ in range(rng.randint(4, 9))) for _ in range(queries)]
    store = kb.store()
    out: dict = {"chunks": kb.status().chunks, "keyword_chunks": kb.status().keyword_chunks,
                 "index_build_s (hashed vectors)": round(build_s, 1)}

    def timed(fn) -> list[float]:
        for q in qs[:5]:
            fn(q)
        got = []
        for q in qs:
            t = time.perf_counter()
            fn(q)
            got.append((time.perf_counter() - t) * 1000)
        return got

    raw = timed(lambda q: store.query_texts([q], 5))
    dense = timed(lambda q: kb.search(q, k=5, mode="dense"))
    hybrid = timed(lambda q: kb.search(q, k=5))
    lexical = timed(lambda q: kb.search(q, k=5, mode="lexical"))
    for name, values in (("raw_chromadb", raw), ("dense", dense), ("hybrid", hybrid),
                         ("lexical", lexical)):
        out[f"{name}_p50_ms"] = round(_pct(values, 50), 2)
        out[f"{name}_p95_ms"] = round(_pct(values, 95), 2)
    out["dense_ratio_p95"] = round(out["dense_p95_ms"] / out["raw_chromadb_p95_ms"], 2)
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for q in qs:
            kb.search(q, k=5)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    return out


def run_resync(notes_count: int, threads: int) -> dict:
    """A generated Obsidian vault (tests/knowledge/vaultgen.py) indexed once (hashed vectors:
    this measures the re-sync, not embedding), then synced again unchanged, then after one edit."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "knowledge"))
    import vaultgen

    from companion.knowledge.embeddings import shared_minilm
    from companion.knowledge.index import KnowledgeBase
    from companion.settings import load_settings

    work = Path(os.environ["COMPANION_HOME"])
    vault = vaultgen.generate(work / "vault", notes=notes_count)
    emb = _SwitchableEmbedding(shared_minilm(threads))
    kb = KnowledgeBase(load_settings(threads=threads), notes_dirs=[vault.root],
                       include_corpus=False, embedder=emb)
    t0 = time.perf_counter()
    first = kb.sync()
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        again = kb.sync()
        times.append(time.perf_counter() - t0)
        assert again.chunks_embedded == 0 and not again.changed
    edited = next(vault.root.rglob("*.md"))
    edited.write_text(edited.read_text("utf-8") + "\nOne more line about the Tuscany plan.\n")
    t0 = time.perf_counter()
    one = kb.sync()
    edit_s = time.perf_counter() - t0
    return {"notes": vault.notes, "chunks": kb.status().chunks,
            "first_sync_s (hashed vectors)": round(first_s, 2),
            "resync_unchanged_s": round(statistics.median(times), 3),
            "resync_one_edit_s": round(edit_s, 3), "edit_embedded": one.chunks_embedded,
            "first_added": len(first.added)}


def run_bad_notes(threads: int) -> dict:
    """A bad-notes folder on the real model with default settings: a 54 MB generated note,
    binary, invalid UTF-8, 10k-line front matter, next to ordinary notes. Wall time of the
    whole ingest, and what the summary says about each bad file."""
    from companion.knowledge.embeddings import shared_minilm
    from companion.knowledge.index import KnowledgeBase
    from companion.settings import load_settings

    work = Path(os.environ["COMPANION_HOME"])
    root = work / "bad-notes"
    root.mkdir(parents=True)
    line = b"- 2026-03-02 12:00:01 sync job wrote 1,204 rows to the pricing table (batch ok)\n"
    with (root / "generated-log.md").open("wb") as fh:
        while fh.tell() < 54 * 1024 * 1024:
            fh.write(line * 8192)
    (root / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 1000)
    (root / "latin1.md").write_bytes("Caf\xe9 r\xe9sum\xe9 review notes\n".encode("latin-1") * 50)
    (root / "front-matter-10k.md").write_text("---\n" + "k: v\n" * 10000 + "---\nbody\n")
    (root / "empty.md").write_bytes(b"")
    for n in range(20):
        (root / f"normal-{n}.md").write_text(
            f"# Normal note {n}\n\nThe team discussed the launch plan and owner {n}.\n"
        )
    embedder = shared_minilm(threads)
    embedder.embed(["warm up"])
    kb = KnowledgeBase(load_settings(threads=threads), notes_dirs=[root], include_corpus=False,
                       embedder=embedder)
    t0 = time.perf_counter()
    report = kb.sync()
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 1), "keyword_ready_s": round(report.keyword_seconds, 1),
            "chunks_embedded": report.chunks_embedded,
            "keyword_chunks": kb.status().keyword_chunks,
            "skipped": report.skipped, "partly_indexed": report.truncated}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated chunk counts")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quality", action="store_true", help="recall@5 / MRR per mode")
    parser.add_argument("--latency", type=int, help="query latency only, at this many chunks")
    parser.add_argument("--profile", action="store_true", help="with --latency: cProfile")
    parser.add_argument("--resync", type=int, help="re-sync of an unchanged generated vault")
    parser.add_argument("--bad-notes", action="store_true", help="a folder with a 54 MB note")
    args = parser.parse_args(argv)

    if args.resync or args.bad_notes:
        with tempfile.TemporaryDirectory(prefix="companion-bench-") as home:
            os.environ["COMPANION_HOME"] = home
            result = (run_resync(args.resync, args.threads) if args.resync
                      else run_bad_notes(args.threads))
            print(json.dumps(result))
        return 0
    if args.latency:
        with tempfile.TemporaryDirectory(prefix="companion-bench-") as home:
            os.environ["COMPANION_HOME"] = home
            print(json.dumps(run_latency(args.latency, args.queries, args.threads, args.profile)))
        return 0

    if args.quality:
        with tempfile.TemporaryDirectory(prefix="companion-bench-") as home:
            os.environ["COMPANION_HOME"] = home
            print(json.dumps(run_quality(args.threads), indent=1))
        return 0

    if args.one is not None:
        print(json.dumps(run_one(args.one, args.queries, args.threads)))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    runs = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="companion-bench-") as home:
            env = dict(os.environ, COMPANION_HOME=home, ORT_DISABLE_TELEMETRY="1")
            for var in (
                "COMPANION_CHROMA_URL",
                "COMPANION_EMBEDDING_ENDPOINT",
                "COMPANION_NOTES_DIRS",
            ):
                env.pop(var, None)
            print(f"size {size}: generating, ingesting, querying...", file=sys.stderr, flush=True)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    str(size),
                    "--queries",
                    str(args.queries),
                    "--threads",
                    str(args.threads),
                ],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(json.dumps({"runs": runs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
