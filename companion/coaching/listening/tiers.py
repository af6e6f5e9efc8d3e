"""Capability tiers: how much of a turn the model writes, on one code path."""

from __future__ import annotations

from typing import Literal

Tier = Literal["tiny", "small", "large"]
TIERS: tuple[str, ...] = ("tiny", "small", "large")

# Embedded models by name; an unknown embedded name is treated as the smallest.
_LOCAL_TIERS: dict[str, Tier] = {
    "smollm2-135m": "tiny",
    "qwen2.5-0.5b": "tiny",
    "qwen2.5-1.5b": "small",
}


def tier_for(model_name: str, settings=None) -> Tier:
    """`tiny` (narrow slots), `small` (model writes reflections and whole questions) or `large`
    (model writes the whole turn); `settings.tier` other than `auto` overrides the name."""
    chosen = getattr(settings, "tier", "auto") if settings is not None else "auto"
    if chosen in TIERS:
        return chosen  # type: ignore[return-value]
    if model_name in _LOCAL_TIERS:
        return _LOCAL_TIERS[model_name]
    if settings is not None and settings.endpoint(model_name) is not None:
        return "large"
    return "tiny"


# What each tier's model may write, and how long its fields may be.
SLOTS: dict[str, dict] = {
    "tiny": {"reflection": None, "question": "tail", "tail_chars": 70, "max_tokens": 64},
    "small": {"reflection": 160, "question": "whole", "question_chars": 140, "max_tokens": 120},
    "large": {"reflection": 320, "question": "whole", "question_chars": 200, "max_tokens": 220},
}
