"""A scripted model for tests: enqueue replies (or errors), then inspect `history`."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from companion.llm.base import Cancelled, ChatMessage, LLMError, Provider


class ScriptedProvider(Provider):
    """Replies come from a queue; an empty queue repeats `default`."""

    where = "local"

    def __init__(self, replies: list[Any] | None = None, *, name: str = "scripted",
                 default: str = "What matters most to you here?", token_delay: float = 0.0,
                 fail_after_tokens: int | None = None) -> None:
        self.name = name
        self.default = default
        self.token_delay = token_delay
        self.fail_after_tokens = fail_after_tokens
        self.queue: deque[Any] = deque(replies or [])
        self.history: list[dict[str, Any]] = []

    def enqueue(self, *replies: Any) -> ScriptedProvider:
        """Queue replies: text, a dict/pydantic object (for `structured`), or an LLMError to raise."""
        self.queue.extend(replies)
        return self

    def _next(self) -> Any:
        return self.queue.popleft() if self.queue else self.default

    def stream(self, messages: list[ChatMessage], *, max_tokens: int = 256, temperature: float | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        reply = self._next()
        self.history.append({"kind": "stream", "messages": list(messages), "reply": reply})
        if isinstance(reply, Exception):
            raise reply
        text = reply if isinstance(reply, str) else _as_json(reply)
        for i, word in enumerate(_pieces(text)):
            if cancel is not None and cancel.is_set():
                raise Cancelled("reply cancelled")
            if self.fail_after_tokens is not None and i >= self.fail_after_tokens:
                raise LLMError("the scripted stream stopped halfway")
            if self.token_delay:
                time.sleep(self.token_delay)
            yield word

    def _structured_json(self, messages: list[ChatMessage], schema: dict[str, Any], *, max_tokens: int,
                         temperature: float | None) -> str:
        reply = self._next()
        self.history.append({"kind": "structured", "messages": list(messages), "schema": schema, "reply": reply})
        if isinstance(reply, Exception):
            raise reply
        return reply if isinstance(reply, str) else _as_json(reply)


def _as_json(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value)


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
