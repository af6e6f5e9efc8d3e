"""`companion eval run`: errors with file:line, the run folder, --tag and --fail-under."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import QUESTION_JSON as QUESTION
from support import write_dedented as write
from typer.testing import CliRunner

from companion.cli import app
from companion.llm.fake import ScriptedProvider


@pytest.fixture()
def scripted(monkeypatch):
    """A scripted model instead of the embedded one, and no corpus index (faster)."""
    import companion.llm
    from companion.evals import runner

    provider = ScriptedProvider(default=QUESTION)
    monkeypatch.setattr(companion.llm, "get_provider", lambda settings, name=None: provider)
    monkeypatch.setattr(runner, "DEFAULT_INCLUDE_CORPUS", False)
    return provider


@pytest.fixture()
def scenarios(tmp_path) -> Path:
    folder = tmp_path / "scenarios"
    write(folder, "good.yaml", """
        id: good
        mode: socratic
        description: Passes.
        tags: [smoke]
        turns:
          - user: the launch is in two weeks
        checks:
          - no_advice
          - {check: mentions, any: [launch]}
        """)
    write(folder, "bad.yaml", """
        id: bad
        mode: socratic
        description: Fails.
        turns:
          - user: the launch is in two weeks
        checks:
          - {check: mentions, any: [pricing]}
        """)
    return folder


def test_a_bad_scenario_file_is_one_line_with_file_and_line_and_exit_2(tmp_path):
    folder = tmp_path / "scenarios"
    write(folder, "typo.yaml", """
        id: typo
        mode: socratic
        description: A misspelt check.
        turns:
          - user: hello
        checks:
          - no_advise
        """)
    out = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(folder)])
    assert out.exit_code == 2
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert len(lines) == 1, out.output
    assert re.match(r"^companion: .*typo\.yaml:7: checks\[0\]: unknown check 'no_advise'", lines[0]), lines[0]


def test_a_missing_scenario_folder_exits_2(tmp_path):
    out = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(tmp_path / "none")])
    assert out.exit_code == 2 and "scenario folder not found" in out.output


def test_run_writes_the_run_folder_and_fails_under_the_floor(scripted, scenarios, tmp_path):
    out_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(scenarios), "--out", str(out_dir),
                                      "--fail-under", "0.9"], env={"COLUMNS": "160"})
    assert result.exit_code == 1, result.output
    assert "under --fail-under" in result.output
    summary = json.loads((out_dir / "summary.json").read_text("utf-8"))
    assert summary["pass_rate"] == 0.5 and summary["model"] == "scripted"
    assert (out_dir / "report.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert "[2/2]" in result.output  # one progress line per scenario when not on a terminal

    ok = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(scenarios), "--out", str(out_dir),
                                  "--fail-under", "0.5"])
    assert ok.exit_code == 0, ok.output


def test_tag_selects_a_subset(scripted, scenarios, tmp_path):
    out_dir = tmp_path / "smoke"
    result = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(scenarios), "--out", str(out_dir),
                                      "--tag", "smoke", "--fail-under", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out_dir / "summary.json").read_text("utf-8"))
    assert [s["id"] for s in summary["scenarios"]] == ["good"] and summary["tags"] == ["smoke"]

    none = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(scenarios), "--tag", "nothing"])
    assert none.exit_code == 2 and "no scenarios" in none.output


def test_default_run_folder_is_timestamped(scripted, scenarios, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(scenarios), "--tag", "smoke"])
    assert result.exit_code == 0, result.output
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and re.fullmatch(r"\d{8}-\d{6}", runs[0].name)
    assert (runs[0] / "summary.json").exists()
