"""The learned analyser: the shipped model, its API, its fast path, and training on a small slice."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from companion.coaching import questions, rules
from companion.coaching.analyser import train
from companion.coaching.analyser.data import (
    ANNOMI_FILE,
    SOCRATIQ_FILE,
    AnnoMIRow,
    TrainingDataError,
    load_annomi,
    load_dir,
    load_hand_labels,
)
from companion.coaching.analyser.features import cues, question_part
from companion.coaching.analyser.model import AnalyserModelError, default_model_path, load, shipped

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"  # present on the team's machines only


# --- the shipped model ------------------------------------------------------------------------


def test_model_file_ships_with_provenance():
    path = default_model_path()
    assert path.is_file() and path.stat().st_size < 5_000_000
    info = json.loads(path.with_suffix(".json").read_text())
    assert set(info["data"]) == {"annomi", "socratiq"}
    assert "Anno-MI" in info["data"]["annomi"]["citation"]
    assert "Socratic Question Generation" in info["data"]["socratiq"]["citation"]
    assert info["trained"] and info["libraries"]["scikit-learn"]
    for head in ("form", "analyser_open_closed", "behaviour", "reflection", "socratic_type"):
        assert set(info["cv"][head]) >= {"macro_f1", "accuracy", "f1_by_class"}, head
    assert shipped().names == list(train.SHIPPED_HEADS)
    assert shipped().context_heads == train.CONTEXT_HEADS


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("What do you mean by alignment?", "open"),
        ("How did the planning meeting go?", "open"),
        ("Did you tell your manager?", "closed"),
        ("Is the deadline fixed?", "closed"),
        ("The launch is scheduled for March.", "none"),
    ],
)
def test_form_on_clear_examples(text, form):
    assert questions.analyse(text).form == form


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("What evidence do you have that customers want this?", "reasons_evidence"),
        ("What might happen if you delay the launch by a month?", "implications"),
        ("What are you assuming about the team's capacity?", "assumptions"),
    ],
)
def test_socratic_type_on_clear_examples(text, kind):
    assert questions.analyse(text).socratic_type == kind


# Anchors as the coach fills them; none is in evals/labels/questions-coach.jsonl, which the
# head trains on.
_ANCHORS = ["the payments integration", "Marco", "your skip-level", "the launch date",
            "three sprint commitments", "the guided setup", "your director", "cutting SSO",
            "the exit process", "Ines", "HR", "the performance plan"]


def test_the_coach_s_own_questions_are_read_as_the_type_they_ask():
    """The evals count Socratic types with this head; it read 50 of 105 of the program's own
    questions right before the hand rows joined its training ("How might X see this?" as clarity)."""
    from companion.coaching.listening import asking

    asked = [(qtype, f"{stem} {said}{end}?") for qtype in rules.SOCRATIC_TYPES if qtype in asking.TYPES
             and qtype != "other" for anchor in _ANCHORS for stem, said, end in asking._stems_for(qtype, anchor)
             if qtype != "alternate_viewpoints" or asking.is_person_phrase(anchor)]
    wrong = [(q, questions.analyse(q).socratic_type) for qtype, q in asked
             if questions.analyse(q).socratic_type != qtype]
    assert len(asked) > 100 and len(wrong) <= 0.05 * len(asked), wrong


def test_reflection_and_behaviour():
    a = questions.analyse("It sounds like you feel left out of the decision.")
    assert a.behaviour == "reflection" and a.reflection in ("simple", "complex")
    assert not a.is_question and a.socratic_type is None
    q = questions.analyse("What would you like to focus on today?")
    assert q.behaviour == "question" and q.reflection is None


def test_api_shape_keeps_the_rule_fields():
    a = questions.analyse("Don't you think that would hurt her morale?")
    assert isinstance(a, rules.QuestionAnalysis)
    assert set(a.model_dump()) == {
        "text", "is_question", "form", "socratic_type", "leading", "hypothetical", "behaviour",
        "reflection",
    }
    assert a.leading  # leading and hypothetical still come from the rules (no labels in the data)
    assert questions.advice_spans("You should email the vendor today.") == [
        "You should email the vendor today."
    ]
    assert questions.analyse("Would you pay for it?").hypothetical


def test_fast_path_agrees_with_sklearn():
    heads = shipped()
    texts = [r["text"] for r in map(json.loads, (ROOT / "evals/labels/questions-test.jsonl").read_text().splitlines())]
    texts += ["Okay. So, um, how often do you drink?", "", "?", "Mm-hmm."]
    for name, pipeline in heads.pipelines.items():
        view = [heads.view(name, t, "I told him twice already?") for t in texts]
        mine = [heads.predict(name, t, previous="I told him twice already?") for t in texts]
        assert mine == [str(p) for p in pipeline.predict(view)], name
        probs = pipeline.predict_proba(view[:5])
        for t, row in zip(texts[:5], probs, strict=True):
            mine = heads.proba(name, t, previous="I told him twice already?")
            assert [mine[str(c)] for c in pipeline.named_steps["clf"].classes_] == pytest.approx(list(row), abs=1e-6)


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(AnalyserModelError, match="companion analyser train --data"):
        load(tmp_path / "nope.joblib")


def test_model_from_another_sklearn_is_refused(tmp_path):
    import joblib

    joblib.dump({"heads": {}, "sklearn": "0.1.0"}, tmp_path / "old.joblib")
    with pytest.raises(AnalyserModelError, match="trained with scikit-learn 0.1.0"):
        load(tmp_path / "old.joblib")


def test_cue_tokens():
    assert cues("Okay. So how often do you drink?").split()[-4:] == ["end_q", "last_how_often", "nq_1", "ns_2"]
    assert question_part("You said March. Is that fixed? Tell me.") == "Is that fixed?"


# --- training on a small generated slice ---------------------------------------------------------

ANNOMI_COLUMNS = [
    "mi_quality", "transcript_id", "video_title", "video_url", "topic", "utterance_id",
    "interlocutor", "timestamp", "utterance_text", "annotator_id", "therapist_input_exists",
    "therapist_input_subtype", "reflection_exists", "reflection_subtype", "question_exists",
    "question_subtype", "main_therapist_behaviour", "client_talk_type",
]
TOPICS = ["the roadmap", "your manager", "the launch", "the budget", "hiring", "the retro"]
THERAPIST = [
    ("What worries you most about {t}?", "question", "open", "n/a", "n/a"),
    ("How do you feel about {t}?", "question", "open", "n/a", "n/a"),
    ("Did you talk to anyone about {t}?", "question", "closed", "n/a", "n/a"),
    ("Is {t} still on track?", "question", "closed", "n/a", "n/a"),
    ("So {t} has been on your mind.", "reflection", "n/a", "simple", "n/a"),
    ("You feel torn, part of you wants to fight for {t} and part of you is tired.", "reflection", "n/a", "complex", "n/a"),
    ("You could write down three options for {t}.", "therapist_input", "n/a", "n/a", "advice"),
    ("Okay, thanks.", "other", "n/a", "n/a", "n/a"),
]


def write_slice(folder: Path, seed: int = 0) -> Path:
    """A tiny AnnoMI- and SocratiQ-shaped data set, generated (no shared data needed)."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ANNOMI_FILE).open("w", newline="") as fh:
        w = csv.DictWriter(fh, ANNOMI_COLUMNS)
        w.writeheader()
        for tid in range(1, 7):
            uid = 0
            for _ in range(3):
                for text, beh, qsub, rsub, isub in rnd.sample(THERAPIST, len(THERAPIST)):
                    t = rnd.choice(TOPICS)
                    w.writerow({"transcript_id": tid, "utterance_id": uid, "interlocutor": "client",
                                "utterance_text": f"I keep thinking about {t}.", "annotator_id": 1,
                                "question_subtype": "n/a", "reflection_subtype": "n/a",
                                "therapist_input_subtype": "n/a", "main_therapist_behaviour": "n/a"})
                    uid += 1
                    annotators = [1, 2] if uid == 1 else [1]
                    for a in annotators:
                        w.writerow({"transcript_id": tid, "utterance_id": uid, "interlocutor": "therapist",
                                    "utterance_text": text.format(t=t), "annotator_id": a,
                                    "question_subtype": qsub, "reflection_subtype": rsub,
                                    "therapist_input_subtype": isub,
                                    # the second annotator disagrees; a tie goes to annotator 1
                                    "main_therapist_behaviour": beh if a == 1 else "other"})
                    uid += 1
    socratic = {
        "clarity": "What do you mean by {t}?",
        "assumptions": "What are you assuming about {t}?",
        "reasons_evidence": "What evidence do you have about {t}?",
        "alternate_viewpoints_perspectives": "How might others see {t}?",
        "implication_consequences": "What would happen to {t} if it failed?",
    }
    with (folder / SOCRATIQ_FILE).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["", "thought", "question", "label"])
        n = 0
        for label, pattern in socratic.items():
            for t in TOPICS:
                w.writerow([n, f"A post about {t} number {n}.", pattern.format(t=t), label])
                n += 1
        w.writerow([n, "An odd post.", "Why are you yelling?", "others"])
    return folder


