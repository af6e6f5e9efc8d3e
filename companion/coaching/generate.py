"""Schema-constrained question writing: the program picks each stem, the model finishes it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, create_model

from companion.coaching.guard import question_problems
from companion.coaching.prompts import load_prompt
from companion.llm.base import ChatMessage, LLMError, Provider

log = logging.getLogger(__name__)


@dataclass
class Slot:
    """One question to write: its key, the forced opening words, and what it is for."""

    key: str
    stem: str
    purpose: str
    problems: list[str] = field(default_factory=list)
    names: tuple[str, ...] = ()
    """Phrases the question must contain one of (a stem may already hold one)."""
    max_tail: int | None = None
    """The longest tail a tiny model may add to this stem (None: the tier's)."""

    def __post_init__(self) -> None:
        # A stem may carry the user's words ("Reps (beta)"); brackets and the like would turn
        # into a pattern llama.cpp's grammar converter chokes on (it hung on "[]]").
        self.stem = " ".join(_UNSAFE.sub(" ", self.stem).split())


_UNSAFE = re.compile(r'[\[\](){}|\\^$*+?"<>`~]')


_TAIL = "[ -!#->@-~]"  # 0x20-0x7E less 0x22 (") and 0x3F (?); ranges only, no escapes
# A tiny model's tail also has no full stop: given one it ends the stem's sentence and starts a
# second question ("Tell me about the first week with Tally after switching in. What did you
# do?"), 4 of the 0.5B's 9 refused probes on one guide, 2026-12-05.
_TINY_TAIL = "[ -!#--/->@-~]"  # and less 0x2E (.)


def _literal(text: str) -> str:
    # `[.]`, never `\.`: llama.cpp's grammar converter rejects that escape at sampling time.
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"[\1]", text)


def stem_pattern(stem: str, *, min_tail: int = 5, max_tail: int = 110) -> str:
    # The tail is printable ASCII without `"`, `?` or `.`: small models otherwise drift into
    # other scripts mid-question, and one question mark ends it. (Forcing a phrase into the
    # middle of the tail with an alternation was tried: llama.cpp's sampler slowed 5-10x.)
    return f"^{_literal(stem)} {_TINY_TAIL}{{{min_tail},{max_tail}}}[?]$"


# A slot of a larger tier is a whole question: any of these openings, the stem only a hint.
OPENERS = ("What", "How", "When", "Where", "Who", "Which", "Why", "Tell me", "Walk me")
# How long a slot's question may be, by tier: a stronger model gets wider slots, same code.
TAIL_CHARS = {"tiny": 70, "small": 140, "large": 200}


def whole_pattern(*, max_chars: int) -> str:
    openers = "|".join(o.replace(" ", "[ ]") for o in OPENERS)
    # A plain group: llama.cpp's schema-to-grammar converter refuses "(?:".
    return f"^({openers}) {_TAIL}{{10,{max_chars}}}[?]$"


def slots_schema(slots: list[Slot], tier: str = "tiny") -> tuple[type[BaseModel], dict[str, Any]]:
    fields = {s.key: (str, ...) for s in slots}
    model = create_model("Questions", **fields)  # type: ignore[call-overload]
    chars = TAIL_CHARS.get(tier, TAIL_CHARS["tiny"])
    pattern: Callable[[Slot], str] = (
        (lambda s: stem_pattern(s.stem, max_tail=s.max_tail or chars))
        if tier == "tiny"
        else (lambda s: whole_pattern(max_chars=chars))
    )
    schema = {
        "type": "object",
        "properties": {s.key: {"type": "string", "pattern": pattern(s)} for s in slots},
        "required": [s.key for s in slots],
    }
    return model, schema


Vet = Callable[[Slot, str], list[str]]
"""A mode's own checks of one slot's question (e.g. "names nothing of the switch")."""


def write_questions(
    provider: Provider,
    prompt_name: str,
    slots: list[Slot],
    *,
    variables: dict[str, Any],
    user_text: str = "",
    temperature: float | None = None,
    interview: bool = False,
    max_tokens: int | None = None,
    tier: str = "tiny",
    vet: Vet | None = None,
    retries: int = 1,
) -> dict[str, str | None]:
    """Each slot's question, or None where the model's text still failed the checks after
    `retries` more asks. A retry asks again only for the failed slots, with the reasons."""
    out: dict[str, str | None] = dict.fromkeys(s.key for s in slots)
    pending = list(slots)
    for attempt in range(retries + 1):
        if not pending:
            break
        warm = None if temperature is None else min(1.0, temperature + 0.25 * attempt)
        got = _ask(
            provider, prompt_name, pending, variables=variables, temperature=warm,
            max_tokens=max_tokens if attempt == 0 else None, tier=tier,
        )
        for slot in pending:
            text = got.get(slot.key)
            if text is None:
                continue
            slot.problems = question_problems(
                text, user_text=user_text, examples=_examples(prompt_name),
                interview=interview, stem=slot.stem,
            )
            if tier == "tiny" and not text.startswith(slot.stem):
                slot.problems.append("wrong opening")
            if slot.names and not any(n.lower() in text.lower() for n in slot.names):
                slot.problems.append(f"names none of {', '.join(slot.names)}")
            if vet is not None:
                slot.problems += vet(slot, text)
            if not slot.problems:
                out[slot.key] = text
            else:
                log.debug("slot %s refused (try %d): %r: %s", slot.key, attempt + 1, text,
                          "; ".join(slot.problems))
        pending = [s for s in pending if out[s.key] is None]
    return out


def _examples(prompt_name: str) -> tuple[str, ...]:
    return tuple(load_prompt(prompt_name).meta.data.get("examples", []))


def _ask(
    provider: Provider,
    prompt_name: str,
    slots: list[Slot],
    *,
    variables: dict[str, Any],
    temperature: float | None,
    max_tokens: int | None,
    tier: str,
) -> dict[str, str | None]:
    """One structured call for `slots`; None for every slot when the reply is unusable."""
    prompt = load_prompt(prompt_name)
    lines = []
    for s in slots:
        # A tiny model copies whatever the listing shows ("...", "It begins:", the next slot's
        # stem) into its question, so it sees only each slot's purpose; the grammar already
        # forces the stem.
        opening = "" if tier == "tiny" else f' For example start with "{s.stem}".'
        name = (
            f" and name {' or '.join(repr(n) for n in s.names)}" if s.names and tier != "tiny" else ""
        )
        # Reasons help a larger model; a tiny one copies them into the question.
        again = (
            f" (last time: {'; '.join(s.problems)}; write a different one)"
            if s.problems and tier != "tiny"
            else ""
        )
        lines.append(f"- {s.key}: {s.purpose}.{opening}{name}{again}")
    system, user = prompt.render(**variables, slots="\n".join(lines))
    model, schema = slots_schema(slots, tier)
    messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
    per_slot = 48 if tier == "tiny" else 64
    try:
        reply = provider.structured(
            messages,
            model,
            json_schema=schema,
            temperature=temperature,
            max_tokens=max_tokens or per_slot * len(slots) + 16,
        )
    except LLMError as exc:
        if exc.kind in {"bad_response"}:
            return dict.fromkeys(s.key for s in slots)
        raise
    return {s.key: " ".join(str(getattr(reply, s.key, "")).split()) or None for s in slots}
