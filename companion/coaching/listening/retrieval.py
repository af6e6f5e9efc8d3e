"""Retrieval from the whole conversation, with a floor: no citation rather than a wrong one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from companion.coaching.listening.nlp import parse
from companion.coaching.listening.state import ConversationState
from companion.coaching.listening.words import content_lemmas
from companion.knowledge.lexical import stems

if TYPE_CHECKING:
    from companion.knowledge.models import Passage

MIN_SHARED = 2
"""Content words a mentor prompt's passage must share with the theme and the note."""
MIN_DENSE = 0.25
"""Cosine similarity (MiniLM) to the query below which a passage is not cited. The fused
`score` cannot be a floor: it is a rank, normalised so that the best hit scores near 1 however
unrelated it is."""
# Words any article and any message use, so sharing one says nothing about the topic: counts,
# units of time, light verbs and nouns.
_GENERIC = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "first", "last",
    "final", "day", "week", "month", "quarter", "year", "date", "time", "today", "tomorrow",
    "new", "good", "big", "people", "team", "plan", "thing", "way", "problem", "question", "page",
    "look", "keep", "come", "ask", "far", "own", "use", "see", "work", "show", "list", "start", "end",
    "put", "turn", "leave", "let", "talk", "say", "make", "open", "cover", "take", "give", "get",
}


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


def advice_query(situation_turns: list[str]) -> str:
    """Invited advice draws on the whole situation: every message but the requests for advice,
    the earliest first (where the situation is usually set out). Searched with only the last two,
    "Ines just resigned" was missed when the request followed a turn about the design system."""
    return " ".join(" ".join(situation_turns).split())[:800]


def merged(*found: list[Passage]) -> list[Passage]:
    """The passages of several searches once each, the closest first; a passage two searches
    found keeps its closer reading (a later, weaker one had pushed it under the floor)."""
    best: dict[str, Passage] = {}
    for p in (p for hits in found for p in hits):
        if p.id not in best or (p.dense or 0.0) > (best[p.id].dense or 0.0):
            best[p.id] = p
    return sorted(best.values(), key=lambda p: -(p.dense or 0.0))


def shared_words(passage_text: str, state: ConversationState) -> set[str]:
    return content_lemmas(parse(passage_text[:1500])) & set(state.seen)


def topical(words: set[str]) -> set[str]:
    """The words of `words` that say what a text is about: no counts, dates or light words."""
    return {w for w in words if w not in _GENERIC and not w.isdigit()}


def relevant(passages: list[Passage], state: ConversationState, *, whole_conversation: bool = False) -> list[Passage]:
    """The passages close in meaning to the query whose text shares a topical word with the
    latest message (with anything said, for advice that draws on the whole conversation) and
    whose title or heading shares one with the conversation: the section is about something the
    PM talked about. Best first; measured in the README (citation precision)."""
    said = set(state.seen) if whole_conversation else content_lemmas(parse(state.latest))
    wanted, topics = topical(said), topical(set(state.seen))
    topic_stems = stems(" ".join(topics))
    out = []
    for p in passages:
        if p.dense is None or p.dense < MIN_DENSE:
            continue
        if not topical(content_lemmas(parse(p.text[:1500]))) & wanted:
            continue
        # by stem: "resigned" is what an article on resignations is about
        if not stems(" ".join(topical(content_lemmas(parse(f"{p.title}. {p.heading}"))))) & topic_stems:
            continue
        out.append(p)
    return out
