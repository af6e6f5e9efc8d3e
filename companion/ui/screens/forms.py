"""The form that collects a structured mode's inputs, built from its `ModeSpec` fields."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from companion.coaching.modes import get_mode


def summarise(mode: str, inputs: BaseModel) -> str:
    """One line for the transcript saying what was asked."""
    return get_mode(mode).describe(inputs)


class StructuredForm(ModalScreen[BaseModel | None]):
    """Asks for a structured mode's inputs; dismisses with the validated inputs or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # Not a priority binding: those run before keys still queued for the focused field.
        Binding("ctrl+enter,ctrl+s", "submit", "Build"),
    ]

    def __init__(self, mode: str, *, prefill: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.spec = get_mode(mode)
        self.prefill = prefill

    def _default(self, name: str) -> str:
        value = self.spec.default(name)
        return "" if value is None else str(value)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form") as box:
            box.border_title = self.spec.label
            box.border_subtitle = "Ctrl+S builds · Esc cancels"
            yield Static(self.spec.intro, classes="intro", markup=False)
            with VerticalScroll(classes="fields"):
                for f in self.spec.fields:
                    yield Label(f.label)
                    value = self.prefill if (f.main and self.prefill) else self._default(f.name)
                    if f.kind == "text":
                        area = TextArea(value, id=f"field-{f.name}", classes="field", soft_wrap=True,
                                        compact=True, placeholder=f.placeholder)
                        yield area
                    elif f.kind == "select":
                        yield Select(f.options, value=self._default(f.name), id=f"field-{f.name}",
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
                value = value.strip() or self._default(f.name)
            out[f.name] = value
        return out

    def action_submit(self) -> None:
        try:
            assert self.spec.inputs is not None
            inputs = self.spec.inputs.model_validate(self.values())
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

    def on_input_changed(self) -> None:
        self._clear_error()  # a problem already mended should not stay on screen

    def on_text_area_changed(self) -> None:
        self._clear_error()

    def on_select_changed(self) -> None:
        self._clear_error()

    def _clear_error(self) -> None:
        if self.is_mounted:
            self.query_one(".error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()