def test_loader_merges_double_annotations_and_maps_labels(tmp_path):
    annomi, socratiq = load_dir(write_slice(tmp_path / "data"))
    assert len(annomi) == 6 * 3 * len(THERAPIST)  # one row per therapist utterance
    first = annomi[0]
    assert first.annotators == 2 and first.previous.startswith("I keep thinking about")
    assert {r.behaviour for r in annomi} == {"question", "reflection", "input", "other"}
    assert {r.socratic_type for r in socratiq} == set(rules.SOCRATIC_TYPES)  # "others" dropped


def test_loader_errors_are_clear(tmp_path):
    with pytest.raises(TrainingDataError, match="training file not found"):
        load_annomi(tmp_path / "missing.csv")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(TrainingDataError, match="missing columns"):
        load_annomi(tmp_path / "bad.csv")


def test_train_eval_save_load_on_a_slice(tmp_path):
    annomi, socratiq = load_dir(write_slice(tmp_path / "data"))
    heads = train.heads(annomi, socratiq, hand=load_hand_labels(ROOT / "evals" / "labels"))
    assert len(heads["form"].extra_texts) > 300  # our hand labels join training
    cv = train.evaluate({k: heads[k] for k in ("form", "open_closed", "socratic_type")}, folds=2)
    assert cv["socratic_type"]["macro_f1"] > 0.9  # the slice is easy: this checks the plumbing
    assert set(cv["analyser_open_closed"]["f1_by_class"]) == {"open", "closed"}
    path = train.save(train.train(heads), train.provenance(annomi, socratiq, cv), tmp_path / "m.joblib")
    model = load(path)
    a = questions.analyse("What do you mean by the budget?", model=model)
    assert (a.form, a.socratic_type) == ("open", "clarity")
    assert questions.analyse("Okay, thanks.", model=model).form == "none"
    assert json.loads(path.with_suffix(".json").read_text())["cv"]["socratic_type"]["n"] == 30


