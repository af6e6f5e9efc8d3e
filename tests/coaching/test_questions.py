"""Behaviour tests for the question analyser, its label files and the fallback question bank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from companion.coaching.analyser_report import default_labels_dir, f1_for, macro_f1, score_labels
from companion.coaching.rules import (
    ALL_TYPES,
    SOCRATIC_TYPES,
    QuestionAnalysis,
    advice_spans,
    analyse,
    is_good_open_question,
    split_questions,
)

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "evals" / "labels"
BANK = ROOT / "corpus" / "question-bank.yaml"


# --- form ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "What do you mean by alignment?",
        "How might your manager see this?",
        "Why do you think the roadmap keeps slipping?",
        "Tell me about the last time you prepared a quarterly report.",
        "Walk me through how the decision was made.",
        "Can you give me an example?",
        "Could you describe the workaround you used?",
        "In what way did the plan change?",
        "how often does that come up",
        "If you push back, what could happen next?",
    ],
)
def test_open_questions(text: str) -> None:
    a = analyse(text)
    assert a.is_question
    assert a.form == "open"


@pytest.mark.parametrize(
    "text",
    [
        "Is the deadline fixed?",
        "Do you have data on that?",
        "Can we move standup to 10?",
        "Have you asked your tech lead?",
        "Did you mean this quarter or the next one?",
        "Will the migration require downtime?",
        "Which matters more, speed or quality?",
        "You want the promotion, right?",
        "So you mean the design review?",
        "What if you just told him how you feel?",
        "do u have numbers on that",
    ],
)
def test_closed_questions(text: str) -> None:
    a = analyse(text)
    assert a.is_question
    assert a.form == "closed"


@pytest.mark.parametrize(
    "text",
    [
        "The launch is scheduled for March.",
        "What I'm hearing is that you care about the team.",
        "Have a look at the churn data.",
        "Do the research first.",
        "",
    ],
)
def test_not_questions(text: str) -> None:
    a = analyse(text)
    assert not a.is_question
    assert a.form == "none"
    assert a.socratic_type is None


# --- leading and hypothetical -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Don't you think the data already shows it failed?",
        "Wouldn't it be better to delay the launch?",
        "Isn't it true that your manager never listens?",
        "Shouldn't you talk to HR about this?",
        "The numbers are clear, right?",
        "Surely the engineers understand the deadline?",
        "Have you considered firing him?",
        "Why don't you just tell the VP?",
        "How frustrating was it when the VP overruled you?",
        "It would make sense to escalate, wouldn't it?",
    ],
)
def test_leading(text: str) -> None:
    assert analyse(text).leading


@pytest.mark.parametrize(
    "text",
    [
        "What do you mean by alignment?",
        "Have you considered what your manager might say?",
        "Why do you think she said that?",
        "Should we start with the hiring question?",
        "Is it really true that nobody uses the export?",
    ],
)
def test_not_leading(text: str) -> None:
    assert not analyse(text).leading


@pytest.mark.parametrize(
    "text",
    [
        "Would you use a tool that did this automatically?",
        "If we built a mobile version, would you switch to it?",
        "How much would you pay for something that solved this?",
        "Will you renew your subscription next year?",
        "What would you do if we shut down the free plan?",
        "How likely are you to upgrade?",
        "What would make you upgrade?",
        "Would a weekly summary email be useful to you?",
        "What would your dream version of this tool do?",
    ],
)
def test_hypothetical(text: str) -> None:
    assert analyse(text).hypothetical


@pytest.mark.parametrize(
    "text",
    [
        # consequence questions are implications, not hypothetical (documented rule)
        "What might happen if you delay the launch?",
        "What would it mean for your career if this project succeeds?",
        "How would that affect your team?",
        # "would you" for description or politeness
        "How would you describe the problem?",
        "What would you like to focus on today?",
        "Tell me about the last time you switched tools.",
    ],
)
def test_not_hypothetical(text: str) -> None:
    assert not analyse(text).hypothetical


# --- Socratic types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What do you mean by strategic work?", "clarity"),
        ("Can you give an example of that?", "clarity"),
        ("How would you define success here?", "clarity"),
        ("What are you assuming about the timeline?", "assumptions"),
        ("What is being taken for granted here?", "assumptions"),
        ("What would have to be true for the plan to work?", "assumptions"),
        ("What evidence do you have for that?", "reasons_evidence"),
        ("How do you know the team is disengaged?", "reasons_evidence"),
        ("Why do you think it slipped?", "reasons_evidence"),
        ("How might your manager see this?", "alternate_viewpoints"),
        ("What would someone who disagrees say?", "alternate_viewpoints"),
        ("What other options do you have?", "alternate_viewpoints"),
        ("What might happen if you wait another month?", "implications"),
        ("What are the consequences of saying no?", "implications"),
        ("How would that affect the support team?", "implications"),
        ("Why is this the question that matters most?", "other"),
        ("How was your weekend?", "other"),
        ("What would you like to focus on today?", "other"),
    ],
)
def test_socratic_types(text: str, expected: str) -> None:
    assert analyse(text).socratic_type == expected


def test_constants_and_good_question_helper() -> None:
    assert SOCRATIC_TYPES == (
        "clarity",
        "assumptions",
        "reasons_evidence",
        "alternate_viewpoints",
        "implications",
    )
    assert "other" not in SOCRATIC_TYPES and ALL_TYPES[-1] == "other"
    assert is_good_open_question(analyse("What led you to that conclusion?"))
    assert not is_good_open_question(analyse("Did that work?"))
    assert not is_good_open_question(analyse("Don't you think that's risky?"))
    assert not is_good_open_question(analyse("How much would you pay for it?"))
    assert not is_good_open_question(analyse("The launch is in March."))
    assert isinstance(analyse("Why?"), QuestionAnalysis)


def test_analyse_uses_the_question_after_a_preamble() -> None:
    a = analyse("You mentioned the roadmap changed twice. What drove those changes?")
    assert a.is_question and a.form == "open" and a.socratic_type == "reasons_evidence"
    a = analyse(
        "I won't suggest anything yet. Instead, let me ask: what would a good result look like?"
    )
    assert a.form == "open"


# --- split_questions ----------------------------------------------------------------------------


def test_split_questions_markdown_list() -> None:
    reply = """That sounds like a hard week. A few questions:

1. What do you mean by "alignment" here?
2. How might your manager see it?
- Why is this the question that matters most?
* **What might happen if you waited?**
"""
    assert split_questions(reply) == [
        'What do you mean by "alignment" here?',
        "How might your manager see it?",
        "Why is this the question that matters most?",
        "What might happen if you waited?",
    ]


def test_split_questions_sentences_quotes_and_abbreviations() -> None:
    assert split_questions('You said "why now?" in the meeting. What did you mean by that?') == [
        "What did you mean by that?"
    ]
    text = "There are options, e.g. the importer vs. the exporter. Which one matters more, and why?"
    assert split_questions(text) == ["Which one matters more, and why?"]
    assert split_questions("Mr. Smith said no. Why do you think he said no?") == [
        "Why do you think he said no?"
    ]
    assert split_questions("what happened after that? and how did u feel") == [
        "what happened after that?",
        "and how did u feel",
    ]
    assert split_questions("  Tell me more.  ") == ["Tell me more."]
    assert split_questions("The launch moved. We shipped anyway.") == []


def test_split_questions_wrapped_paragraph() -> None:
    reply = "When you say the team is slow,\nwhat are you comparing it with?"
    assert split_questions(reply) == [
        "When you say the team is slow, what are you comparing it with?"
    ]


# --- advice_spans -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "You should talk to your manager first.",
        "I'd recommend writing down the outcomes you want.",
        "Make sure to loop in legal early.",
        "Try to keep the demo short.",
        "Consider sharing the draft with your lead.",
        "The best thing is to get the data first.",
        "Schedule a 1:1 with her this week.",
        "Talk to five customers before writing the spec.",
        "Don't agree to the new scope yet.",
        "Let's set up a weekly sync.",
        "If I were you, I'd take the job.",
        "u should really talk to hr",
    ],
)
def test_advice_detected(text: str) -> None:
    assert advice_spans(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Should you talk to your manager first?",
        "Have you considered firing him?",
        "What would you like to try next?",
        "Tell me about the last time this happened.",
        "It sounds like you want to make sure the team is heard.",
        "You said you want to try to be more visible.",
        "You mentioned you'd like to consider moving teams.",
        "The best thing about your plan is its focus.",
        "Schedule changes were announced on Monday.",
        "Let me summarise what I've heard.",
        "You could tell the meeting had gone badly.",
        "The launch is scheduled for March.",
    ],
)
def test_not_advice(text: str) -> None:
    assert advice_spans(text) == []


def test_advice_spans_in_a_mixed_reply() -> None:
    reply = (
        "It sounds like you're stretched. You should take a break before deciding. "
        "What's taking the most energy?\n\n- Prioritise the top three bugs\n- Communicate the delay early"
    )
    assert advice_spans(reply) == [
        "You should take a break before deciding.",
        "Prioritise the top three bugs",
        "Communicate the delay early",
    ]


# --- label files and score floors ---------------------------------------------------------------


def _rows(name: str) -> list[dict]:
    return [
        json.loads(line)
        for line in (LABELS / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_label_files_are_well_formed() -> None:
    assert default_labels_dir() == LABELS
    seen: set[str] = set()
    sizes = {}
    for split in ("dev", "test", "challenge", "blind"):
        rows = _rows(f"questions-{split}.jsonl")
        sizes[split] = len(rows)
        for r in rows:
            assert set(r) == {
                "text",
                "situation",
                "form",
                "socratic_type",
                "leading",
                "hypothetical",
            }
            assert r["situation"] in {"pm", "coaching", "interview"}
            assert r["form"] in {"open", "closed"}
            assert r["socratic_type"] in ALL_TYPES
            assert isinstance(r["leading"], bool) and isinstance(r["hypothetical"], bool)
            assert r["text"] not in seen, f"duplicate across splits: {r['text']}"
            seen.add(r["text"])
        assert {r["socratic_type"] for r in rows} == set(ALL_TYPES)
        assert any(r["leading"] for r in rows) and any(r["hypothetical"] for r in rows)
    assert sizes["dev"] >= 240 and sizes["test"] >= 120
    advice = _rows("advice.jsonl")
    assert len(advice) >= 120
    assert all(isinstance(r["advice"], bool) for r in advice + _rows("advice-test.jsonl"))


def test_metric_helpers() -> None:
    assert f1_for([True, True, False], [True, False, False], True) == pytest.approx(2 / 3)
    assert macro_f1(["a", "b"], ["a", "b"]) == 1.0
    assert f1_for([False], [False], True) == 0.0


# Floors a few points below the measured numbers (see evals/labels/README.md), so a change to the
# rules that loses ground fails here. `test` was written before the rules and never tuned on;
# `challenge` and `blind` were each measured once, blind, and then used for tuning (their
# first-contact numbers are in the README).
SPLIT_FLOORS = {
    "test": {
        "is_question_accuracy": 0.97,
        "form_accuracy": 0.95,
        "form_macro_f1": 0.94,
        "socratic_type_accuracy": 0.90,
        "socratic_type_macro_f1": 0.88,
        "leading_accuracy": 0.96,
        "leading_f1": 0.88,
        "hypothetical_accuracy": 0.96,
        "hypothetical_f1": 0.85,
    },
    "challenge": {
        "is_question_accuracy": 0.97,
        "form_accuracy": 0.95,
        "socratic_type_accuracy": 0.87,
        "socratic_type_macro_f1": 0.87,
        "leading_f1": 0.88,
        "hypothetical_f1": 0.88,
    },
    "blind": {
        "is_question_accuracy": 0.97,
        "form_accuracy": 0.95,
        "socratic_type_accuracy": 0.86,
        "socratic_type_macro_f1": 0.86,
        "leading_f1": 0.88,
        "hypothetical_f1": 0.88,
    },
}
ADVICE_FLOORS = {"advice": 0.95, "advice_test": 0.90}


@pytest.fixture(scope="module")
def scores() -> dict:
    return score_labels(LABELS)


@pytest.mark.parametrize(
    ("split", "metric"),
    [(split, metric) for split, floors in SPLIT_FLOORS.items() for metric in floors],
)
def test_split_above_floor(scores: dict, split: str, metric: str) -> None:
    assert scores[split][metric] >= SPLIT_FLOORS[split][metric], scores[split]


@pytest.mark.parametrize("split", sorted(ADVICE_FLOORS))
def test_advice_above_floor(scores: dict, split: str) -> None:
    assert scores[split]["advice_accuracy"] >= ADVICE_FLOORS[split], scores[split]
    assert scores[split]["is_question_accuracy"] >= 0.95, scores[split]


# --- fallback question bank ---------------------------------------------------------------------

SAMPLE_FILLS = [
    {"topic": "the launch date", "old": "spreadsheets", "target": "Tally", "product": "Tally"},
    {"topic": "stakeholder updates", "old": "the shared inbox", "target": "Acme Notes",
     "product": "Acme Notes"},
    {"topic": "your promotion case", "old": "building in-house dashboards",
     "target": "the climbing gym", "product": "Reps"},
]
JTBD_KEYS = {
    "first_thought",
    "passive_looking",
    "active_looking",
    "deciding",
    "first_use",
    "satisfaction",
    "push",
    "pull",
    "anxiety",
    "habit",
}
MENTOR_KEYS = {"goals", "craft", "stakeholders", "career", "wellbeing", "feedback"}


def _bank() -> dict:
    return yaml.safe_load(BANK.read_text(encoding="utf-8"))


def _bank_templates() -> list[tuple[str, str, str]]:
    return [
        (section, key, t)
        for section, groups in _bank().items()
        for key, ts in groups.items()
        for t in ts
    ]


def test_bank_structure() -> None:
    bank = _bank()
    assert set(bank) == {"socratic", "jtbd", "mentor"}
    assert set(bank["socratic"]) == set(ALL_TYPES)
    assert all(len(v) >= 8 for v in bank["socratic"].values())
    assert set(bank["jtbd"]) == JTBD_KEYS and all(len(v) >= 3 for v in bank["jtbd"].values())
    assert set(bank["mentor"]) == MENTOR_KEYS and all(len(v) >= 5 for v in bank["mentor"].values())
    templates = [t for _, _, t in _bank_templates()]
    assert len(templates) == len(set(templates)), "duplicate templates"


@pytest.mark.parametrize(("section", "key", "template"), _bank_templates())
def test_bank_template_passes_analyser(section: str, key: str, template: str) -> None:
    for fill in SAMPLE_FILLS:
        question = template.format(**fill)
        assert "{" not in question and "}" not in question
        assert split_questions(question) == [question], question
        a = analyse(question)
        assert is_good_open_question(a), (question, a)
        assert advice_spans(question) == [], question
        if section == "socratic":
            assert a.socratic_type == key, (question, a.socratic_type)
            assert question.endswith("?"), question  # the run-time guard wants a question mark
