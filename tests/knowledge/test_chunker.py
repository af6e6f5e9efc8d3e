"""Chunker: heading breadcrumbs, exact line ranges, budget, overlap."""

from __future__ import annotations

from kb_helpers import DANA_NOTE

from companion.knowledge import chunker, loader


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def test_breadcrumbs_and_line_ranges_small_sections_merge_under_h2():
    lines = lines_of(DANA_NOTE)
    chunks = chunker.chunk_lines(lines, 6)
    # H1 and H2 always start a chunk; the note's sections are small.
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == [
        ("1:1 with Dana › Wins", 7, 10),  # a heading alone is not a chunk: it joins the next
        ("1:1 with Dana › Pricing experiment", 12, 14),
        ("1:1 with Dana › Follow-ups", 16, 19),
    ]
    pricing = chunks[1]
    assert pricing.text.startswith("## Pricing experiment\nDana wants to test tiered pricing")
    assert pricing.text.endswith("a holdout group.")


def test_deeper_headings_merge_until_min_tokens():
    text = "# T\n## A\n### a1\nshort one\n### a2\nshort two\n## B\nthree\n"
    chunks = chunker.chunk_lines(lines_of(text))
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == [
        ("T › A", 1, 6),  # a1 and a2 merged (common breadcrumb); bare T and A join them
        ("T › B", 7, 8),
    ]


def test_headings_inside_code_fences_are_text():
    text = "# Doc\n\n```bash\n# not a heading\necho hi\n```\n\nafter\n"
    chunks = chunker.chunk_lines(lines_of(text))
    assert all(c.heading == "Doc" for c in chunks)
    assert "# not a heading" in chunks[0].text


def _long_section(paragraphs: int) -> str:
    body = "\n\n".join(
        f"Paragraph {i} explains how the team reviews discovery evidence, weighs the "
        f"options, writes the decision down and tells stakeholders what changed and why."
        for i in range(paragraphs)
    )
    return f"# Guide\n\n## Decisions\n\n{body}\n"


def test_long_sections_split_within_budget_with_overlap():
    lines = lines_of(_long_section(30))
    chunks = chunker.chunk_lines(lines, max_tokens=120, overlap_tokens=40)
    body = [c for c in chunks if c.heading == "Guide › Decisions"]
    assert len(body) > 5
    assert all(c.tokens <= 120 for c in chunks)
    # Consecutive chunks of the same section share a tail (overlap) ...
    for a, b in zip(body, body[1:], strict=False):
        assert b.line_start <= a.line_end
        last_para = a.text.split("\n\n")[-1]
        assert b.text.startswith(last_para)
    # ... and together they cover every non-blank line.
    covered = {n for c in chunks for n in range(c.line_start, c.line_end + 1)}
    assert all(i + 1 in covered for i, line in enumerate(lines) if line.strip())


def test_chunk_text_matches_its_source_lines():
    lines = lines_of(_long_section(12))
    for c in chunker.chunk_lines(lines, max_tokens=100, overlap_tokens=20):
        source = "\n".join(lines[c.line_start - 1 : c.line_end])
        for part in c.text.split("\n\n"):
            assert part.strip() in source


def test_a_single_huge_line_is_split_into_pieces():
    line = " ".join(f"word{i}" for i in range(3000))
    chunks = chunker.chunk_lines(["# T", line], max_tokens=100)
    assert len(chunks) > 10
    assert all(c.tokens <= 100 for c in chunks)
    assert all(c.line_start == c.line_end == 2 for c in chunks[1:])
    blob = "x" * 50_000  # one "word" with no spaces at all
    pieces = chunker.chunk_lines([blob], max_tokens=50)
    assert "".join(p.text.replace(" ", "") for p in pieces).count("x") >= 50_000
    assert all(p.tokens <= 50 for p in pieces)


def test_deep_list_nesting_is_fine():
    lines = [" " * (2 * i) + f"- level {i}" for i in range(2000)]
    chunks = chunker.chunk_lines(lines, max_tokens=200)
    assert chunks and all(c.tokens <= 200 for c in chunks)
    assert max(len(c.text) for c in chunks) < 20_000  # indentation is capped


def test_real_tokenizer_keeps_chunks_under_the_model_limit(embedder, tmp_path):
    path = tmp_path / "n.md"
    path.write_text(_long_section(40), "utf-8")
    note = loader.load_note(path, tmp_path)
    chunks = chunker.chunk_lines(note.lines, note.body_start, count_tokens=embedder.count_tokens)
    for c in chunks:
        assert embedder.count_tokens(c.text) <= chunker.MAX_TOKENS
        assert 20 <= c.tokens <= chunker.MAX_TOKENS


def test_estimate_is_not_far_below_the_real_tokenizer(embedder):
    text = _long_section(5)
    assert chunker.estimate_tokens(text) >= 0.9 * embedder.count_tokens(text)