def test_cli_train_and_eval(tmp_path):
    from companion.cli import app

    data = write_slice(tmp_path / "data")
    out = tmp_path / "model.joblib"
    runner = CliRunner()
    r = runner.invoke(app, ["analyser", "train", "--data", str(data), "--out", str(out), "--no-cv"])
    assert r.exit_code == 0, r.output
    assert out.is_file() and out.with_suffix(".json").is_file()
    missing = runner.invoke(app, ["analyser", "eval", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "training file not found" in missing.output


@pytest.mark.skipif(not (SHARED / ANNOMI_FILE).is_file(), reason="the team's training data is not here")
def test_real_training_data_loads():
    annomi, socratiq = load_dir(SHARED)
    assert len(annomi) == 3588 and len(socratiq) == 2500
    assert len({r.transcript_id for r in annomi}) == 89


def test_human_agreement_scores_annotators_against_each_other_and_the_model():
    def row(tid, codings):
        form, beh = codings[0]
        return AnnoMIRow(transcript_id=tid, text="t", previous="", form=form, behaviour=beh,
                         reflection=None, advice=False, annotators=len(codings), codings=codings)

    rows = [
        row("1", (("open", "question"), ("closed", "question"))),  # the two coders disagree on form
        row("1", (("none", "reflection"), ("none", "reflection"))),
        row("2", (("none", "other"),)),  # coded once: not part of the ceiling
    ]
    preds = {"analyser_form": ["open", "none", "none"], "behaviour": ["question", "input", "other"]}
    out = train.human_agreement(rows, preds)
    assert out["utterances"] == 2 and out["transcripts"] == 1
    # form pairs: (open, closed), (closed, open), (none, none) x2 -> 2 of 4 agree
    assert out["form"]["annotator_vs_annotator"]["accuracy"] == 0.5
    # the model said "open": right for one coder of the first row, and "none" for both of the second
    assert out["form"]["model_vs_annotator"]["accuracy"] == 0.75
    # open/closed only where both sides call it a question
    assert out["open_closed"]["annotator_vs_annotator"]["n"] == 2
    assert out["open_closed"]["model_vs_annotator"]["accuracy"] == 0.5
    assert out["behaviour"]["annotator_vs_annotator"]["accuracy"] == 1.0
    assert out["behaviour"]["model_vs_annotator"]["accuracy"] == 0.5


def test_loader_keeps_each_annotators_coding(tmp_path):
    annomi, _ = load_dir(write_slice(tmp_path / "data"))
    first = annomi[0]
    assert len(first.codings) == 2 and first.codings[1][1] == "other"  # annotator 2 said "other"
    assert all(len(r.codings) == r.annotators for r in annomi)
