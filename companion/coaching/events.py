"""What a coaching turn reports while it runs: status lines, reply pieces, the checked reply.

A small module of its own so that the UI can name these types without importing the session
(and, through it, the model and the index) before the first frame is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from companion.coaching.schemas import Reply


@dataclass(frozen=True)
class Status:
    """A progress line ("looking through your notes…")."""

    text: str


@dataclass(frozen=True)
class Token:
    """A piece of the reply, to show as it arrives."""

    text: str


@dataclass(frozen=True)
class Done:
    """The turn's final, checked reply."""

    reply: Reply


Event = Status | Token | Done
