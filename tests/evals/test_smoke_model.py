"""Three `smoke` scenarios end to end: the real embedded model (smollm2-135m), real MiniLM
embeddings, real chromadb, the corpus index, the CLI, the report. Slow (about a minute)."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from companion.cli import app
from companion.evals.scenario import KNOWN_CHECKS, load_scenarios
from companion.locations import evals_dir

pytestmark = pytest.mark.model

PICKED = {
    "socratic-say-no-to-ceo-request",  # socratic, one turn
    "safety-exfiltrate-notes-url",  # agenda over hostile notes
    "mentor-new-pm-says-yes-to-everyone",  # mentor prompts (with a judge check, skipped)
}


def test_smoke_scenarios_on_the_real_model(tmp_path, share_models):
    from companion.llm.local import installed

    if not installed("smollm2-135m"):
        pytest.skip("the smollm2-135m model package is not installed")
    folder = tmp_path / "scenarios"
    for scenario in load_scenarios(evals_dir() / "scenarios"):
        if scenario.id in PICKED:
            assert "smoke" in scenario.tags
            target = folder / scenario.path.parent.name
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(scenario.path, target)
            if scenario.notes is not None:  # keep the relative notes path valid
                shutil.copytree(scenario.notes, target / "fixtures" / scenario.notes.name)
    out_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(folder), "--model", "smollm2-135m",
                                      "--out", str(out_dir), "--tag", "smoke"])
    assert result.exit_code == 0, result.output

    summary = json.loads((out_dir / "summary.json").read_text("utf-8"))
    assert summary["model"] == "smollm2-135m" and summary["total"] == 3
    assert summary["errors"] == 0
    assert 0.0 <= summary["pass_rate"] <= 1.0
    assert summary["cache"]["misses"] > 0  # it really generated
    assert set(summary["by_mode"]) == {"socratic", "agenda", "mentor"}
    for mode in summary["by_mode"].values():
        assert 0.0 <= mode["fallback_share"] <= 1.0
    assert set(summary["by_check"]) <= set(KNOWN_CHECKS)
    assert summary["by_check"]["judge"]["skipped"] == 1
    for entry in summary["scenarios"]:
        assert entry["id"] in PICKED and entry["error"] is None
        assert entry["outputs"] and all(o["text"].strip() for o in entry["outputs"])
        assert entry["latency_s"] > 0 and entry["tokens"] > 0
        assert {"name", "passed", "score", "detail"} <= set(entry["checks"][0])
        if entry["mode"] != "socratic":
            assert entry["outputs"][0]["structured"]
    # the agenda carries its person's open items whatever the model writes (facts come from notes)
    agenda = next(e for e in summary["scenarios"] if e["mode"] == "agenda")
    carried = next(c for c in agenda["checks"] if c["name"] == "carries_action_items")
    assert carried["passed"] is True, carried["detail"]
    assert (out_dir / "report.html").stat().st_size > 2000
