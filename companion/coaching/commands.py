"""What `companion ask`, `agenda`, `jtbd` and `prompts` do."""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING

import typer

from companion.coaching.session import CoachingSession, Done, Status, Token
from companion.llm.base import LLMError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from companion.coaching.schemas import Reply
    from companion.settings import Settings


def _session(settings: Settings, mode: str, model: str | None, include_notes: bool = True) -> CoachingSession:
    if model:
        settings.model = model
    from companion.llm import get_provider

    provider = get_provider(settings)  # unknown model names fail here, before any loading
    return CoachingSession(settings, provider=provider, mode=mode, include_notes=include_notes)


def _status(text: str) -> None:
    if sys.stderr.isatty():
        typer.echo(f"… {text}", err=True)


def run_ask(
    settings: Settings,
    message: str,
    *,
    mode: str,
    model: str | None,
    as_json: bool,
    include_notes: bool,
) -> None:
    session = _session(settings, mode, model, include_notes)
    session.prepare(progress=_status)
    if session.knowledge_error:
        typer.echo(f"companion: note: {session.knowledge_error}", err=True)
    cancel = threading.Event()
    reply: Reply | None = None
    wrote = False
    try:
        for event in session.send(message, cancel):
            if isinstance(event, Status):
                _status(event.text)
            elif isinstance(event, Token) and not as_json:
                sys.stdout.write(event.text)
                sys.stdout.flush()
                wrote = True
            elif isinstance(event, Done):
                reply = event.reply
    except KeyboardInterrupt:
        cancel.set()
        sys.stdout.write("\n(reply cancelled)\n")
        raise
    except LLMError:
        if wrote:  # keep what was shown, and say it is not the whole reply
            sys.stdout.write("\n(reply incomplete: the model failed, see the error)\n")
            sys.stdout.flush()
        raise
    if as_json:
        assert reply is not None  # send() always ends with Done
        typer.echo(json.dumps(reply.model_dump(mode="json"), indent=2))
    else:
        sys.stdout.write("\n")


def run_structured(
    settings: Settings, mode: str, inputs: BaseModel, *, model: str | None, as_json: bool, save: bool
) -> None:
    session = _session(settings, mode, model)
    session.prepare(progress=_status)
    reply = session.run_structured(mode, inputs)
    if as_json:
        typer.echo(json.dumps(reply.structured, indent=2))
    else:
        typer.echo(reply.text)
    if save:
        path = session.save_to_notes(reply)
        typer.echo(f"saved to {path}", err=True)
