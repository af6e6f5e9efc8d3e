"""Small forms that collect the inputs of the structured modes (agenda, JTBD guide, mentor)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from companion.coaching.schemas import (
    RELATIONSHIP_LABELS,
    AgendaInputs,
    JTBDInputs,
    MentorInputs,
)


@dataclass
class FieldSpec:
    name: str
    label: str
    kind: str = "input"  # input | text | int | select
    placeholder: str = ""
    default: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    main: bool = False
    """Receives the text typed in the prompt before the form opened."""


@dataclass
class FormSpec:
    mode: str
    title: str
    intro: str
    model: type[BaseModel]
    fields: list[FieldSpec]


FORMS: dict[str, FormSpec] = {
    "agenda": FormSpec(
        mode="agenda",
        title="1:1 agenda",
        intro="Who is the 1:1 with? Open action items from your notes about them are pulled in.",
        model=AgendaInputs,
        fields=[
            FieldSpec("person", "Person", placeholder="e.g. Dana"),
            FieldSpec(
                "relationship", "They are", kind="select", default="my_report",
                options=[(label.capitalize(), key) for key, label in RELATIONSHIP_LABELS.items()],
            ),
            FieldSpec("duration_minutes", "Minutes", kind="int", default="30"),
            FieldSpec("on_mind", "On your mind (optional)", kind="text", main=True,
                      placeholder="what you want to raise"),
        ],
    ),
    "jtbd": FormSpec(
        mode="jtbd",
        title="JTBD interview guide",
        intro="A switch interview guide: timeline and the four forces, with probes.",
        model=JTBDInputs,
        fields=[
            FieldSpec("product", "Product", placeholder="e.g. our invoicing app", main=True),
            FieldSpec("switch", "The switch (optional)", placeholder="from spreadsheets to us"),
            FieldSpec("interviewee", "Interviewee", default="a customer who switched recently"),
        ],
    ),
    "mentor": FormSpec(
        mode="mentor",
        title="Mentor prompts",
        intro="Discussion prompts for a mentoring conversation, grouped by theme.",
        model=MentorInputs,
        fields=[
            FieldSpec("situation", "Their situation", kind="text", main=True,
                      placeholder="what your mentee is facing"),
            FieldSpec("mentee", "Mentee", default="your mentee"),
        ],
    ),
}


def summarise(mode: str, inputs: BaseModel) -> str:
    """One line for the transcript saying what was asked."""
    data = inputs.model_dump()
    if mode == "agenda":
        who = RELATIONSHIP_LABELS.get(data["relationship"], data["relationship"])
        line = f"1:1 agenda with {data['person']} ({who}), {data['duration_minutes']} min"
        return line + (f" — {data['on_mind'].strip()}" if data["on_mind"].strip() else "")
    if mode == "jtbd":
        line = f"JTBD interview guide for {data['product']}"
        return line + (f" (switch: {data['switch']})" if data["switch"] else "")
    if mode == "mentor":
        return f"Mentor prompts for {data['mentee']}: {data['situation'].strip()}"
    return str(data)


class StructuredForm(ModalScreen[BaseModel | None]):
    """Asks for a structured mode's inputs; dismisses with the validated inputs or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # Not a priority binding: those run before keys still queued for the focused field.
        Binding("ctrl+enter,ctrl+s", "submit", "Build"),
    ]

    def __init__(self, mode: str, *, prefill: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.spec = FORMS[mode]
        self.prefill = prefill

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form") as box:
            box.border_title = self.spec.title
            box.border_subtitle = "Ctrl+S builds · Esc cancels"
            yield Static(self.spec.intro, classes="intro", markup=False)
            with VerticalScroll(classes="fields"):
                for f in self.spec.fields:
                    yield Label(f.label)
                    value = self.prefill if (f.main and self.prefill) else f.default
                    if f.kind == "text":
                        area = TextArea(value, id=f"field-{f.name}", classes="field", soft_wrap=True,
                                        compact=True, placeholder=f.placeholder)
                        yield area
                    elif f.kind == "select":
                        yield Select(f.options, value=f.default, id=f"field-{f.name}",
                                     allow_blank=False, compact=True, classes="field")
                    else:
                        yield Input(value, placeholder=f.placeholder, id=f"field-{f.name}",
                                    type="integer" if f.kind == "int" else "text", compact=True,
                                    classes="field")
            yield Static("", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Build", id="submit", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        first = self.query(".field").first()
        first.focus()

    def values(self) -> dict:
        out: dict = {}
        for f in self.spec.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, TextArea):
                value = widget.text
            elif isinstance(widget, Select):
                value = widget.value
            else:
                value = widget.value
            if f.kind == "int":
                value = value.strip() or f.default
            out[f.name] = value
        return out

    def action_submit(self) -> None:
        try:
            inputs = self.spec.model.model_validate(self.values())
        except ValidationError as exc:
            problems = []
            labels = {f.name: f.label for f in self.spec.fields}
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                problems.append(f"{labels.get(name, name)}: {err['msg']}")
            self.query_one(".error", Static).update("; ".join(problems))
            return
        self.dismiss(inputs)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()
