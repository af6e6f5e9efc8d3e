"""Retrieval from the whole conversation, with a floor: no citation rather than a wrong one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from companion.coaching.listening.nlp import parse
from companion.coaching.listening.state import ConversationState
from companion.coaching.listening.words import content_lemmas

if TYPE_CHECKING:
    from companion.knowledge.models import Passage

MIN_SCORE = 0.25
"""Cosine similarity below which a passage is not cited (MiniLM: unrelated text scores < 0.2)."""
MIN_SHARED = 2
"""Content words a cited passage must share with the conversation."""


def conversation_query(state: ConversationState, recent_user_turns: list[str]) -> str:
    """The latest message, what is new in it, the decision on the table and the turn before."""
    parts = [state.latest]
    parts += [f.text for f in state.new_facts() if f.kind in {"decision", "not_yet", "condition", "feeling"}]
    decision = next((f.text for f in reversed(state.facts) if f.kind == "decision"), None)
    if decision and decision not in parts:
        parts.append(decision)
    if recent_user_turns[:-1]:
        parts.append(recent_user_turns[-2])
    return " ".join(" ".join(parts).split())[:800]


def shared_words(passage_text: str, state: ConversationState) -> set[str]:
    return content_lemmas(parse(passage_text[:1500])) & set(state.seen)


def relevant(passages: list[Passage], state: ConversationState) -> list[Passage]:
    """The passages that clear the floor, best first."""
    out = []
    for p in passages:
        score = getattr(p, "score", 0.0) or 0.0
        if score < MIN_SCORE:
            continue
        if len(shared_words(p.text, state)) < MIN_SHARED:
            continue
        out.append(p)
    return out
