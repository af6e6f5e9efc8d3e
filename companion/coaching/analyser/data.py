"""Read the human-labelled training sets (AnnoMI, SocratiQ MTurk) into plain rows.

Only the standard library's ``csv`` is used, so training needs nothing beyond scikit-learn.
AnnoMI rows are therapist utterances; utterances coded by several annotators are merged into one
row by majority vote per label (a tie goes to the label of the lowest annotator id), so the
same words never sit in a fold twice with different labels.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion.errors import CompanionError

ANNOMI_FILE = "annomi-train.csv"
SOCRATIQ_FILE = "socratiq-mturk-train.csv"

# SocratiQ's five Paul & Elder labels under the project's type names (companion.coaching.rules).
SOCRATIQ_TYPES = {
    "clarity": "clarity",
    "assumptions": "assumptions",
    "reasons_evidence": "reasons_evidence",
    "alternate_viewpoints_perspectives": "alternate_viewpoints",
    "implication_consequences": "implications",
}
BEHAVIOURS = {"question": "question", "reflection": "reflection", "therapist_input": "input", "other": "other"}


class TrainingDataError(CompanionError):
    """A training file is missing or does not have the expected columns."""


@dataclass(frozen=True)
class AnnoMIRow:
    transcript_id: str
    text: str
    previous: str  # the client utterance just before, "" when none
    form: str  # open | closed | none
    behaviour: str  # question | reflection | input | other
    reflection: str | None  # simple | complex | None
    advice: bool  # therapist input of subtype "advice"
    annotators: int
    # Each annotator's own (form, behaviour), in annotator order: the human-agreement ceiling.
    codings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SocratiQRow:
    thought: str
    question: str
    socratic_type: str


def _read(path: Path, required: set[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise TrainingDataError(f"training file not found: {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = required - set(reader.fieldnames or ())
        if missing:
            raise TrainingDataError(f"{path}: missing columns {', '.join(sorted(missing))}")
        return list(reader)


def _vote(values: list[str]) -> str:
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)


def load_annomi(path: str | Path) -> list[AnnoMIRow]:
    """Therapist utterances of AnnoMI, one row per utterance, in transcript order."""
    path = Path(path)
    rows = _read(
        path,
        {
            "transcript_id", "utterance_id", "interlocutor", "utterance_text", "annotator_id",
            "question_subtype", "reflection_subtype", "therapist_input_subtype",
            "main_therapist_behaviour",
        },
    )
    by_key: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_key[(r["transcript_id"], int(r["utterance_id"]))].append(r)
    out: list[AnnoMIRow] = []
    previous_client: dict[str, str] = {}
    for key in sorted(by_key, key=lambda k: (int(k[0]) if k[0].isdigit() else k[0], k[1])):
        group = sorted(by_key[key], key=lambda r: int(r["annotator_id"] or 0))
        first = group[0]
        tid = key[0]
        if first["interlocutor"] != "therapist":
            previous_client[tid] = first["utterance_text"]
            continue
        behaviour = _vote([r["main_therapist_behaviour"] for r in group])
        if behaviour not in BEHAVIOURS:
            raise TrainingDataError(f"{path}: unknown behaviour {behaviour!r} at {key}")
        forms = [r["question_subtype"] if r["question_subtype"] in ("open", "closed") else "none" for r in group]
        form = _vote(forms)
        reflection = _vote([r["reflection_subtype"] if r["reflection_subtype"] in ("simple", "complex") else "none" for r in group])
        advice = _vote(["yes" if r["therapist_input_subtype"] == "advice" else "no" for r in group])
        out.append(
            AnnoMIRow(
                transcript_id=tid,
                text=first["utterance_text"],
                previous=previous_client.get(tid, ""),
                form=form,
                behaviour=BEHAVIOURS[behaviour],
                reflection=None if reflection == "none" else reflection,
                advice=advice == "yes",
                annotators=len(group),
                codings=tuple(
                    (f, BEHAVIOURS.get(r["main_therapist_behaviour"], "other"))
                    for f, r in zip(forms, group, strict=True)
                ),
            )
        )
    return out


def load_socratiq(path: str | Path) -> list[SocratiQRow]:
    """SocratiQ questions with one of the five types (the 35 rows labelled "others" are left out)."""
    path = Path(path)
    rows = _read(path, {"thought", "question", "label"})
    return [
        SocratiQRow(thought=r["thought"], question=r["question"], socratic_type=SOCRATIQ_TYPES[r["label"]])
        for r in rows
        if r["label"] in SOCRATIQ_TYPES
    ]


def load_dir(data_dir: str | Path) -> tuple[list[AnnoMIRow], list[SocratiQRow]]:
    base = Path(data_dir)
    return load_annomi(base / ANNOMI_FILE), load_socratiq(base / SOCRATIQ_FILE)


# Our own hand labels (evals/labels) that add coach-style wording AnnoMI lacks. Only the files
# used while tuning the rules are trained on; questions-test, questions-blind and advice-test
# stay held out for `python -m companion.coaching.analyser_report`.
# questions-coach holds the coach's own implications stems ("What might follow from X?"), a
# shape SocratiQ's crowd questions lack: the head read 0 of 25 of the program's as implications.
HAND_QUESTION_FILES = ("questions-dev.jsonl", "questions-challenge.jsonl", "questions-coach.jsonl")
_SOCRATIC_TYPES = frozenset(SOCRATIQ_TYPES.values())
HAND_ADVICE_FILE = "advice.jsonl"
_KIND_TO_BEHAVIOUR = {"advice": "input", "reflection": "reflection", "statement": "other", "question": "question"}


@dataclass
class HandLabels:
    """Extra training rows per head: {head: ([texts], [labels])}."""

    rows: dict[str, tuple[list[str], list[str]]]

    def for_head(self, head: str) -> tuple[list[str], list[str]]:
        return self.rows.get(head, ([], []))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_hand_labels(labels_dir: str | Path | None) -> HandLabels:
    rows: dict[str, tuple[list[str], list[str]]] = {h: ([], []) for h in ("form", "open_closed", "behaviour", "socratic_type")}
    if labels_dir is None:
        return HandLabels(rows)
    base = Path(labels_dir)

    def add(head: str, text: str, label: str) -> None:
        rows[head][0].append(text)
        rows[head][1].append(label)

    for name in HAND_QUESTION_FILES:
        if (base / name).is_file():
            for r in _jsonl(base / name):
                add("form", r["text"], r["form"])
                add("open_closed", r["text"], r["form"])
                add("behaviour", r["text"], "question")
                if r["socratic_type"] in _SOCRATIC_TYPES:  # "other" is no SocratiQ class
                    add("socratic_type", r["text"], r["socratic_type"])
    if (base / HAND_ADVICE_FILE).is_file():
        for r in _jsonl(base / HAND_ADVICE_FILE):
            behaviour = _KIND_TO_BEHAVIOUR.get(r["kind"])
            if behaviour is None:
                continue  # mixed replies have no single code
            if not r["is_question"]:
                add("form", r["text"], "none")
            add("behaviour", r["text"], behaviour)
    return HandLabels(rows)
