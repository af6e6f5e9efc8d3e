"""The text of a note or article behind a source, scrolled to the cited lines."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea
from textual.widgets.text_area import Selection

from companion.coaching.schemas import SourceRef


class SourceViewer(ModalScreen[None]):
    """Read-only text with line numbers; the cited lines are selected."""

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, ref: SourceRef, text: str) -> None:
        super().__init__(classes="dialog-screen")
        self.ref = ref
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog viewer") as box:
            box.border_title = self.ref.label or self.ref.path
            lines = f" · lines {self.ref.line_start}-{self.ref.line_end}" if self.ref.line_start else ""
            box.border_subtitle = "Esc closes"
            yield Static(f"{self.ref.path}{lines}", classes="where", markup=False)
            yield TextArea(self.text, read_only=True, show_line_numbers=True, soft_wrap=True,
                           id="source-text", compact=True)

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        if self.ref.line_start:
            last = area.document.line_count - 1
            start = min(max(self.ref.line_start - 1, 0), last)
            end = min(max((self.ref.line_end or self.ref.line_start) - 1, start), last)
            area.selection = Selection((start, 0), (end, len(area.document[end])))
            self.call_after_refresh(area.scroll_cursor_visible, center=True)

    def action_close(self) -> None:
        self.dismiss(None)
