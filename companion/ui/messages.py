"""Typed messages between the widgets, the screens and the workers that drive the session.

Workers run in threads and only ever `post_message` one of these (thread-safe); widgets never
call the coaching session themselves, they post a request and the app's workers do the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message
from textual.notifications import SeverityLevel

from companion.coaching.schemas import Reply, SourceRef
from companion.ui.host import Problem

# -- requests from widgets ---------------------------------------------------------------------


@dataclass
class PromptSubmitted(Message):
    """The user pressed Enter in the prompt."""

    text: str


@dataclass
class SourceOpenRequested(Message):
    """Open the text behind a cited passage."""

    ref: SourceRef


@dataclass
class SaveRequested(Message):
    """Save a structured result into the notes folder (`widget` shows where it went)."""

    reply: Reply
    widget: object | None = None


@dataclass
class CopyRequested(Message):
    """Copy a reply's Markdown to the clipboard."""

    text: str


# -- events from workers -----------------------------------------------------------------------


@dataclass
class SessionPreparing(Message):
    """The model and the index are loading (`text` says what is happening)."""

    text: str


@dataclass
class SessionReady(Message):
    """The session can answer: model name, where it runs, index status (or why there is no
    index)."""

    model: str
    where: str
    index: dict | None = None
    index_problem: str | None = None


@dataclass
class SessionFailed(Message):
    """Preparing the session failed."""

    problem: Problem


@dataclass
class ReplyStatus(Message):
    """A progress line while a reply is being prepared ("searching your notes…")."""

    text: str


@dataclass
class ReplyToken(Message):
    """A piece of the reply to append."""

    text: str


@dataclass
class ReplyFinished(Message):
    """The reply is complete (or was cancelled; then `reply.cancelled` is True)."""

    reply: Reply


@dataclass
class ReplyFailed(Message):
    """The reply failed; `prompt` goes back into the input box."""

    prompt: str
    problem: Problem


@dataclass
class StructuredFinished(Message):
    """An agenda, guide or prompts list is ready."""

    reply: Reply
    summary: str


@dataclass
class StructuredFailed(Message):
    """Building an agenda, guide or prompts list failed."""

    problem: Problem


@dataclass
class Saved(Message):
    """A structured result was written to `path` (`widget` shows where it went)."""

    path: Path
    widget: object | None = None


@dataclass
class SourceText(Message):
    """The text of a source, read in a worker, ready for the viewer."""

    ref: SourceRef
    text: str


@dataclass
class IndexProgress(Message):
    """Indexing progress: `done` of `total` chunks, `current` file; rate (chunks/s) and the
    seconds left once they can be estimated."""

    done: int
    total: int
    current: str = ""
    rate: float | None = None
    eta_s: float | None = None


@dataclass
class IndexUpdated(Message):
    """Indexing finished; `summary` is one line for a notification."""

    summary: str
    index: dict | None = None


@dataclass
class IndexFailed(Message):
    """Ingesting or rebuilding the index failed."""

    problem: Problem


@dataclass
class Notice(Message):
    """Something for a notification from a worker."""

    text: str
    title: str = ""
    severity: SeverityLevel = "information"
