"""Structured-modes benchmark: each scenario of a mode through the real coach, timed and
scored for substance.

    python benchmarks/structured.py [--mode jtbd|mentor|agenda] [--model NAME] [--limit N] [--out FILE]

For every scenario of `evals/scenarios/<mode>/` (one warm session per scenario, on the real
model and a real chromadb index of the bundled corpus and the scenario's notes) it builds the
result the way the chat does (`stream_structured`, section by section) and records:

- `first_part_s`: seconds until the first section reached the user, `total_s`: the whole result
- `bank_share`: probes from the bank / probes the model was asked to write (`ModeSpec.probes`);
  `model_share`: those the model wrote (the program composed the rest from the inputs)
- `personalised`, `presupposing`, `grammar_bad`: the evals' own scorers
  (`companion/evals/structured.py`, `substance.py`), which share no code with the guard
Prints ONE JSON object (per mode: totals, p50/max times, every scenario's probes). Runs in a
temporary COMPANION_HOME. Numbers taken while other work shares the CPU are slower than on an
idle machine: say so when you quote them.
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
    parser.add_argument("--mode", action="append", choices=["jtbd", "mentor", "agenda"])
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    os.environ.setdefault("COMPANION_HOME", tempfile.mkdtemp(prefix="bench-structured-"))

    from companion import locations
    from companion.coaching.events import Done, Token
    from companion.coaching.session import CoachingSession
    from companion.evals import structured, substance
    from companion.evals.evidence import output_probes, output_questions
    from companion.evals.runner import RecordingKnowledge, SuiteRunner, structured_inputs
    from companion.evals.scenario import load_scenarios
    from companion.llm import get_provider
    from companion.settings import load_settings

    settings = load_settings(**({"model": args.model} if args.model else {}))
    provider = get_provider(settings)
    runner = SuiteRunner(settings, provider=provider, include_corpus=True)
    out: dict = {"model": provider.name, "load_average_start": os.getloadavg()[0], "modes": {}}
    for mode in args.mode or ["jtbd", "mentor", "agenda"]:
        scenarios = load_scenarios(locations.evals_dir() / "scenarios" / mode)[: args.limit]
        rows, firsts, totals = [], [], []
        probes = banked = modelled = personal = personal_n = leading = leading_n = bad = questions = 0
        for scenario in scenarios:
            folder = Path(tempfile.mkdtemp(prefix="scenario-", dir=runner.work_dir))
            # Recorded as in an eval run: the notes with the person that the mode read count as
            # facts of the situation for `personalised`.
            kb = RecordingKnowledge(runner._knowledge(scenario, folder / "index"))
            session = CoachingSession(settings, provider=provider, knowledge=kb, mode=mode)
            session.prepare()
            started = time.monotonic()
            first = None
            reply = None
            for event in session.stream_structured(mode, structured_inputs(scenario)):
                if isinstance(event, Token) and first is None:
                    first = time.monotonic() - started
                elif isinstance(event, Done):
                    reply = event.reply
            total = time.monotonic() - started
            assert reply is not None
            pairs = output_probes(mode, reply.structured)
            texts = [t for t, _ in pairs]
            notes = [r.text for r in kb.retrieved if r.personal]
            p = structured.personalised(texts, structured_inputs(scenario), notes)
            lead = structured.presupposing(output_questions(mode, reply.structured))
            qs = [q.rstrip(". ") + "?" for q in output_questions(mode, reply.structured)]
            gram = substance.grammar([], qs)
            bank = sum(o == "bank" for _, o in pairs)
            model = sum(o == "model" for _, o in pairs)
            probes += len(pairs)
            banked += bank
            modelled += model
            personal += round((p.score or 0) * len(texts))
            personal_n += len(texts)
            leading += len(lead.failing)
            leading_n += len(qs)
            bad += gram.counts["bad"]
            questions += gram.counts["total"]
            firsts.append(first or total)
            totals.append(total)
            rows.append({"id": scenario.id, "first_part_s": round(first or total, 2),
                         "total_s": round(total, 2), "bank": f"{bank}/{len(pairs)}",
                         "not_personal": p.failing, "leading": lead.failing,
                         "probes": [f"[{o}] {t}" for t, o in pairs]})
            print(f"{mode} {scenario.id}: {total:.1f} s (first part {first or total:.1f} s), "
                  f"bank {bank}/{len(pairs)}, model {model}/{len(pairs)}, {p.detail}, {lead.detail}, {gram.detail}",
                  file=sys.stderr, flush=True)

        def share(a: int, b: int):
            return round(a / b, 3) if b else None

        out["modes"][mode] = {
            "scenarios": len(rows),
            "bank_share": share(banked, probes),
            "model_share": share(modelled, probes),
            "personalised": share(personal, personal_n),
            "presupposing": share(leading, leading_n),
            "grammar_bad": f"{bad}/{questions}",
            "total_s": {"p50": round(statistics.median(totals), 1), "max": round(max(totals), 1)},
            "first_part_s": {"p50": round(statistics.median(firsts), 1), "max": round(max(firsts), 1)},
            "rows": rows,
        }
    out["load_average_end"] = os.getloadavg()[0]
    text = json.dumps(out, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(json.dumps({m: {k: v for k, v in r.items() if k != "rows"} for m, r in out["modes"].items()}))


if __name__ == "__main__":
    main()
