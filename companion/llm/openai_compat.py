"""Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server) via langchain-openai."""

from __future__ import annotations

import json
import threading
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, cast

from pydantic import SecretStr

from companion.llm.base import (
    AuthenticationFailed,
    BadResponse,
    Cancelled,
    ChatMessage,
    EndpointTimeout,
    EndpointUnreachable,
    LLMError,
    ModelNotFound,
    Provider,
    RateLimited,
)
from companion.llm.keys import api_key_for, host_of, redact
from companion.settings import Endpoint

if TYPE_CHECKING:
    import openai
    from langchain_core.messages import BaseMessage, BaseMessageChunk
    from langchain_openai import ChatOpenAI


def _no_key() -> str:
    return ""


class OpenAICompatibleProvider(Provider):
    """A remote (or loopback) chat model; the key goes only to the endpoint it belongs to."""

    def __init__(self, endpoint: Endpoint, *, temperature: float = 0.3):
        self.endpoint = endpoint
        self.name = endpoint.name
        self.where = host_of(endpoint.base_url)
        self.temperature = temperature
        self._key = api_key_for(endpoint.base_url, endpoint.api_key)
        self._chat_model: ChatOpenAI | None = None

    @property
    def has_key(self) -> bool:
        return self._key is not None

    def _root_client(self) -> openai.OpenAI:
        import openai

        # Our own client, so neither openai nor langchain can fall back to OPENAI_API_KEY (or
        # OPENAI_ADMIN_KEY). Without a key of its own the endpoint gets no Authorization header:
        # the client takes a key provider, and an empty key sends no header.
        key = self._key.get_secret_value() if self._key else None
        return openai.OpenAI(
            api_key=key if key else _no_key,
            admin_api_key="",
            base_url=self.endpoint.base_url,
            timeout=self.endpoint.timeout_s,
            max_retries=self.endpoint.max_retries,  # backoff on 429, 5xx and dropped connections
        )

    def chat_model(self) -> ChatOpenAI:
        if self._chat_model is None:
            from langchain_openai import ChatOpenAI

            root = self._root_client()
            self._chat_model = ChatOpenAI(
                model=self.endpoint.model,
                client=root.chat.completions,
                root_client=root,
                api_key=SecretStr("unused-client-is-given"),
                base_url=self.endpoint.base_url,
                temperature=self.temperature,
                streaming=True,
                stream_usage=False,
            )
        return self._chat_model

    def _limit(self, max_tokens: int) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self._key is None:
            import openai

            # Explicitly no Authorization header (openai would otherwise refuse to send).
            params["extra_headers"] = {"Authorization": openai.Omit()}
        if self.endpoint.max_tokens_param == "max_tokens":
            # langchain sends max_completion_tokens, which llama.cpp's server ignores.
            params["extra_body"] = {"max_tokens": max_tokens}
        else:
            params["max_completion_tokens"] = max_tokens
        return params

    def stream(self, messages: list[ChatMessage], *, max_tokens: int = 256,
               temperature: float | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        params = self._limit(max_tokens)
        if temperature is not None:
            params["temperature"] = temperature
        model = self.chat_model()
        started = False
        try:
            # A generator: closing it closes the HTTP stream.
            stream = cast("Generator[BaseMessageChunk, None, None]", model.stream(_messages(messages), **params))
            try:
                for chunk in stream:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("reply cancelled")
                    if chunk.content:
                        started = True
                        yield str(chunk.content)
            finally:
                stream.close()
        except LLMError:
            raise
        except Exception as exc:  # noqa: BLE001 - every transport failure becomes one clear line
            import openai

            if started and not isinstance(exc, openai.APIStatusError | openai.APITimeoutError):
                raise BadResponse(f"the reply from {self.where} stopped halfway; the partial reply is kept") from exc
            raise self._translate(exc) from exc

    def _structured_json(self, messages: list[ChatMessage], schema: dict[str, Any], *,
                         max_tokens: int, temperature: float | None) -> str:
        # response_format goes through ChatOpenAI as a request parameter rather than through
        # `with_structured_output`: its json_mode sends no schema, and llama.cpp's server builds
        # its grammar from the schema we add to json_object; parsing stays in
        # Provider.structured, the same repair and error for every provider.
        params = self._limit(max_tokens)
        if self.endpoint.structured_output == "json_object":
            params["response_format"] = {"type": "json_object", "schema": schema}
        else:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": False},
            }
        if temperature is not None:
            params["temperature"] = temperature
        try:
            reply = self.chat_model().invoke(_messages(messages), **params)
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc) from exc
        return str(reply.content)

    def _translate(self, exc: Exception) -> LLMError:
        import openai

        host = self.where
        url = self.endpoint.base_url
        transport = type(exc).__module__.split(".")[0] in {"httpx", "httpx2", "httpcore"}
        if isinstance(exc, openai.APITimeoutError) or (transport and "Timeout" in type(exc).__name__):
            return EndpointTimeout(
                f"{host} did not answer within {self.endpoint.timeout_s:g} s; try again, or raise "
                f"timeout_s for endpoint {self.name!r}"
            )
        if isinstance(exc, openai.APIConnectionError) and _broken_mid_reply(exc):
            return BadResponse(f"the reply from {host} stopped halfway (the connection broke); try again")
        if isinstance(exc, openai.APIConnectionError):
            return EndpointUnreachable(
                f"cannot reach {url} (connection refused or no network); is the server running? "
                f"Switch to the embedded model with `--model qwen2.5-0.5b`"
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            hint = "set api_key for this endpoint in the config file" if not self._key else "check the api_key configured for it"
            return AuthenticationFailed(f"{host} refused the API key (HTTP {exc.status_code}); {hint}")
        if isinstance(exc, openai.NotFoundError):
            return ModelNotFound(
                f"{host} has no model {self.endpoint.model!r} (HTTP 404); check `model` for endpoint "
                f"{self.name!r} or the base_url (it usually ends in /v1)"
            )
        if isinstance(exc, openai.RateLimitError):
            return RateLimited(f"{host} is rate-limiting requests (HTTP 429) after retries; wait and try again")
        if isinstance(exc, openai.APIStatusError):
            detail = redact(str(getattr(exc, "message", "")), self._key)[:200]
            return LLMError(f"{host} answered HTTP {exc.status_code}: {detail}")
        if transport or isinstance(exc, json.JSONDecodeError | ValueError):
            return BadResponse(f"the reply from {host} stopped halfway or was malformed ({type(exc).__name__})")
        return LLMError(redact(f"{host}: {type(exc).__name__}: {exc}", self._key))


def _messages(messages: list[ChatMessage]) -> list[BaseMessage]:
    from langchain_core.messages import convert_to_messages

    return convert_to_messages([m.model_dump() for m in messages])


def _broken_mid_reply(exc: BaseException) -> bool:
    """True when the server answered and the connection then broke: not "cannot reach"."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if type(seen).__name__ in {"RemoteProtocolError", "ReadError"}:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
