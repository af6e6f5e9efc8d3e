"""An on-disk cache of model outputs, as a Provider wrapper the coaching code cannot tell apart.

Keys are the SHA-256 of (what the model is, the prompt messages, the call's parameters), so a
re-run after a scorer change replays every reply from disk and costs no generation, while any
change to a prompt file, a stem, a schema or the model gives a new key. One JSON file per entry
(`<dir>/<2 hex>/<key>.json`), written atomically; safe for threads and for parallel processes.

Only complete outputs are stored: a stream that was cancelled or failed is not, and model
errors are never cached. `read=False` (the CLI's `--no-cache`) forces generation and refreshes
the stored entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from companion.llm.base import ChatMessage, Provider

CACHE_VERSION = 1


def model_identity(provider: Provider) -> dict[str, Any]:
    """What makes two providers produce the same text for the same prompt."""
    ident: dict[str, Any] = {
        "class": type(provider).__name__,
        "name": getattr(provider, "name", "?"),
        "where": getattr(provider, "where", "?"),
    }
    spec = getattr(provider, "spec", None)
    if spec is not None and getattr(spec, "sha256", None):
        ident["sha256"] = spec.sha256
    endpoint = getattr(provider, "endpoint", None)
    if endpoint is not None:
        ident["endpoint_model"] = getattr(endpoint, "model", None)
        ident["base_url"] = getattr(endpoint, "base_url", None)
    for attr in ("seed", "n_ctx", "temperature"):
        value = getattr(provider, attr, None)
        if isinstance(value, int | float | str):
            ident[attr] = value
    return ident


class CachingProvider(Provider):
    """Wraps `inner`; `stream`, `_structured_json` and `count_tokens` are served from disk when
    the same call was made before."""

    def __init__(self, inner: Provider, cache_dir: str | Path, *, read: bool = True, write: bool = True):
        self.inner = inner
        self.name = inner.name
        self.where = inner.where
        self.cache_dir = Path(cache_dir)
        self.read = read
        self.write = write
        self.identity = model_identity(inner)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    # -- keys and storage ------------------------------------------------------------------
    def key(self, kind: str, messages: list[ChatMessage] | None, params: dict[str, Any]) -> str:
        payload = {
            "v": CACHE_VERSION,
            "kind": kind,
            "model": self.identity,
            "messages": [m.model_dump() for m in messages or []],
            "params": params,
        }
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.json"

    def _get(self, key: str) -> dict[str, Any] | None:
        if not self.read:
            return None
        try:
            data = json.loads(self._path(key).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and "value" in data else None

    def _put(self, key: str, kind: str, value: Any) -> None:
        if not self.write:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(
                json.dumps({"kind": kind, "model": self.name, "created": time.time(), "value": value}),
                "utf-8",
            )
            tmp.replace(path)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def stats(self) -> dict[str, Any]:
        return {"hits": self.hits, "misses": self.misses, "read": self.read, "dir": str(self.cache_dir)}

    # -- Provider --------------------------------------------------------------------------
    def stream(self, messages, *, max_tokens=256, temperature=None, cancel=None) -> Iterator[str]:
        key = self.key("stream", messages, {"max_tokens": max_tokens, "temperature": temperature})
        cached = self._get(key)
        if cached is not None:
            self._count(True)
            yield str(cached["value"])
            return
        self._count(False)
        pieces: list[str] = []
        for piece in self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature, cancel=cancel):
            pieces.append(piece)
            yield piece
        # Reached only when the inner stream ended normally (not cancelled, not closed early).
        self._put(key, "stream", "".join(pieces))

    def _structured_json(self, messages, schema, *, max_tokens, temperature) -> str:
        key = self.key(
            "structured", messages, {"schema": schema, "max_tokens": max_tokens, "temperature": temperature}
        )
        cached = self._get(key)
        if cached is not None:
            self._count(True)
            return str(cached["value"])
        self._count(False)
        raw = self.inner._structured_json(messages, schema, max_tokens=max_tokens, temperature=temperature)
        self._put(key, "structured", raw)
        return raw

    def count_tokens(self, text: str) -> int:
        # Cached too, so a fully cached run never has to load a local model to count tokens.
        key = self.key("count_tokens", None, {"text": text})
        cached = self._get(key)
        if cached is not None:
            return int(cached["value"])
        n = self.inner.count_tokens(text)
        self._put(key, "count_tokens", n)
        return n

    def prepare(self) -> None:
        """Nothing: the inner model loads on its first cache miss (a cached run never loads it)."""

    def close(self) -> None:
        self.inner.close()
