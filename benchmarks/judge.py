"""Judge calibration alone: may this model's `judge` checks gate an eval run?

    python benchmarks/judge.py --model qwen2.5-1.5b      # or an endpoint's name

Asks the model the calibration questions that `companion eval run --judge NAME` asks first
(36 gold replies of `evals/gold/`, 12 per rubric, the shipped `judge` prompt) and prints ONE
JSON object: Cohen's kappa against the gold verdicts, agreement, the verdict ("calibrated" at
kappa >= 0.6), how often it gave each label 1-5, agreement per rubric, and seconds per item.
No scenario runs, so a judge can be checked in minutes before a suite is spent on it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an embedded model or a configured endpoint")
    args = parser.parse_args()

    from companion.evals.calibration import (
        CALIBRATION_RUBRICS,
        PASS_LABEL,
        calibrate_judge,
        calibration_items,
    )
    from companion.evals.evidence import Judge
    from companion.evals.gold import load_gold
    from companion.llm import get_provider
    from companion.settings import load_settings

    judge = Judge(get_provider(load_settings(), args.model))
    gold = load_gold()
    labels: list[int] = []

    def rate(rubric: str, transcript: str) -> int:
        label = judge.rate(rubric, transcript)
        labels.append(label)
        return label

    started = time.monotonic()
    result = calibrate_judge(rate, gold)
    seconds = time.monotonic() - started
    items = calibration_items(gold)
    by_rubric: dict[str, list[bool]] = {}
    # `labels` holds answered items only; a judge that failed on one shifts nothing here,
    # because per-rubric agreement is reported only when every item was answered.
    if len(labels) == len(items):
        for (check, _item, passes), label in zip(items, labels, strict=True):
            by_rubric.setdefault(check, []).append((label >= PASS_LABEL) == passes)
    print(json.dumps({
        "model": args.model,
        **result.summary(),
        "labels": dict(sorted(Counter(labels).items())),
        "agreement_by_rubric": {c: round(sum(v) / len(v), 3) for c, v in by_rubric.items()},
        "rubrics": list(CALIBRATION_RUBRICS),
        "seconds_per_item": round(seconds / max(1, len(items)), 2),
    }, indent=1))


if __name__ == "__main__":
    main()
