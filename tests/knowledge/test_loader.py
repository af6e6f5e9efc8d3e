"""Loader: metadata, wikilinks, action items, skipping rules and bad input."""

from __future__ import annotations

from pathlib import Path

from kb_helpers import DANA_NOTE, write

from companion.knowledge import loader


def load(root: Path, rel: str, content, **kw):
    path = write(root, rel, content)
    return loader.load_note(path, root, **kw)


def test_front_matter_becomes_metadata(tmp_path):
    note = load(tmp_path, "1-1 Dana.md", DANA_NOTE)
    assert isinstance(note, loader.Note)
    assert note.title == "1:1 with Dana"
    assert note.person == ["Dana Lee"]
    assert note.date == "2026-01-12"
    assert note.tags == ["one-on-one", "hiring"]
    assert note.body_start == 6  # line 7 (1-based) is the first body line
    assert note.reasons == []
    assert note.links == ["Roadmap Q3", "people/sam"]


def test_title_falls_back_to_h1_then_stem(tmp_path):
    note = load(tmp_path, "a.md", "intro\n```\n# not a heading\n```\n# Real title\ntext\n")
    assert note.title == "Real title"
    assert load(tmp_path, "my-note.md", "just text\n").title == "my-note"


def test_with_list_and_wikilinked_people(tmp_path):
    note = load(tmp_path, "m.md", "---\nwith: ['[[Dana Lee]]', Sam]\ntags: a, b\n---\nbody\n")
    assert note.person == ["Dana Lee", "Sam"]
    assert note.tags == ["a", "b"]
    bare = load(tmp_path, "b.md", "---\nwith: [[Dana Lee]]\n---\nbody\n")  # YAML: nested list
    assert bare.person == ["Dana Lee"]


def test_date_from_file_name_and_invalid_date(tmp_path):
    assert load(tmp_path, "2026-02-03 standup.md", "x\n").date == "2026-02-03"
    note = load(tmp_path, "n.md", "---\ndate: 2026-13-45\ntitle: Odd\n---\nbody\n")
    assert note.title == "Odd" and note.date is None  # a bad date does not sink the block


def test_wikilinks_resolve_to_titles_or_alias(tmp_path):
    dana = load(tmp_path, "1-1 Dana.md", DANA_NOTE)
    roadmap = load(tmp_path, "Roadmap Q3.md", "---\ntitle: Q3 roadmap bets\n---\ntext\n")
    sam = load(tmp_path, "people/sam.md", "# Sam Ortiz\n")
    titles = loader.title_index([dana, roadmap, sam])
    lines = loader.resolved_lines(dana, titles)
    assert len(lines) == len(dana.lines)
    assert lines[16] == "- [ ] Send Dana the roadmap draft for Q3 roadmap bets"
    assert lines[18] == "- [ ] Introduce Dana to our design lead"
    assert loader.resolve_links("see [[people/sam]] and [[Missing note#part]]", titles) == (
        "see Sam Ortiz and Missing note"
    )


def test_action_items_with_person_date_and_line(tmp_path):
    dana = load(tmp_path, "1-1 Dana.md", DANA_NOTE)
    items = loader.action_items(dana)
    assert [(a.line, a.done, a.person) for a in items] == [
        (17, False, "Dana Lee"),
        (18, True, "Sam"),
        (19, False, "Dana Lee"),
    ]
    assert items[0].text == "Send Dana the roadmap draft for [[Roadmap Q3]]"
    assert all(a.date == "2026-01-12" and a.path == "1-1 Dana.md" for a in items)
    standup = load(tmp_path, "2026-02-03 standup.md", "* [ ] Ask @dana about hiring\n")
    (item,) = loader.action_items(standup)
    assert (item.person, item.date, item.line, item.done) == ("dana", "2026-02-03", 1, False)


def test_tasks_in_code_blocks_are_not_action_items(tmp_path):
    note = load(tmp_path, "c.md", "```\n- [ ] not a task\n```\n- [ ] a task\n")
    assert [a.text for a in loader.action_items(note)] == ["a task"]


def test_person_matching_is_case_insensitive():
    assert loader.person_matches("Dana Lee", "dana")
    assert loader.person_matches("Sam, Dana", "DANA")
    assert loader.person_matches("dana", "@Dana")
    assert not loader.person_matches("Danah", "dana")
    assert not loader.person_matches(None, "dana")
    # One reading of a name for the keyword index and the matcher.
    assert loader.person_keys(["Dana  Lee", "@dana", ""]) == ["dana lee", "dana", "lee"]
    assert loader.person_matches("Dana", "dana lee") and not loader.person_matches("Lee Dana", "Dan")


