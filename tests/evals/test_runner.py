"""The runner on a scripted model: isolated indexes, the output cache, parallel jobs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import QUESTION_JSON as QUESTION
from support import write_dedented as write

from companion.evals.cache import CachingProvider
from companion.evals.runner import run_suite
from companion.evals.scenario import load_scenario, load_scenarios
from companion.llm.base import ChatMessage
from companion.llm.fake import ScriptedProvider
from companion.locations import evals_dir
from companion.settings import load_settings

DANA = evals_dir() / "scenarios" / "agenda" / "agenda-report-dana-checkout-slip.yaml"


@pytest.fixture()
def scenario_dir(tmp_path) -> Path:
    folder = tmp_path / "scenarios"
    write(folder, "socratic/launch.yaml", """
        id: launch
        mode: socratic
        description: A launch date under pressure.
        tags: [smoke]
        turns:
          - user: the launch is in two weeks and the payments work is half done
          - user: my director only cares about the date
        checks:
          - no_advice
          - {check: question_count, min: 1, max: 3}
          - {check: mentions, any: [launch]}
          - cites_sources
          - {check: judge, rubric: "Is the coach curious?", min: 4}
        """)
    write(folder, "socratic/pricing.yaml", """
        id: pricing
        mode: socratic
        description: A pricing change.
        turns:
          - user: we want to raise prices for the pro plan next month
        checks:
          - {check: mentions, any: [Marco]}
        """)
    return folder


def test_cache_serves_the_second_run_without_calling_the_model(scenario_dir):
    scenarios = load_scenarios(scenario_dir)
    provider = ScriptedProvider(default=QUESTION)
    settings = load_settings()

    first = run_suite(scenarios, settings, provider=provider, include_corpus=False)
    calls = len(provider.history)
    assert calls > 0 and first["cache"]["misses"] == calls and first["cache"]["hits"] == 0

    second = run_suite(scenarios, settings, provider=provider, include_corpus=False)
    assert len(provider.history) == calls  # not one new generation
    assert second["cache"]["hits"] == calls and second["cache"]["misses"] == 0
    def texts(summary):
        return [[o["text"] for o in s["outputs"]] for s in summary["scenarios"]]

    assert texts(second) == texts(first)

    forced = run_suite(scenarios, settings, provider=provider, include_corpus=False, use_cache=False)
    assert len(provider.history) == 2 * calls and forced["cache"]["hits"] == 0


def test_cache_key_covers_model_prompt_and_params(tmp_path):
    msgs = [ChatMessage(role="user", content="hi")]
    a = CachingProvider(ScriptedProvider(name="m1"), tmp_path)
    b = CachingProvider(ScriptedProvider(name="m2"), tmp_path)
    base = a.key("structured", msgs, {"temperature": 0.3})
    assert base == a.key("structured", list(msgs), {"temperature": 0.3})
    assert base != b.key("structured", msgs, {"temperature": 0.3})
    assert base != a.key("structured", [ChatMessage(role="user", content="hi!")], {"temperature": 0.3})
    assert base != a.key("structured", msgs, {"temperature": 0.7})
    assert base != a.key("stream", msgs, {"temperature": 0.3})


def test_cached_stream_replays_the_text_and_skips_failed_streams(tmp_path):
    from companion.llm.base import LLMError

    inner = ScriptedProvider(["hello there friend"], fail_after_tokens=None)
    cached = CachingProvider(inner, tmp_path)
    msgs = [ChatMessage(role="user", content="hi")]
    assert "".join(cached.stream(msgs)) == "hello there friend"
    assert "".join(cached.stream(msgs)) == "hello there friend"
    assert len(inner.history) == 1

    broken = CachingProvider(ScriptedProvider(["a b c d"], fail_after_tokens=2), tmp_path / "b")
    with pytest.raises(LLMError):
        "".join(broken.stream(msgs))
    assert not list((tmp_path / "b").rglob("*.json"))  # a half stream is never stored


def test_summary_is_well_formed_and_isolated(scenario_dir):
    scenarios = load_scenarios(scenario_dir)
    summary = run_suite(scenarios, load_settings(), provider=ScriptedProvider(default=QUESTION),
                        include_corpus=False)
    assert summary["model"] == "scripted" and summary["total"] == 2
    by_id = {s["id"]: s for s in summary["scenarios"]}
    launch, pricing = by_id["launch"], by_id["pricing"]
    assert launch["passed"] is True and pricing["passed"] is False
    judge = next(c for c in launch["checks"] if c["name"] == "judge")
    assert judge["skipped"] is True and judge["passed"] is None
    assert summary["skipped_checks"] == 1 and summary["by_check"]["judge"]["pass_rate"] is None
    assert summary["pass_rate"] == 0.5
    assert [o["role"] for o in launch["outputs"]] == ["reply", "reply"]
    assert launch["outputs"][0]["user"].startswith("the launch is in two weeks")
    assert {"latency_s", "tokens", "fallbacks", "guard"} <= set(launch)
    assert launch["guard"]["replies"] == 2
    assert sum(launch["miti"]["codes"].values()) >= 2  # the replies coded by companion.coaching.miti
    assert summary["by_mode"]["socratic"]["miti"]["codes"] and "MITI 4" in summary["miti_thresholds"]
    # The scripted question is about "a launch": it takes up the first turn's anchor; the second
    # turn (the director) and the pricing turn have no anchor in it, so the coach asks its own.
    assert launch["fallbacks"] == 1 and summary["by_mode"]["socratic"]["fallback_share"] == pytest.approx(2 / 3, abs=1e-3)
    json.dumps(summary)  # serialisable as it is


def test_agenda_scenario_uses_its_own_notes_and_scores_action_items():
    scenario = load_scenario(DANA)
    summary = run_suite([scenario], load_settings(), provider=ScriptedProvider(), include_corpus=False)
    entry = summary["scenarios"][0]
    checks = {c["name"]: c for c in entry["checks"]}
    assert entry["error"] is None
    assert checks["carries_action_items"]["passed"] is True, checks["carries_action_items"]["detail"]
    assert checks["cites_sources"]["passed"] is True, checks["cites_sources"]["detail"]
    assert checks["timebox_total"]["passed"] is True
    output = entry["outputs"][0]
    assert output["role"] == "output" and output["structured"]["person"] == "Dana"
    # the scripted model's answer is no JSON, so no question is the model's: sections with a
    # topic of the PM's (or a stem that reads right about any) have one composed by the
    # program, the others the bank's, and the runner counts the reply as one with fallbacks
    questions = [(sec["title"], i["origin"]) for sec in output["structured"]["sections"]
                 if sec["title"] != "Check-in" for i in sec["items"] if i["kind"] == "question"]
    origins = [o for _, o in questions]
    assert "model" not in origins and "program" in origins
    assert ("Feedback both ways", "program") in questions
    assert origins.count("bank") >= 1 and entry["fallbacks"] == 1


def test_parallel_jobs_give_the_same_results(scenario_dir):
    scenarios = [*load_scenarios(scenario_dir), load_scenario(DANA)]
    settings = load_settings()
    serial = run_suite(scenarios, settings, provider=ScriptedProvider(default=QUESTION), include_corpus=False)
    parallel = run_suite(scenarios, settings, provider=ScriptedProvider(default=QUESTION), include_corpus=False,
                         jobs=3, use_cache=False)

    def strip(summary):
        return [(s["id"], s["passed"], [c["passed"] for c in s["checks"]], [o["text"] for o in s["outputs"]])
                for s in summary["scenarios"]]

    assert strip(parallel) == strip(serial)


def test_a_scenario_that_crashes_is_reported_not_fatal(scenario_dir):
    from companion.llm.base import LLMError

    class Broken(ScriptedProvider):
        def _structured_json(self, *args, **kwargs):
            raise LLMError("the model fell over")

    summary = run_suite(load_scenarios(scenario_dir), load_settings(), provider=Broken(), include_corpus=False)
    for entry in summary["scenarios"]:
        assert entry["passed"] is False and "the model fell over" in entry["error"]
        assert all(c["passed"] is False and "not scored" in c["detail"] for c in entry["checks"])
    assert summary["errors"] == 2


class GoldReadingJudge(ScriptedProvider):
    """A judge that reads the gold replies right (5 where they pass, 1 where they fail) and
    says 5 to anything else."""

    def __init__(self, **kwargs):
        from companion.evals.calibration import (
            CALIBRATION_RUBRICS,
            calibration_items,
            gold_transcript,
        )
        from companion.evals.gold import load_gold

        super().__init__(**kwargs)
        self.answers = {(CALIBRATION_RUBRICS[c], gold_transcript(g)): ok
                        for c, g, ok in calibration_items(load_gold())}

    def _structured_json(self, messages, schema, **kwargs):
        self.history.append({"kind": "structured", "messages": messages})
        text = "\n".join(m.content for m in messages)
        known = [ok for (rubric, t), ok in self.answers.items() if t in text and rubric in text]
        return json.dumps({"label": 5 if not known or known[0] else 1})


def test_a_scripted_judge_is_calibrated_used_and_cached(scenario_dir):
    scenarios = load_scenarios(scenario_dir)[:1]
    judge = GoldReadingJudge(name="judge-model")
    summary = run_suite(scenarios, load_settings(), provider=ScriptedProvider(default=QUESTION),
                        judge_provider=judge, include_corpus=False)
    check = next(c for c in summary["scenarios"][0]["checks"] if c["name"] == "judge")
    assert check["passed"] is True and summary["judge"] == "judge-model"
    calibration = summary["judge_calibration"]
    assert calibration["verdict"] == "calibrated" and calibration["kappa"] == 1.0
    assert calibration["n"] == 36  # 12 gold replies for each of the three rubrics
    calls = len(judge.history)
    run_suite(scenarios, load_settings(), provider=ScriptedProvider(default=QUESTION),
              judge_provider=judge, include_corpus=False)
    assert len(judge.history) == calls  # calibration and the check came from the cache


def test_a_judge_that_says_yes_to_everything_is_shown_but_not_counted(scenario_dir, tmp_path):
    scenarios = load_scenarios(scenario_dir)[:1]
    judge = ScriptedProvider(name="yes-judge", default='{"label": 5}')
    summary = run_suite(scenarios, load_settings(), provider=ScriptedProvider(default=QUESTION),
                        judge_provider=judge, include_corpus=False, cache_dir=tmp_path)
    assert summary["judge_calibration"]["verdict"] == "uncalibrated"
    check = next(c for c in summary["scenarios"][0]["checks"] if c["name"] == "judge")
    assert check["passed"] is None and check["skipped"] is True and check["score"] == 1.0
    assert "not counted: judge uncalibrated (kappa" in check["detail"]
    from companion.evals.report import render_html

    assert "Judge uncalibrated" in render_html(summary)


def test_a_listening_scenario_runs_its_substance_checks_and_miti():
    from companion.evals import substance

    path = evals_dir() / "scenarios" / "listening" / "listening-advice-invited-pricing-noor.yaml"
    summary = run_suite([load_scenario(path)], load_settings(), provider=ScriptedProvider(default=QUESTION),
                        include_corpus=False)
    (entry,) = summary["scenarios"]
    assert entry["error"] is None
    got = {c["name"]: c for c in entry["checks"]}
    # on_their_words is reported by the listening benchmark and gates no scenario yet.
    gating = set(substance.CHECKS) - {"on_their_words"}
    assert gating <= set(got)
    for name in gating:
        assert got[name]["passed"] in (True, False) and 0.0 <= got[name]["score"] <= 1.0, got[name]
    assert summary["by_mode"]["socratic"]["miti"] is not None
