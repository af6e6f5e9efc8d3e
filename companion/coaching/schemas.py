"""Pydantic schemas of what the coach produces, with their Markdown rendering."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field


def _known_mode(name: str) -> str:
    from companion.coaching.modes import find_mode, mode_names

    if find_mode(name) is None:
        raise ValueError(f"unknown mode {name!r}; choose one of {', '.join(mode_names())}")
    return name


Mode = Annotated[str, AfterValidator(_known_mode)]
"""A registered mode's name (see `companion.coaching.modes`)."""
Relationship = Literal["my_manager", "my_report", "mentor", "mentee"]

Origin = Literal["model", "program", "bank"]
"""Who wrote a question: the model (from a stem the program chose), the program (a sentence
built from the user's own inputs), or the bank (a fixed question, at most with a name filled
in). The evals' bank share counts "bank"."""

RELATIONSHIP_LABELS: dict[str, str] = {
    "my_manager": "your manager",
    "my_report": "your report",
    "mentor": "your mentor",
    "mentee": "your mentee",
}


class SourceRef(BaseModel):
    """Where a passage, item or question came from."""

    label: str
    path: str
    line_start: int = 0
    line_end: int = 0

    def cite(self) -> str:
        lines = f":{self.line_start}-{self.line_end}" if self.line_start else ""
        return f"{self.label} ({self.path}{lines})"


# -- inputs -----------------------------------------------------------------------------------


class AgendaInputs(BaseModel):
    person: str = Field(min_length=1, max_length=80)
    relationship: Relationship = "my_report"
    duration_minutes: int = Field(default=30, ge=10, le=120)
    on_mind: str = Field(default="", max_length=4000)


class JTBDInputs(BaseModel):
    product: str = Field(min_length=1, max_length=200)
    switch: str = Field(default="", max_length=400)
    interviewee: str = Field(default="a customer who switched recently", max_length=200)


class MentorInputs(BaseModel):
    situation: str = Field(min_length=1, max_length=4000)
    mentee: str = Field(default="your mentee", max_length=80)


# -- agenda -----------------------------------------------------------------------------------


class AgendaItem(BaseModel):
    text: str
    kind: Literal["action_item", "topic", "question", "prompt"] = "topic"
    owner: str | None = None
    source: SourceRef | None = None
    origin: Origin = "program"


class AgendaSection(BaseModel):
    title: str
    minutes: int = Field(ge=0)
    items: list[AgendaItem] = Field(default_factory=list)


class Agenda(BaseModel):
    person: str
    relationship: Relationship
    duration_minutes: int
    date: str
    sections: list[AgendaSection]
    sources: list[SourceRef] = Field(default_factory=list)

    def head_markdown(self) -> str:
        who = RELATIONSHIP_LABELS[self.relationship]
        return (
            f"# 1:1 with {self.person} ({who}) — {self.date}\n\n{self.duration_minutes} minutes.\n\n"
        )

    def markdown_parts(self) -> list[str]:
        """The header, then one part per section, in the order they are built; the parts
        joined are exactly `to_markdown()` (the last one ends on a single newline)."""
        parts = [self.head_markdown(), *[section_markdown(s) for s in self.sections]]
        parts[-1] = parts[-1].rstrip() + "\n"
        return parts

    def to_markdown(self) -> str:
        return "".join(self.markdown_parts())


def section_markdown(section: AgendaSection) -> str:
    out = [f"## {section.title} ({section.minutes} min)", ""]
    for item in section.items:
        if item.kind == "action_item":
            line = f"- [ ] {item.text}"
        elif item.kind == "question":
            line = f"- *Ask:* {item.text}"
        else:
            line = f"- {item.text}"
        if item.owner and item.kind == "action_item":
            line += f" — owner: {item.owner}"
        if item.source:
            line += (
                f" ({item.source.path}:{item.source.line_start})"
                if item.kind == "action_item"
                else f" [{item.source.label}]"
            )
        out.append(line)
    if not section.items:
        out.append("- (open)")
    return "\n".join(out) + "\n\n"


# -- JTBD interview guide ---------------------------------------------------------------------

TIMELINE_STAGES: tuple[str, ...] = (
    "first_thought",
    "passive_looking",
    "active_looking",
    "deciding",
    "first_use",
    "satisfaction",
)
STAGE_LABELS = {
    "first_thought": "First thought",
    "passive_looking": "Passive looking",
    "active_looking": "Active looking",
    "deciding": "Deciding",
    "first_use": "First use",
    "satisfaction": "Satisfaction",
}
FORCES: tuple[str, ...] = ("push", "pull", "anxiety", "habit")
FORCE_LABELS = {
    "push": "Push of the situation",
    "pull": "Pull of the new solution",
    "anxiety": "Anxiety of the new",
    "habit": "Habit of the present",
}


