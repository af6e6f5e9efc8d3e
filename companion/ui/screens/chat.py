"""The main screen: mode bar, transcript, sources, prompt, status bar; and the controller.

Widgets post typed messages here (`companion.ui.messages`); the screen answers them by starting
a job (`companion.ui.jobs`, the only code that calls the coaching session, through
`SessionHost`) in a worker thread, and the job's messages come back here to update the widgets.
Modes and forms, sessions, and the model/index live in three mixins (`chat_modes`,
`chat_sessions`, `chat_index`).
"""

from __future__ import annotations

import contextlib
import threading
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer

from companion.coaching.modes import get_mode, mode_names, resolve_alias
from companion.coaching.schemas import Reply
from companion.coaching.transcripts import TranscriptError
from companion.ui import jobs
from companion.ui.messages import (
    Notice,
    PromptSubmitted,
    ReplyFailed,
    ReplyFinished,
    ReplyStatus,
    ReplyToken,
    SourceOpenRequested,
    SourceText,
)
from companion.ui.screens.chat_index import LOADING, ModelIndexMixin
from companion.ui.screens.chat_modes import ModesMixin
from companion.ui.screens.chat_sessions import SessionsMixin
from companion.ui.widgets.chat import AssistantMessage, Transcript
from companion.ui.widgets.coverage import CoverageMeter
from companion.ui.widgets.modebar import ModeBar
from companion.ui.widgets.prompt import PromptInput
from companion.ui.widgets.sources import SourcesPanel
from companion.ui.widgets.statusbar import StatusBar


def slash_help() -> str:
    return (f"/mode {'|'.join(mode_names())} · /model NAME · /new · /sessions · /export · "
            "/sources")


