"""The saved system-prompt state: a later process skips the prefill and says the same thing."""

from __future__ import annotations

import pytest

from companion import locations
from companion.coaching.prompts import load_prompt
from companion.llm import get_provider
from companion.llm.base import ChatMessage
from companion.settings import load_settings

pytestmark = pytest.mark.model

SYSTEM = load_prompt("socratic-question").system.strip()
USER = "Situation: my manager wants to cut scope.\nType: clarity\nQuestion: What do you mean by"
MESSAGES = [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=USER)]


def _greedy(provider) -> str:
    return "".join(provider.stream(MESSAGES, max_tokens=24, temperature=0.0))


def test_saved_prefix_is_loaded_and_changes_nothing(share_models):
    provider = get_provider(load_settings(), "smollm2-135m")
    chat = provider.chat_model()
    llama, cache = chat.llama, chat.prefix_cache
    chat.prefix_cache = None
    llama.reset()
    reference = _greedy(provider)  # no cache at all

    chat.prefix_cache = cache
    llama.reset()
    first = _greedy(provider)
    (saved,) = list(locations.prefix_cache_dir().glob("*.kv"))
    assert cache.misses == 1 and saved.stat().st_mode & 0o077 == 0  # user-only

    llama.reset()  # as a new process would start: nothing in memory
    second = _greedy(provider)
    assert cache.hits == 1
    assert first == second == reference and reference.strip()

    _greedy(provider)  # the prefix is already in memory: no file read
    assert cache.hits == 1 and cache.misses == 1


def test_a_corrupt_saved_prefix_is_rebuilt(share_models):
    provider = get_provider(load_settings(), "smollm2-135m")
    chat = provider.chat_model()
    chat.llama.reset()
    reference = _greedy(provider)
    (saved,) = list(locations.prefix_cache_dir().glob("*.kv"))
    saved.write_bytes(b"not a llama.cpp session file" * 100)

    chat.llama.reset()
    assert _greedy(provider) == reference
    assert chat.prefix_cache.misses == 2  # the broken file was dropped and saved anew
    assert saved.stat().st_size > 10_000


def test_user_text_is_never_cached(share_models):
    provider = get_provider(load_settings(), "smollm2-135m")
    chat = provider.chat_model()
    chat.llama.reset()
    private = [ChatMessage(role="user", content=USER + " (a private note about Dana)")]
    "".join(provider.stream(private, max_tokens=4))
    assert not list(locations.prefix_cache_dir().glob("*.kv"))
