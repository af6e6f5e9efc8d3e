"""Advice, only when invited, MI-style: grounded in this conversation and a cited passage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from companion.coaching.listening.asking import TAIL, escape
from companion.coaching.listening.reflections import cut_off, first_sentences
from companion.coaching.listening.retrieval import shared_words
from companion.coaching.listening.state import ConversationState
from companion.coaching.prompts import load_prompt
from companion.coaching.rules import advice_spans
from companion.coaching.schemas import SourceRef
from companion.llm.base import ChatMessage, LLMError, Provider

if TYPE_CHECKING:
    from companion.knowledge.models import Passage


class AdvicePoint(BaseModel):
    fact: str = ""
    text: str
    source: int = Field(ge=1, le=9)


class AdvicePoints(BaseModel):
    points: list[AdvicePoint]


class Advice(BaseModel):
    """What the advice reply says: a preface that hands the choice back, points, a closing."""

    preface: str
    points: list[str]
    closing: str = ""
    cited: list[SourceRef] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    fallback: bool = False


# What a request for advice names ("give me some advice"): the request, not the situation.
_ASKING_FOR = {"advice", "idea", "suggestion", "recommendation", "opinion", "take", "place", "tip"}


def facts_for_advice(state: ConversationState, limit: int = 5) -> list[str]:
    """The conversation's own things a point may be about, newest first."""
    from companion.coaching.listening.nlp import parse
    from companion.coaching.listening.retrieval import topical
    from companion.coaching.listening.words import content_lemmas

    out: list[str] = []
    named = [a for f in reversed(state.facts) for a in (f.anchor, f.detail.get("whom"))]
    for a in [*named, *state.anchors, *(p.name for p in reversed(state.people))]:
        if not a or a.lower() in {o.lower() for o in out} or len(a.split()) > 6:
            continue
        # a span of time or a count is no topic for advice: "For a year, see what ..." (person
        # test, 2026-12-05)
        words = topical(content_lemmas(parse(a)))
        if (words and not words <= _ASKING_FOR) or a[:1].isupper():
            out.append(a)
    return out[:limit]


def _schema(verbs: list[str], n_passages: int, facts: list[str]) -> dict[str, Any]:
    verb_group = "|".join(verbs)
    fact_group = "|".join(escape(f) for f in facts)
    return {
        "type": "object",
        "properties": {
            "points": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {
                    "type": "object",
                    "properties": {
                        "fact": {"type": "string", "enum": facts},
                        # The point names its fact: "With your skip-level, share ...".
                        "text": {"type": "string",
                                 "pattern": f"^(With|For|About) ({fact_group}), ({verb_group.lower()}) "
                                            f"{TAIL}{{15,140}}[.]$"},
                        "source": {"type": "integer", "minimum": 1, "maximum": max(1, n_passages)},
                    },
                    "required": ["fact", "text", "source"],
                },
            },
        },
        "required": ["points"],
    }


def _ref(p: Passage) -> SourceRef:
    return SourceRef(label=p.label, path=p.path, line_start=p.line_start, line_end=p.line_end)


def _grounded(text: str, fact: str, passage: Passage, state: ConversationState) -> bool:
    from companion.coaching.listening.nlp import parse
    from companion.coaching.listening.words import content_lemmas

    if not text.isascii() or "the user" in text.lower() or fact.lower() not in text.lower():
        return False
    point = content_lemmas(parse(text.replace(fact, " ")))
    return len(point & content_lemmas(parse(passage.text[:1500]))) >= 2


def advise(provider: Provider, state: ConversationState, passages: list[Passage], *,
           temperature: float) -> Advice:
    """Two points, each about a fact of this conversation and drawn from a passage that cleared
    the relevance floor; none when no passage did (no guessing)."""
    from companion.knowledge.models import format_passages

    facts = facts_for_advice(state)
    usable = passages[:3]
    about = " and ".join(facts[:2]) if facts else "what you described"
    preface = (f"You asked what I would do. Here are two ideas for {about}, drawn from the library; "
               "you know your situation best, so take what fits and leave the rest.")
    closing = f"Which of these fits what you know about {facts[0]}?" if facts else \
        "Which of these fits your situation?"
    if not usable or not facts:
        return Advice(
            preface=f"You asked what I would do about {about}, and nothing in your notes or the library "
                    "is close enough to this to draw on, so I would rather not guess: notes on it "
                    "(`companion ingest`) or more about the situation would help.",
            points=[], closing="", fallback=True, facts=facts,
        )
    prompt = load_prompt("advice")
    system, user = prompt.render(
        passages=format_passages(usable, max_chars=1500),
        situation=" ".join(" ".join(f.text for f in state.facts[-6:]).split())[:600] or state.latest[:600],
        facts=" | ".join(facts),
    )
    messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
    points: list[tuple[str, int, str]] = []
    try:
        got = provider.structured(
            messages, AdvicePoints,
            json_schema=_schema(prompt.meta.data["verbs"], len(usable), facts),
            temperature=temperature, max_tokens=200,
        )
        for p in got.points:
            # The first sentence: past it a small model drifts ("Some habits help: ...") or
            # runs out of tokens mid-word ("... that the team's K.").
            text = first_sentences(" ".join(p.text.split()), 1)[0]
            if cut_off(text):
                continue
            source = usable[p.source - 1] if 0 < p.source <= len(usable) else None
            fact = p.fact if p.fact and p.fact.lower() in text.lower() else next(
                (f for f in facts if f.lower() in text.lower()), "")
            seen = {t.lower() for t, _, _ in points}
            if source is not None and fact and text.lower() not in seen and _grounded(text, fact, source, state):
                points.append((text, p.source, fact))  # a small model may write one point twice
    except LLMError as exc:
        if exc.kind not in {"bad_response"}:
            raise
    fallback = False
    if not points:
        fallback = True
        for i, passage in enumerate(usable, 1):
            shared = shared_words(passage.text, state)
            fact = next((f for f in facts if any(w in f.lower() for w in shared)), facts[0])
            for span in advice_spans(passage.text)[:1]:
                if 6 <= len(span.split()) <= 40:
                    span = span.strip().rstrip(".")
                    points.append((f"For {fact}: {span[:1].lower() + span[1:]}.", i, fact))
            if len(points) >= 2:
                break
        if not points:
            points = [(f'For {facts[0]}, see what "{usable[0].label}" suggests.', 1, facts[0])]
    cited_numbers = sorted({n for _, n, _ in points})
    cited = [_ref(usable[n - 1]) for n in cited_numbers]
    renumber = {n: i for i, n in enumerate(cited_numbers, 1)}
    if len(points) == 1:
        preface = preface.replace("Here are two ideas", "Here is one idea")
    return Advice(
        preface=preface, points=[f"{t} [{renumber[n]}]" for t, n, _ in points], closing=closing,
        cited=cited, facts=[f for _, _, f in points], fallback=fallback,
    )
