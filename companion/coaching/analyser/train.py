"""Train the learned analyser's heads and score them by grouped cross-validation.

Every head is TF-IDF word and character n-grams into a linear classifier (scikit-learn). Folds
are grouped by AnnoMI transcript and by SocratiQ thought, so no fold is scored on a conversation
or post it trained on. ``train`` fits the heads on all rows and ``save`` writes one joblib file
plus a provenance JSON next to it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from companion.coaching.analyser.data import AnnoMIRow, HandLabels, SocratiQRow
from companion.coaching.analyser.features import (
    SEP,
    context_cues,
    cues,
    identity_tokens,
    question_part,
    utterance,
    utterance_cues,
)

FOLDS = 5
SEED = 13

CITATIONS = {
    "annomi": "Wu, Z. et al. Anno-MI: A Dataset of Expert-Annotated Counselling Dialogues. "
    "ICASSP 2022 (extended version 2023).",
    "socratiq": "Ang, Gollapalli, Ng. Socratic Question Generation. EACL 2023 "
    "(MTurk-annotated train + valid rows).",
}


def features(
    *, word_max: int = 30000, char_max: int = 60000, with_cues: bool = True, with_context: bool = False
) -> FeatureUnion:
    """Word 1-2-grams, character 2-5-grams (within word boundaries), sentence-opening cues, and
    for a context head (text "utterance SEP previous turn") cues relating the two."""
    pre = utterance if with_context else None
    parts = [
        ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, preprocessor=pre,
                                 max_features=word_max, lowercase=True,
                                 token_pattern=r"(?u)\b\w+\b|[?]")),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                 min_df=2, max_features=char_max, lowercase=True, preprocessor=pre)),
    ]
    if with_cues:
        parts.append(("cues", TfidfVectorizer(preprocessor=utterance_cues if with_context else cues,
                                               tokenizer=identity_tokens, token_pattern=None,
                                               lowercase=False, min_df=2, sublinear_tf=True)))
    if with_context:
        parts.append(("context", TfidfVectorizer(preprocessor=context_cues, tokenizer=identity_tokens,
                                                  token_pattern=None, lowercase=False, min_df=1)))
    return FeatureUnion(parts)


def classifier(c: float = 4.0, class_weight: str | None = "balanced") -> LogisticRegression:
    return LogisticRegression(C=c, class_weight=class_weight, max_iter=3000)


@dataclass
class Head:
    """One prediction target: its texts, labels, CV groups and the pipeline that learns it."""

    name: str
    texts: list[str]
    labels: list[str]
    groups: list[str]
    pipeline: Pipeline
    # Extra rows always in training and never scored (hand labels for cases the data lacks).
    extra_texts: list[str] = field(default_factory=list)
    extra_labels: list[str] = field(default_factory=list)


def _pipeline(
    c: float = 4.0, class_weight: str | None = "balanced", with_cues: bool = True, with_context: bool = False
) -> Pipeline:
    return Pipeline([("features", features(with_cues=with_cues, with_context=with_context)),
                     ("clf", classifier(c, class_weight))])


def with_previous(r: AnnoMIRow) -> str:
    return r.text + SEP + r.previous


def _annomi_text(r: AnnoMIRow) -> str:
    return r.text


def heads(
    annomi: Sequence[AnnoMIRow],
    socratiq: Sequence[SocratiQRow],
    *,
    c: float = 4.0,
    class_weight: str | None = "balanced",
    text_of: Callable[[AnnoMIRow], str] = _annomi_text,
    with_cues: bool = True,
    hand: HandLabels | None = None,
    context_heads: Sequence[str] = (),
) -> dict[str, Head]:
    """The heads: form, open_closed, behaviour, reflection, advice (AnnoMI), socratic_type
    (SocratiQ). ``hand`` rows join every training fold and are never scored."""
    refl = [r for r in annomi if r.reflection is not None]
    questions = [r for r in annomi if r.form != "none"]
    out = {
        "form": Head("form", [text_of(r) for r in annomi], [r.form for r in annomi],
                     [r.transcript_id for r in annomi], _pipeline(c, class_weight, with_cues)),
        "behaviour": Head("behaviour", [text_of(r) for r in annomi], [r.behaviour for r in annomi],
                          [r.transcript_id for r in annomi], _pipeline(c, class_weight, with_cues)),
        "open_closed": Head("open_closed", [question_part(text_of(r)) for r in questions],
                            [r.form for r in questions], [r.transcript_id for r in questions],
                            _pipeline(c, class_weight, with_cues)),
        "reflection": Head("reflection", [text_of(r) for r in refl],
                           [str(r.reflection) for r in refl], [r.transcript_id for r in refl],
                           _pipeline(c, class_weight, with_cues)),
        "advice": Head("advice", [text_of(r) for r in annomi],
                       ["advice" if r.advice else "no" for r in annomi],
                       [r.transcript_id for r in annomi], _pipeline(c, class_weight, with_cues)),
        "socratic_type": Head("socratic_type", [r.question for r in socratiq],
                              [r.socratic_type for r in socratiq], [r.thought for r in socratiq],
                              _pipeline(c, class_weight, with_cues)),
    }
    by_name = {"behaviour": annomi, "reflection": refl}
    for name in context_heads:
        head = out[name]
        head.texts = [with_previous(r) for r in by_name[name]]
        head.pipeline = _pipeline(c, class_weight, with_cues, with_context=True)
    if hand is not None:
        for name, head in out.items():
            texts, labels = hand.for_head(name)
            if name in context_heads:
                texts = [t + SEP for t in texts]  # no user turn before a hand-labelled row
            head.extra_texts, head.extra_labels = list(texts), list(labels)
    return out


def cross_val_predict_grouped(head: Head, folds: int = FOLDS) -> list[str]:
    """Out-of-fold predictions: each row is predicted by a model that never saw its group."""
    pred: list[str] = [""] * len(head.texts)
    n_groups = len(set(head.groups))
    splitter = GroupKFold(n_splits=min(folds, n_groups), shuffle=True, random_state=SEED)
    x = np.array(head.texts, dtype=object)
    y = np.array(head.labels, dtype=object)
    for train_idx, test_idx in splitter.split(x, y, groups=head.groups):
        model = clone(head.pipeline)
        model.fit(list(x[train_idx]) + head.extra_texts, list(y[train_idx]) + head.extra_labels)
        for i, p in zip(test_idx, model.predict(list(x[test_idx])), strict=True):
            pred[i] = str(p)
    return pred


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(gold))
    report = classification_report(gold, pred, labels=labels, output_dict=True, zero_division=0)
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, pred)), 3),
        "macro_f1": round(float(f1_score(gold, pred, labels=labels, average="macro")), 3),
        "f1_by_class": {label: round(float(report[label]["f1-score"]), 3) for label in labels},
        "support": {label: int(report[label]["support"]) for label in labels},
    }


def out_of_fold(all_heads: dict[str, Head], folds: int = FOLDS) -> dict[str, list[str]]:
    """Every head's out-of-fold predictions, and the analyser's form as shipped ("analyser_form":
    the "form" head decides question or not, the "open_closed" head decides its form)."""
    preds = {name: cross_val_predict_grouped(head, folds) for name, head in all_heads.items()}
    if "form" in all_heads and "open_closed" in all_heads:
        # open_closed rows are the form rows whose gold label is not "none", in the same order.
        oc = iter(preds["open_closed"])
        oc_for_row = [next(oc) if g != "none" else None for g in all_heads["form"].labels]
        # Rows that are not questions were never seen by the open_closed head: their form is
        # whatever the 3-way head said, so composing stays out-of-fold.
        preds["analyser_form"] = [
            "none" if p == "none" else (o if o is not None else p)
            for p, o in zip(preds["form"], oc_for_row, strict=True)
        ]
    return preds


def score_predictions(all_heads: dict[str, Head], preds: dict[str, list[str]]) -> dict[str, Any]:
    """Scores per head (and for the analyser's form as shipped) from out-of-fold predictions."""
    out = {name: scores(head.labels, preds[name]) for name, head in all_heads.items()}
    if "analyser_form" in preds:
        gold = all_heads["form"].labels
        out["analyser_form"] = scores(gold, preds["analyser_form"])
        pairs = [(g, p) for g, p in zip(gold, preds["analyser_form"], strict=True) if g != "none"]
        out["analyser_open_closed"] = scores([g for g, _ in pairs], [p for _, p in pairs])
        out["analyser_open_closed"]["f1_by_class"].pop("none", None)
    return out


def evaluate(all_heads: dict[str, Head], folds: int = FOLDS) -> dict[str, Any]:
    """Grouped-CV scores per head, and the analyser's form as shipped."""
    return score_predictions(all_heads, out_of_fold(all_heads, folds))


def human_agreement(annomi: Sequence[AnnoMIRow], preds: dict[str, list[str]]) -> dict[str, Any]:
    """The ceiling these labels allow. On the utterances several annotators coded: one annotator
    scored against another (every ordered pair), and the model's out-of-fold prediction scored
    against each annotator. ``preds`` are out-of-fold, in ``annomi`` order."""
    multi = [i for i, r in enumerate(annomi) if len(r.codings) > 1]
    out: dict[str, Any] = {"utterances": len(multi), "transcripts": len({annomi[i].transcript_id for i in multi})}
    if not multi:
        return out
    views = (("form", 0, "analyser_form", False), ("open_closed", 0, "analyser_form", True),
             ("behaviour", 1, "behaviour", False))
    for name, pick, key, questions_only in views:
        if key not in preds:
            continue
        humans: list[tuple[str, str]] = []
        model: list[tuple[str, str]] = []
        for i in multi:
            labels = [c[pick] for c in annomi[i].codings]
            humans += itertools.permutations(labels, 2)
            model += [(label, preds[key][i]) for label in labels]
        if questions_only:  # both sides call it a question: open or closed?
            humans = [p for p in humans if "none" not in p]
            model = [p for p in model if "none" not in p]
        if humans and model:
            out[name] = {
                "annotator_vs_annotator": scores([a for a, _ in humans], [b for _, b in humans]),
                "model_vs_annotator": scores([a for a, _ in model], [b for _, b in model]),
            }
    return out


SHIPPED_HEADS = ("form", "open_closed", "behaviour", "reflection", "socratic_type")
# Heads that also read the user turn before the utterance: behaviour gained 0.009 macro-F1 in
# grouped CV (0.725 -> 0.734); reflection gained nothing (0.570 both), so it reads the text only.
CONTEXT_HEADS = ("behaviour",)


def train(all_heads: dict[str, Head], names: Sequence[str] = SHIPPED_HEADS) -> dict[str, Pipeline]:
    """Fit the named heads on all their rows."""
    fitted = {}
    for name in names:
        head = all_heads[name]
        model = clone(head.pipeline)
        model.fit(head.texts + head.extra_texts, head.labels + head.extra_labels)
        fitted[name] = model
    return fitted


def library_versions() -> dict[str, str]:
    import joblib
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
    }


