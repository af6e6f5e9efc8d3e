"""Citation benchmark: does the Socratic coach cite a passage that is about this situation?

    python benchmarks/citations.py

Replays every scenario of `evals/scenarios/listening/` through the conversation state and the
real retrieval (the bundled corpus in a fresh chromadb index, the conversation query the coach
sends), then compares two ways of choosing what to cite with the hand labels of
`benchmarks/data/citation-labels.jsonl` (one row per turn and passage: is this section useful
for what the PM just said? Labelled by us, 2026-12-05, so read the numbers as ours):

- `top_ranked`: cite the search's first hit (what the fused-rank floor did: it always passed);
- `floor`: cite the first passage `companion.coaching.listening.retrieval.relevant` keeps.

Prints ONE JSON object: per rule, `cited` (turns with a citation), `labelled` (citations with
a label), `relevant`, `precision` (relevant / labelled) and `recall` (relevant / turns whose
labelled passages include a relevant one). Runs in a temporary COMPANION_HOME; no model.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
LABELS = Path(__file__).resolve().parent / "data" / "citation-labels.jsonl"


def main() -> None:
    os.environ.setdefault("COMPANION_HOME", tempfile.mkdtemp(prefix="bench-citations-"))
    from companion import locations
    from companion.coaching.listening import retrieval
    from companion.coaching.listening.state import ConversationState, update
    from companion.coaching.socratic import wants_advice
    from companion.evals.runner import SuiteRunner
    from companion.evals.scenario import load_scenario
    from companion.settings import load_settings

    labels = [json.loads(line) for line in LABELS.read_text("utf-8").splitlines() if line.strip()]

    def label(scenario: str, turn: int, passage) -> bool | None:
        for row in labels:
            if (row["scenario"], row["turn"]) == (scenario, turn) and passage.heading.endswith(row["heading"]) \
                    and row["path"] in {None, passage.path}:
                return bool(row["relevant"])
        return None

    answerable = {(r["scenario"], r["turn"]) for r in labels if r["relevant"]}
    runner = SuiteRunner(load_settings(), provider=None, include_corpus=True)
    knowledge = None
    chosen: dict[str, list[tuple[str, int, object]]] = {"top_ranked": [], "floor": []}
    turns = 0
    for path in sorted((locations.evals_dir() / "scenarios" / "listening").glob("*.yaml")):
        scenario = load_scenario(path)
        if knowledge is None:  # every listening scenario searches the same bundled corpus
            knowledge = runner._knowledge(scenario, Path(tempfile.mkdtemp(dir=runner.work_dir)) / "index")
        state, said = ConversationState(), []
        for turn in scenario.turns:
            said.append(turn.user)
            state = update(state, turn.user)
            turns += 1
            hits = knowledge.search(retrieval.conversation_query(state, said), 4, source="corpus")
            kept = retrieval.relevant(hits, state, whole_conversation=wants_advice(turn.user))
            if hits:
                chosen["top_ranked"].append((scenario.id, len(said), hits[0]))
            if kept:
                chosen["floor"].append((scenario.id, len(said), kept[0]))
    out: dict[str, object] = {"turns": turns, "turns_with_a_relevant_passage": len(answerable)}
    for rule, cited in chosen.items():
        marks = [label(s, t, p) for s, t, p in cited]
        known = [m for m in marks if m is not None]
        hits = sum(known)
        out[rule] = {"cited": len(cited), "labelled": len(known), "relevant": hits,
                     "precision": round(hits / len(known), 3) if known else None,
                     "recall": round(hits / len(answerable), 3) if answerable else None}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
