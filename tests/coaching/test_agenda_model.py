"""An agenda through the real embedded model and a real chromadb index of a small notes folder."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from companion import locations
from companion.coaching.agenda import build_agenda, question_faults
from companion.coaching.agenda_topics import overlap, split_sentences
from companion.coaching.listening.grammar import grammar_problems
from companion.coaching.listening.tiers import tier_for
from companion.coaching.schemas import AgendaInputs
from companion.llm import get_provider
from companion.settings import load_settings

pytestmark = pytest.mark.model

FIXTURE = locations.evals_dir() / "scenarios" / "agenda" / "fixtures" / "yusuf-pricing"
ON_MIND = ("I need a decision on the discount band before the exec staff meeting. I'm nervous "
           "about presenting the pricing review to the exec staff on my own.")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from companion.knowledge.embeddings import shared_minilm
    from companion.knowledge.index import KnowledgeBase

    root = tmp_path_factory.mktemp("agenda")
    shutil.copytree(FIXTURE, root / "notes")
    settings = load_settings()
    kb = KnowledgeBase(settings, index_dir=root / "index", notes_dirs=[root / "notes"],
                       include_corpus=False, embedder=shared_minilm(2))
    kb.sync()
    provider = get_provider(settings)
    parts: list[str] = []
    agenda, _ = build_agenda(
        AgendaInputs(person="Yusuf", relationship="my_manager", duration_minutes=30,
                     on_mind=ON_MIND),
        provider=provider, knowledge=kb, today=dt.date(2026, 11, 20),
        tier=tier_for(settings.model, settings), on_part=parts.append,
    )
    return agenda, parts


def test_topics_are_rewritten_not_pasted(built):
    agenda, parts = built
    topics = [i.text for s in agenda.sections for i in s.items if i.kind == "topic"]
    sentences = split_sentences(ON_MIND)
    rewritten = [t for t in topics if "discount band" in t or "exec staff" in t]
    assert len(rewritten) == 2
    for t in rewritten:
        assert not re.search(r"\b(I|I'm|my|we|our)\b", t), t
        assert all(overlap(t, s) < 0.8 for s in sentences), t
    assert "".join(parts) == agenda.to_markdown()


def test_owners_are_right(built):
    agenda, _ = built
    owners = {i.text: i.owner for s in agenda.sections for i in s.items if i.kind == "action_item"}
    mine = [o for t, o in owners.items() if "pricing memo" in t or "churn numbers" in t]
    assert mine == ["you", "you"]  # "I'll draft ...", "@Myself send ..."
    assert [o for t, o in owners.items() if "Q1 budget" in t] == ["Yusuf"]
    # A bare imperative names nobody: read as the note's person, as before (not guessed).
    assert [o for t, o in owners.items() if "Book a slot" in t] == ["Yusuf"]
    assert not any("renewal calendar" in t for t in owners)


def test_suggested_questions_are_the_models_or_built_from_the_topics_and_notes(built):
    agenda, _ = built
    asked = {s.title: i for s in agenda.sections if s.title != "Check-in" for i in s.items
             if i.kind == "question"}
    assert any(i.origin == "model" for i in asked.values())
    # The PM typed nothing about wins or blockers: the notes with Yusuf say "The memo went
    # well with finance", and open work is waiting; each is asked about and cited.
    wins, blockers = asked["Wins"], asked["Blockers"]
    assert wins.origin == "program" and "memo" in wins.text
    assert wins.source is not None and wins.source.path == "2026-10-28-yusuf.md"
    assert blockers.origin == "program" and blockers.source is not None
    bank = [i for i in asked.values() if i.origin == "bank"]
    assert len(bank) / len(asked) <= 0.3
    for title, i in asked.items():
        assert not grammar_problems(i.text), i.text
        if i.source is None and i.origin != "bank":  # about what is on the PM's mind
            assert not question_faults(i.text, split_sentences(ON_MIND)), (title, i.text)
