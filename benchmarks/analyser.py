"""Analyser benchmark: the cost of `companion.coaching.questions.analyse` per question.

    python benchmarks/analyser.py [--rounds 5]

The guard analyses every question of every reply, so it must stay far below the model's time
per token (it used to be a test asserting < 1 ms per call; timing belongs here, where a slow or
busy machine makes a number worse, not a suite red).

Prints ONE JSON object: `questions` (the texts of `evals/labels/questions-dev.jsonl`),
`rounds`, `per_call_ms` (median over rounds of the mean time per call) and `samples` (every
round's mean, ms).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    from companion.coaching.analyser_report import default_labels_dir
    from companion.coaching.questions import analyse

    path = default_labels_dir() / "questions-dev.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    analyse(texts[0])  # compiled patterns and caches warm
    samples = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for text in texts:
            analyse(text)
        samples.append((time.perf_counter() - start) * 1000 / len(texts))
    print(json.dumps({
        "questions": len(texts),
        "rounds": args.rounds,
        "per_call_ms": round(statistics.median(samples), 4),
        "samples": [round(s, 4) for s in samples],
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
