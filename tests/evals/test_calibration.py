"""Judge calibration by Cohen's kappa, and retry-once-then-count for malformed judge JSON."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from companion.evals.calibration import Calibration, RetryingJudge, calibrate
from companion.llm.base import ChatMessage, LLMError
from companion.llm.fake import ScriptedProvider


class Verdict(BaseModel):
    label: str


GOLD = ["pass", "fail", "pass", "pass", "fail", "fail", "pass", "fail", "pass", "fail"]


def scripted_judge(labels):
    """A judge backed by the scripted fake model: one JSON reply per item, in order."""
    provider = ScriptedProvider().enqueue(*labels)

    def judge(item: str) -> str:
        msgs = [ChatMessage(role="user", content=f"Does this reply pass? {item}")]
        return provider.structured(msgs, Verdict).label

    return judge, provider


def test_a_judge_that_agrees_is_calibrated():
    judge, _ = scripted_judge([{"label": g} for g in GOLD])
    labels = [judge(f"reply {i}") for i in range(len(GOLD))]
    c = calibrate(labels, GOLD)
    assert c.kappa == pytest.approx(1.0) and c.verdict == "calibrated" and c.gates
    assert c.display() == "judge calibrated (kappa 1.00 on 10 gold items)"


def test_a_judge_that_says_pass_to_everything_is_uncalibrated():
    c = calibrate(["pass"] * len(GOLD), GOLD)
    assert c.kappa == pytest.approx(0.0)
    assert c.verdict == "uncalibrated" and not c.gates
    assert c.agreement == pytest.approx(0.5)


def test_kappa_threshold_is_0_6():
    # 9 of 10 agree on a balanced set: kappa 0.8; 8 of 10: 0.6; 7 of 10: 0.4
    def flip(n):
        return [("fail" if g == "pass" else "pass") if i < n else g for i, g in enumerate(GOLD)]

    assert calibrate(flip(1), GOLD).verdict == "calibrated"
    assert calibrate(flip(2), GOLD).kappa == pytest.approx(0.6)
    assert calibrate(flip(2), GOLD).verdict == "calibrated"
    assert calibrate(flip(3), GOLD).verdict == "uncalibrated"


def test_unanswered_items_are_skipped_and_reported():
    labels = list(GOLD)
    labels[0] = None
    c = calibrate(labels, GOLD)
    assert (c.n, c.skipped) == (9, 1)
    assert "1 unanswered" in c.display()


def test_undefined_kappa_is_uncalibrated():
    assert calibrate(["pass", "pass"], ["pass", "pass"]) == Calibration(None, 2, 0, 1.0)
    assert calibrate([None], ["pass"]).verdict == "uncalibrated"
    with pytest.raises(ValueError, match="2 judge labels for 1 gold"):
        calibrate(["pass", "fail"], ["pass"])


def test_bad_json_is_retried_once_and_the_second_answer_used():
    judge, provider = scripted_judge(["not json at all", {"label": "fail"}])
    retrying = RetryingJudge(judge)
    assert retrying("reply") == "fail"
    assert retrying.summary() == {"calls": 2, "retries": 1, "failures": 0}
    assert len(provider.history) == 2


def test_two_bad_answers_are_counted_not_raised():
    judge, _ = scripted_judge(["{broken", '{"verdict": "pass"}', {"label": "pass"}])
    retrying = RetryingJudge(judge)
    assert retrying("first reply") is None  # both attempts malformed
    assert retrying("second reply") == "pass"
    assert retrying.summary() == {"calls": 3, "retries": 1, "failures": 1}
    assert "BadResponse" in (retrying.last_error or "")


def test_other_errors_are_not_swallowed():
    judge, _ = scripted_judge([LLMError("server went away")])
    with pytest.raises(LLMError, match="server went away"):
        RetryingJudge(judge)("reply")


def test_a_judge_is_calibrated_on_the_gold_replies_before_it_may_gate():
    from companion.evals.calibration import calibrate_judge, calibration_items, gold_transcript
    from companion.evals.gold import load_gold

    gold = load_gold()
    items = calibration_items(gold)
    # Each rubric gets passes and fails, so kappa compares two labels.
    for check in {c for c, _, _ in items}:
        assert {ok for c, _, ok in items if c == check} == {True, False}
    answers = {(c, gold_transcript(g)): ok for c, g, ok in items}
    from companion.evals.calibration import CALIBRATION_RUBRICS

    rubric_of = {v: k for k, v in CALIBRATION_RUBRICS.items()}

    def reads_right(rubric: str, transcript: str) -> int:
        return 5 if answers[(rubric_of[rubric], transcript)] else 2

    good = calibrate_judge(reads_right, gold)
    assert good.calibration.gates and good.calibration.kappa == 1.0
    says_yes = calibrate_judge(lambda rubric, transcript: 5, gold)
    assert not says_yes.calibration.gates and says_yes.summary()["verdict"] == "uncalibrated"


def test_a_judge_that_fails_is_counted_not_fatal():
    from companion.evals.calibration import calibrate_judge
    from companion.evals.gold import load_gold
    from companion.llm.base import BadResponse

    def broken(rubric: str, transcript: str) -> int:
        raise BadResponse("not JSON")

    got = calibrate_judge(broken, load_gold(), per_rubric=2)
    assert got.calibration.n == 0 and got.calibration.skipped == 6
    assert got.calls["failures"] == 6 and got.calls["retries"] == 6
    assert got.summary()["gates"] is False

    def dead(rubric: str, transcript: str) -> int:
        raise LLMError("connection refused")

    assert calibrate_judge(dead, load_gold(), per_rubric=1).calibration.skipped == 3
