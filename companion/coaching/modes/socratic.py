"""Socratic mode: a conversation; the turn itself lives in `CoachingSession._socratic_turn`."""

from __future__ import annotations

from companion.coaching.modes import ModeSpec

MODE = ModeSpec(
    name="socratic",
    label="Socratic questions",
    help="asks open questions and does not advise until you ask",
    placeholder="What is on your mind? (Enter sends · Ctrl+J new line · /mode to switch)",
    order=0,
    aliases=("questions", "ask"),
    prompts=("socratic-question", "advice"),
    bank="socratic",
)