class ChatScreen(ModesMixin, SessionsMixin, ModelIndexMixin, Screen[None]):
    """The chat. Key bindings carry ids so `settings.keys` can remap them (app keymap)."""

    BINDINGS = [
        Binding("escape", "cancel_reply", "Stop", id="cancel"),
        Binding("ctrl+n", "new_session", "New", id="new_session", priority=True),
        Binding("ctrl+o", "sessions", "Sessions", id="sessions", priority=True),
        Binding("ctrl+s", "toggle_sources", "Sources", id="toggle_sources", priority=True),
        Binding("ctrl+t", "switch_mode", "Mode", id="switch_mode", priority=True),
        Binding("ctrl+q", "app.quit", "Quit", id="quit", priority=True),
        Binding("pageup", "scroll_transcript(-1)", "Scroll up", show=False, priority=True),
        Binding("pagedown", "scroll_transcript(1)", "Scroll down", show=False, priority=True),
    ]

    busy: reactive[bool] = reactive(False)
    """A reply or a structured result is being produced: the prompt is locked."""
    mode: reactive[str] = reactive("socratic")
    covered: reactive[frozenset[str]] = reactive(frozenset())

    def __init__(self) -> None:
        super().__init__(id="chat")
        self._cancel: threading.Event | None = None
        self._current: AssistantMessage | None = None
        self._pending_prompt = ""
        self._pending_turn: int | None = None
        self.session_id: int | None = None
        self.last_reply: Reply | None = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield ModeBar(id="topbar")
        with Horizontal(id="body"):
            yield Transcript(id="transcript")
            yield SourcesPanel(id="sources")
        yield PromptInput(id="prompt", placeholder=get_mode("socratic").placeholder)
        yield StatusBar(id="status")
        yield Footer()

    @property
    def host(self):
        return self.app.host

    @property
    def store(self):
        return self.app.store

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    def on_mount(self) -> None:
        self.mode = self.host.mode
        self._show_mode()
        status = self.status
        status.model = self.host.model_name
        status.where = self.host.model_where
        status.offline = not self.app.settings.endpoints
        status.activity = LOADING
        self.prompt.focus()
        # Start loading only once the first frame is on screen.
        self.call_after_refresh(self.prepare_session)

    # ------------------------------------------------------------------ reactives
    def watch_busy(self, busy: bool) -> None:
        self.prompt.locked = busy
        self.set_class(busy, "-busy")
        self.refresh_bindings()

    def watch_mode(self, mode: str) -> None:
        if self.is_mounted:
            self._show_mode()

    def watch_covered(self, covered: frozenset[str]) -> None:
        self.query_one(ModeBar).covered = covered

    def _show_mode(self) -> None:
        self.query_one(ModeBar).mode = self.mode
        self.prompt.placeholder = get_mode(self.mode).placeholder

    def _run(self, job, *args, group: str, exclusive: bool = True) -> None:
        """Run one of `companion.ui.jobs` in a worker thread; it reports by message."""
        self.run_worker(partial(job, self.host, *args, self.post_message), thread=True,
                        group=group, exclusive=exclusive, exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_reply":
            return bool(self.busy and self._cancel is not None)
        return True

    # ------------------------------------------------------------------ sending
    async def on_prompt_submitted(self, message: PromptSubmitted) -> None:
        text = message.text
        if text.startswith("/"):
            await self.run_slash(text)
            return
        if self.busy:
            self.prompt.restore(text)
            return
        if get_mode(self.mode).structured:
            self.open_form(self.mode, prefill=text)
            return
        await self.start_reply(text)

    async def start_reply(self, text: str) -> None:
        self.busy = True
        await self.transcript.add_user(text)
        waiting = not self.host.ready.is_set()
        self._current = await self.transcript.add_assistant(
            mode=self.mode, status="waiting for the model and index to load…" if waiting else "thinking…"
        )
        self._pending_prompt = text
        self._pending_turn = self._save_turn("user", text)
        self._cancel = threading.Event()
        self.refresh_bindings()
        self._run(jobs.reply, text, self._cancel, group="reply")

    def on_reply_status(self, message: ReplyStatus) -> None:
        if self._current is not None:
            self._current.set_status(message.text)

    async def on_reply_token(self, message: ReplyToken) -> None:
        if self._current is not None:
            await self._current.append(message.text)
            self.transcript.follow()

    async def on_reply_finished(self, message: ReplyFinished) -> None:
        reply = message.reply
        current, self._current = self._current, None
        self._cancel = None
        if reply.cancelled and not reply.text.strip() and not (current and current.streamed):
            # Stopped before the coach wrote anything: take the message back for editing.
            await self._withdraw(current)
            self.notify("Stopped before the coach replied; your message is back in the input box.",
                        title="Stopped")
        else:
            if current is not None:
                await current.finish(reply)
                self.transcript.follow()
            self._after_reply(reply)
            self._save_turn("assistant", reply.text or "".join(current.streamed if current else []),
                            reply=reply)
            self._pending_turn = None
        self.busy = False
        self.prompt.focus()

    async def on_reply_failed(self, message: ReplyFailed) -> None:
        current, self._current = self._current, None
        self._cancel = None
        await self._withdraw(current)
        self.busy = False
        self.notify(message.problem.message, title=message.problem.title, severity="error",
                    timeout=12)
        self.prompt.focus()

    async def _withdraw(self, current: AssistantMessage | None) -> None:
        """Undo a send that produced nothing: widgets, stored turn; the text goes back."""
        children = list(self.transcript.children)
        if current is not None and current in children:
            index = children.index(current)
            await current.remove()
            if index > 0:
                await children[index - 1].remove()
        if self._pending_turn is not None and self.store is not None:
            with contextlib.suppress(TranscriptError):
                self.store.delete_turn(self._pending_turn)
        self._pending_turn = None
        self.prompt.restore(self._pending_prompt)

    def _after_reply(self, reply: Reply) -> None:
        self.last_reply = reply
        if reply.socratic_types:
            self.covered = self.covered | frozenset(reply.socratic_types)
        if reply.listening is not None:  # what the listening layer read, for the meter
            meter = self.query_one(CoverageMeter)
            meter.why = str(reply.listening.get("why") or "")
            meter.heard = "; ".join(str(f).split(": ", 1)[-1] for f in reply.listening.get("new", [])[:3])
            meter.miti = str(reply.listening.get("miti") or "")
        self.query_one(SourcesPanel).show(reply.cited, reply.sources)

    def action_cancel_reply(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            if self._current is not None:
                self._current.set_status("stopping…")

    # ------------------------------------------------------------------ slash commands
    async def run_slash(self, text: str) -> None:
        command, _, arg = text[1:].strip().partition(" ")
        command, arg = command.casefold(), arg.strip()
        if command == "mode":
            mode = resolve_alias(arg)
            if mode is None:
                self.notify(f"Modes: {', '.join(mode_names())} (e.g. /mode agenda)",
                            title="Which mode?", severity="warning")
                self.prompt.restore(text)
                return
            await self.set_mode(mode)
        elif command == "model":
            if arg not in self.app.settings.model_names():
                self.notify(f"Models: {', '.join(self.app.settings.model_names())}",
                            title="Which model?", severity="warning")
                self.prompt.restore(text)
                return
            self.switch_model(arg)
        elif command == "new":
            await self.action_new_session()
        elif command == "sessions":
            self.action_sessions()
        elif command == "export":
            self.action_export()
        elif command == "sources":
            self.action_toggle_sources()
        else:
            self.notify(slash_help(), title="Commands", timeout=8)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, title=message.title, severity=message.severity)

    # ------------------------------------------------------------------ sources
    def on_source_open_requested(self, message: SourceOpenRequested) -> None:
        self._run(jobs.read_source, message.ref, group="source")

    def on_source_text(self, message: SourceText) -> None:
        from companion.ui.screens.viewer import SourceViewer

        self.app.push_screen(SourceViewer(message.ref, message.text))

    def action_scroll_transcript(self, direction: int) -> None:
        transcript = self.transcript
        if direction < 0:
            transcript.scroll_page_up(animate=False)
        else:
            transcript.scroll_page_down(animate=False)

    def action_toggle_sources(self) -> None:
        panel = self.query_one(SourcesPanel)
        panel.display = not panel.display
