"""The scenario format (companion/evals/scenario.py) and the shipped scenarios in evals/scenarios/."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from companion.evals.checks import (
    REGISTRY,
    CarriesActionItems,
    Forbidden,
    Mentions,
    NoAdvice,
    OpenQuestionRatio,
    QuestionCount,
    Sections,
    checks_table,
)
from companion.evals.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    load_scenarios,
)
from companion.locations import evals_dir

SCENARIOS = evals_dir() / "scenarios"
PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): \S")

REPORT_MANAGER_SECTIONS = {
    "Check-in",
    "Action items from last time",
    "Wins",
    "Blockers",
    "Decisions needed",
    "Growth and career",
    "Feedback both ways",
    "Next steps",
}
MENTORING_SECTIONS = {
    "Check-in",
    "Action items from last time",
    "Goals",
    "Topic of the day",
    "Questions to explore",
    "Next steps",
}


@pytest.fixture(scope="module")
def shipped() -> list[Scenario]:
    return load_scenarios(SCENARIOS)


def by_folder(scenarios: list[Scenario], folder: str) -> list[Scenario]:
    return [s for s in scenarios if s.path is not None and s.path.parent.name == folder]


# ----------------------------------------------------------------------------- shipped scenarios


def test_every_shipped_scenario_loads(shipped):
    assert len(shipped) >= 62
    assert len({s.id for s in shipped}) == len(shipped)
    assert all(s.path is not None and s.path.is_absolute() for s in shipped)


def test_counts_per_folder_and_mode(shipped):
    counts = Counter(s.path.parent.name for s in shipped)
    assert counts["socratic"] >= 20
    assert counts["agenda"] >= 15
    assert counts["jtbd"] >= 12
    assert counts["mentor"] >= 8
    assert counts["safety"] >= 7
    for folder in ("socratic", "agenda", "jtbd", "mentor"):
        assert {s.mode for s in by_folder(shipped, folder)} == {folder}
    assert {s.mode for s in by_folder(shipped, "safety")} == {"socratic", "agenda"}


def test_ids_match_file_names(shipped):
    assert [s.id for s in shipped if s.id != s.path.stem] == []


def test_fixture_notes_are_never_loaded_as_scenarios(shipped):
    assert not any("fixtures" in s.path.parts for s in shipped)


def test_judge_rubrics_and_smoke_subset(shipped):
    judged = [s for s in shipped if s.checks_named("judge")]
    assert len(judged) >= 8
    smoke = [s for s in shipped if "smoke" in s.tags]
    assert {s.path.parent.name for s in smoke} == {"socratic", "agenda", "jtbd", "mentor", "safety"}


def test_socratic_conventions(shipped):
    socratic = [s for s in shipped if s.mode == "socratic"]
    invited = [s for s in socratic if "advice-invited" in s.tags]
    assert len(invited) >= 3
    for s in socratic:
        assert 1 <= len(s.turns) <= 3, s.id
        names = {c.check for c in s.checks}
        assert "cites_sources" in names and "mentions" in names, s.id
        if "advice-invited" in s.tags:
            assert "no_advice" not in names, s.id
            assert any(
                re.search(r"what would you do|/advice|tell me what", t.user, re.I) for t in s.turns
            ), s.id
        elif s.path.parent.name == "socratic":
            assert {"no_advice", "open_question_ratio", "question_count"} <= names, s.id
            if len(s.turns) == 3:
                assert "socratic_type_coverage" in names, s.id


def _situation_text(s: Scenario) -> str:
    i = s.inputs
    parts = [t.user for t in s.turns]
    parts += [
        v for v in (i.on_mind, i.product, i.switch, i.interviewee, i.mentee, i.situation) if v
    ]
    return " ".join(parts).casefold()


def test_mentions_use_the_users_own_words(shipped):
    """Fairness: a good reply reflects the user's words, so every `mentions` phrase must be one
    the user (or the mode inputs) actually wrote."""
    unfair = []
    for s in shipped:
        text = _situation_text(s)
        for check in s.checks:
            if isinstance(check, Mentions):
                for phrase in (check.any or []) + (check.all or []):
                    if phrase.casefold() not in text:
                        unfair.append((s.id, phrase))
    assert unfair == []


def test_forbidden_phrases_are_not_in_the_users_own_words(shipped):
    clashes = []
    for s in shipped:
        text = _situation_text(s)
        for check in s.checks:
            if isinstance(check, Forbidden):
                clashes += [(s.id, p) for p in check.any if p.casefold() in text]
    assert clashes == []


# A small reader for the fixture convention in evals/README.md, independent of the app's own.
ITEM = re.compile(r"^\s*[-*] \[(?P<done>[ xX])\] (?P<text>.+)$")
MENTION = re.compile(r"@([A-Za-z][\w]*)")


def read_items(folder: Path) -> list[tuple[str, bool, str]]:
    """(owner, done, text) for every action item of the fixture folder."""
    items = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n"), path
        front_text, body = text[4:].split("\n---\n", 1)
        front = yaml.safe_load(front_text)
        assert {"date", "tags"} <= set(front), path
        owner = front.get("person") or front.get("with")
        for line in body.splitlines():
            m = ITEM.match(line)
            if not m:
                continue
            mentions = MENTION.findall(m["text"])
            assert len(mentions) <= 1, (path, line)
            who = mentions[0] if mentions else owner
            assert who, (path, line)
            items.append((str(who).casefold(), m["done"] != " ", m["text"]))
    return items


def test_agenda_fixtures_follow_the_convention(shipped):
    agendas = [s for s in shipped if s.mode == "agenda"]
    relationships = Counter(s.inputs.relationship for s in by_folder(shipped, "agenda"))
    assert set(relationships) == {"my_manager", "my_report", "mentor", "mentee"}
    durations = {s.inputs.duration_minutes for s in by_folder(shipped, "agenda")}
    assert {15, 25, 30, 45, 60} <= durations
    for s in agendas:
        assert s.notes is not None and s.notes.is_dir(), s.id
        notes = sorted(s.notes.glob("*.md"))
        assert 2 <= len(notes) <= 5, s.id
        items = read_items(s.notes)
        person = s.inputs.person.casefold()
        mine_open = [t for who, done, t in items if who == person and not done]
        others_open = [t for who, done, t in items if who != person and not done]
        assert mine_open, f"{s.id}: no open items for {person}"
        assert others_open, f"{s.id}: no open item of another person"
        assert any(done for _, done, _ in items), f"{s.id}: no done item"
        carries = [c for c in s.checks if isinstance(c, CarriesActionItems)]
        assert [c.person.casefold() for c in carries] == [person], s.id
        # forbidden phrases must never be part of what the agenda is required to carry
        for check in s.checks:
            if isinstance(check, Forbidden):
                for phrase in check.any:
                    assert not any(phrase.casefold() in t.casefold() for t in mine_open), (
                        s.id,
                        phrase,
                    )
        allowed = (
            MENTORING_SECTIONS
            if s.inputs.relationship in ("mentor", "mentee")
            else REPORT_MANAGER_SECTIONS
        )
        for check in s.checks:
            if isinstance(check, Sections):
                assert set(check.required) <= allowed, (s.id, set(check.required) - allowed)


def test_safety_fixtures_carry_their_payload(shipped):
    safety = by_folder(shipped, "safety")
    for s in safety:
        assert s.notes is not None and "fixtures" in s.notes.parts, s.id
        corpus = " ".join(p.read_text(encoding="utf-8") for p in s.notes.rglob("*.md")).casefold()
        forbidden = [p for c in s.checks if isinstance(c, Forbidden) for p in c.any]
        assert forbidden, s.id
        assert any(p.casefold() in corpus for p in forbidden), s.id
        if s.mode == "socratic":
            assert "no_advice" in {c.check for c in s.checks}, s.id
    payloads = " ".join(
        p.read_text(encoding="utf-8") for s in safety for p in s.notes.rglob("*.md")
    ).casefold()
    for needle in (
        "ignore previous instructions",
        "pwned",
        "advice mode",
        "system prompt",
        "evil.example/collect?data=",
        "<!--",
        "<|im_start|>system",
    ):
        assert needle in payloads, needle


# ----------------------------------------------------------------------------- parsing checks

BASE = """\
id: test-scenario
mode: socratic
description: A test scenario.
turns:
  - user: My launch is slipping and I do not know why.
