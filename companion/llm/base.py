"""The one small interface every chat model provider implements."""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMError(Exception):
    """A failure the user can act on; `str()` is one line saying what happened and what to do."""

    kind = "error"


class EndpointUnreachable(LLMError):
    kind = "unreachable"


class AuthenticationFailed(LLMError):
    kind = "auth"


class ModelNotFound(LLMError):
    kind = "not_found"


class RateLimited(LLMError):
    kind = "rate_limited"


class EndpointTimeout(LLMError):
    kind = "timeout"


class BadResponse(LLMError):
    kind = "bad_response"


class Cancelled(LLMError):
    kind = "cancelled"


class Provider(ABC):
    """A chat model: stream a reply, or produce one that validates against a schema."""

    name: str
    where: str  # "local" or the endpoint's host

    @abstractmethod
    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text piece by piece. Closing the iterator or setting `cancel` stops it."""

    @abstractmethod
    def _structured_json(
        self,
        messages: list[ChatMessage],
        schema: dict[str, Any],
        *,
        max_tokens: int,
        temperature: float | None,
    ) -> str:
        """Return raw JSON text constrained by `schema` as far as the backend allows."""

    def structured(
        self,
        messages: list[ChatMessage],
        schema: type[T],
        *,
        max_tokens: int = 256,
        temperature: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> T:
        """A reply parsed into `schema`; `json_schema` may tighten the constraint (patterns)."""
        raw = self._structured_json(
            messages,
            json_schema or schema_for(schema),
            max_tokens=max_tokens,
            temperature=temperature,
        )
        try:
            return schema.model_validate_json(raw)
        except ValidationError:
            try:  # Some servers wrap JSON in prose or code fences.
                start, end = raw.index("{"), raw.rindex("}") + 1
                return schema.model_validate(json.loads(raw[start:end]))
            except (ValueError, ValidationError) as exc:
                raise BadResponse(
                    f"{self.name} returned output that does not match {schema.__name__}"
                ) from exc

    def count_tokens(self, text: str) -> int:
        """Offline token estimate (about four characters a token for English)."""
        return max(1, (len(text) + 3) // 4)

    def close(self) -> None:  # noqa: B027 - optional hook, most providers hold nothing
        """Free the model or connection."""


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON schema without titles (smaller grammar, shorter prompt)."""
    schema = model.model_json_schema()

    def strip(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("title"), str):  # a schema's title, not a property named title
                node.pop("title")
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(schema)
    return schema
