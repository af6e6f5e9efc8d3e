"""Mentor prompts mode: the inputs it asks for and how the session builds it."""

from __future__ import annotations

from typing import Any

from companion.coaching.modes import FormField, ModeSpec, builder
from companion.coaching.schemas import MentorInputs, MentorPrompts


def _questions(data: dict[str, Any]) -> list[str]:
    return [
        str(p.get("text", ""))
        for theme in data.get("themes", [])
        for p in theme.get("prompts", [])
    ]


def _probes(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(p.get("text", "")), str(p.get("origin", "bank")))
        for theme in data.get("themes", [])
        for p in theme.get("prompts", [])
    ]


def _summary(inputs: MentorInputs) -> str:
    return f"Mentor prompts for {inputs.mentee}: {inputs.situation.strip()}"


MODE = ModeSpec(
    name="mentor",
    label="Mentor prompts",
    help="discussion prompts for a mentoring conversation",
    placeholder="Enter opens the mentor prompts form; what you type here becomes the situation",
    order=3,
    aliases=("prompts", "mentoring"),
    prompts=("mentor-prompts",),
    bank="mentor",
    inputs=MentorInputs,
    output=MentorPrompts,
    intro="Discussion prompts for a mentoring conversation, grouped by theme.",
    fields=(
        FormField("situation", "Their situation", kind="text", main=True,
                  placeholder="what your mentee is facing", argument=True,
                  help="The mentee's situation, in your words."),
        FormField("mentee", "Mentee"),
    ),
    scenario_required=("situation",),
    command="prompts",
    command_help="Discussion prompts for a mentor preparing a session with a mentee.",
    build=builder("companion.coaching.mentor:build_prompts"),
    questions=_questions,
    probes=_probes,
    from_text=lambda text: MentorInputs(situation=text),
    summary=_summary,
)
