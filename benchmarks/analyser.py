"""Analyser benchmark: time per utterance of the learned analyser and of the rule analyser.

    python benchmarks/analyser.py [--rounds 5]

Texts: every question in ``evals/labels/questions-*.jsonl`` and every row of
``evals/labels/advice*.jsonl``. Prints ONE JSON object: ``texts``; ``load_s`` (loading the
learned model, including importing scikit-learn); for ``learned`` and ``rules`` the median over
rounds of wall and CPU milliseconds per ``analyse(text)`` call, and every round's wall value.
The learned analyser runs all five heads on every call (and the rules, for leading and
hypothetical), so its time includes the rules' time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def texts() -> list[str]:
    out = []
    for path in sorted((ROOT / "evals" / "labels").glob("*.jsonl")):
        out += [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    return out


def per_call(fn, items, rounds):
    wall, cpu = [], []
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        for t in items:
            fn(t)
        wall.append((time.perf_counter() - w) * 1000 / len(items))
        cpu.append((time.process_time() - c) * 1000 / len(items))
    return {
        "wall_ms_p50": round(statistics.median(wall), 4),
        "cpu_ms_p50": round(statistics.median(cpu), 4),
        "wall_ms_samples": [round(x, 4) for x in wall],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    items = texts()
    start = time.perf_counter()
    from companion.coaching import questions, rules
    from companion.coaching.analyser.model import shipped

    shipped()
    load_s = time.perf_counter() - start
    questions.analyse(items[0])
    print(json.dumps({
        "texts": len(items),
        "load_s": round(load_s, 2),
        "learned": per_call(questions.analyse, items, args.rounds),
        "rules": per_call(rules.analyse, items, args.rounds),
    }, indent=2))


if __name__ == "__main__":
    main()
