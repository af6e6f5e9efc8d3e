"""The four coaching modes as the UI names and explains them."""

from __future__ import annotations

MODE_HELP: dict[str, tuple[str, str]] = {
    "socratic": ("Socratic questions", "asks open questions and does not advise until you ask"),
    "agenda": ("1:1 agenda", "a timed agenda with open action items from your notes"),
    "jtbd": ("JTBD interview guide", "switch timeline and four-forces probes"),
    "mentor": ("Mentor prompts", "discussion prompts for a mentoring conversation"),
}
MODES: tuple[str, ...] = tuple(MODE_HELP)
STRUCTURED_MODES: tuple[str, ...] = ("agenda", "jtbd", "mentor")
