"""Capability tiers: how much of a turn the model writes, on one code path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NotRequired, TypedDict

if TYPE_CHECKING:
    from companion.settings import Settings

Tier = Literal["tiny", "small", "large"]
TIERS: tuple[str, ...] = ("tiny", "small", "large")

def tier_for(model_name: str, settings: Settings | None = None) -> Tier:
    """`tiny` (narrow slots), `small` (model writes whole questions and a sentence that goes beyond
    the program's reflection) or `large` (wider: two such sentences, longer questions);
    `settings.tier` other than `auto` overrides the name."""
    chosen = getattr(settings, "tier", "auto") if settings is not None else "auto"
    if chosen in TIERS:
        return chosen  # type: ignore[return-value]
    from companion.llm.local import LOCAL_MODELS  # each embedded model declares its tier

    if model_name in LOCAL_MODELS:
        return LOCAL_MODELS[model_name].tier  # type: ignore[return-value]
    if settings is not None and settings.endpoint(model_name) is not None:
        return "large"
    return "tiny"


# What each tier's model may write, and how long its fields may be.
class Slots(TypedDict):
    """What one tier's model writes in a Socratic turn."""

    reflection: int | None
    """Longest reflection the model adds after the program's (characters); None: none."""
    reflections: int
    """Most sentences of it kept: the large tier may add two (meaning, then feeling)."""
    question: Literal["tail", "whole"]
    """`tail`: the model ends a stem the program chose; `whole`: it writes the question."""
    tail_chars: NotRequired[int]
    question_chars: NotRequired[int]
    max_tokens: int
    regenerate_within_s: NotRequired[float]
    """A refused draft is written again only if the first took less than this (seconds)."""


SLOTS: dict[str, Slots] = {
    # The default answers in 5 s on 2 cores: one draft takes 1.5-2.5 s there, a second after a
    # slow first would not fit (3 of 71 turns took 5.6-6.2 s on 2026-12-05).
    "tiny": {"reflection": None, "reflections": 0, "question": "tail", "tail_chars": 70, "max_tokens": 64,
             "regenerate_within_s": 2.0},
    "small": {"reflection": 160, "reflections": 1, "question": "whole", "question_chars": 140, "max_tokens": 120},
    "large": {"reflection": 320, "reflections": 2, "question": "whole", "question_chars": 200, "max_tokens": 220},
}
