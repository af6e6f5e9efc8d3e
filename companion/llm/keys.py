"""Which API key may be sent where.

A key is only ever sent to the endpoint it was configured for. `OPENAI_API_KEY` from the
environment is used only for OpenAI's own host; a custom `base_url` without its own key gets
no key at all (never a fallback), so a key cannot leak to a third-party server.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from pydantic import SecretStr

OPENAI_HOSTS = frozenset({"api.openai.com"})


def host_of(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()


def api_key_for(base_url: str, configured: SecretStr | None) -> SecretStr | None:
    """The key to send to `base_url`: its own configured key, or OPENAI_API_KEY for OpenAI only."""
    if configured is not None and configured.get_secret_value():
        return configured
    if host_of(base_url) in OPENAI_HOSTS:
        env = os.environ.get("OPENAI_API_KEY")
        return SecretStr(env) if env else None
    return None


def redact(text: str, *secrets: SecretStr | str | None) -> str:
    """Remove every known secret from a message before it is shown, logged or stored."""
    values = [os.environ.get("OPENAI_API_KEY")]
    for s in secrets:
        values.append(s.get_secret_value() if isinstance(s, SecretStr) else s)
    for value in values:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text
