"""The coach on the real embedded model and a real chromadb index of small data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from companion import locations
from companion.coaching.rules import advice_spans, analyse, is_good_open_question
from companion.coaching.schemas import AgendaInputs, JTBDInputs, MentorInputs
from companion.coaching.session import CoachingSession
from companion.llm import get_provider
from companion.settings import load_settings

pytestmark = pytest.mark.model

FIXTURE = locations.evals_dir() / "scenarios" / "agenda" / "fixtures" / "aisha-promotion"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A real index over two corpus articles and a fixture notes folder, and the default model."""
    from companion.knowledge.embeddings import shared_minilm
    from companion.knowledge.index import KnowledgeBase

    root = tmp_path_factory.mktemp("world")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("socratic-questioning.md", "one-on-ones.md", "jtbd-interviews.md"):
        shutil.copy(locations.corpus_dir() / name, corpus / name)
    notes = root / "notes"
    shutil.copytree(FIXTURE, notes)
    settings = load_settings()
    kb = KnowledgeBase(settings, index_dir=root / "index", notes_dirs=[notes], corpus_dir=corpus,
                       embedder=shared_minilm(2))
    kb.sync()
    provider = get_provider(settings)  # the default embedded model
    return settings, kb, provider, notes


def make_session(world, mode="socratic") -> CoachingSession:
    settings, kb, provider, _ = world
    s = CoachingSession(settings, provider=provider, knowledge=kb, mode=mode)
    s.prepare()
    return s


def test_socratic_turn_asks_an_open_question_without_advice(world):
    s = make_session(world)
    reply = s.respond("I have to decide whether to put Aisha up for promotion before the launch.")
    assert reply.questions and all(is_good_open_question(analyse(q)) for q in reply.questions)
    body = reply.text.split("*Drawing on")[0]
    assert not advice_spans(body)
    assert reply.cited and all(c.path.endswith(".md") for c in reply.cited)
    assert "promotion" in reply.text.lower()


def test_agenda_on_real_model_carries_items_and_adds_up(world):
    _, kb, _, _ = world
    s = make_session(world, "agenda")
    reply = s.run_structured("agenda", AgendaInputs(person="Aisha", relationship="my_report", duration_minutes=30,
                                                    on_mind="Her promotion case is stuck waiting on the calibration."))
    agenda = reply.structured
    assert sum(sec["minutes"] for sec in agenda["sections"]) == 30
    carried = {i["text"] for sec in agenda["sections"] for i in sec["items"] if i["kind"] == "action_item"}
    expected = {a.text for a in kb.action_items(person="Aisha", open_only=True)}
    assert expected and carried == expected
    for q in reply.questions:
        assert is_good_open_question(analyse(q)), q


def test_jtbd_guide_on_real_model_is_about_this_switch(world):
    from companion.coaching.events import Done, Token
    from companion.evals.structured import personalised, presuppositions

    s = make_session(world, "jtbd")
    inputs = JTBDInputs(product="Ledgerly, a budgeting app for freelancers",
                        switch="switched from spreadsheets to a budgeting app",
                        interviewee="a freelancer who switched last month")
    events = list(s.stream_structured("jtbd", inputs))
    reply = events[-1].reply
    assert isinstance(events[-1], Done) and sum(isinstance(e, Token) for e in events) == 12
    guide = reply.structured
    assert len(guide["timeline"]) == 6 and len(guide["forces"]) == 4
    probes = [(q, o) for b in guide["timeline"] + guide["forces"]
              for q, o in zip(b["questions"], b["origins"], strict=True)]
    for q, _ in probes:
        assert not presuppositions(q), q  # the evals' own detector, not the guard's
        assert personalised([q], inputs.model_dump()).score == 1.0, q
    # The model writes most probes (measured 25-45% from the bank on this model).
    assert sum(o == "bank" for _, o in probes) / len(probes) <= 0.6


def test_mentor_prompts_on_real_model(world):
    import re

    s = make_session(world, "mentor")
    parts: list[str] = []
    reply = s.run_structured("mentor", MentorInputs(
        mentee="Aisha", situation="Aisha struggles to say no to sales. Her director wants her to "
        "become a group PM next year, and she is not sure she wants to manage people."),
        on_part=parts.append)
    n = len(reply.questions)
    assert 8 <= n <= 12
    assert not any(advice_spans(q) for q in reply.questions)
    themes = reply.structured["themes"]
    # The core issue is named first, and every prompt speaks to Aisha, not about her.
    assert "say" in themes[0]["title"].lower() and "sales" in themes[0]["title"].lower()
    for q in reply.questions:
        assert not re.search(r"\b(?:she|her|aisha|the mentee)\b", q, re.IGNORECASE), q
    origins = [p["origin"] for t in themes for p in t["prompts"]]
    assert origins.count("bank") / len(origins) <= 0.3
    # Streamed: the header, then one part per theme, together the whole set.
    assert len(parts) == 1 + len(themes) and "".join(parts) == reply.text


def test_saved_agenda_and_commitments_are_reindexed(world, tmp_path):
    settings, kb, provider, _ = world
    from companion.coaching.session import commit_action, save_note

    s = make_session(world, "agenda")
    reply = s.run_structured("agenda", AgendaInputs(person="Aisha", duration_minutes=20))
    notes = tmp_path / "notes"
    path = save_note(notes, reply)
    assert path.read_text().startswith("---\ndate:")
    committed = commit_action(notes, "Aisha", "Draft the promotion packet by Friday")
    assert "- [ ] Draft the promotion packet by Friday" in Path(committed).read_text()


def test_listening_turn_takes_up_what_is_new_on_the_real_model(world):
    from companion.coaching.listening.grammar import grammar_problems
    from companion.coaching.listening.reflections import parrots

    s = make_session(world)
    turns = [
        "My VP wants us to ship without SSO and the guided setup. Three of our biggest accounts "
        "said they won't roll out without SSO.",
        "Honestly I haven't told my skip-level about those three accounts yet.",
    ]
    for text in turns:
        reply = s.respond(text)
    question = reply.questions[0]
    reflection = reply.text.split("\n\n")[0]
    assert reply.listening["anchor"] in {"your skip-level", "those three accounts"}
    assert grammar_problems(question, turns[-1]) == []
    assert "skip-level" in reflection and not parrots(reflection, turns)
    assert not advice_spans(reply.text.split("*Drawing on")[0])


def test_a_wider_tier_reads_what_the_news_pulls_against_on_the_real_model(world):
    settings, kb, provider, _ = world
    s = CoachingSession(settings.model_copy(update={"tier": "small"}), provider=provider, knowledge=kb)
    s.prepare()
    turns = ["Tobias owns the payments migration and has missed three sprint goals in a row.",
             "Our launch is in four weeks and nobody else knows that code."]
    for text in turns:
        reply = s.respond(text)
    assert reply.listening["tier"] == "small"
    reflection = reply.text.split("\n\n")[0]
    # the llama.cpp grammar holds the pick to the enum; whichever it is, the program says it
    if "against" in reply.listening:
        assert reply.listening["against"] == "three sprint goals"
        assert reflection.startswith("On one hand Tobias has missed three sprint goals in a row, and yet your "
                                     "launch is in four weeks.")
    else:
        assert "four weeks" in reflection
    assert reply.questions and not advice_spans(reply.text.split("*Drawing on")[0])
