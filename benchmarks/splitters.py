"""Chunker benchmark: our heading walk against langchain-text-splitters on the retrieval queries.

    python benchmarks/splitters.py [--threads 2]

Needs `langchain-text-splitters` installed (it is not a dependency of the project; install it
into a scratch venv or `pip install langchain-text-splitters` for the run).

The bundled corpus is loaded by the project's `loader` and chunked three ways, each chunk
embedded with the shipped MiniLM through `index.embed_text` (title and breadcrumb, then text):

- `companion`: `chunker.chunk_lines` (what the index uses);
- `lc_markdown_recursive`: `MarkdownHeaderTextSplitter` (#, ##, ###; headers kept in the text)
  then `RecursiveCharacterTextSplitter` with the same token budget and overlap, measured with
  the project's tokenizer; the breadcrumb is the splitter's header metadata;
- `lc_recursive_markdown`: `RecursiveCharacterTextSplitter.from_language(MARKDOWN)` alone
  (no breadcrumb).

Queries are `benchmarks/data/retrieval-queries.jsonl`; a query is a hit at k when one of its
top-k chunks (exact cosine ranking) comes from the labelled article. For each way: `chunks`,
`recall_at_5`, `mrr`, and `line_ranges`: whether each chunk knows the lines it came from
(citations need it).

Prints ONE JSON object.
"""

from __future__ import annotations

import os

os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before anything imports onnxruntime

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from embeddings import _ranks, corpus_notes, load_queries  # noqa: E402


def companion_chunks(notes, count) -> list[tuple[str, str, str]]:
    from companion.knowledge import chunker
    from companion.knowledge.index import embed_text

    out = []
    for note, lines in notes:
        for c in chunker.chunk_lines(lines, note.body_start, count_tokens=count):
            out.append((embed_text(note.title, c.heading, c.text), note.relpath, c.text))
    return out


def lc_markdown_recursive(notes, count) -> list[tuple[str, str, str]]:
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    from companion.knowledge import chunker
    from companion.knowledge.index import embed_text
    from companion.knowledge.models import BREADCRUMB_SEP

    headers = [("#", "h1"), ("##", "h2"), ("###", "h3")]
    by_header = MarkdownHeaderTextSplitter(headers, strip_headers=False)
    by_size = RecursiveCharacterTextSplitter(
        chunk_size=chunker.MAX_TOKENS, chunk_overlap=chunker.OVERLAP_TOKENS, length_function=count
    )
    out = []
    for note, lines in notes:
        body = "\n".join(lines[note.body_start :])
        for doc in by_size.split_documents(by_header.split_text(body)):
            crumb = BREADCRUMB_SEP.join(doc.metadata[k] for _, k in headers if k in doc.metadata)
            out.append((embed_text(note.title, crumb, doc.page_content), note.relpath, doc.page_content))
    return out


def lc_recursive_markdown(notes, count) -> list[tuple[str, str, str]]:
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    from companion.knowledge import chunker
    from companion.knowledge.index import embed_text

    splitter = RecursiveCharacterTextSplitter.from_language(
        Language.MARKDOWN,
        chunk_size=chunker.MAX_TOKENS,
        chunk_overlap=chunker.OVERLAP_TOKENS,
        length_function=count,
    )
    out = []
    for note, lines in notes:
        for text in splitter.split_text("\n".join(lines[note.body_start :])):
            out.append((embed_text(note.title, "", text), note.relpath, text))
    return out


WAYS = {
    "companion": (companion_chunks, True),
    # MarkdownHeaderTextSplitter returns no offsets, so a chunk cannot name its lines.
    "lc_markdown_recursive": (lc_markdown_recursive, False),
    # Offsets exist (add_start_index) but overlap and stripping make them approximate.
    "lc_recursive_markdown": (lc_recursive_markdown, False),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    from companion.knowledge.embeddings import MiniLMEmbedding
    from companion.settings import load_settings

    settings = load_settings(threads=args.threads)
    embedder = MiniLMEmbedding(threads=args.threads)
    notes = corpus_notes(settings)
    queries = load_queries()
    qvecs = np.stack([embedder.embed_one(q["query"]) for q in queries])
    result: dict = {"articles": len(notes), "queries": len(queries), "ways": {}}
    for name, (way, line_ranges) in WAYS.items():
        chunks = way(notes, embedder.count_tokens)
        vectors = embedder.embed([c[0] for c in chunks])
        docs = [c[1] for c in chunks]
        ranks = [_ranks(vectors @ qv, docs, q["expected"]) for q, qv in zip(queries, qvecs, strict=True)]
        result["ways"][name] = {
            "chunks": len(chunks),
            "max_chunk_tokens": max(embedder.count_tokens(c[0]) for c in chunks),
            "recall_at_5": round(sum(r <= 5 for r in ranks) / len(ranks), 4),
            "mrr": round(sum(1 / r for r in ranks) / len(ranks), 4),
            "line_ranges": line_ranges,
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
