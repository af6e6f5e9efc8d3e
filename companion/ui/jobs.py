"""The blocking work behind the chat: each job calls `SessionHost` and reports by posting typed
messages (`companion.ui.messages`), nothing else.

The chat screen runs these in worker threads (`run_worker(..., thread=True)`); `post` is the
screen's thread-safe `post_message`. Keeping them apart from the widgets means the screen only
routes messages, and every failure reaches it as a `Problem`, never as a bare string.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel
from textual.message import Message

from companion.coaching.events import Done, Status, Token
from companion.coaching.schemas import Reply, SourceRef
from companion.ui.host import Problem, SessionHost, describe_error
from companion.ui.messages import (
    IndexFailed,
    IndexProgress,
    IndexUpdated,
    Notice,
    ReplyFailed,
    ReplyFinished,
    ReplyStatus,
    ReplyToken,
    Saved,
    SessionFailed,
    SessionPreparing,
    SessionReady,
    SourceText,
    StructuredFailed,
    StructuredFinished,
)

Post = Callable[[Message], object]


def prepare(host: SessionHost, post: Post) -> None:
    """Load the model and the index."""
    try:
        host.prepare(progress=lambda text: post(SessionPreparing(text)))
    except BaseException:  # noqa: BLE001 - described in host.error
        post(SessionFailed(host.error or Problem("The model is not ready", "unknown error")))
        return
    post(SessionReady(host.model_name, host.model_where, host.index_status(), host.index_problem))


def reply(host: SessionHost, text: str, cancel: threading.Event, post: Post) -> None:
    """One chat turn, streamed."""
    mode = host.mode
    if not host.wait(cancel):
        post(ReplyFinished(Reply(mode=mode, text="", cancelled=True)))
        return
    if host.error is not None:
        post(ReplyFailed(text, host.error))
        return
    streamed: list[str] = []
    final: Reply | None = None
    try:
        for event in host.send(text, cancel):
            if isinstance(event, Token):
                streamed.append(event.text)
                post(ReplyToken(event.text))
            elif isinstance(event, Status):
                post(ReplyStatus(event.text))
            elif isinstance(event, Done):
                final = event.reply
    except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
        if cancel.is_set() and getattr(exc, "kind", "") == "cancelled":
            final = Reply(mode=mode, text="".join(streamed), cancelled=True)
        else:
            post(ReplyFailed(text, describe_error(exc, host.secrets)))
            return
    if final is None:
        final = Reply(mode=mode, text="".join(streamed), cancelled=cancel.is_set())
    post(ReplyFinished(final))


def structured(host: SessionHost, mode: str, inputs: BaseModel, summary: str, post: Post) -> None:
    """An agenda, interview guide or prompts list."""
    host.wait()
    if host.error is not None:
        post(StructuredFailed(host.error))
        return
    result: Reply | None = None
    try:
        # Each section appears as it is built (a guide takes tens of seconds on 2 cores);
        # the finished result then replaces the preview.
        for event in host.stream_structured(mode, inputs):
            if isinstance(event, Token):
                post(ReplyToken(event.text))
            elif isinstance(event, Done):
                result = event.reply
    except Exception as exc:  # noqa: BLE001
        post(StructuredFailed(describe_error(exc, host.secrets)))
        return
    assert result is not None
    post(StructuredFinished(result, summary))


def save(host: SessionHost, result: Reply, widget: object | None, post: Post) -> None:
    """A structured result into the notes folder."""
    try:
        path = host.save(result)
    except Exception as exc:  # noqa: BLE001
        post(_notice(exc, host, "Not saved"))
        return
    post(Saved(path, widget))


def read_source(host: SessionHost, ref: SourceRef, post: Post) -> None:
    """The text behind a cited passage, for the viewer."""
    try:
        text = host.read_source(ref)
    except Exception as exc:  # noqa: BLE001
        post(_notice(exc, host, "Cannot open the source"))
        return
    post(SourceText(ref, text))


def _notice(exc: Exception, host: SessionHost, title: str) -> Notice:
    return Notice(describe_error(exc, host.secrets).message, title=title, severity="error")


def index(host: SessionHost, folder: Path | None, post: Post) -> None:
    """Ingest `folder` into the index (and remember it), or rebuild the index when None."""
    host.wait()
    if host.error is not None:
        post(IndexFailed(host.error))
        return

    started: list[tuple[float, int]] = []

    def progress(done: int, total: int, current: str = "") -> None:
        # Rate and time left from the first progress call on (the first second is noise).
        now = time.monotonic()
        if not started and total:
            started.append((now, done))
        rate = eta = None
        if started and now - started[0][0] > 1 and done > started[0][1]:
            rate = (done - started[0][1]) / (now - started[0][0])
            eta = max(0.0, (total - done) / rate)
        post(IndexProgress(done, total, current, rate, eta))

    try:
        report = host.ingest(folder, progress) if folder is not None else host.rebuild(progress)
    except Exception as exc:  # noqa: BLE001
        post(IndexFailed(describe_error(exc, host.secrets)))
        return
    if folder is not None:
        remember_notes_dir(folder)
    post(IndexUpdated(report_line(report), host.index_status()))


def report_line(report) -> str:
    """A sync report as one line: `3 added, 1 updated, 0 removed in 2.1 s`."""
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


def remember_notes_dir(folder: Path) -> None:
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
