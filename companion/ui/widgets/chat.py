"""The transcript: the user's messages, streamed Markdown replies, structured results.

Textual's Markdown widget (markdown-it, pygments) is imported on first use, not for the first
frame; `prewarm()` imports it in a worker thread meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

from companion.coaching.modes import label_of
from companion.coaching.schemas import Reply
from companion.ui.messages import CopyRequested, SaveRequested


def prewarm() -> None:
    """Import what the first frame skipped (Markdown renderer, dialogs) from a worker thread."""
    import importlib

    from textual.widgets import Markdown  # noqa: F401

    for name in ("forms", "sessions", "viewer", "pickers"):
        importlib.import_module(f"companion.ui.screens.{name}")


class UserMessage(Static):
    """What the user sent (shown as plain text: their words, not Markdown to interpret)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, markup=False, classes="message user")
        self.border_title = "You"


class AssistantMessage(Vertical):
    """A coach reply: a status line while it is prepared, then Markdown streamed in."""

    def __init__(self, *, text: str = "", mode: str = "socratic") -> None:
        super().__init__(classes="message assistant")
        self._initial = text
        self.mode = mode
        self.border_title = "Coach"
        self.streamed: list[str] = []
        self._stream: MarkdownStream | None = None
        self.reply: Reply | None = None

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        yield Markdown(self._initial, classes="reply-body", open_links=False)
        yield Static("", classes="reply-status", markup=False)

    @property
    def body(self) -> Markdown:
        from textual.widgets import Markdown

        return self.query_one(".reply-body", Markdown)

    def set_status(self, text: str) -> None:
        status = self.query_one(".reply-status", Static)
        status.update(text)
        status.display = bool(text)

    async def append(self, text: str) -> None:
        if self._stream is None:
            self._stream = self.body.get_stream(self.body)
        self.streamed.append(text)
        self.set_status("")
        await self._stream.write(text)

    async def finish(self, reply: Reply) -> None:
        """Show the final reply text (the session may polish what was streamed)."""
        self.reply = reply
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        text = reply.text if reply.text.strip() else "".join(self.streamed)
        await self.body.update(text)
        if reply.cancelled:
            self.add_class("-cancelled")
            self.border_subtitle = "stopped — partial reply kept"
            self.set_status("")
        else:
            self.set_status("")
            if reply.fallback:
                self.border_subtitle = "fixed fallback question"

    async def fail(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.add_class("-failed")
        self.set_status("")
        if not self.streamed:
            await self.body.update("*No reply: see the notification.*")
        self.border_subtitle = "failed"


class StructuredResult(Vertical):
    """An agenda, interview guide or prompt list, with "Save to notes" and "Copy"."""

    def __init__(self, reply: Reply, *, saved_to: str | None = None) -> None:
        super().__init__(classes="message assistant structured")
        self.reply = reply
        self.border_title = label_of(reply.mode)
        if saved_to:
            self.border_subtitle = f"saved to {saved_to}"

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        yield Markdown(self.reply.text, classes="reply-body", open_links=False)
        with Horizontal(classes="result-actions"):
            yield Button("Save to notes", id="save", variant="primary", compact=True)
            yield Button("Copy", id="copy", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.post_message(SaveRequested(self.reply, self))
        elif event.button.id == "copy":
            self.post_message(CopyRequested(self.reply.text))

    def mark_saved(self, where: str) -> None:
        self.border_subtitle = f"saved to {where}"


WELCOME = (
    "Tell me what is on your mind: a 1:1 coming up, a hard decision, a conflict you are in. "
    "In Socratic mode I ask questions instead of giving advice; say \"what would you do?\" or "
    "type /advice when you want my view.\n\n"
    "Ctrl+T switches to a 1:1 agenda (with the open action items from your notes), a JTBD "
    "interview guide, or discussion prompts for a mentee. Ctrl+P lists every command."
)


class Transcript(VerticalScroll, can_focus=False):
    """The conversation; sticks to the bottom while a reply streams. Not focusable, so Tab
    goes from the prompt straight to the sources; PageUp/PageDown scroll it from anywhere.
    An empty conversation shows a short welcome that says how to begin."""

    def compose(self) -> ComposeResult:
        yield Static(WELCOME, id="welcome", classes="note", markup=False)

    async def _drop_welcome(self) -> None:
        for widget in self.query("#welcome"):
            await widget.remove()

    def follow(self) -> None:
        """Stick to the bottom once the conversation is taller than the view (Textual's
        anchor bottom-aligns short content, which leaves a gap above a short chat)."""
        self.call_after_refresh(self._follow)

    def _follow(self) -> None:
        if self.virtual_size.height > self.scrollable_content_region.height:
            if not self.is_anchored:
                self.anchor()
        elif self.is_anchored:
            self.anchor(False)
            self.scroll_home(animate=False)

    async def add_user(self, text: str) -> UserMessage:
        await self._drop_welcome()
        widget = UserMessage(text)
        await self.mount(widget)
        self.follow()
        return widget

    async def add_assistant(self, *, text: str = "", mode: str = "socratic",
                            status: str = "") -> AssistantMessage:
        await self._drop_welcome()
        widget = AssistantMessage(text=text, mode=mode)
        await self.mount(widget)
        widget.set_status(status)
        self.follow()
        return widget

    async def add_structured(self, reply: Reply) -> StructuredResult:
        await self._drop_welcome()
        widget = StructuredResult(reply)
        await self.mount(widget)
        self.follow()
        return widget

    async def add_note(self, text: str) -> Static:
        widget = Static(text, classes="note", markup=False)
        await self.mount(widget)
        self.follow()
        return widget

    async def clear(self) -> None:
        await self.remove_children()
        await self.mount(Static(WELCOME, id="welcome", classes="note", markup=False))
        self.follow()