def test_discovery_skips_hidden_folders_and_globs(vault):
    found = {
        p.relative_to(vault).as_posix() for p in loader.iter_files(vault, exclude=["drafts/*"])
    }
    assert "drafts/secret.md" not in found
    assert not any(f.startswith((".obsidian", ".trash")) for f in found)
    assert "planning.txt" in found and "people/sam.md" in found
    assert "attachment.pdf" not in found
    everything = {p.relative_to(vault).as_posix() for p in loader.iter_files(vault)}
    assert "drafts/secret.md" in everything


def test_exclude_patterns():
    assert loader.is_excluded("drafts/a/b.md", ["drafts"])
    assert loader.is_excluded("x/drafts/b.md", ["**/drafts/*"])
    assert loader.is_excluded("journal/2020.md", ["*.md"])
    assert loader.is_excluded("private/x.md", ["private/"])
    assert not loader.is_excluded("notes/x.md", ["drafts/*", ""])


def test_bad_files_are_skipped_with_reasons(tmp_path):
    assert load(tmp_path, "empty.md", b"").reason == "empty file"
    assert "whitespace" in load(tmp_path, "ws.md", "  \n\n\t\n").reason
    assert "binary" in load(tmp_path, "bin.md", b"abc\x00def").reason
    assert "front matter" in load(tmp_path, "fm.md", "---\ntitle: x\n---\n\n").reason


def test_invalid_utf8_is_replaced_with_a_reason(tmp_path):
    note = load(tmp_path, "l.md", "Caf\xe9 r\xe9sum\xe9\n".encode("latin-1"))
    assert isinstance(note, loader.Note)
    assert "\ufffd" in note.lines[0]
    assert any("UTF-8" in r for r in note.reasons)


def test_malformed_front_matter_is_read_as_text(tmp_path):
    note = load(tmp_path, "b.md", "---\ntitle: [unclosed\n---\nBody.\n")
    assert note.body_start == 0 and note.title == "b"
    assert any("malformed front matter" in r for r in note.reasons)
    unclosed = load(tmp_path, "u.md", "---\ntitle: x\nno closing line\n")
    assert unclosed.body_start == 0 and any("not closed" in r for r in unclosed.reasons)
    listy = load(tmp_path, "l.md", "---\n- a\n- b\n---\nBody\n")
    assert listy.body_start == 0 and any("mapping" in r for r in listy.reasons)


def test_huge_front_matter_is_ignored_not_parsed(tmp_path):
    big = "---\n" + "".join(f"k{i}: v{i}\n" for i in range(10_000)) + "---\n# Title\nbody\n"
    note = load(tmp_path, "big.md", big)
    assert note.body_start == 10_002
    assert note.title == "Title"
    assert any("too large" in r for r in note.reasons)


def test_deeply_nested_yaml_does_not_crash(tmp_path):
    deep = "---\ntags: " + "[" * 5000 + "]" * 5000 + "\n---\nbody\n"
    note = load(tmp_path, "deep.md", deep)
    assert isinstance(note, loader.Note) and note.tags == []


def test_oversized_file_is_truncated_at_a_line(tmp_path):
    content = "".join(f"line {i} of a long note about planning\n" for i in range(5000))
    note = load(tmp_path, "long.md", content, max_bytes=10_000)
    assert note.truncated and any("truncated" in r for r in note.reasons)
    assert sum(len(x) + 1 for x in note.lines) <= 10_001
    assert note.lines[-1] == ""  # cut after a newline, no half line


def test_truncation_never_splits_a_utf8_character(tmp_path):
    content = ("é" * 3000).encode()  # one long line of 2-byte characters
    note = load(tmp_path, "e.md", content, max_bytes=1001)
    assert "\ufffd" not in note.lines[0]
    assert not any("UTF-8" in r for r in note.reasons)


def test_crlf_line_numbers(tmp_path):
    note = load(tmp_path, "w.md", b"# T\r\n\r\n- [ ] task\r\n")
    assert note.lines[:3] == ["# T", "", "- [ ] task"]
    assert loader.action_items(note)[0].line == 3
