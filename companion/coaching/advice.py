"""Advice, only when invited: concrete points grounded in retrieved passages, each cited."""

from __future__ import annotations

from pydantic import BaseModel, Field

from companion.coaching.prompts import load_prompt
from companion.coaching.reflect import overlap
from companion.coaching.rules import advice_spans
from companion.coaching.schemas import SourceRef
from companion.llm.base import ChatMessage, LLMError, Provider


class AdvicePoint(BaseModel):
    text: str
    source: int = Field(ge=1, le=9)


class AdvicePoints(BaseModel):
    points: list[AdvicePoint]


def _schema(verbs: list[str], n_passages: int) -> dict:
    verb_group = "|".join(verbs)
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
                        "text": {
                            "type": "string",
                            "pattern": f'^({verb_group}) [^"\\n]{{15,160}}[.]$',
                        },
                        "source": {"type": "integer", "minimum": 1, "maximum": max(1, n_passages)},
                    },
                    "required": ["text", "source"],
                },
            },
        },
        "required": ["points"],
    }


def _ref(p) -> SourceRef:
    return SourceRef(label=p.label, path=p.path, line_start=p.line_start, line_end=p.line_end)


def advise(
    provider: Provider, message: str, passages: list, *, temperature: float
) -> tuple[list[str], list[SourceRef], bool]:
    """(points with [n] markers, cited sources, fallback_used)."""
    from companion.knowledge.models import format_passages

    usable = passages[:3]
    if not usable:
        return (
            [
                "I have no passages on this in your notes or the library yet, so I would rather not guess. "
                "Add notes with `companion ingest`, or tell me more about the situation."
            ],
            [],
            True,
        )
    prompt = load_prompt("advice")
    system, user = prompt.render(
        passages=format_passages(usable, max_chars=1500), situation=" ".join(message.split())[:600]
    )
    messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
    points: list[tuple[str, int]] = []
    try:
        got = provider.structured(
            messages,
            AdvicePoints,
            json_schema=_schema(prompt.meta.data["verbs"], len(usable)),
            temperature=temperature,
            max_tokens=160,
        )
        for p in got.points:
            text = " ".join(p.text.split())
            source = usable[p.source - 1] if 0 < p.source <= len(usable) else None
            # Grounded: the point shares real content with the passage it cites.
            if (
                source is not None
                and text.isascii()
                and "the user" not in text.lower()
                and overlap(text, source.text) >= 0.3
            ):
                points.append((text, p.source))
    except LLMError as exc:
        if exc.kind not in {"bad_response"}:
            raise
    fallback = False
    if not points:
        fallback = True
        for i, p in enumerate(usable, 1):
            for span in advice_spans(p.text)[:1]:
                if 6 <= len(span.split()) <= 40:
                    points.append((span.strip(), i))
            if len(points) >= 2:
                break
        if not points:
            points = [(f'See what "{usable[0].label}" suggests for situations like yours.', 1)]
    cited_numbers = sorted({n for _, n in points})
    cited = [_ref(usable[n - 1]) for n in cited_numbers]
    renumber = {n: i for i, n in enumerate(cited_numbers, 1)}
    return [f"{t} [{renumber[n]}]" for t, n in points], cited, fallback