def provenance(
    annomi: Sequence[AnnoMIRow],
    socratiq: Sequence[SocratiQRow],
    cv: dict[str, Any] | None,
    hand: HandLabels | None = None,
    agreement: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from companion.coaching.analyser.data import HAND_ADVICE_FILE, HAND_QUESTION_FILES

    hand_rows = {h: len(t) for h, (t, _) in hand.rows.items()} if hand else {}
    return {
        "trained": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "heads": list(SHIPPED_HEADS),
        "features": "TF-IDF word 1-2-grams + char_wb 2-5-grams + sentence-opening cues; "
        "logistic regression (class_weight=balanced)",
        "context_heads": {h: "also reads the user turn before (word overlap, asked or not)"
                          for h in CONTEXT_HEADS},
        "data": {
            "annomi": {
                "file": "annomi-train.csv",
                "therapist_utterances": len(annomi),
                "transcripts": len({r.transcript_id for r in annomi}),
                "dedup": "double-annotated utterances merged by majority vote per label",
                "citation": CITATIONS["annomi"],
                "licence": "research data published with the paper, no licence file; "
                "the package ships derived weights only, no rows",
            },
            "socratiq": {
                "file": "socratiq-mturk-train.csv",
                "questions": len(socratiq),
                "thoughts": len({r.thought for r in socratiq}),
                "citation": CITATIONS["socratiq"],
                "licence": "research data published with the paper, no licence file; "
                "the package ships derived weights only, no rows",
            },
        },
        "hand_labels": {
            "files": [f"evals/labels/{n}" for n in (*HAND_QUESTION_FILES, HAND_ADVICE_FILE)]
            if any(hand_rows.values()) else [],
            "rows_per_head": hand_rows,
            "use": "added to every training fold, never scored; questions-test, questions-blind "
            "and advice-test stay held out",
        },
        "validation": f"GroupKFold({FOLDS}, shuffle, seed {SEED}) by AnnoMI transcript_id and "
        "SocratiQ thought",
        "cv": cv,
        "human_agreement": agreement,
        "libraries": library_versions(),
    }


def save(
    models: dict[str, Pipeline],
    info: dict[str, Any],
    path: str | Path,
    context_heads: Sequence[str] = CONTEXT_HEADS,
) -> Path:
    """Write the model (joblib, compressed) and ``<name>.json`` with its provenance."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bundle = {
        "heads": models,
        "context_heads": [h for h in context_heads if h in models],
        "sklearn": info["libraries"]["scikit-learn"],
    }
    joblib.dump(bundle, path, compress=9)
    info = {**info, "model_file": path.name, "model_bytes": path.stat().st_size}
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path
