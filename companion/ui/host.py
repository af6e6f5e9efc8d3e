"""`SessionHost`: the one object that holds the coaching session for the app.

Every blocking method here runs in a worker thread (`@work(thread=True)` in the chat screen);
the session module, and through it chromadb and the model, is imported only inside them, so
the first frame is drawn before any of that loads. Messages sent before `prepare()` finishes
wait on `ready`.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import locations
from companion.coaching.events import Event
from companion.coaching.schemas import Reply, SourceRef
from companion.errors import CompanionError
from companion.llm.base import LLMError
from companion.llm.keys import redact

_LLM_TITLES = {
    "unreachable": "The model endpoint is not answering",
    "auth": "The endpoint refused the key",
    "not_found": "Model not found",
    "rate_limited": "The endpoint is rate limiting",
    "timeout": "The endpoint timed out",
    "bad_response": "The model's answer could not be used",
}
_INDEX_ERRORS = {"KnowledgeError", "IndexBusy", "EmbeddingError", "StoreError", "ModelMismatch"}


def log_exception(exc: BaseException) -> Path | None:
    """Append a traceback to the log file (for bug reports); never raises."""
    try:
        path = locations.log_file()
        with path.open("a", encoding="utf-8") as fh:
            fh.write(redact("".join(traceback.format_exception(exc))) + "\n")
        return path
    except Exception:  # noqa: BLE001 - logging must never take the app down
        return None


@dataclass(frozen=True)
class Problem:
    """A failure as the user sees it: a notification title and what happened / what to do."""

    title: str
    message: str

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


def describe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> Problem:
    """What happened and what to do, for a notification (secrets redacted)."""
    message = redact(str(exc).strip() or type(exc).__name__, *secrets)
    if isinstance(exc, LLMError):
        title = _LLM_TITLES.get(exc.kind, "The model failed")
        if exc.kind in ("unreachable", "timeout"):
            message += " — or switch model (ctrl+p, “Switch model”)."
        return Problem(title, message)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & _INDEX_ERRORS:
        return Problem(
            "Index problem", message + " — rebuild it from ctrl+p or run `companion doctor`."
        )
    if isinstance(exc, CompanionError):
        return Problem("Something needs fixing", message)
    where = log_exception(exc)
    hint = f" (details in {where})" if where else ""
    return Problem("Unexpected error", f"{type(exc).__name__}: {message}{hint}")


def _progress_text(args: tuple[Any, ...]) -> str:
    """The session's and the index's progress callbacks, as one line of text."""
    if len(args) == 1:
        return str(args[0])
    if len(args) >= 2 and all(isinstance(a, int) for a in args[:2]):
        done, total = args[0], args[1]
        current = f" {args[2]}" if len(args) > 2 and args[2] else ""
        return f"indexing {done}/{total}{current}"
    return " ".join(str(a) for a in args)


def default_factory(settings, *, provider=None, knowledge=None, mode: str = "socratic"):
    from companion.coaching.session import CoachingSession

    return CoachingSession(settings, provider=provider, knowledge=knowledge, mode=mode)


class SessionHost:
    """Owns the `CoachingSession`; thread-safe for one worker at a time per operation."""

    def __init__(self, settings, *, provider=None, knowledge=None,
                 factory: Callable[..., Any] | None = None, mode: str = "socratic") -> None:
        self.settings = settings
        self.provider = provider
        self.knowledge = knowledge
        self.factory = factory or default_factory
        self.session = None
        self.ready = threading.Event()
        self.error: Problem | None = None
        self._mode = mode
        self._history: list[dict] | None = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ life cycle
    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(e.api_key.get_secret_value() for e in self.settings.endpoints if e.api_key)

    def prepare(self, progress: Callable[[str], None] | None = None) -> None:
        """Create (if needed) and prepare the session. Blocking: call from a worker."""

        def report(*args: Any) -> None:
            if progress is not None:
                progress(_progress_text(args))

        self.error = None
        try:
            with self._lock:
                if self.session is None:
                    self.session = self.factory(self.settings, provider=self.provider,
                                                knowledge=self.knowledge, mode=self._mode)
                session = self.session
            session.prepare(progress=report)
            with self._lock:
                session.mode = self._mode
                if self._history is not None:
                    session.load_history(self._history)
                    self._history = None
                if self.knowledge is None:
                    self.knowledge = getattr(session, "knowledge", None)
        except BaseException as exc:
            self.error = describe_error(exc, self.secrets)
            raise
        finally:
            self.ready.set()

    def wait(self, cancel: threading.Event | None = None) -> bool:
        """Wait until prepared; False when `cancel` was set first."""
        while not self.ready.wait(0.05):
            if cancel is not None and cancel.is_set():
                return False
        return True

    def switch_model(self, name: str) -> None:
        """Use another model from now on; keeps the index, the mode and the history.
        Call `prepare()` afterwards (in a worker)."""
        with self._lock:
            old = self.session
            history = list(old.history) if old is not None else self._history
            self.settings.model = name
            self.provider = None  # built from settings.model by the session
            self.session = None
            self._history = history
            self.ready.clear()
        if old is not None and getattr(old, "provider", None) is not None:
            with contextlib.suppress(Exception):
                old.provider.close()

    # ------------------------------------------------------------------ state
    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        with self._lock:
            self._mode = mode
            if self.session is not None and self.ready.is_set() and self.error is None:
                self.session.mode = mode

    def load_history(self, history: list[dict]) -> None:
        with self._lock:
            if self.session is not None and self.ready.is_set() and self.error is None:
                self.session.load_history(history)
            else:
                self._history = list(history)

    @property
    def model_name(self) -> str:
        if self.session is not None:
            return str(getattr(self.session, "model_name", "") or self.settings.model)
        return self.settings.model

    @property
    def model_where(self) -> str:
        """Where the model runs and its capability tier, e.g. `local · tiny tier`."""
        from companion.coaching.listening.tiers import tier_for

        tier = f" · {tier_for(self.model_name, self.settings)} tier"
        if self.session is not None:
            return str(getattr(self.session, "model_where", "") or "") + tier
        endpoint = self.settings.endpoint(self.settings.model)
        if endpoint is None:
            return "local" + tier
        from companion.llm.keys import host_of

        return host_of(endpoint.base_url) + tier

    @property
    def index_problem(self) -> str | None:
        """Why the session runs without an index, if it does."""
        return self.session.knowledge_error if self.session is not None else None

    def index_status(self) -> dict | None:
        if self.session is None:
            return None
        try:
            status = self.session.index_status()
        except Exception:  # noqa: BLE001 - the status bar must not fail
            return None
        return status

    # ------------------------------------------------------------------ blocking calls
    def send(self, text: str, cancel: threading.Event) -> Iterator[Event]:
        """The `Status`, `Token` and `Done` events of one reply."""
        yield from self.session.send(text, cancel=cancel)

    def stream_structured(self, mode: str, inputs) -> Iterator[Event]:
        """Each section of the result as a `Token`, then `Done`."""
        yield from self.session.stream_structured(mode, inputs)

    def save(self, reply: Reply) -> Path:
        return self.session.save_to_notes(reply)

    def read_source(self, ref: SourceRef) -> str:
        return self.session.read_source(ref)

    def _knowledge(self):
        kb = getattr(self.session, "knowledge", None) or self.knowledge
        if kb is None:
            raise CompanionError("the index is not loaded yet: wait for the status bar to say ready")
        return kb

    def ingest(self, folder: Path, progress: Callable[[int, int, str], None] | None = None):
        """Add a notes folder to the index (and to the settings for next time)."""
        folder = Path(folder).expanduser().resolve()
        kb = self._knowledge()
        if folder not in kb.notes_dirs:
            kb.notes_dirs.append(folder)
        if folder not in [Path(d).expanduser().resolve() for d in self.settings.notes_dirs]:
            self.settings.notes_dirs.append(folder)
        return kb.sync(progress=progress)

    def rebuild(self, progress: Callable[[int, int, str], None] | None = None):
        return self._knowledge().rebuild(progress=progress)
