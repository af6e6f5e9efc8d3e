"""The learned analyser: how a coach utterance is coded, by a model trained on human labels.

This is the instrument the evals score replies with. The run-time guard does not use it to
accept a reply (it uses the rules in ``companion.coaching.rules``), so a reply the guard let
through can still fail an eval.

Heads (trained by ``companion.coaching.analyser.train``, shipped as
``companion/coaching/analyser/analyser.joblib`` with its provenance in ``analyser.json``):

* ``form``: open / closed / none (not a question), from AnnoMI therapist utterances; a second head
  trained on AnnoMI's questions alone decides open vs closed from the asking sentences.
* ``behaviour``: AnnoMI's main therapist behaviour: question, reflection, input (information,
  advice, options, negotiation) or other; it also reads the user turn before, when given.
* ``reflection``: simple / complex when the behaviour is a reflection, else ``None``.
* ``socratic_type``: one of SocratiQ's five Paul & Elder types (under the project's names) when
  the text is a question, else ``None``. The learned coder never says ``other``.

``leading``, ``hypothetical`` and ``advice_spans`` stay rule-based (``companion.coaching.rules``):
the training data has no labels for the first two, and AnnoMI's advice labels trained a detector
far weaker than the rules on ``evals/labels/advice*.jsonl`` (F1 0.10-0.14 against 0.96-1.0).
"""

from __future__ import annotations

from typing import Literal

from companion.coaching import rules
from companion.coaching.analyser.model import AnalyserModelError, Heads, NgramCache, shipped
from companion.coaching.rules import (
    ALL_TYPES,
    SOCRATIC_TYPES,
    advice_spans,
    sentences,
    split_questions,
)

__all__ = [
    "ALL_TYPES",
    "BEHAVIOURS",
    "SOCRATIC_TYPES",
    "AnalyserModelError",
    "QuestionAnalysis",
    "advice_spans",
    "analyse",
    "is_good_open_question",
    "sentences",
    "split_questions",
]

BEHAVIOURS: tuple[str, ...] = ("question", "reflection", "input", "other")


class QuestionAnalysis(rules.QuestionAnalysis):
    behaviour: Literal["question", "reflection", "input", "other"]
    reflection: Literal["simple", "complex"] | None


def analyse(text: str, *, previous: str | None = None, model: Heads | None = None) -> QuestionAnalysis:
    """Code one utterance. ``previous``: the user turn it answers, if known (the behaviour head
    reads it). Raises ``AnalyserModelError`` when the model file is missing."""
    heads = model if model is not None else shipped()
    cache: NgramCache = {}
    form = heads.predict("form", text, cache)
    if form != "none":
        form = heads.predict("open_closed", text, cache)
    behaviour = heads.predict("behaviour", text, cache, previous=previous)
    is_question = form != "none"
    flags = rules.analyse(text)
    return QuestionAnalysis(
        text=text,
        is_question=is_question,
        form=form,  # type: ignore[arg-type]
        socratic_type=heads.predict("socratic_type", text, cache) if is_question else None,  # type: ignore[arg-type]
        leading=is_question and flags.leading,
        hypothetical=is_question and flags.hypothetical,
        behaviour=behaviour,  # type: ignore[arg-type]
        reflection=heads.predict("reflection", text, cache) if behaviour == "reflection" else None,  # type: ignore[arg-type]
    )


def is_good_open_question(a: rules.QuestionAnalysis) -> bool:
    """Open, neutral, about reality (the same definition as the rules)."""
    return rules.is_good_open_question(a)
