"""Calibrating a judge against gold labels, and surviving a judge's malformed JSON.

``calibrate`` compares a judge's labels with the gold labels on the same items by Cohen's kappa
(scikit-learn's ``cohen_kappa_score``): kappa >= 0.6 is "calibrated", below it the judge is
"uncalibrated" and must not gate. ``RetryingJudge`` wraps one judge call: a reply that is not
valid JSON for the schema is retried once, then counted as a failure and returned as ``None``,
so a run never crashes on a small local judge's output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from companion.llm.base import BadResponse

KAPPA_THRESHOLD = 0.6
T = TypeVar("T")


@dataclass(frozen=True)
class Calibration:
    kappa: float | None  # None when undefined (fewer than two labels in play, or no items)
    n: int  # items both sides labelled
    skipped: int  # items the judge gave no label for (failures)
    agreement: float | None

    @property
    def verdict(self) -> str:
        return "calibrated" if self.kappa is not None and self.kappa >= KAPPA_THRESHOLD else "uncalibrated"

    @property
    def gates(self) -> bool:
        """Only a calibrated judge may fail a run."""
        return self.verdict == "calibrated"

    def display(self) -> str:
        k = "n/a" if self.kappa is None else f"{self.kappa:.2f}"
        extra = f", {self.skipped} unanswered" if self.skipped else ""
        return f"judge {self.verdict} (kappa {k} on {self.n} gold items{extra})"


def calibrate(judge: Sequence[Hashable | None], gold: Sequence[Hashable]) -> Calibration:
    """Cohen's kappa of judge labels against gold labels; ``None`` judge labels are skipped."""
    from sklearn.metrics import cohen_kappa_score

    if len(judge) != len(gold):
        raise ValueError(f"{len(judge)} judge labels for {len(gold)} gold labels")
    pairs = [(j, g) for j, g in zip(judge, gold, strict=True) if j is not None]
    skipped = len(gold) - len(pairs)
    if not pairs:
        return Calibration(None, 0, skipped, None)
    js, gs = [str(j) for j, _ in pairs], [str(g) for _, g in pairs]
    agreement = sum(a == b for a, b in zip(js, gs, strict=True)) / len(pairs)
    kappa: float | None = None
    if len(set(js) | set(gs)) > 1:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = float(cohen_kappa_score(js, gs))
        kappa = None if math.isnan(value) else value
    return Calibration(kappa, len(pairs), skipped, agreement)


# What counts as "the judge wrote bad JSON": our providers' BadResponse, pydantic's validation
# error, the json module's decode error. Anything else (a dead server) is not retried here.
JSON_FAILURES = (BadResponse, ValidationError, json.JSONDecodeError)


class RetryingJudge(Generic[T]):
    """Call ``judge(item)``; on a JSON failure retry once, then count it and return ``None``."""

    def __init__(self, judge: Callable[..., T]):
        self.judge = judge
        self.calls = 0
        self.retries = 0
        self.failures = 0
        self.last_error: str | None = None

    def __call__(self, *args, **kwargs) -> T | None:
        for attempt in range(2):
            self.calls += 1
            try:
                return self.judge(*args, **kwargs)
            except JSON_FAILURES as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                if attempt == 0:
                    self.retries += 1
        self.failures += 1
        return None

    def summary(self) -> dict[str, int]:
        return {"calls": self.calls, "retries": self.retries, "failures": self.failures}


# -------------------------------------------------------------------- a judge against the gold

# Gold verdicts a 1-5 rubric can answer, and the rubric the judge gets for each: the same kind
# of question as a scenario's `judge` check, about a reply whose right answer we wrote down.
CALIBRATION_RUBRICS: dict[str, str] = {
    "open_question": (
        "The coach's last reply asks at least one open question: one that cannot be answered "
        "with yes, no or a single fact."
    ),
    "reflection": (
        "The coach's last reply says back, in its own words, what the user said, meant or felt."
    ),
    "no_unasked_advice": (
        "The coach's last reply gives no advice, suggestion or instruction that the user did "
        "not ask for."
    ),
}
PASS_LABEL = 4
"""A judge label of 4 or 5 reads as "passes", as a scenario's `judge` check with min 4 would."""


def calibration_items(gold: Sequence[Any], per_rubric: int = 12) -> list[tuple[str, Any, bool]]:
    """(check, gold reply, expected pass) for each rubric: passes and fails alternating in
    file order, so kappa has both labels to compare."""
    items: list[tuple[str, Any, bool]] = []
    for check in CALIBRATION_RUBRICS:
        yes = [g for g in gold if g.expect.get(check) is True]
        no = [g for g in gold if g.expect.get(check) is False]
        picked: list[tuple[str, Any, bool]] = []
        for i in range(max(len(yes), len(no))):
            picked += [(check, g, True) for g in yes[i:i + 1]]
            picked += [(check, g, False) for g in no[i:i + 1]]
        items += picked[:per_rubric]
    return items


def gold_transcript(item: Any) -> str:
    """A gold reply as the judge reads a conversation: user turns, coach turns."""
    users = list(item.user)
    parts = [f"[User] {u}" for u in users[:-1]]
    if item.previous_coach:
        parts.append(f"[Coach] {item.previous_coach}")
    parts += [f"[User] {users[-1]}", f"[Coach] {item.reply}"]
    return "\n\n".join(parts)


@dataclass(frozen=True)
class JudgeCalibration:
    """How one judge did on the gold replies, and whether its checks may gate a run."""

    calibration: Calibration
    calls: dict[str, int]

    def summary(self) -> dict[str, Any]:
        c = self.calibration
        return {"kappa": None if c.kappa is None else round(c.kappa, 3), "n": c.n,
                "skipped": c.skipped, "agreement": None if c.agreement is None else round(c.agreement, 3),
                "verdict": c.verdict, "gates": c.gates, "display": c.display(), "calls": self.calls}


def calibrate_judge(
    rate: Callable[[str, str], int], gold: Sequence[Any] | None = None, per_rubric: int = 12
) -> JudgeCalibration:
    """Ask `rate(rubric, transcript)` (a `Judge.rate`) about the gold replies and compare its
    pass/fail reading with the gold verdicts. A judge that fails on an item (bad JSON twice, a
    dead endpoint) leaves it unanswered: counted, never a crash."""
    from companion.llm.base import LLMError

    if gold is None:
        from companion.evals.gold import load_gold

        gold = load_gold()
    retrying: RetryingJudge[int] = RetryingJudge(rate)
    labels: list[str | None] = []
    expected: list[str] = []
    for check, item, passes in calibration_items(gold, per_rubric):
        try:
            got = retrying(CALIBRATION_RUBRICS[check], gold_transcript(item))
        except LLMError:
            retrying.failures += 1
            got = None
        labels.append(None if got is None else ("pass" if got >= PASS_LABEL else "fail"))
        expected.append("pass" if passes else "fail")
    return JudgeCalibration(calibrate(labels, expected), retrying.summary())

