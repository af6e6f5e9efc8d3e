"""The multi-line prompt: Enter sends, Shift+Enter / Ctrl+J / Alt+Enter add a line, Up/Down
walk through earlier prompts when the cursor is at the start / end of the text."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import TextArea

from companion.ui.messages import PromptSubmitted

# Most terminals send the same byte for Enter and Shift+Enter; Ctrl+J (a line feed) and
# Alt+Enter always arrive as their own keys, and Shift+Enter does in terminals with the
# kitty keyboard protocol.
NEWLINE_KEYS = ("shift+enter", "ctrl+j", "alt+enter")


class PromptInput(TextArea):
    """Where the user writes. Posts `PromptSubmitted`; never calls the session itself."""

    BINDINGS = [
        # Enter is handled in `_on_key`, in order with the typed characters (a priority binding
        # would run before characters still queued for this widget, e.g. fast typing or tmux
        # send-keys); the binding is here for the footer.
        Binding("enter", "submit", "Send", show=True),
        Binding(",".join(NEWLINE_KEYS), "newline", "New line", show=True, key_display="ctrl+j"),
    ]

    locked: reactive[bool] = reactive(False)
    """True while a reply streams: the text cannot be edited or sent."""

    def __init__(self, *, id: str | None = None, placeholder: str = "") -> None:
        super().__init__(
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            compact=True,
            placeholder=placeholder,
            highlight_cursor_line=False,
        )
        self.prompt_history: list[str] = []
        self._history_pos: int | None = None
        self._draft = ""

    # ------------------------------------------------------------------ locking
    def watch_locked(self, locked: bool) -> None:
        self.read_only = locked
        self.set_class(locked, "-locked")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("submit", "newline") and self.locked:
            return None  # shown greyed out in the footer
        return True

    # ------------------------------------------------------------------ sending
    def action_submit(self) -> None:
        text = self.text
        if self.locked or not text.strip():
            return
        self.remember(text)
        self.clear()
        self.post_message(PromptSubmitted(text.strip("\n")))

    def action_newline(self) -> None:
        if self.locked:
            return
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def restore(self, text: str) -> None:
        """Put text back (a failed send) without losing anything typed since."""
        current = self.text
        self.load_text(text if not current.strip() else f"{text}\n{current}")
        self.move_cursor(self.document.end)

    # ------------------------------------------------------------------ history
    def remember(self, text: str) -> None:
        text = text.strip("\n")
        if text.strip() and (not self.prompt_history or self.prompt_history[-1] != text):
            self.prompt_history.append(text)
        self._history_pos = None

    def load_history(self, prompts: list[str]) -> None:
        self.prompt_history = [p for p in prompts if p.strip()]
        self._history_pos = None

    def _recall(self, pos: int | None, *, at_end: bool) -> None:
        if self._history_pos is None:
            self._draft = self.text
        self._history_pos = pos
        self.load_text(self._draft if pos is None else self.prompt_history[pos])
        self.move_cursor(self.document.end if at_end else (0, 0))

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.prompt_history and self.cursor_at_start_of_text and not self.locked:
            pos = len(self.prompt_history) - 1 if self._history_pos is None else self._history_pos - 1
            if pos >= 0:
                self._recall(pos, at_end=False)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        if not select and self._history_pos is not None and self.cursor_at_end_of_text:
            pos = self._history_pos + 1
            self._recall(pos if pos < len(self.prompt_history) else None, at_end=True)
            return
        super().action_cursor_down(select)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if event.key in NEWLINE_KEYS:  # never let TextArea treat these as plain Enter
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        await super()._on_key(event)
