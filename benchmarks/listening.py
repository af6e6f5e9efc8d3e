"""Listening benchmark: the issue-15 scenarios through the real coach, scored for substance.

    python benchmarks/listening.py [--model NAME] [--limit N] [--no-corpus] [--scripted] [--out FILE]
    python benchmarks/listening.py --rescore RUN.json [--against OTHER.json]

`--rescore` scores the replies a saved run recorded with today's checks (no model runs), so runs
recorded before a check changed stay comparable. `--against` adds paired bootstrap intervals
(the eval suite's `compare.paired_delta`, scenarios paired by id) of this run minus the other,
per measure, over the scenarios both ran.

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
- `on_their_words`: questions bringing in at most one content word the PM never said / questions
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
    parser.add_argument("--rescore", default=None, help="a saved run (--out) to score again, no model")
    parser.add_argument("--against", default=None, help="a saved run to compare with, paired by scenario")
    args = parser.parse_args()
    os.environ.setdefault("COMPANION_HOME", tempfile.mkdtemp(prefix="bench-listening-"))
    if args.rescore:
        saved = json.loads(Path(args.rescore).read_text("utf-8"))
        out = {key: saved.get(key) for key in ("model", "turn_s", "model_s", "nlp_load_s", "nlp_ms_per_message",
                                                "load_average")}
        out["rescored_from"] = args.rescore
        for entry in saved["scenarios"]:
            score_entry(entry)
        out.update(summarise(saved["scenarios"]))
        finish(out, args)
        return

    from companion import locations
    from companion.coaching.listening import nlp
    from companion.coaching.session import CoachingSession
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
    turn_s, model_s, entries = [], [], []
    for scenario in scenarios:
        folder = Path(tempfile.mkdtemp(prefix="scenario-", dir=runner.work_dir))
        kb = runner._knowledge(scenario, folder / "index")
        session = CoachingSession(settings, provider=provider, knowledge=kb, mode="socratic")
        session.prepare()
        users = [t.user for t in scenario.turns]
        replies, walls = [], []
        for text in users:
            t0 = time.monotonic()
            reply = session.respond(text)
            elapsed = time.monotonic() - t0
            replies.append(reply)
            walls.append(round(elapsed, 3))
            if not reply.advice:
                turn_s.append(elapsed)
                model_s.append((reply.listening or {}).get("model_s", 0.0))
        entries.append({
            "id": scenario.id,
            "turns": [{"user": u, "reply": r.text, "type": (r.listening or {}).get("type"),
                       "why": (r.listening or {}).get("why"),
                       "question_by": (r.listening or {}).get("question_by"),
                       "reflection_by": (r.listening or {}).get("reflection_by"),
                       # what the guard refused in this turn: why a wider tier's draft did not ship
                       "problems": (r.listening or {}).get("problems", []),
                       "refused": (r.listening or {}).get("refused", []),
                       # the reply's own clock, and the wall time of respond() that turn_s counts
                       "latency_s": r.latency_s, "wall_s": w}
                      for u, r, w in zip(users, replies, walls, strict=True)],
        })
        scored = score_entry(entries[-1])
        print(f"{scenario.id}: " + "; ".join(f"{n} {r['detail']}" for n, r in scored["checks"].items())
              + f" | turn_s p50 {statistics.median(turn_s):.1f} model_s p50 {statistics.median(model_s):.1f}",
              file=sys.stderr, flush=True)

    out = {
        "model": provider.name,
        "turn_s": {"p50": round(statistics.median(turn_s), 2) if turn_s else None,
                   "max": round(max(turn_s), 2) if turn_s else None, "n": len(turn_s)},
        "model_s": {"p50": round(statistics.median(model_s), 2) if model_s else None},
        "nlp_load_s": round(nlp_load, 2),
        "nlp_ms_per_message": round(nlp_ms, 1),
        "load_average": os.getloadavg()[0],
    }
    runner.close()
    out.update(summarise(entries))
    finish(out, args)


def score_entry(entry: dict) -> dict:
    """One scenario's replies scored by the substance checks (today's version of them)."""
    from companion.evals import substance

    users = [t["user"] for t in entry["turns"]]
    texts = [t["reply"] for t in entry["turns"]]
    results = {name: fn(users, texts) for name, fn in substance.CHECKS.items()}
    entry["checks"] = {name: {"score": r.score, "passed": r.passed, "detail": r.detail, "counts": r.counts}
                       for name, r in results.items()}
    return entry


def summarise(entries: list[dict]) -> dict:
    """Totals over scenarios already scored by `score_entry`: the measures of the module docstring."""
    keys = {"hits": ("uptake", "hits"), "later": ("uptake", "total"), "copies": ("parroting", "copies"),
            "reflections": ("miti_counts", "reflections"), "questions": ("miti_counts", "questions"),
            "complex": ("miti_counts", "complex"), "uninvited": ("advice_without_permission", "count"),
            "advice_points": ("advice_relevance", "total"), "advice_grounded": ("advice_relevance", "grounded"),
            "grammar_bad": ("grammar", "bad"), "grammar_total": ("grammar", "total"),
            "on_their_words": ("on_their_words", "kept"), "questions_scored": ("on_their_words", "total")}
    totals = dict.fromkeys(keys, 0)
    for entry in entries:
        checks = entry["checks"]
        for key, (check, count) in keys.items():
            totals[key] += int(checks[check]["counts"].get(count, 0))

    def share(a: int, b: int):
        return round(a / b, 3) if b else None

    return {
        "scenarios_run": len(entries),
        "uptake": share(totals["hits"], totals["later"]),
        "parroting": round(totals["copies"] / max(1, totals["reflections"]), 3),
        "r_to_q": share(totals["reflections"], totals["questions"]),
        "complex_share": share(totals["complex"], totals["reflections"]),
        "advice_without_permission": totals["uninvited"],
        "advice_relevance": share(totals["advice_grounded"], totals["advice_points"]),
        "grammar_bad": f"{totals['grammar_bad']}/{totals['grammar_total']}",
        "on_their_words": share(totals["on_their_words"], totals["questions_scored"]),
        "totals": totals,
        "scenarios": entries,
    }


# Per-scenario values compared with --against: (name, check, how to read its counts).
PAIRED = {
    "uptake": lambda c: c["uptake"]["counts"]["hits"] / c["uptake"]["counts"]["total"]
    if c["uptake"]["counts"]["total"] else None,
    "reflections per question": lambda c: c["miti_counts"]["counts"]["reflections"]
    / max(1, c["miti_counts"]["counts"]["questions"]),
    "complex share": lambda c: c["miti_counts"]["counts"]["complex"] / c["miti_counts"]["counts"]["reflections"]
    if c["miti_counts"]["counts"]["reflections"] else None,
    "parroting (copies)": lambda c: float(c["parroting"]["counts"]["copies"]),
    "advice uninvited": lambda c: float(c["advice_without_permission"]["counts"]["count"]),
    "malformed questions": lambda c: float(c["grammar"]["counts"]["bad"]),
    "questions on their words": lambda c: c["on_their_words"]["counts"]["kept"] / c["on_their_words"]["counts"]["total"]
    if c["on_their_words"]["counts"]["total"] else None,
}


def against(out: dict, other_file: str) -> dict:
    """Paired bootstrap of this run minus the other, per measure, over scenarios both ran."""
    from companion.evals.compare import paired_delta

    other = json.loads(Path(other_file).read_text("utf-8"))
    theirs = {e["id"]: score_entry(e)["checks"] for e in other["scenarios"]}
    ours = {e["id"]: e["checks"] for e in out["scenarios"]}
    common = [i for i in ours if i in theirs]
    result = {"other": other.get("model"), "other_file": other_file, "paired_scenarios": len(common)}
    for name, read in PAIRED.items():
        pairs = [(read(theirs[i]), read(ours[i])) for i in common]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        result[name] = paired_delta([a for a, _ in pairs], [b for _, b in pairs])
    return result


def finish(out: dict, args: argparse.Namespace) -> None:
    if args.against:
        out["against"] = against(out, args.against)
        for name in PAIRED:
            d = out["against"][name]
            if d["n"]:
                print(f"{name:26} {out['against']['other']} {d['a']:.3f} -> {out['model']} {d['b']:.3f}"
                      f"  delta {d['delta']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] n={d['n']}",
                      file=sys.stderr)
    text = json.dumps(out, indent=1)
    if args.out:
        Path(args.out).write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
