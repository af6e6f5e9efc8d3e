"""`companion analyser train|eval --data DIR`: rebuild the learned analyser, or score it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="The learned analyser: rebuild it from the training data, or print its grouped-CV scores.",
    no_args_is_help=True,
)

LabelsOption = Annotated[
    Path | None,
    typer.Option("--labels", help="Hand labels to add to training (default: the repo's evals/labels)."),
]
DataOption = Annotated[
    Path,
    typer.Option("--data", help="Folder with annomi-train.csv and socratiq-mturk-train.csv."),
]


def rules_on(data_dir: str | Path) -> dict[str, Any]:
    """The rule analyser scored on the same rows (it never trained on them)."""
    from companion.coaching import rules
    from companion.coaching.analyser import train
    from companion.coaching.analyser.data import load_dir

    annomi, socratiq = load_dir(data_dir)
    form = [rules.analyse(r.text).form for r in annomi]
    gold = [r.form for r in annomi]
    pairs = [(g, p) for g, p in zip(gold, form, strict=True) if g != "none"]
    oc = train.scores([g for g, _ in pairs], [p for _, p in pairs])
    oc["f1_by_class"].pop("none", None)
    types = [rules.analyse(r.question).socratic_type or "none" for r in socratiq]
    return {
        "form": train.scores(gold, form),
        "open_closed": oc,
        "socratic_type": train.scores([r.socratic_type for r in socratiq], types),
    }


def default_labels_dir() -> Path | None:
    """The repository's hand labels, when running from a checkout."""
    from companion.coaching.analyser_report import default_labels_dir as labels

    path = labels()
    return path if path.is_dir() else None


def grouped_cv_report(data_dir: str | Path, labels_dir: str | Path | None = None) -> dict[str, Any]:
    from companion.coaching.analyser import train
    from companion.coaching.analyser.data import load_dir, load_hand_labels

    annomi, socratiq = load_dir(data_dir)
    hand = load_hand_labels(labels_dir if labels_dir is not None else default_labels_dir())
    heads = train.heads(annomi, socratiq, hand=hand, context_heads=train.CONTEXT_HEADS)
    preds = train.out_of_fold(heads)
    return {
        "learned": train.score_predictions(heads, preds),
        "human_agreement": train.human_agreement(annomi, preds),
        "rules": rules_on(data_dir),
    }


def _agreement_table(agreement: dict[str, Any]) -> str:
    lines = [f"on {agreement['utterances']} utterances coded by several annotators "
             f"({agreement.get('transcripts', 0)} transcripts), macro-F1 / accuracy:"]
    for head in ("form", "open_closed", "behaviour"):
        if head in agreement:
            h, m = agreement[head]["annotator_vs_annotator"], agreement[head]["model_vs_annotator"]
            lines.append(f"{head:12} annotator vs annotator {h['macro_f1']:.3f} / {h['accuracy']:.3f}"
                         f"   model vs annotator {m['macro_f1']:.3f} / {m['accuracy']:.3f}")
    return "\n".join(lines)


def _table(cv: dict[str, Any]) -> str:
    lines = []
    for head, s in cv.items():
        per_class = ", ".join(f"{k} {v:.3f}" for k, v in s["f1_by_class"].items())
        lines.append(f"{head:22} n={s['n']:<5} macro-F1 {s['macro_f1']:.3f}  acc {s['accuracy']:.3f}  | {per_class}")
    return "\n".join(lines)


@app.command("train")
def train_command(
    data: DataOption,
    out: Annotated[
        Path | None, typer.Option("--out", help="Model file to write (default: the packaged one).")
    ] = None,
    cv: Annotated[bool, typer.Option("--cv/--no-cv", help="Run grouped CV first and record it.")] = True,
    labels: LabelsOption = None,
) -> None:
    """Rebuild the model file (and its provenance JSON) from the training data."""
    from companion.clikit import friendly

    friendly(_train)(data, out, cv, labels)


def _train(data: Path, out: Path | None, cv: bool, labels: Path | None = None) -> None:
    from companion.coaching.analyser import train
    from companion.coaching.analyser.data import load_dir, load_hand_labels
    from companion.coaching.analyser.model import default_model_path

    annomi, socratiq = load_dir(data)
    labels = labels if labels is not None else default_labels_dir()
    hand = load_hand_labels(labels)
    heads = train.heads(annomi, socratiq, hand=hand, context_heads=train.CONTEXT_HEADS)
    scores = agreement = None
    if cv:
        typer.echo("grouped cross-validation (5 folds per head)...")
        preds = train.out_of_fold(heads)
        scores = train.score_predictions(heads, preds)
        agreement = train.human_agreement(annomi, preds)
        typer.echo(_table(scores))
        typer.echo(_agreement_table(agreement))
    typer.echo("fitting on all rows...")
    info = train.provenance(annomi, socratiq, scores, hand, agreement)
    path = train.save(train.train(heads), info, out or default_model_path())
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.with_suffix('.json').name}")


@app.command("eval")
def eval_command(
    data: DataOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    labels: LabelsOption = None,
) -> None:
    """Grouped-CV scores per head and per class, and the rule analyser on the same rows."""
    from companion.clikit import friendly

    friendly(_eval)(data, as_json, labels)


def _eval(data: Path, as_json: bool, labels: Path | None = None) -> None:
    report = grouped_cv_report(data, labels)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo("learned analyser, grouped CV (AnnoMI by transcript, SocratiQ by thought):")
    typer.echo(_table(report["learned"]))
    typer.echo("\nhuman agreement, the ceiling of these labels:")
    typer.echo(_agreement_table(report["human_agreement"]))
    typer.echo("\nrule analyser on the same rows:")
    typer.echo(_table(report["rules"]))


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="analyser")
