"""Past sessions: search, resume (Enter), rename (Ctrl+R), delete (Ctrl+D), export (Ctrl+E)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from companion.coaching.modes import label_of
from companion.coaching.transcripts import (
    SessionInfo,
    TranscriptError,
    TranscriptStore,
    exports_dir,
)
from companion.ui.screens.pickers import ConfirmDialog, TextDialog


@dataclass
class SessionChoice:
    action: str  # "resume"
    session_id: int


def _row(info: SessionInfo, current: int | None) -> Text:
    text = Text()
    if info.id == current:
        text.append("▶ ", style="bold")
    text.append(info.title, style="bold")
    mode = label_of(info.mode)
    text.append(f"\n  {info.updated[:16].replace('T', ' ')} · {mode} · {info.turns} turns", style="dim")
    if info.snippet:
        text.append(f"\n  “{info.snippet[:90]}”", style="italic")
    return text


class SessionsScreen(ModalScreen[SessionChoice | None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "resume", "Resume", show=True),
        Binding("ctrl+r", "rename", "Rename", priority=True),
        Binding("ctrl+d", "delete", "Delete", priority=True),
        Binding("ctrl+e", "export", "Export", priority=True),
        Binding("down", "focus_list", show=False),
    ]

    def __init__(self, store: TranscriptStore, *, current: int | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.store = store
        self.current = current
        self.rows: list[SessionInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog sessions") as box:
            box.border_title = "Sessions"
            yield Input(placeholder="search past sessions", id="session-search", compact=True)
            yield OptionList(id="session-list", compact=True)
            yield Static("", classes="empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_list()
        self.query_one(Input).focus()

    def refresh_list(self, query: str = "") -> None:
        self.rows = self.store.search(query) if query.strip() else self.store.list_sessions()
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(_row(r, self.current), id=str(r.id)) for r in self.rows])
        if self.rows:
            options.highlighted = 0
        empty = self.query_one(".empty", Static)
        empty.update("" if self.rows else ("Nothing matches." if query.strip() else "No saved sessions yet."))
        empty.display = not self.rows

    def selected(self) -> SessionInfo | None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.rows:
            return None
        return self.rows[options.highlighted]

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.refresh_list(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_resume()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_resume()

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_resume(self) -> None:
        info = self.selected()
        if info is not None:
            self.dismiss(SessionChoice("resume", info.id))

    def action_rename(self) -> None:
        info = self.selected()
        if info is None:
            return

        def done(name: str | None) -> None:
            if name and name.strip():
                try:
                    self.store.rename(info.id, name)
                except TranscriptError as exc:
                    self.notify(str(exc), severity="error")
                self.refresh_list(self.query_one(Input).value)

        self.app.push_screen(TextDialog("Rename session", "New name:", value=info.title), done)

    def action_delete(self) -> None:
        info = self.selected()
        if info is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.store.delete(info.id)
                self.notify(f"Deleted “{info.title}”.")
                self.refresh_list(self.query_one(Input).value)

        self.app.push_screen(ConfirmDialog("Delete session", f"Delete “{info.title}” for good?"), done)

    def action_export(self) -> None:
        info = self.selected()
        if info is None:
            return
        try:
            path = self.store.export_markdown(info.id, exports_dir())
        except TranscriptError as exc:
            self.notify(str(exc), title="Export failed", severity="error")
            return
        self.notify(str(path), title="Exported to Markdown")
