"""The chat's saved sessions: storing each turn, starting afresh, resuming, exporting.

A mixin of `ChatScreen` (it uses the screen's widgets and state); a failed save never stops the
chat, it is a warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from companion.coaching.modes import find_mode
from companion.coaching.schemas import Reply
from companion.coaching.transcripts import TranscriptError, exports_dir
from companion.ui.host import describe_error
from companion.ui.turns import reply_from_turn, turn_meta
from companion.ui.widgets.sources import SourcesPanel

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen
else:
    _Base = object

WAIT = "Wait for the reply to finish (Esc stops it)."


class SessionsMixin(_Base):
    """Ctrl+N, Ctrl+O, `/export`, and the turn-by-turn saving behind them."""

    # ------------------------------------------------------------------ storing
    def _save_turn(self, role: str, text: str, *, reply: Reply | None = None,
                   mode: str | None = None) -> int | None:
        store = self.store
        if store is None:
            return None
        meta = turn_meta(reply) if reply is not None else {}
        try:
            if self.session_id is None or store.get(self.session_id) is None:
                # First turn, or the session was deleted from the sessions list meanwhile.
                self.session_id = store.create_session(mode=mode or self.mode, model=self.host.model_name)
            return store.add_turn(self.session_id, role, text, mode=mode or self.mode, meta=meta,
                                  model=self.host.model_name)
        except Exception as exc:  # noqa: BLE001 - a failed save must not stop the chat
            problem = describe_error(exc)
            self.notify(f"This turn was not saved: {problem.message}", title="Sessions database",
                        severity="warning")
            return None

    # ------------------------------------------------------------------ sessions
    async def action_new_session(self) -> None:
        if self.busy:
            self.notify(WAIT, severity="warning")
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
            self.notify(WAIT, severity="warning")
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
            reply = reply_from_turn(turn)
            covered.update(reply.socratic_types)
            last = reply
            spec = find_mode(turn.mode)
            if reply.structured is not None or (spec is not None and spec.structured):
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
        if info is not None and find_mode(info.mode) is not None:
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
