"""Prompt files: validated front matter, strict rendering, and fixed texts that pass the analyser."""

from __future__ import annotations

import re

import pytest

from companion.coaching.bank import fill, load_bank
from companion.coaching.generate import stem_pattern
from companion.coaching.guard import question_problems
from companion.coaching.prompts import PromptError, all_prompts, load_prompt, parse_prompt
from companion.coaching.rules import analyse


def test_every_prompt_file_loads_and_declares_its_variables():
    prompts = {p.name: p for p in all_prompts()}
    assert {"socratic-question", "advice", "agenda-questions", "jtbd-probes", "mentor-prompts"} <= set(prompts)
    for p in prompts.values():
        assert p.version >= 1 and p.meta.description


def test_missing_variable_is_a_named_error():
    with pytest.raises(PromptError, match="situation"):
        load_prompt("socratic-question").render(passages="", history="", type_name="x", type_hint="y", stem="z")


def test_undeclared_variable_is_refused():
    text = "---\nname: t\nversion: 1\ndescription: d\nvariables: [a]\n---\n=== user ===\n$a and $b\n"
    with pytest.raises(PromptError, match="undeclared"):
        parse_prompt(text)


def test_a_variable_in_the_system_section_is_refused():
    # The system section is the reusable (and disk-cached) prefix: it never holds user text.
    text = (
        "---\nname: t\nversion: 1\ndescription: d\nvariables: [a]\n---\n"
        "=== system ===\nCoach about $a\n=== user ===\n$a\n"
    )
    with pytest.raises(PromptError, match="system section must be fixed"):
        parse_prompt(text)


def test_bad_front_matter_is_refused():
    with pytest.raises(PromptError, match="front matter"):
        parse_prompt("---\nname: [\n---\n=== user ===\nx\n")
    with pytest.raises(PromptError, match="version"):
        parse_prompt("---\nname: t\nversion: 0\ndescription: d\n---\n=== user ===\nx\n")


def test_stem_pattern_avoids_backslash_dot():
    pattern = stem_pattern("What does Mr. X mean by")
    assert "\\." not in pattern and "[.]" in pattern
    assert re.match(pattern, "What does Mr. X mean by the launch date?")
    # The tail is printable ASCII: no other scripts, no quotes, no second question (nor a full
    # stop before one), no newline.
    for bad in ("the 日期?", 'the "date"?', "the date? And why?", "the date. And why?", "the\ndate?"):
        assert not re.match(pattern, f"What does Mr. X mean by {bad}"), bad


@pytest.mark.parametrize("qtype", ["clarity", "assumptions", "reasons_evidence", "alternate_viewpoints", "implications"])
def test_socratic_stems_read_as_their_type(qtype):
    data = load_prompt("socratic-question").meta.data
    samples = {
        "What does": "What does a good launch look like to you?",
        "How might": "How might your designer see the new scope?",
        "What other options": "What other options are there for the launch date?",
    }
    for stem in data["stems"][qtype]:
        q = samples.get(stem, f"{stem} the launch date for your team?")
        a = analyse(q)
        assert a.form == "open" and not a.leading and not a.hypothetical, q
        assert a.socratic_type == qtype, (q, a.socratic_type)


@pytest.mark.parametrize("name", ["agenda-questions", "jtbd-probes"])
def test_fixed_questions_pass_the_guard(name):
    data = load_prompt(name).meta.data
    texts = list(data.get("fallback", {}).values()) + data.get("warm_up", []) + data.get("screener", []) + data.get("wrap_up", [])
    for text in texts:
        q = fill(text, job="using spreadsheets", old="spreadsheets", target="Ledgerly", product="Ledgerly")
        assert not question_problems(q, allow_first_person=True, interview=True), q


def test_bank_has_every_section():
    bank = load_bank()
    assert set(bank["socratic"]) >= {"clarity", "assumptions", "reasons_evidence", "alternate_viewpoints", "implications"}
    assert set(bank["jtbd"]) >= {"first_thought", "passive_looking", "active_looking", "deciding", "first_use",
                                 "satisfaction", "push", "pull", "anxiety", "habit"}
