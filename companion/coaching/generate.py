"""Schema-constrained question writing: the program picks each stem, the model finishes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, create_model

from companion.coaching.guard import question_problems
from companion.coaching.prompts import load_prompt
from companion.llm.base import ChatMessage, LLMError, Provider


@dataclass
class Slot:
    """One question to write: its key, the forced opening words, and what it is for."""

    key: str
    stem: str
    purpose: str
    problems: list[str] = field(default_factory=list)


_TAIL = "[ -!#->@-~]"  # 0x20-0x7E less 0x22 (") and 0x3F (?); ranges only, no escapes


def stem_pattern(stem: str, *, min_tail: int = 5, max_tail: int = 110) -> str:
    # `[.]`, never `\.`: llama.cpp's grammar converter rejects that escape at sampling time.
    escaped = re.sub(r"([\\^$.|?*+()\[\]{}])", r"[\1]", stem)
    # The tail is printable ASCII without `"` or `?`: small models otherwise drift into other
    # scripts mid-question, and one question mark ends it.
    return f"^{escaped} {_TAIL}{{{min_tail},{max_tail}}}[?]$"


def slots_schema(slots: list[Slot]) -> tuple[type[BaseModel], dict]:
    fields = {s.key: (str, ...) for s in slots}
    model = create_model("Questions", **fields)  # type: ignore[call-overload]
    schema = {
        "type": "object",
        "properties": {s.key: {"type": "string", "pattern": stem_pattern(s.stem)} for s in slots},
        "required": [s.key for s in slots],
    }
    return model, schema


def write_questions(
    provider: Provider,
    prompt_name: str,
    slots: list[Slot],
    *,
    variables: dict,
    user_text: str = "",
    temperature: float | None = None,
    interview: bool = False,
    max_tokens: int | None = None,
) -> dict[str, str | None]:
    """Each slot's question, or None where the model's text failed the guard."""
    prompt = load_prompt(prompt_name)
    listing = "\n".join(f'- {s.key}: {s.purpose}. Start with "{s.stem} ..."' for s in slots)
    system, user = prompt.render(**variables, slots=listing)
    model, schema = slots_schema(slots)
    examples = tuple(prompt.meta.data.get("examples", []))
    messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
    try:
        reply = provider.structured(
            messages,
            model,
            json_schema=schema,
            temperature=temperature,
            max_tokens=max_tokens or 48 * len(slots) + 16,
        )
    except LLMError as exc:
        if exc.kind in {"bad_response"}:
            return {s.key: None for s in slots}
        raise
    out: dict[str, str | None] = {}
    for slot in slots:
        text = " ".join(str(getattr(reply, slot.key, "")).split())
        slot.problems = question_problems(
            text, user_text=user_text, examples=examples, interview=interview, stem=slot.stem
        )
        if not text.startswith(slot.stem):
            slot.problems.append("wrong opening")
        out[slot.key] = None if slot.problems else text
    return out
