"""Property tests: the loader and chunker never crash and keep their invariants on any input."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.knowledge import chunker, loader

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Markdown-ish lines: headings, lists, tasks, fences, front matter, links, junk.
md_line = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "",
            "---",
            "...",
            "```",
            "~~~",
            "# Title",
            "## Section",
            "###### deep",
            "- [ ] open task @Dana",
            "* [x] done task",
            "1. [ ] numbered",
            "title: x",
            "person: [Dana, Sam]",
            "date: 2026-01-02",
            "tags: {a: [b",
            "see [[Other note|alias]] and [[x#y]]",
            "\t\t    - nested",
            "\ufeff# bom",
            "\r",
        ]
    ),
    st.builds(lambda n: "  " * n + "- item", st.integers(0, 200)),
    st.builds(lambda n: "word " * n, st.integers(0, 400)),
)
md_text = st.lists(md_line, max_size=60).map("\n".join)

raw_bytes = st.one_of(
    st.binary(max_size=3000),
    md_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(md_text, st.binary(max_size=50)).map(
        lambda tb: tb[0].encode("utf-8", "surrogatepass") + b"\xff\xfe" + tb[1]
    ),
    st.integers(0, 3000).map(lambda n: b"---\n" + b"key: value\n" * n + b"---\nbody\n"),
    st.integers(0, 500).map(lambda n: b"---\ntags: " + b"[" * n + b"]" * n + b"\n---\nx\n"),
)


def _check_note(note: loader.Note) -> None:
    n = len(note.lines)
    assert 0 <= note.body_start <= n
    assert note.title
    lines = loader.resolved_lines(note, loader.title_index([note]))
    assert len(lines) == n
    for item in loader.action_items(note, lines):
        assert note.body_start < item.line <= n
    chunks = chunker.chunk_lines(lines, note.body_start, max_tokens=120, overlap_tokens=20)
    for c in chunks:
        assert note.body_start + 1 <= c.line_start <= c.line_end <= n
        assert c.text.strip()
        assert c.tokens <= 120


@SETTINGS
@given(data=raw_bytes, max_bytes=st.sampled_from([1000, 2000, 100_000]))
def test_loader_never_crashes_on_any_bytes(tmp_path_factory, data: bytes, max_bytes: int):
    root: Path = tmp_path_factory.mktemp("p")
    path = root / "note.md"
    path.write_bytes(data)
    result = loader.load_note(path, root, max_bytes=max_bytes)
    if isinstance(result, loader.Skipped):
        assert result.reason
        return
    assert b"\x00" not in data[:max_bytes]
    _check_note(result)


@SETTINGS
@given(text=md_text, max_tokens=st.integers(16, 260), overlap=st.integers(0, 80))
def test_chunker_invariants(text: str, max_tokens: int, overlap: int):
    lines = text.split("\n")
    chunks = chunker.chunk_lines(lines, 0, max_tokens=max_tokens, overlap_tokens=overlap)
    covered: set[int] = set()
    for i, c in enumerate(chunks):
        assert c.index == i
        assert 1 <= c.line_start <= c.line_end <= len(lines)
        assert c.tokens <= max_tokens
        assert c.text.strip()
        covered.update(range(c.line_start, c.line_end + 1))
    # Every line with text ends up in some chunk.
    for n, line in enumerate(lines, start=1):
        if line.strip():
            assert n in covered, (n, line)
    # Chunks are in document order.
    starts = [c.line_start for c in chunks]
    assert starts == sorted(starts)
