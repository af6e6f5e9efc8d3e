"""Scoring a scenario's checks: each check scores itself (`companion.evals.checks`); this module
dispatches through the registry and refuses a check it does not know.

`Evidence`, `CheckResult`, `Judge` and the reading helpers live in `companion.evals.evidence`;
they are re-exported here for the runner and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from companion.errors import CompanionError
from companion.evals.checks import REGISTRY
from companion.evals.evidence import (
    CheckResult,
    Evidence,
    Judge,
    RetrievedSpan,
    output_questions,
    transcript_text,
)

__all__ = [
    "CheckResult",
    "Evidence",
    "Judge",
    "RetrievedSpan",
    "UnknownCheckError",
    "output_questions",
    "score_check",
    "score_scenario",
    "transcript_text",
]


class UnknownCheckError(CompanionError):
    """A check name no scorer knows: an error, never a silent pass."""

    exit_code = 2


def score_check(check: Any, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
    name = getattr(check, "check", None)
    cls = REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None or not isinstance(check, cls):
        raise UnknownCheckError(
            f"unknown check {name!r}: no scorer for it (known: {', '.join(REGISTRY)})"
        )
    return check.score(ev, judge=judge)


def score_scenario(
    checks: Iterable[Any], ev: Evidence, *, judge: Judge | None = None
) -> list[CheckResult]:
    return [score_check(c, ev, judge=judge) for c in checks]
