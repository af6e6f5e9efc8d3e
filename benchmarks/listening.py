"""Listening benchmark: the issue-15 scenarios through the real coach, scored for substance.

    python benchmarks/listening.py [--model NAME] [--limit N] [--no-corpus] [--scripted] [--out FILE]

Runs every scenario of `evals/scenarios/listening/` through a fresh `CoachingSession` (real
model, real chromadb index of the bundled corpus, the scenario's turns in order) and scores the
replies with `companion/evals/substance.py`, which shares no code with the guard. Prints ONE
JSON object:

- `uptake`: later turns whose reply takes up a content word new in that turn / later turns
- `parroting`: reflection sentences sharing >= 80% of their words with a user sentence / all
- `r_to_q`: reflections / questions (MITI), `complex_share`: complex / all reflections
- `advice_without_permission`: replies that advise although the turn did not invite it
- `advice_relevance`: advice points naming the situation / advice points
- `grammar_bad`: questions that fail the surface grammar check
- `turn_s`: p50 / max seconds of a Socratic (non-advice) turn, `model_s` the model's share
- `nlp_load_s`, `nlp_ms_per_message`: spaCy load and parse time
- `scenarios`: every scenario's replies and check details
Runs in a temporary COMPANION_HOME: nothing touches your data dir. Numbers taken while other
work shares the CPU are slower than on an idle machine: say so when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--scripted", action="store_true",
                        help="a scripted model whose every draft is refused: the program's own turn")
    args = parser.parse_args()
    os.environ.setdefault("COMPANION_HOME", tempfile.mkdtemp(prefix="bench-listening-"))

    from companion import locations
    from companion.coaching.listening import nlp
    from companion.coaching.session import CoachingSession
    from companion.evals import substance
    from companion.evals.runner import SuiteRunner
    from companion.evals.scenario import load_scenarios
    from companion.llm import get_provider
    from companion.settings import load_settings

    started = time.monotonic()
    nlp.pipeline()
    nlp_load = time.monotonic() - started
    sample = "Honestly I haven't told my skip-level about those three accounts yet, and Dana wants a plan by Friday."
    started = time.monotonic()
    for i in range(20):
        nlp.pipeline()(sample + f" {i}")
    nlp_ms = (time.monotonic() - started) / 20 * 1000

    settings = load_settings(**({"model": args.model} if args.model else {}))
    if args.scripted:
        from companion.llm.fake import ScriptedProvider

        provider = ScriptedProvider(name="program-only", default="{}")
    else:
        provider = get_provider(settings)
    scenarios = load_scenarios(locations.evals_dir() / "scenarios" / "listening")[: args.limit]
    runner = SuiteRunner(settings, provider=provider, include_corpus=not args.no_corpus)
    totals = {"hits": 0, "later": 0, "copies": 0, "reflections": 0, "questions": 0, "complex": 0,
              "uninvited": 0, "advice_points": 0, "advice_grounded": 0, "grammar_bad": 0,
              "grammar_total": 0}
    turn_s, model_s, entries = [], [], []
    for scenario in scenarios:
        folder = Path(tempfile.mkdtemp(prefix="scenario-", dir=runner.work_dir))
        kb = runner._knowledge(scenario, folder / "index")
        session = CoachingSession(settings, provider=provider, knowledge=kb, mode="socratic")
        session.prepare()
        users = [t.user for t in scenario.turns]
        replies = []
        for text in users:
            t0 = time.monotonic()
            reply = session.respond(text)
            elapsed = time.monotonic() - t0
            replies.append(reply)
            if not reply.advice:
                turn_s.append(elapsed)
                model_s.append((reply.listening or {}).get("model_s", 0.0))
        texts = [r.text for r in replies]
        results = {name: fn(users, texts) for name, fn in substance.CHECKS.items()}
        c = {name: r.counts for name, r in results.items()}
        totals["hits"] += c["uptake"]["hits"]
        totals["later"] += c["uptake"]["total"]
        totals["copies"] += c["parroting"]["copies"]
        totals["reflections"] += c["miti_counts"]["reflections"]
        totals["questions"] += c["miti_counts"]["questions"]
        totals["complex"] += c["miti_counts"]["complex"]
        totals["uninvited"] += c["advice_without_permission"]["count"]
        totals["advice_points"] += c["advice_relevance"]["total"]
        totals["advice_grounded"] += c["advice_relevance"]["grounded"]
        totals["grammar_bad"] += c["grammar"]["bad"]
        totals["grammar_total"] += c["grammar"]["total"]
        entries.append({
            "id": scenario.id,
            "turns": [{"user": u, "reply": r.text, "type": (r.listening or {}).get("type"),
                       "why": (r.listening or {}).get("why"),
                       "question_by": (r.listening or {}).get("question_by"),
                       "latency_s": r.latency_s} for u, r in zip(users, replies, strict=True)],
            "checks": {name: {"score": r.score, "passed": r.passed, "detail": r.detail}
                       for name, r in results.items()},
        })
        print(f"{scenario.id}: " + "; ".join(f"{n} {r.detail}" for n, r in results.items())
              + f" | so far {json.dumps(totals)} turn_s p50 {statistics.median(turn_s):.1f}"
              f" model_s p50 {statistics.median(model_s):.1f}", file=sys.stderr, flush=True)

    def share(a: int, b: int):
        return round(a / b, 3) if b else None

    copies_total = max(1, totals["reflections"])
    out = {
        "model": provider.name,
        "scenarios_run": len(entries),
        "uptake": share(totals["hits"], totals["later"]),
        "parroting": round(totals["copies"] / copies_total, 3),
        "r_to_q": share(totals["reflections"], totals["questions"]),
        "complex_share": share(totals["complex"], totals["reflections"]),
        "advice_without_permission": totals["uninvited"],
        "advice_relevance": share(totals["advice_grounded"], totals["advice_points"]),
        "grammar_bad": f"{totals['grammar_bad']}/{totals['grammar_total']}",
        "turn_s": {"p50": round(statistics.median(turn_s), 2) if turn_s else None,
                   "max": round(max(turn_s), 2) if turn_s else None, "n": len(turn_s)},
        "model_s": {"p50": round(statistics.median(model_s), 2) if model_s else None},
        "nlp_load_s": round(nlp_load, 2),
        "nlp_ms_per_message": round(nlp_ms, 1),
        "load_average": os.getloadavg()[0],
        "scenarios": entries,
    }
    runner.close()
    text = json.dumps(out, indent=1)
    if args.out:
        Path(args.out).write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