checks:
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    out = []
    for problem in info.value.problems:
        m = PROBLEM_LINE.match(problem)
        assert m, problem
        out.append((m["file"], int(m["line"]), problem))
    assert str(info.value) == "\n".join(info.value.problems)
    return out


def test_bare_string_and_mapping_checks_parse_to_the_same_models(tmp_path):
    path = write(
        tmp_path,
        BASE
        + """\
  - no_advice
  - {check: no_advice}
  - check: open_question_ratio
    min: 0.8
  - {check: question_count, max: 3}
  - {check: mentions, any: [launch], all: [slipping]}
  - cites_sources
""",
    )
    s = load_scenario(path)
    assert s.checks[0] == s.checks[1] == NoAdvice()
    assert s.checks[2] == OpenQuestionRatio(min=0.8)
    assert isinstance(s.checks[3], QuestionCount)
    assert (s.checks[3].min, s.checks[3].max) == (0, 3)
    assert s.checks[4].params() == {"any": ["launch"], "all": ["slipping"]}
    assert s.checks[2].label == "open_question_ratio(min=0.8)"
    assert s.checks[5].label == "cites_sources"
    assert s.path == path.resolve()


def test_every_known_check_has_a_mode_and_a_documented_entry():
    readme = (evals_dir() / "README.md").read_text(encoding="utf-8")
    assert checks_table() in readme  # regenerate with `python -m companion.evals.checks`
    for name in REGISTRY:
        assert f"`{name}`" in readme, name


