"""Score both question analysers against the hand labels in ``evals/labels/``.

``python -m companion.coaching.analyser_report [LABELS_DIR] [--errors] [--data DIR]`` prints a
JSON report with one section per instrument: ``rules`` (``companion.coaching.rules``, the
run-time guard's) and ``learned`` (``companion.coaching.questions``, the evals'). For each
question split (``dev``: used while tuning the rules, ``test``: never used for tuning) the
accuracy and macro-F1 of form and Socratic type, accuracy and F1 of the leading and hypothetical
flags, and is_question recall; for ``advice.jsonl`` the accuracy/F1 of advice detection and of
is_question (``advice``: tuning set, ``advice_test``: held out). With ``--data DIR`` (the
AnnoMI / SocratiQ training files) it adds ``grouped_cv``: the learned analyser's grouped
cross-validation scores per head and per class, and the rules scored on the same rows.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from companion.coaching import rules
from companion.coaching.rules import ALL_TYPES

Analyse = Callable[[str], Any]
Advice = Callable[[str], list[str]]

QUESTION_SPLITS = ("dev", "test", "challenge", "blind")
# advice.jsonl was used while tuning advice_spans; advice-test.jsonl was not.
ADVICE_SPLITS = (("advice", "advice.jsonl"), ("advice_test", "advice-test.jsonl"))


def default_labels_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "evals" / "labels"


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except (
                json.JSONDecodeError
            ) as exc:  # pragma: no cover - label files are checked in tests
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return rows


def accuracy(gold: Sequence[Any], pred: Sequence[Any]) -> float:
    if not gold:
        return 0.0
    right: int = sum(g == p for g, p in zip(gold, pred, strict=True))
    return right / len(gold)


def f1_for(gold: Sequence[Any], pred: Sequence[Any], positive: Any) -> float:
    tp: int = sum(g == positive and p == positive for g, p in zip(gold, pred, strict=True))
    fp: int = sum(g != positive and p == positive for g, p in zip(gold, pred, strict=True))
    fn: int = sum(g == positive and p != positive for g, p in zip(gold, pred, strict=True))
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)


def macro_f1(
    gold: Sequence[Any], pred: Sequence[Any], labels: Iterable[Any] | None = None
) -> float:
    """Mean F1 over the labels present in the gold data (or the given labels)."""
    labels = list(labels) if labels is not None else sorted(set(gold), key=str)
    labels = [label for label in labels if label in set(gold)]
    if not labels:
        return 0.0
    return sum(f1_for(gold, pred, label) for label in labels) / len(labels)


def _round(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}


def score_questions(
    rows: list[dict[str, Any]], analyse: Analyse = rules.analyse
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    preds = [analyse(r["text"]) for r in rows]
    errors = []
    for r, p in zip(rows, preds, strict=True):
        wrong = [
            field
            for field, gold, got in (
                ("is_question", True, p.is_question),
                ("form", r["form"], p.form),
                ("socratic_type", r["socratic_type"], p.socratic_type),
                ("leading", r["leading"], p.leading),
                ("hypothetical", r["hypothetical"], p.hypothetical),
            )
            if gold != got
        ]
        if wrong:
            errors.append(
                {"text": r["text"], "wrong": {f: [r.get(f, True), getattr(p, f)] for f in wrong}}
            )
    gold_form, pred_form = [r["form"] for r in rows], [p.form for p in preds]
    gold_type, pred_type = [r["socratic_type"] for r in rows], [p.socratic_type for p in preds]
    gold_lead, pred_lead = [r["leading"] for r in rows], [p.leading for p in preds]
    gold_hyp, pred_hyp = [r["hypothetical"] for r in rows], [p.hypothetical for p in preds]
    per_type = {t: round(f1_for(gold_type, pred_type, t), 3) for t in ALL_TYPES}
    report: dict[str, Any] = {
        "n": len(rows),
        "is_question_accuracy": accuracy([True] * len(rows), [p.is_question for p in preds]),
        "form_accuracy": accuracy(gold_form, pred_form),
        "form_macro_f1": macro_f1(gold_form, pred_form, ("open", "closed")),
        "socratic_type_accuracy": accuracy(gold_type, pred_type),
        "socratic_type_macro_f1": macro_f1(gold_type, pred_type, ALL_TYPES),
        "leading_accuracy": accuracy(gold_lead, pred_lead),
        "leading_f1": f1_for(gold_lead, pred_lead, True),
        "hypothetical_accuracy": accuracy(gold_hyp, pred_hyp),
        "hypothetical_f1": f1_for(gold_hyp, pred_hyp, True),
    }
    report = _round(report)
    report["socratic_type_f1_by_type"] = per_type
    return report, errors


def score_advice(
    rows: list[dict[str, Any]], analyse: Analyse = rules.analyse, advice_spans: Advice = rules.advice_spans
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    pred_adv = [bool(advice_spans(r["text"])) for r in rows]
    gold_adv = [bool(r["advice"]) for r in rows]
    report: dict[str, Any] = {
        "n": len(rows),
        "advice_accuracy": accuracy(gold_adv, pred_adv),
        "advice_f1": f1_for(gold_adv, pred_adv, True),
    }
    errors = [
        {"text": r["text"], "wrong": {"advice": [g, p]}}
        for r, g, p in zip(rows, gold_adv, pred_adv, strict=True)
        if g != p
    ]
    with_q = [r for r in rows if "is_question" in r]
    if with_q:
        gold_q = [bool(r["is_question"]) for r in with_q]
        pred_q = [analyse(r["text"]).is_question for r in with_q]
        report["is_question_accuracy"] = accuracy(gold_q, pred_q)
        report["is_question_f1"] = f1_for(gold_q, pred_q, True)
        errors += [
            {"text": r["text"], "wrong": {"is_question": [g, p]}}
            for r, g, p in zip(with_q, gold_q, pred_q, strict=True)
            if g != p
        ]
    return _round(report), errors


def timing(
    texts: Sequence[str],
    repeats: int = 5,
    analyse: Analyse = rules.analyse,
    advice_spans: Advice = rules.advice_spans,
) -> dict[str, float]:
    """Mean wall time of ``analyse`` and ``advice_spans`` per text, in milliseconds."""
    start = time.perf_counter()
    for _ in range(repeats):
        for t in texts:
            analyse(t)
    analyse_ms = (time.perf_counter() - start) * 1000 / (repeats * len(texts))
    start = time.perf_counter()
    for _ in range(repeats):
        for t in texts:
            advice_spans(t)
    advice_ms = (time.perf_counter() - start) * 1000 / (repeats * len(texts))
    return {
        "analyse_ms_per_text": round(analyse_ms, 4),
        "advice_spans_ms_per_text": round(advice_ms, 4),
    }


def score_labels(
    labels_dir: str | Path | None = None,
    *,
    with_errors: bool = False,
    analyse: Analyse = rules.analyse,
    advice_spans: Advice = rules.advice_spans,
) -> dict[str, Any]:
    """One instrument's scores per split: ``{"dev": {...}, "test": {...}, "advice": {...}}``."""
    base = Path(labels_dir) if labels_dir is not None else default_labels_dir()
    result: dict[str, Any] = {}
    for split in QUESTION_SPLITS:
        path = base / f"questions-{split}.jsonl"
        if path.exists():
            report, errors = score_questions(load_jsonl(path), analyse)
            if with_errors:
                report["errors"] = errors
            result[split] = report
    for split, name in ADVICE_SPLITS:
        path = base / name
        if path.exists():
            report, errors = score_advice(load_jsonl(path), analyse, advice_spans)
            if with_errors:
                report["errors"] = errors
            result[split] = report
    return result


