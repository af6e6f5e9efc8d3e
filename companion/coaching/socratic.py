"""Socratic mode: reflect the user's words, ask one open question of a type still missing."""

from __future__ import annotations

import re

from companion.coaching import bank
from companion.coaching.generate import Slot, write_questions
from companion.coaching.prompts import load_prompt
from companion.coaching.reflect import reflection, topic
from companion.coaching.rules import SOCRATIC_TYPES, analyse
from companion.llm.base import Provider

_ADVICE_REQUEST = re.compile(
    r"^\s*/advice\b|\bwhat (?:would|should|do) (?:you|i) (?:do|suggest|recommend)\b|"
    r"\bwhat do you (?:suggest|recommend|think i should)\b|\b(?:any|your|some|give me(?: some)?) "
    r"(?:advice|recommendations?|suggestions?)\b|\btell me what to do\b|\bwhat(?:'s| is) your "
    r"(?:advice|recommendation|take|opinion)\b|\bjust tell me\b",
    re.IGNORECASE,
)


def wants_advice(text: str) -> bool:
    """True when the user explicitly invites advice ("what would you do?", "/advice")."""
    return bool(_ADVICE_REQUEST.search(text))


def next_type(covered: list[str], turn: int) -> str:
    """The first Socratic type not asked yet; once all are covered, cycle in order."""
    for t in SOCRATIC_TYPES:
        if t not in covered:
            return t
    return SOCRATIC_TYPES[turn % len(SOCRATIC_TYPES)]


def socratic_question(
    provider: Provider,
    *,
    message: str,
    passages_block: str,
    history_block: str,
    covered: list[str],
    asked: list[str],
    turn: int,
    temperature: float,
) -> tuple[str, str, int, bool]:
    """(question, type, regenerations, fallback_used). Never returns an unchecked question."""
    prompt = load_prompt("socratic-question")
    qtype = next_type(covered, turn)
    stems: list[str] = prompt.meta.data["stems"][qtype]
    hint: str = prompt.meta.data["types"][qtype]
    regenerations = 0
    for attempt in range(2):  # one try, one constrained regeneration
        stem = stems[(turn + attempt) % len(stems)]
        slot = Slot(key="question", stem=stem, purpose=hint)
        got = write_questions(
            provider,
            "socratic-question",
            [slot],
            variables={
                "passages": passages_block,
                "history": history_block,
                "situation": " ".join(message.split())[:600],
                "type_name": qtype,
                "type_hint": hint,
                "stem": stem,
            },
            user_text=message,
            temperature=temperature if attempt == 0 else min(1.0, temperature + 0.4),
            max_tokens=64,
        )["question"]
        if got and got not in asked:
            return got, analyse(got).socratic_type or qtype, regenerations, False
        regenerations += 1
    return fallback_question(message, qtype, asked), qtype, regenerations - 1, True


def fallback_question(message: str, qtype: str, asked: list[str]) -> str:
    """A bank question of the chosen type, filled with the user's key phrase."""
    templates = bank.load_bank()["socratic"][qtype]
    filled = [bank.fill(t, topic=topic(message)) for t in templates]
    return bank.pick(filled, message + qtype, avoid=set(asked))


def compose(reflection_text: str, questions: list[str]) -> str:
    parts = [reflection_text] if reflection_text else []
    parts += [f"**{q}**" for q in questions]
    return "\n\n".join(parts)


__all__ = [
    "compose",
    "fallback_question",
    "next_type",
    "reflection",
    "socratic_question",
    "wants_advice",
]
