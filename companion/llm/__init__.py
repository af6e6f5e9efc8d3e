"""Chat model providers behind one interface: `get_provider(settings, name)`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from companion.llm.base import ChatMessage, LLMError, Provider

if TYPE_CHECKING:
    from companion.settings import Settings

__all__ = ["ChatMessage", "LLMError", "Provider", "get_provider", "list_models"]


def get_provider(settings: Settings, name: str | None = None) -> Provider:
    """The provider for a model name: an embedded model or a configured endpoint."""
    from companion.llm.local import LOCAL_MODELS, LocalProvider

    name = name or settings.model
    if name in LOCAL_MODELS:
        return LocalProvider(
            name,
            n_ctx=settings.context_tokens,
            n_threads=settings.threads,
            seed=settings.seed,
            temperature=settings.temperature,
        )
    endpoint = settings.endpoint(name)
    if endpoint is None:
        raise LLMError(
            f"unknown model {name!r}: choose one of {', '.join(settings.model_names())} "
            "(endpoints are added as [[endpoints]] in the config file)"
        )
    from companion.llm.openai_compat import OpenAICompatibleProvider

    return OpenAICompatibleProvider(endpoint, temperature=settings.temperature)


def list_models(settings: Settings) -> list[dict[str, Any]]:
    """What is available and where it lives (for `companion models`)."""
    from companion.llm.keys import api_key_for, host_of
    from companion.llm.local import LOCAL_MODELS, describe

    rows = [describe(name) | {"default": name == settings.model} for name in LOCAL_MODELS]
    for e in settings.endpoints:
        rows.append({
            "name": e.name,
            "kind": "endpoint",
            "description": f"{e.model} at {e.base_url}",
            "status": "key configured" if api_key_for(e.base_url, e.api_key) else "no key sent",
            "host": host_of(e.base_url),
            "tier": "large",
            "default": e.name == settings.model,
        })
    return rows