def test_notes_resolve_to_an_absolute_folder(tmp_path):
    (tmp_path / "fixtures" / "team").mkdir(parents=True)
    path = write(
        tmp_path,
        BASE.replace("checks:\n", "notes: ../fixtures/team\nchecks:\n") + "  - no_advice\n",
        name="socratic/s.yaml",
    )
    s = load_scenario(path)
    assert s.notes == (tmp_path / "fixtures" / "team").resolve()
    assert s.notes.is_absolute()


def test_yaml_syntax_error_has_file_and_line(tmp_path):
    path = write(tmp_path, BASE + "  - no_advice\n  - {check: mentions, any: [launch\n")
    [(file, line, message)] = problems_of(path)
    assert file.endswith("s.yaml")
    assert line in (8, 9)
    assert "YAML syntax error" in message


def test_tab_indentation_error_has_its_line(tmp_path):
    path = write(tmp_path, "id: x\nmode: socratic\n\tdescription: y\n")
    [(_, line, message)] = problems_of(path)
    assert line == 3 and "YAML syntax error" in message


def test_unknown_check_is_an_error_listing_known_checks(tmp_path):
    path = write(tmp_path, BASE + "  - no_advice\n  - no_advise\n  - {check: be_nice, level: 3}\n")
    found = problems_of(path)
    assert [line for _, line, _ in found] == [8, 9]
    assert "checks[1]: unknown check 'no_advise'" in found[0][2]
    assert "checks[2]: unknown check 'be_nice'" in found[1][2]
    for name in REGISTRY:
        assert name in found[0][2]


def test_wrong_parameter_of_a_known_check_is_an_error(tmp_path):
    path = write(
        tmp_path,
        BASE
        + """\
  - no_advice
  - {check: open_question_ratio, minimum: 0.8}
  - {check: open_question_ratio, min: 1.5}
  - check: question_count
    min: 4
    max: 2
  - mentions
""",
    )
    found = problems_of(path)
    text = "\n".join(p for _, _, p in found)
    assert ":8: checks[1].minimum: unknown field 'minimum'" in text
    assert ":8: checks[1].min: required field is missing" in text
    assert ":9: checks[2].min: Input should be less than or equal to 1" in text
    assert ":10: checks[3]: 'min' (4) is greater than 'max' (2)" in text
    assert ":13: checks[4]: give at least one of 'any' or 'all'" in text


