"""`CompanionApp`: the full-screen chat. `run_app(settings)` opens it; `make_app()` builds one
for tests and snapshots (scripted provider, fake knowledge, private sessions database).

Startup draws the first frame with only Textual, pydantic and our light modules imported;
the coaching session (and with it chromadb and the model) loads in a worker afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen

from companion.coaching.transcripts import TranscriptError, TranscriptStore
from companion.ui.commands import CompanionCommands
from companion.ui.host import SessionHost
from companion.ui.screens.chat import ChatScreen


class CompanionApp(App[None]):
    CSS_PATH = Path(__file__).with_name("companion.tcss")
    TITLE = "companion"
    COMMANDS = App.COMMANDS | {CompanionCommands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        settings,
        *,
        provider=None,
        knowledge=None,
        session_factory: Callable[..., Any] | None = None,
        store: TranscriptStore | None = None,
        sessions_db: Path | None = None,
        mode: str = "socratic",
    ) -> None:
        super().__init__()
        self.settings = settings
        self.host = SessionHost(settings, provider=provider, knowledge=knowledge,
                                factory=session_factory, mode=mode)
        self.store_error: str | None = None
        if store is None:
            try:
                store = TranscriptStore(sessions_db, secrets=self.host.secrets)
            except TranscriptError as exc:
                self.store_error = str(exc)
        self.store = store
        self.set_keymap({k: v for k, v in settings.keys.model_dump().items() if v})

    def get_default_screen(self) -> Screen:
        return ChatScreen()

    @property
    def chat(self) -> ChatScreen:
        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                return screen
        raise RuntimeError("the chat screen is not mounted")

    def on_mount(self) -> None:
        if self.store_error:
            self.notify(self.store_error + " — this session will not be saved.",
                        title="Sessions database", severity="error", timeout=12)
        elif self.store is not None and self.store.recovered_from is not None:
            self.notify(f"The sessions database was damaged; it was moved to "
                        f"{self.store.recovered_from} and a new one started.",
                        title="Sessions database", severity="warning", timeout=12)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Textual saves screenshots to ~/Downloads, which may not exist: then use our data
        folder (`<data>/screenshots`)."""
        if path is None:
            from platformdirs import user_downloads_path  # what Textual uses by default

            downloads = Path(user_downloads_path())
            if not downloads.is_dir():
                from companion import locations

                downloads = locations.data_dir() / "screenshots"
                downloads.mkdir(parents=True, exist_ok=True)
            path = str(downloads)
        return super().deliver_screenshot(filename, path, time_format)

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()


def make_app(settings=None, **kwargs) -> CompanionApp:
    """An app for tests and snapshots; `settings` default to `load_settings()`."""
    if settings is None:
        from companion.settings import load_settings

        settings = load_settings()
    return CompanionApp(settings, **kwargs)


def run_app(settings) -> None:
    """Open the chat (the `companion` command)."""
    # onnxruntime only honours this if it is set before it is imported (in the worker).
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    CompanionApp(settings).run()
