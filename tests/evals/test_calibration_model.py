"""The judge calibration through the real embedded model: it answers, or the item is counted."""

from __future__ import annotations

import pytest

from companion.evals.calibration import calibrate_judge
from companion.evals.evidence import Judge
from companion.evals.gold import load_gold
from companion.settings import DEFAULT_MODEL, load_settings

pytestmark = pytest.mark.model


def test_the_default_model_as_judge_is_calibrated_or_not_and_says_which(share_models):
    from companion.llm import get_provider
    from companion.llm.local import installed

    if not installed(DEFAULT_MODEL):
        pytest.skip(f"the {DEFAULT_MODEL} model packages are not installed")
    judge = Judge(get_provider(load_settings(), DEFAULT_MODEL))
    got = calibrate_judge(judge.rate, load_gold(), per_rubric=2)
    summary = got.summary()
    assert summary["n"] + summary["skipped"] == 6
    assert summary["calls"]["calls"] >= 6
    assert summary["gates"] == (summary["kappa"] is not None and summary["kappa"] >= 0.6)
    assert summary["display"].startswith(f"judge {summary['verdict']} (kappa ")