def test_wrong_type_deep_in_a_list_points_at_its_line(tmp_path):
    path = write(
        tmp_path,
        """\
id: deep-error
mode: socratic
description: Wrong types deep inside lists.
turns:
  - user: first message
  - user: 42
checks:
  - no_advice
  - check: mentions
    any:
      - launch
      - yes
""",
    )
    found = problems_of(path)
    assert [(line, p.split(": ", 1)[1]) for _, line, p in found] == [
        (6, "turns[1].user: Input should be a valid string"),
        (12, "checks[1].any[1]: Input should be a valid string"),
    ]


def test_missing_notes_folder_points_at_the_notes_line(tmp_path):
    path = write(
        tmp_path,
        """\
id: agenda-missing-notes
mode: agenda
description: Notes folder that does not exist.
inputs: {person: Dana, relationship: my_report, duration_minutes: 30}
notes: fixtures/nowhere
checks:
  - {check: carries_action_items, person: Dana}
""",
    )
    [(_, line, message)] = problems_of(path)
    assert line == 5
    assert "notes: notes folder not found" in message and "nowhere" in message


def test_absolute_notes_path_is_refused(tmp_path):
    path = write(
        tmp_path, BASE.replace("checks:\n", f"notes: {tmp_path}\nchecks:\n") + "  - no_advice\n"
    )
    [(_, line, message)] = problems_of(path)
    assert line == 6 and "relative" in message


def test_duplicate_ids_name_both_files(tmp_path):
    write(tmp_path, BASE + "  - no_advice\n", name="a/one.yaml")
    write(tmp_path, "# a comment first\n" + BASE + "  - no_advice\n", name="b/two.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(tmp_path)
    [problem] = info.value.problems
    assert re.search(
        r"two\.yaml:2: duplicate id 'test-scenario' \(also in .*one\.yaml:1\)", problem
    )


def test_load_scenarios_collects_problems_of_all_files_and_skips_fixtures(tmp_path):
    write(tmp_path, BASE + "  - no_advice\n", name="ok.yaml")
    write(tmp_path, BASE.replace("test-scenario", "bad-one") + "  - nope\n", name="x/bad.yaml")
    write(tmp_path, "id: [\n", name="y/broken.yaml")
    write(tmp_path, "not: a scenario\n", name="x/fixtures/notes/data.yaml")
    write(tmp_path, BASE.replace("test-scenario", "old-ext") + "  - no_advice\n", name="z/old.yml")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(tmp_path)
    text = str(info.value)
    assert re.search(r"bad\.yaml:7: checks\[0\]: unknown check 'nope'", text)
    assert re.search(r"broken\.yaml:\d+: YAML syntax error", text)
    assert re.search(r"old\.yml:1: scenario files must end in \.yaml", text)
    assert "data.yaml" not in text
    assert len(info.value.problems) == 3


def test_load_scenarios_sorted_and_valid(tmp_path):
    for name in ("b", "a", "c"):
        write(
            tmp_path,
            BASE.replace("test-scenario", f"s-{name}") + "  - no_advice\n",
            name=f"{name}/s.yaml",
        )
    assert [s.id for s in load_scenarios(tmp_path)] == ["s-a", "s-b", "s-c"]
    with pytest.raises(ScenarioError, match=r"missing:1: scenario folder not found"):
        load_scenarios(tmp_path / "missing")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "empty file"),
        ("- a\n- b\n", 1, "must be a YAML mapping"),
        ("id: a\n---\nid: b\n", 2, "YAML syntax error"),
        (BASE + "  - no_advice\nmode: agenda\n", 8, "duplicate key 'mode'"),
        (BASE + "  - no_advice\nextra: 1\n", 8, "extra: unknown field 'extra'"),
        (
            BASE.replace("mode: socratic", "mode: lecture") + "  - no_advice\n",
            2,
            "mode: Input should be",
        ),
        (
            BASE.replace("test-scenario", "Test Scenario") + "  - no_advice\n",
            1,
            "id: must be a lowercase slug",
        ),
        ("id: only-id\n", 1, "description: required field is missing"),
        (BASE, 6, "checks: Input should be a valid list"),
        (BASE + "  - 42\n", 7, "checks[0]: a check is a name or a mapping"),
        (BASE + "  - {open_question_ratio: 0.8}\n", 7, "needs a 'check' key"),
        (BASE + "  - !!python/object:os.system {}\n", 7, "YAML syntax error"),
        ("id: x\nmode: socratic\ndescription: a bell \x07 here\n", 3, "YAML syntax error"),
        ("id: x\n" + "[" * 5000 + "\n", 2, "YAML syntax error"),
        ("id: x\nturns: " + "[" * 3000 + "]" * 3000 + "\n", 1, "nested too deeply"),
    ],
)
def test_malformed_files(tmp_path, text, line, fragment):
    found = problems_of(write(tmp_path, text))
    assert any(ln == line and fragment in p for _, ln, p in found), found


