"""The main screen: transcript, sources, coverage meter, prompt, status bar.

It is also the controller: widgets post messages here, and the `@work` workers below are the
only code that calls the coaching session (through `SessionHost`), posting messages back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from pydantic import BaseModel
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from companion.coaching.schemas import Reply
from companion.coaching.transcripts import TranscriptError, exports_dir
from companion.ui.host import describe_error
from companion.ui.messages import (
    CopyRequested,
    IndexProgress,
    IndexUpdated,
    Notice,
    PromptSubmitted,
    ReplyFailed,
    ReplyFinished,
    ReplyStatus,
    ReplyToken,
    SaveRequested,
    SessionFailed,
    SessionPreparing,
    SessionReady,
    SourceOpenRequested,
    SourceText,
    StructuredFailed,
    StructuredFinished,
)
from companion.ui.modes import MODE_HELP, MODES, STRUCTURED_MODES
from companion.ui.widgets.chat import AssistantMessage, StructuredResult, Transcript, prewarm
from companion.ui.widgets.coverage import CoverageMeter
from companion.ui.widgets.prompt import PromptInput
from companion.ui.widgets.sources import SourcesPanel
from companion.ui.widgets.statusbar import StatusBar

MODE_ALIASES = {
    "socratic": "socratic", "questions": "socratic", "ask": "socratic",
    "agenda": "agenda", "1:1": "agenda", "1on1": "agenda", "one-on-one": "agenda",
    "jtbd": "jtbd", "interview": "jtbd", "guide": "jtbd",
    "mentor": "mentor", "prompts": "mentor", "mentoring": "mentor",
}
PLACEHOLDERS = {
    "socratic": "What is on your mind? (Enter sends · Ctrl+J new line · /mode to switch)",
    "agenda": "Enter opens the 1:1 agenda form; what you type here becomes “on your mind”",
    "jtbd": "Enter opens the JTBD guide form; what you type here becomes the product",
    "mentor": "Enter opens the mentor prompts form; what you type here becomes the situation",
}
SLASH_HELP = "/mode socratic|agenda|jtbd|mentor · /model NAME · /new · /sessions · /export · /sources"
LOADING = "loading model and index…"


class ChatScreen(Screen[None]):
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
        with Horizontal(id="topbar"):
            yield Static("", id="mode-label", markup=False)
            yield CoverageMeter(id="coverage")
        with Horizontal(id="body"):
            yield Transcript(id="transcript")
            yield SourcesPanel(id="sources")
        yield PromptInput(id="prompt", placeholder=PLACEHOLDERS["socratic"])
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
        self.query_one(CoverageMeter).covered = covered

    def _show_mode(self) -> None:
        title, help_ = MODE_HELP[self.mode]
        label = title if self.mode == "socratic" else f"{title} — {help_}"
        self.query_one("#mode-label", Static).update(label)
        self.query_one(CoverageMeter).display = self.mode == "socratic"
        self.prompt.placeholder = PLACEHOLDERS[self.mode]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_reply":
            return bool(self.busy and self._cancel is not None)
        return True

    # ------------------------------------------------------------------ preparing
    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def prepare_session(self) -> None:
        host = self.host
        prewarm()
        try:
            host.prepare(progress=lambda text: self.post_message(SessionPreparing(text)))
        except BaseException:  # noqa: BLE001 - described in host.error
            title, text = host.error or ("The model is not ready", "unknown error")
            self.post_message(SessionFailed(f"{title}: {text}"))
            return
        self.post_message(SessionReady(host.model_name, host.model_where, host.index_status()))

    def on_session_preparing(self, message: SessionPreparing) -> None:
        self.status.activity = message.text or LOADING

    def on_session_ready(self, message: SessionReady) -> None:
        status = self.status
        status.model = message.model
        status.where = message.where
        status.index = message.index
        status.ready = True
        status.activity = ""
        index = message.index
        if index is None:
            problem = getattr(self.host.session, "knowledge_error", None)
            if problem:
                self.notify(f"{problem}. Run `companion doctor` to see why.",
                            title="No index", severity="warning", timeout=10)
        elif not index.get("chunks"):
            if index.get("files"):
                text = (f"The index lists {index['files']} files but returned no passages. "
                        "Rebuild it from ctrl+p (“Rebuild the index”).")
            else:
                text = ("The index is empty: replies will have no sources. Ingest your notes "
                        "from ctrl+p (“Ingest a notes folder”) or run `companion ingest`.")
            self.notify(text, title="Empty index", severity="warning", timeout=10)

    def on_session_failed(self, message: SessionFailed) -> None:
        self.status.ready = False
        self.status.activity = "not ready"
        self.notify(message.text + " Switch model with ctrl+p or run `companion doctor`.",
                    title="Could not load the model or index", severity="error", timeout=12)

    # ------------------------------------------------------------------ sending
    async def on_prompt_submitted(self, message: PromptSubmitted) -> None:
        text = message.text
        if text.startswith("/"):
            await self.run_slash(text)
            return
        if self.busy:
            self.prompt.restore(text)
            return
        if self.mode in STRUCTURED_MODES:
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
        self.send_worker(text, self._cancel)

    @work(thread=True, exclusive=True, group="reply", exit_on_error=False)
    def send_worker(self, text: str, cancel: threading.Event) -> None:
        host = self.host
        mode = host.mode
        if not host.wait(cancel):
            self.post_message(ReplyFinished(Reply(mode=mode, text="", cancelled=True)))
            return
        if host.error is not None:
            title, error = host.error
            self.post_message(ReplyFailed(text, error, title))
            return
        streamed: list[str] = []
        reply: Reply | None = None
        try:
            for kind, value in host.send(text, cancel):
                if kind == "token":
                    streamed.append(value)
                    self.post_message(ReplyToken(value))
                elif kind == "status":
                    self.post_message(ReplyStatus(value))
                elif kind == "done":
                    reply = value
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            if cancel.is_set() and getattr(exc, "kind", "") == "cancelled":
                reply = Reply(mode=mode, text="".join(streamed), cancelled=True)
            else:
                title, error = describe_error(exc, host.secrets)
                self.post_message(ReplyFailed(text, error, title))
                return
        if reply is None:
            reply = Reply(mode=mode, text="".join(streamed), cancelled=cancel.is_set())
        self.post_message(ReplyFinished(reply))

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
        self.notify(message.error, title=message.title, severity="error", timeout=12)
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
        self.query_one(SourcesPanel).show(reply.cited, reply.sources)

    def action_cancel_reply(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            if self._current is not None:
                self._current.set_status("stopping…")

    # ------------------------------------------------------------------ storing
    def _save_turn(self, role: str, text: str, *, reply: Reply | None = None,
                   mode: str | None = None) -> int | None:
        store = self.store
        if store is None:
            return None
        meta: dict = {}
        if reply is not None:
            meta = {
                "cited": [r.model_dump() for r in reply.cited],
                "sources": [r.model_dump() for r in reply.sources],
                "socratic_types": reply.socratic_types,
                "cancelled": reply.cancelled,
                "fallback": reply.fallback,
                "structured": reply.structured,
                "model": reply.model,
            }
        try:
            if self.session_id is None or store.get(self.session_id) is None:
                # First turn, or the session was deleted from the sessions list meanwhile.
                self.session_id = store.create_session(mode=mode or self.mode, model=self.host.model_name)
            return store.add_turn(self.session_id, role, text, mode=mode or self.mode, meta=meta,
                                  model=self.host.model_name)
        except Exception as exc:  # noqa: BLE001 - a failed save must not stop the chat
            _title, error = describe_error(exc)
            self.notify(f"This turn was not saved: {error}", title="Sessions database", severity="warning")
            return None

    # ------------------------------------------------------------------ slash commands
    async def run_slash(self, text: str) -> None:
        command, _, arg = text[1:].strip().partition(" ")
        command, arg = command.casefold(), arg.strip()
        if command == "mode":
            mode = MODE_ALIASES.get(arg.casefold())
            if mode is None:
                self.notify(f"Modes: {', '.join(MODES)} (e.g. /mode agenda)", title="Which mode?",
                            severity="warning")
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
            self.notify(SLASH_HELP, title="Commands", timeout=8)

    # ------------------------------------------------------------------ modes and forms
    def action_switch_mode(self) -> None:
        if self.busy:
            self.notify("Wait for the reply to finish (Esc stops it).", severity="warning")
            return

        async def picked(mode: str | None) -> None:
            if mode:
                await self.set_mode(mode)

        from companion.ui.screens.pickers import mode_picker

        self.app.push_screen(mode_picker(self.mode), picked)

    async def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            return
        self.mode = mode
        self.host.set_mode(mode)
        if mode in STRUCTURED_MODES:
            text = self.prompt.text.strip()
            self.prompt.clear()
            self.open_form(mode, prefill=text)
        else:
            self.prompt.focus()

    def open_form(self, mode: str, *, prefill: str = "") -> None:
        async def done(inputs: BaseModel | None) -> None:
            if inputs is not None:
                await self.start_structured(mode, inputs)
            elif prefill:
                self.prompt.restore(prefill)

        from companion.ui.screens.forms import StructuredForm

        self.app.push_screen(StructuredForm(mode, prefill=prefill), done)

    async def start_structured(self, mode: str, inputs: BaseModel) -> None:
        if self.busy:
            return
        self.busy = True
        from companion.ui.screens.forms import summarise

        summary = summarise(mode, inputs)
        await self.transcript.add_user(summary)
        self._current = await self.transcript.add_assistant(mode=mode, status=f"building the {MODE_HELP[mode][0]}…")
        self._pending_prompt = ""
        self._pending_turn = self._save_turn("user", summary, mode=mode)
        self.structured_worker(mode, inputs, summary)

    @work(thread=True, exclusive=True, group="reply", exit_on_error=False)
    def structured_worker(self, mode: str, inputs: BaseModel, summary: str) -> None:
        host = self.host
        host.wait()
        if host.error is not None:
            self.post_message(StructuredFailed(host.error[1], host.error[0]))
            return
        try:
            reply = host.structured(mode, inputs)
        except Exception as exc:  # noqa: BLE001
            title, error = describe_error(exc, host.secrets)
            self.post_message(StructuredFailed(error, title))
            return
        self.post_message(StructuredFinished(reply, summary))

    async def on_structured_finished(self, message: StructuredFinished) -> None:
        current, self._current = self._current, None
        if current is not None:
            await current.remove()
        await self.transcript.add_structured(message.reply)
        self._after_reply(message.reply)
        self._save_turn("assistant", message.reply.text, reply=message.reply, mode=message.reply.mode)
        self._pending_turn = None
        self.busy = False
        self.prompt.focus()

    async def on_structured_failed(self, message: StructuredFailed) -> None:
        current, self._current = self._current, None
        await self._withdraw(current)
        self.busy = False
        self.notify(message.error, title=message.title, severity="error", timeout=12)

    @on(SaveRequested)
    def save_requested(self, message: SaveRequested) -> None:
        widget = message.widget if isinstance(message.widget, StructuredResult) else None
        self.save_worker(message.reply, widget)

    @work(thread=True, group="save", exit_on_error=False)
    def save_worker(self, reply: Reply, widget: StructuredResult | None) -> None:
        try:
            path = self.host.save(reply)
        except Exception as exc:  # noqa: BLE001
            title, error = describe_error(exc, self.host.secrets)
            self.post_message(Notice(error, title="Not saved", severity="error"))
            return
        if widget is not None:
            self.app.call_from_thread(widget.mark_saved, str(path))
        self.post_message(Notice(str(path), title="Saved to your notes"))

    def on_copy_requested(self, message: CopyRequested) -> None:
        self.app.copy_to_clipboard(message.text)
        self.notify("Copied as Markdown (needs a terminal that allows clipboard access).",
                    title="Copied")

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, title=message.title, severity=message.severity)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ sources
    def on_source_open_requested(self, message: SourceOpenRequested) -> None:
        self.read_source_worker(message.ref)

    @work(thread=True, exclusive=True, group="source", exit_on_error=False)
    def read_source_worker(self, ref) -> None:
        try:
            text = self.host.read_source(ref)
        except Exception as exc:  # noqa: BLE001
            title, error = describe_error(exc, self.host.secrets)
            self.post_message(Notice(error, title="Cannot open the source", severity="error"))
            return
        self.post_message(SourceText(ref, text))

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

    # ------------------------------------------------------------------ sessions
    async def action_new_session(self) -> None:
        if self.busy:
            self.notify("Wait for the reply to finish (Esc stops it).", severity="warning")
            return
        await self.transcript.clear()
        self.session_id = None
        self.covered = frozenset()
        self.last_reply = None
        self.query_one(SourcesPanel).show([], [])
        self.host.load_history([])
        self.prompt.focus()
        self.notify("New session.", timeout=2)

    def action_sessions(self) -> None:
        if self.store is None:
            self.notify("Sessions are not being saved (the database could not be opened).",
                        severity="warning")
            return

        from companion.ui.screens.sessions import SessionChoice, SessionsScreen

        async def chosen(choice: SessionChoice | None) -> None:
            if choice is not None and choice.action == "resume":
                await self.resume(choice.session_id)

        self.app.push_screen(SessionsScreen(self.store, current=self.session_id), chosen)

    async def resume(self, session_id: int) -> None:
        if self.busy:
            self.notify("Wait for the reply to finish (Esc stops it).", severity="warning")
            return
        turns = self.store.turns(session_id)
        info = self.store.get(session_id)
        await self.transcript.clear()
        covered: set[str] = set()
        last: Reply | None = None
        for turn in turns:
            if turn.role == "user":
                await self.transcript.add_user(turn.content)
                continue
            reply = _reply_from_turn(turn)
            covered.update(reply.socratic_types)
            last = reply
            if reply.structured is not None or turn.mode in STRUCTURED_MODES:
                await self.transcript.add_structured(reply)
            else:
                widget = await self.transcript.add_assistant(text=turn.content, mode=turn.mode)
                await widget.finish(reply)
        self.session_id = session_id
        self.covered = frozenset(covered)
        self.last_reply = last
        self.query_one(SourcesPanel).show(last.cited if last else [], last.sources if last else [])
        self.prompt.load_history([t.content for t in turns if t.role == "user"])
        self.host.load_history(self.store.history(session_id))
        if info is not None and info.mode in MODES:
            self.mode = info.mode
            self.host.set_mode(info.mode)
        self.transcript.scroll_end(animate=False)
        self.prompt.focus()
        self.notify(info.title if info else f"session {session_id}", title="Resumed", timeout=3)

    def action_export(self) -> None:
        if self.store is None or self.session_id is None:
            self.notify("Nothing to export yet: this session has no turns.", severity="warning")
            return
        try:
            path = self.store.export_markdown(self.session_id, exports_dir())
        except TranscriptError as exc:
            self.notify(str(exc), title="Export failed", severity="error")
            return
        self.notify(str(path), title="Exported to Markdown")

    # ------------------------------------------------------------------ model and index
    def action_switch_model(self) -> None:
        settings = self.app.settings
        choices = []
        for name in settings.model_names():
            endpoint = settings.endpoint(name)
            where = "local" if endpoint is None else endpoint.base_url
            choices.append((name, f"{name} — {where}"))

        def picked(name: str | None) -> None:
            if name:
                self.switch_model(name)

        from companion.ui.screens.pickers import ChoiceDialog

        self.app.push_screen(ChoiceDialog("Model", choices, current=self.host.model_name), picked)

    def switch_model(self, name: str) -> None:
        if self.busy:
            self.notify("Wait for the reply to finish (Esc stops it).", severity="warning")
            return
        self.host.switch_model(name)
        status = self.status
        status.ready = False
        status.model = name
        status.where = self.host.model_where
        status.activity = LOADING
        self.prepare_session()

    def action_ingest(self) -> None:
        def chosen(folder: str | None) -> None:
            if not folder or not folder.strip():
                return
            path = Path(folder.strip()).expanduser()
            if not path.is_dir():
                self.notify(f"{path} is not a folder.", title="Cannot ingest", severity="error")
                return
            self.status.activity = f"indexing {path}…"
            self.index_worker("ingest", path)

        from companion.ui.screens.pickers import TextDialog

        self.app.push_screen(
            TextDialog("Ingest a notes folder", "Folder of Markdown notes (an Obsidian vault works):",
                       placeholder="~/notes"),
            chosen,
        )

    def action_rebuild_index(self) -> None:
        self.status.activity = "rebuilding the index…"
        self.index_worker("rebuild", None)

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def index_worker(self, action: str, folder: Path | None) -> None:
        host = self.host
        host.wait()
        if host.error is not None:
            self.post_message(IndexUpdated(host.error[1], error=True))
            return

        started: list[tuple[float, int]] = []

        def progress(done: int, total: int, current: str = "") -> None:
            now = time.monotonic()
            if not started and total:
                started.append((now, done))
            rate = eta = None
            if started and now - started[0][0] > 1 and done > started[0][1]:
                rate = (done - started[0][1]) / (now - started[0][0])
                eta = max(0.0, (total - done) / rate)
            self.post_message(IndexProgress(done, total, current, rate, eta))

        try:
            report = host.ingest(folder, progress) if action == "ingest" else host.rebuild(progress)
        except Exception as exc:  # noqa: BLE001
            title, error = describe_error(exc, host.secrets)
            self.post_message(IndexUpdated(f"{title}: {error}", error=True))
            return
        if action == "ingest" and folder is not None:
            _remember_notes_dir(folder)
        self.post_message(IndexUpdated(_report_line(report), host.index_status()))

    def on_index_progress(self, message: IndexProgress) -> None:
        current = f" {Path(message.current).name}" if message.current else ""
        speed = ""
        if message.rate is not None and message.eta_s is not None:
            speed = f" · {message.rate:.1f} chunks/s · ETA {message.eta_s:.0f} s"
        self.status.activity = f"indexing {message.done}/{message.total}{speed}{current}"

    def on_index_updated(self, message: IndexUpdated) -> None:
        self.status.activity = ""
        if message.error:
            self.notify(message.summary, title="Indexing failed", severity="error", timeout=12)
            return
        if message.index is not None:
            self.status.index = message.index
        self.notify(message.summary, title="Index updated")


def _reply_from_turn(turn) -> Reply:
    from companion.coaching.schemas import SourceRef

    meta = turn.meta or {}

    def refs(key: str) -> list[SourceRef]:
        out = []
        for item in meta.get(key) or []:
            try:
                out.append(SourceRef.model_validate(item))
            except Exception:  # noqa: BLE001 - old or odd rows are skipped
                continue
        return out

    mode = turn.mode if turn.mode in MODES else "socratic"
    return Reply(
        mode=mode, text=turn.content, cited=refs("cited"), sources=refs("sources"),
        socratic_types=[t for t in meta.get("socratic_types") or [] if isinstance(t, str)],
        cancelled=bool(meta.get("cancelled")), fallback=bool(meta.get("fallback")),
        structured=meta.get("structured") if isinstance(meta.get("structured"), dict) else None,
    )


def _report_line(report) -> str:
    if report is None:
        return "Done."
    get = report.get if isinstance(report, dict) else lambda k, d=None: getattr(report, k, d)
    added, updated, removed = (len(get(k, []) or []) for k in ("added", "updated", "removed"))
    skipped = len(get("skipped", []) or [])
    line = f"{added} added, {updated} updated, {removed} removed"
    if skipped:
        line += f", {skipped} skipped"
    seconds = get("seconds", None)
    if seconds:
        line += f" in {seconds:.1f} s"
    return line


def _remember_notes_dir(folder: Path) -> None:
    """Keep an ingested folder in the config file so it is synced next time too."""
    try:
        from companion.settings import load_settings, save_setting

        current = load_settings()
        folder = folder.expanduser().resolve()
        dirs = [str(Path(d).expanduser().resolve()) for d in current.notes_dirs]
        if str(folder) not in dirs:
            save_setting("notes_dirs", [*dirs, str(folder)])
    except Exception:  # noqa: BLE001 - remembering is a convenience
        pass
