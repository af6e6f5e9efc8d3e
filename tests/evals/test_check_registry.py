"""A check declared once is validated, scored and reported: a toy check added inside the test."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field
from support import QUESTION_JSON as QUESTION
from support import write_dedented as write

from companion.evals import checks
from companion.evals.checks import REGISTRY, Check, Loc, register
from companion.evals.evidence import CheckResult, Evidence
from companion.evals.report import print_table, render_html
from companion.evals.runner import run_suite
from companion.evals.scenario import ScenarioError, load_scenario, load_scenarios
from companion.llm.fake import ScriptedProvider
from companion.settings import load_settings


@pytest.fixture()
def toy():
    """A check that counts words in the replies; registered for this test only."""

    @register
    class ReplyWords(Check):
        check: Literal["reply_words"] = "reply_words"
        modes = frozenset({"socratic"})
        parameters = "`max`: int >= 1 (required)"
        description = "Every reply has at most `max` words."
        max: Annotated[int, Field(ge=1)]

        def rules(self, scenario) -> list[tuple[Loc, str]]:
            if len(scenario.turns) > 3:
                return [(("max",), "reply_words is for short conversations")]
            return []

        def score(self, ev: Evidence, *, judge=None) -> CheckResult:
            counts = [len(r.text.split()) for r in ev.replies]
            ok = [n <= self.max for n in counts]
            return self.result(all(ok), sum(ok) / max(1, len(ok)), f"words per reply {counts}")

    yield ReplyWords
    del REGISTRY["reply_words"]


def test_a_registered_check_is_validated(tmp_path, toy):
    path = write(tmp_path, "s.yaml", """
        id: toy
        mode: socratic
        description: d
        turns:
          - user: hello there
        checks:
          - no_advice
          - {check: reply_words, max: 40}
          - {check: reply_words, maximum: 40}
          - {check: reply_words, max: 0}
        """)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    problems = err.value.problems
    assert any(p.endswith("s.yaml:9: checks[2].maximum: unknown field 'maximum'") for p in problems)
    assert any("s.yaml:10: checks[3].max: Input should be greater than or equal to 1" in p for p in problems)

    good = write(tmp_path, "good.yaml", path.read_text().split("  - {check: reply_words, maximum")[0])
    scenario = load_scenario(good)
    assert isinstance(scenario.checks[1], toy)
    assert scenario.checks[1].label == "reply_words(max=40)"


def test_a_registered_check_has_its_modes_and_rules(tmp_path, toy):
    path = write(tmp_path, "s.yaml", """
        id: toy
        mode: agenda
        description: d
        inputs: {person: Dana, relationship: my_report, duration_minutes: 30}
        checks:
          - {check: reply_words, max: 40}
        """)
    with pytest.raises(ScenarioError, match=r"'reply_words' does not apply to agenda mode \(it applies to: socratic\)"):
        load_scenario(path)
    long = write(tmp_path, "long.yaml", """
        id: long
        mode: socratic
        description: d
        turns: [{user: a}, {user: b}, {user: c}, {user: d}]
        checks:
          - {check: reply_words, max: 40}
        """)
    with pytest.raises(ScenarioError, match=r"long.yaml:6: checks\[0\].max: reply_words is for short"):
        load_scenario(long)


def test_a_registered_check_is_scored_and_reported(tmp_path, toy, capsys):
    write(tmp_path, "scenarios/socratic/toy.yaml", """
        id: toy
        mode: socratic
        description: A short question back.
        turns:
          - user: the launch is in two weeks
        checks:
          - {check: reply_words, max: 200}
          - {check: reply_words, max: 1}
        """)
    scenarios = load_scenarios(tmp_path / "scenarios")
    summary = run_suite(scenarios, load_settings(), provider=ScriptedProvider(default=QUESTION),
                        include_corpus=False, use_cache=False)
    [result] = summary["scenarios"]
    passed, failed = result["checks"]
    assert passed["name"] == failed["name"] == "reply_words"
    assert passed["passed"] is True and failed["passed"] is False
    assert failed["label"] == "reply_words(max=1)" and failed["detail"].startswith("words per reply [")
    assert summary["by_check"]["reply_words"]["passed"] == 1

    html = render_html(summary)
    assert "reply_words(max=1)" in html and "Every reply has at most max words." in html
    print_table(summary)
    assert "reply_words" in capsys.readouterr().out

    assert "| `reply_words` | `max`: int >= 1 (required) | socratic | Every reply has at most `max` words. |" in (
        checks.checks_table()
    )


def test_a_check_without_a_description_or_twice_is_refused():
    with pytest.raises(TypeError, match="needs a description"):

        @register
        class Nameless(Check):
            check: Literal["nameless"] = "nameless"

    with pytest.raises(TypeError, match="registered twice"):

        @register
        class NoAdvice(Check):
            check: Literal["no_advice"] = "no_advice"
            description = "again"
    assert "nameless" not in REGISTRY