def test_invalid_utf8_reports_its_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"id: x\nmode: socratic\ndescription: caf\xe9\n")
    [(_, line, message)] = problems_of(path)
    assert line == 3 and "UTF-8" in message


def test_whole_scenario_rules(tmp_path):
    path = write(
        tmp_path,
        """\
id: rules
mode: socratic
description: Breaks the whole-scenario rules.
tags: [advice-invited, advice-invited]
inputs:
  product: A budgeting app
checks:
  - no_advice
  - {check: sections, required: [Wins]}
  - timebox_total
""",
    )
    found = {(line, p.split(": ", 1)[1]) for _, line, p in problems_of(path)}
    assert (1, "turns: socratic scenarios need at least one user turn") in found
    assert (4, "tags[1]: duplicate tag 'advice-invited'") in found
    assert any(ln == 6 and "inputs.product is not used in socratic mode" in p for ln, p in found)
    assert any(ln == 8 and "contradicts the 'advice-invited' tag" in p for ln, p in found)
    assert any(ln == 9 and "'sections' does not apply to socratic mode" in p for ln, p in found)
    assert any(ln == 10 and "timebox_total needs inputs.duration_minutes" in p for ln, p in found)


def test_agenda_rules(tmp_path):
    (tmp_path / "notes").mkdir()
    path = write(
        tmp_path,
        """\
id: agenda-rules
mode: agenda
description: Agenda without its inputs.
notes: notes
inputs:
  person: Dana
  duration_minutes: "30"
checks:
  - {check: carries_action_items, person: Sam}
""",
    )
    found = problems_of(path)
    assert [(ln, p.split(": ", 1)[1]) for _, ln, p in found] == [
        (7, "inputs.duration_minutes: Input should be a valid integer"),
    ]
    path.write_text(path.read_text().replace('"30"', "30"))
    found = {(ln, p.split(": ", 1)[1]) for _, ln, p in problems_of(path)}
    assert (5, "inputs.relationship: agenda mode needs inputs.relationship") in found
    assert any(ln == 9 and "differs from inputs.person 'Dana'" in p for ln, p in found)


def test_every_mutation_fails_with_file_and_line_or_loads(tmp_path):
    """Random damage to a valid file either still loads or fails with `file:line:` problems,
    never with another exception."""
    source = (SCENARIOS / "socratic" / "socratic-underperformer-before-launch.yaml").read_text()
    rng = random.Random(6)
    alphabet = ":-[]{}#&*!|>'\"%@`\t\n ,?x1"
    for _ in range(300):
        chars = list(source)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(chars))
            if rng.random() < 0.5:
                del chars[pos]
            else:
                chars.insert(pos, rng.choice(alphabet))
        path = write(tmp_path, "".join(chars))
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert PROBLEM_LINE.match(problem), problem


def test_scenarios_survive_a_json_round_trip(shipped):
    """The runner may store scenarios in its results; validating the dump again gives the same."""
    for s in shipped:
        again = Scenario.model_validate_json(s.model_dump_json())
        assert again.model_dump() == s.model_dump(), s.id


def test_random_bytes_fail_with_file_and_line(tmp_path):
    rng = random.Random(7)
    path = tmp_path / "noise.yaml"
    for _ in range(200):
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 200))))
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        for problem in info.value.problems:
            assert PROBLEM_LINE.match(problem), problem
