"""Modes and structured results in the chat: switching mode, the form, building an agenda,
guide or prompts list, saving and copying it.

A mixin of `ChatScreen`; the building runs in `companion.ui.jobs.structured`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from companion.coaching.modes import find_mode, get_mode
from companion.ui import jobs
from companion.ui.messages import (
    CopyRequested,
    Saved,
    SaveRequested,
    StructuredFailed,
    StructuredFinished,
)
from companion.ui.screens.chat_sessions import WAIT
from companion.ui.widgets.chat import StructuredResult

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen
else:
    _Base = object


class ModesMixin(_Base):
    """Ctrl+T, `/mode`, the structured modes' forms and results."""

    # ------------------------------------------------------------------ modes and forms
    def action_switch_mode(self) -> None:
        if self.busy:
            self.notify(WAIT, severity="warning")
            return

        async def picked(mode: str | None) -> None:
            if mode:
                await self.set_mode(mode)

        from companion.ui.screens.pickers import mode_picker

        self.app.push_screen(mode_picker(self.mode), picked)

    async def set_mode(self, mode: str) -> None:
        spec = find_mode(mode)
        if spec is None:
            return
        self.mode = mode
        self.host.set_mode(mode)
        if spec.structured:
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
        self._current = await self.transcript.add_assistant(
            mode=mode, status=f"building the {get_mode(mode).label}…")
        self._pending_prompt = ""
        self._pending_turn = self._save_turn("user", summary, mode=mode)
        self._run(jobs.structured, mode, inputs, summary, group="reply")

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
        self.notify(message.problem.message, title=message.problem.title, severity="error",
                    timeout=12)

    def on_save_requested(self, message: SaveRequested) -> None:
        widget = message.widget if isinstance(message.widget, StructuredResult) else None
        self._run(jobs.save, message.reply, widget, group="save", exclusive=False)

    def on_saved(self, message: Saved) -> None:
        if isinstance(message.widget, StructuredResult):
            message.widget.mark_saved(str(message.path))
        self.notify(str(message.path), title="Saved to your notes")

    def on_copy_requested(self, message: CopyRequested) -> None:
        self.app.copy_to_clipboard(message.text)
        self.notify("Copied as Markdown (needs a terminal that allows clipboard access).",
                    title="Copied")
