"""1:1 agenda mode: the inputs it asks for and how the session builds it."""

from __future__ import annotations

import re
from typing import Any

from companion.coaching.modes import FormField, ModeSpec, builder
from companion.coaching.schemas import RELATIONSHIP_LABELS, Agenda, AgendaInputs


def _questions(data: dict[str, Any]) -> list[str]:
    return [
        str(item.get("text", ""))
        for section in data.get("sections", [])
        for item in section.get("items", [])
        if item.get("kind") == "question"
    ]


def _probes(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The suggested questions of the sections the model is asked about (the fixed check-in
    question is the program's)."""
    return [
        (str(item.get("text", "")), str(item.get("origin", "bank")))
        for section in data.get("sections", [])
        if section.get("title") != "Check-in"
        for item in section.get("items", [])
        if item.get("kind") == "question"
    ]


def _from_text(text: str) -> AgendaInputs:
    m = re.search(r"\bwith ([A-Z][\w'-]+)", text)
    return AgendaInputs(person=m.group(1) if m else "them", on_mind=text)


def _summary(inputs: AgendaInputs) -> str:
    who = RELATIONSHIP_LABELS.get(inputs.relationship, inputs.relationship)
    line = f"1:1 agenda with {inputs.person} ({who}), {inputs.duration_minutes} min"
    return line + (f" — {inputs.on_mind.strip()}" if inputs.on_mind.strip() else "")


MODE = ModeSpec(
    name="agenda",
    label="1:1 agenda",
    help="a timed agenda with open action items from your notes",
    placeholder="Enter opens the 1:1 agenda form; what you type here becomes “on your mind”",
    order=1,
    aliases=("1:1", "1on1", "one-on-one"),
    prompts=("agenda-questions",),
    inputs=AgendaInputs,
    output=Agenda,
    intro="Who is the 1:1 with? Open action items from your notes about them are pulled in.",
    fields=(
        FormField("person", "Person", placeholder="e.g. Dana", short="-p",
                  help="Who the 1:1 is with."),
        FormField("relationship", "They are", kind="select",
                  options=tuple((label.capitalize(), key) for key, label in RELATIONSHIP_LABELS.items())),
        FormField("duration_minutes", "Minutes", kind="int", flag="--minutes",
                  help="Meeting length"),
        FormField("on_mind", "On your mind (optional)", kind="text", main=True,
                  placeholder="what you want to raise", help="What is on your mind."),
    ),
    scenario_required=("person", "relationship", "duration_minutes"),
    command="agenda",
    command_help="Draft a 1:1 agenda that carries forward every open action item with PERSON.",
    build=builder("companion.coaching.agenda:build_agenda"),
    questions=_questions,
    probes=_probes,
    from_text=_from_text,
    summary=_summary,
)