def instruments() -> dict[str, tuple[Analyse, Advice]]:
    """The rule analyser (the guard's) and the learned one (the evals')."""
    from companion.coaching import questions

    return {
        "rules": (rules.analyse, rules.advice_spans),
        "learned": (questions.analyse, questions.advice_spans),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    with_errors = "--errors" in args
    args = [a for a in args if a != "--errors"]
    data_dir = None
    if "--data" in args:
        at = args.index("--data")
        if at + 1 >= len(args):
            print("analyser_report: --data needs a directory", file=sys.stderr)
            return 2
        data_dir = args[at + 1]
        del args[at : at + 2]
    base = Path(args[0]) if args else default_labels_dir()
    texts = [
        r["text"]
        for split in QUESTION_SPLITS
        if (base / f"questions-{split}.jsonl").exists()
        for r in load_jsonl(base / f"questions-{split}.jsonl")
    ]
    report: dict[str, Any] = {}
    for name, (analyse, advice) in instruments().items():
        report[name] = score_labels(base, with_errors=with_errors, analyse=analyse, advice_spans=advice)
        report[name]["timing"] = timing(texts, analyse=analyse, advice_spans=advice)
    if data_dir is not None:
        from companion.coaching.analyser.cli import grouped_cv_report

        report["grouped_cv"] = grouped_cv_report(data_dir)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
