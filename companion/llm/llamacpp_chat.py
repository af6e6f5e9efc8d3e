"""A langchain chat model over an in-process llama.cpp instance (schema-constrained output)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    convert_to_openai_messages,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict


class ChatLlamaCpp(BaseChatModel):
    """Chat completions from `llama_cpp.Llama`; pass `response_format` for a JSON-schema grammar."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any
    lock: Any
    temperature: float = 0.3
    max_tokens: int = 256
    repeat_penalty: float = 1.1
    prefix_cache: Any = None
    """A `PrefixCache` that primes llama.cpp with the system prompt's saved state."""

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-embedded"

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": kwargs.pop("temperature", self.temperature),
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "repeat_penalty": self.repeat_penalty,
            "stop": stop,
        }
        if "response_format" in kwargs:
            params["response_format"] = kwargs.pop("response_format")
        return params

    def _prime(self, messages: list[dict[str, Any]]) -> None:
        if self.prefix_cache is not None:
            self.prefix_cache.prime(self.llama, messages)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        params = self._params(stop, kwargs)
        dicts = convert_to_openai_messages(messages)
        with self.lock:
            self._prime(dicts)
            out = self.llama.create_chat_completion(messages=dicts, **params)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"), "usage": usage},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        params = self._params(stop, kwargs)
        dicts = convert_to_openai_messages(messages)
        self.lock.acquire()
        try:
            self._prime(dicts)
            stream = self.llama.create_chat_completion(messages=dicts, stream=True, **params)
            try:
                for part in stream:
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                        if run_manager:
                            run_manager.on_llm_new_token(delta, chunk=chunk)
                        yield chunk
            finally:
                stream.close()  # stops llama.cpp decoding when the consumer stops early
        finally:
            self.lock.release()
