"""Loading the model and the index, switching model, ingesting a folder, rebuilding the index.

A mixin of `ChatScreen`: it starts `companion.ui.jobs` workers and shows their messages in the
status bar and as notifications.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from companion.ui import jobs
from companion.ui.messages import (
    IndexFailed,
    IndexProgress,
    IndexUpdated,
    SessionFailed,
    SessionPreparing,
    SessionReady,
)
from companion.ui.screens.chat_sessions import WAIT
from companion.ui.widgets.chat import prewarm

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen
else:
    _Base = object

LOADING = "loading model and index…"


class ModelIndexMixin(_Base):
    """The model and the index as the chat screen drives them."""

    # ------------------------------------------------------------------ preparing
    def prepare_session(self) -> None:
        def prepare(host, post) -> None:
            prewarm()
            jobs.prepare(host, post)

        self._run(prepare, group="prepare")

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
            if message.index_problem:
                self.notify(f"{message.index_problem}. Run `companion doctor` to see why.",
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
        self.notify(f"{message.problem} Switch model with ctrl+p or run `companion doctor`.",
                    title="Could not load the model or index", severity="error", timeout=12)

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
            self.notify(WAIT, severity="warning")
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
            self._run(jobs.index, path, group="index")

        from companion.ui.screens.pickers import TextDialog

        self.app.push_screen(
            TextDialog("Ingest a notes folder", "Folder of Markdown notes (an Obsidian vault works):",
                       placeholder="~/notes"),
            chosen,
        )

    def action_rebuild_index(self) -> None:
        self.status.activity = "rebuilding the index…"
        self._run(jobs.index, None, group="index")

    def on_index_progress(self, message: IndexProgress) -> None:
        current = f" {Path(message.current).name}" if message.current else ""
        speed = ""
        if message.rate is not None and message.eta_s is not None:
            speed = f" · {message.rate:.1f} chunks/s · ETA {message.eta_s:.0f} s"
        self.status.activity = f"indexing {message.done}/{message.total}{speed}{current}"

    def on_index_updated(self, message: IndexUpdated) -> None:
        self.status.activity = ""
        if message.index is not None:
            self.status.index = message.index
        self.notify(message.summary, title="Index updated")

    def on_index_failed(self, message: IndexFailed) -> None:
        self.status.activity = ""
        self.notify(str(message.problem), title="Indexing failed", severity="error", timeout=12)