class GuideBlock(BaseModel):
    key: str
    title: str
    questions: list[str]
    origins: list[Origin] = Field(default_factory=list)
    """Who wrote each question, in order (empty in guides saved before origins existed)."""

    def to_markdown(self) -> str:
        return "\n".join([f"### {self.title}", "", *[f"- {q}" for q in self.questions], "", ""])


class InterviewGuide(BaseModel):
    product: str
    switch: str
    interviewee: str
    warm_up: list[str]
    screener: list[str]
    timeline: list[GuideBlock]
    forces: list[GuideBlock]
    wrap_up: list[str]
    rules: list[str]
    sources: list[SourceRef] = Field(default_factory=list)

    def all_questions(self) -> list[str]:
        qs = [*self.warm_up, *self.screener]
        for block in (*self.timeline, *self.forces):
            qs.extend(block.questions)
        return [*qs, *self.wrap_up]

    def head_markdown(self) -> str:
        """Title, warm-up and screener: the part the user sees before any probe is written."""
        out = [f"# JTBD interview guide: {self.product}", ""]
        if self.switch:
            out += [f"**Switch studied:** {self.switch}  ", ""]
        out += [f"**Interviewee:** {self.interviewee}", ""]
        out += ["## Warm-up", "", *[f"- {q}" for q in self.warm_up], ""]
        out += ["## Screener", "", *[f"- {q}" for q in self.screener], ""]
        return "\n".join(out) + "\n"

    def tail_markdown(self) -> str:
        out = ["## Wrap-up", "", *[f"- {q}" for q in self.wrap_up], ""]
        out += ["## Interviewer rules", "", *[f"- {r}" for r in self.rules], ""]
        if self.sources:
            out += ["## Sources", "", *[f"- {s.cite()}" for s in self.sources], ""]
        return "\n".join(out)

    TIMELINE_HEADING: ClassVar[str] = "## The switch timeline\n\n"
    FORCES_HEADING: ClassVar[str] = "## The four forces\n\n"

    def markdown_parts(self) -> list[str]:
        """The guide in the order it is built; `to_markdown` joins them."""
        blocks = [b.to_markdown() for b in self.timeline]
        forces = [b.to_markdown() for b in self.forces]
        if blocks:
            blocks[0] = self.TIMELINE_HEADING + blocks[0]
        if forces:
            forces[0] = self.FORCES_HEADING + forces[0]
        return [self.head_markdown(), *blocks, *forces, self.tail_markdown()]

    def to_markdown(self) -> str:
        return "".join(self.markdown_parts()).rstrip() + "\n"


# -- mentor prompts ---------------------------------------------------------------------------


class MentorPrompt(BaseModel):
    text: str
    socratic_type: str | None = None
    origin: Origin = "bank"


class PromptTheme(BaseModel):
    theme: str
    title: str
    prompts: list[MentorPrompt]
    source: SourceRef | None = None

    def to_markdown(self) -> str:
        """One theme as the set shows it; it starts with the blank line that separates it."""
        out = ["", f"## {self.title}", "", *[f"- {p.text}" for p in self.prompts]]
        if self.source:
            out += ["", f"*Background:* {self.source.cite()}"]
        return "\n".join(out) + "\n"


class MentorPrompts(BaseModel):
    mentee: str
    situation: str
    themes: list[PromptTheme]
    sources: list[SourceRef] = Field(default_factory=list)

    def all_prompts(self) -> list[MentorPrompt]:
        return [p for t in self.themes for p in t.prompts]

    def header_markdown(self) -> str:
        return f"# Discussion prompts for {self.mentee}\n\n> {' '.join(self.situation.split())}\n"

    def markdown_parts(self) -> list[str]:
        """The header, then one part per theme, in the order they are built."""
        return [self.header_markdown(), *[t.to_markdown() for t in self.themes]]

    def to_markdown(self) -> str:
        return "".join(self.markdown_parts())


# -- chat replies -----------------------------------------------------------------------------


class Reply(BaseModel):
    """One coach turn as the UI, the CLI and the eval runner see it."""

    mode: Mode
    text: str
    questions: list[str] = Field(default_factory=list)
    socratic_types: list[str] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    cited: list[SourceRef] = Field(default_factory=list)
    advice: bool = False
    regenerated: int = 0
    fallback: bool = False
    cancelled: bool = False
    structured: dict[str, Any] | None = None
    latency_s: float = 0.0
    tokens: int = 0
    model: str = ""
    listening: dict[str, Any] | None = None
    """Socratic mode: what the listening layer read (new facts, people, anchors), the question
    type and why, and the capability tier, for the coverage panel."""
