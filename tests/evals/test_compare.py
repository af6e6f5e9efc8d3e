"""`companion eval compare` on two recorded runs (tests/evals/fixtures/run-a, run-b)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from companion.cli import app
from companion.evals.compare import compare_runs, paired_delta
from companion.evals.report import load_summary

FIXTURES = Path(__file__).parent / "fixtures"
RUN_A, RUN_B = FIXTURES / "run-a", FIXTURES / "run-b"


@pytest.fixture(scope="module")
def result():
    return compare_runs(load_summary(RUN_A), load_summary(RUN_B / "summary.json"))


def test_newly_failing_scenarios_with_the_checks_that_flipped(result):
    failing = {row["id"]: row for row in result["newly_failing"]}
    assert set(failing) == {"soc-2", "soc-4", "agenda-2"}
    assert failing["soc-2"]["checks"] == ["no_advice"]
    assert failing["soc-4"]["checks"] == ["no_advice", "mentions"]
    assert failing["agenda-2"]["error"].startswith("RuntimeError")
    assert {row["id"] for row in result["newly_passing"]} == {"soc-3", "jtbd-1"}
    assert result["only_in_a"] == ["only-a"] and result["only_in_b"] == ["only-b"]
    assert result["paired"] == 8


def test_per_mode_and_per_check_deltas(result):
    assert result["overall"]["n"] == 8
    assert result["overall"]["delta"] == pytest.approx((5 - 6) / 8)
    soc = result["by_mode"]["socratic"]
    assert (soc["n"], soc["a"], soc["b"]) == (4, 0.75, 0.5)
    advice = result["by_check"]["no_advice"]
    assert advice["n"] == 5 and advice["delta"] == pytest.approx(-2 / 5)
    # two `mentions` checks in one scenario: the scenario's value is the share that passed
    assert result["by_check"]["mentions"]["b"] == 0.5
    # skipped judge checks are not compared
    assert "judge" not in result["by_check"]
    for d in (*result["by_mode"].values(), *result["by_check"].values()):
        lo, hi = d["ci"]
        assert lo <= d["delta"] <= hi


def test_bootstrap_is_paired_and_repeatable():
    a = [1.0] * 30
    b = [0.0] * 10 + [1.0] * 20
    one, two = paired_delta(a, b), paired_delta(a, b)
    assert one == two  # fixed seed
    assert one["significant"] and one["ci"][1] < 0
    same = paired_delta(a, a)
    assert same["ci"] == [0.0, 0.0] and not same["significant"]
    assert paired_delta([], [])["delta"] is None


def test_compare_command_lists_newly_failing_first():
    out = CliRunner().invoke(app, ["eval", "compare", str(RUN_A), str(RUN_B)], env={"COLUMNS": "160"})
    assert out.exit_code == 0, out.output
    text = out.output
    assert "newly failing" in text and "soc-2" in text
    assert text.index("newly failing") < text.index("newly passing") < text.index("by mode")
    assert "by check" in text


def test_compare_command_json_and_a_missing_run(tmp_path):
    out = CliRunner().invoke(app, ["eval", "compare", str(RUN_A), str(RUN_B), "--json"])
    assert out.exit_code == 0
    assert json.loads(out.output)["paired"] == 8
    missing = CliRunner().invoke(app, ["eval", "compare", str(RUN_A), str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "no such run summary" in missing.output


def test_compare_shows_miti_per_mode_and_model():
    from rich.console import Console

    from companion.evals.compare import print_comparison
    from companion.evals.runner import miti_of

    a, b = load_summary(RUN_A), load_summary(RUN_B / "summary.json")
    b["by_mode"]["socratic"]["miti"] = miti_of(["My VP wants to ship without SSO."],
                                               ["So the date drives it. What are you assuming about SSO?"])
    result = compare_runs(a, b)
    assert result["miti"]["socratic"]["a"] is None and result["miti"]["socratic"]["b"]["codes"]
    console = Console(record=True, width=200)
    print_comparison(result, console=console)
    text = console.export_text()
    assert "MITI by mode and model" in text and "R:Q" in text
