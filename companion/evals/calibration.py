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
from typing import Generic, TypeVar

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
