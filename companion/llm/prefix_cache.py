"""llama.cpp's KV state of a fixed system prompt, kept on disk so a new process skips its prefill.

Every prompt file keeps its system section fixed (no variables, enforced by the prompt loader)
and first, so within one process llama.cpp reuses it from turn to turn. A one-shot process
(`companion ask`, the first turn of the app) would still pay that prefill, about 1.5 s for
the ~350-token Socratic system prompt on 2 cores. This cache saves the state once, with
llama.cpp's own session-file API, and later processes load it in milliseconds.

Only a system message is ever cached, never user text or retrieved notes. Any problem
(missing, stale or corrupt file) is a cache miss: the prompt is evaluated as usual.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MIN_TOKENS = 64  # shorter prefixes cost less to evaluate than to load
MAX_FILES = 24
# Tokens held back from the common prefix: a tokenizer may merge across the boundary.
BOUNDARY_SLACK = 2


class PrefixCache:
    """Prime a llama.cpp context with a system prompt's KV state (from disk, or computed)."""

    def __init__(self, folder: Path, model_id: str, n_ctx: int):
        self.folder = folder
        self.model_id = model_id
        self.n_ctx = n_ctx
        self._tokens: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def prime(self, llama: Any, messages: list[dict[str, Any]]) -> None:
        """Make `llama`'s KV cache start with the system message; the caller holds its lock."""
        if not messages or messages[0].get("role") != "system":
            return
        try:
            tokens = self._prefix_tokens(llama, str(messages[0].get("content", "")))
            if len(tokens) < MIN_TOKENS or len(tokens) >= self.n_ctx // 2:
                return
            n = len(tokens)
            if llama.n_tokens >= n and llama.input_ids[:n].tolist() == tokens:
                return  # already in memory: llama.cpp reuses it by itself
            path = self._path(tokens)
            if self._load(llama, path, tokens):
                self.hits += 1
                return
            self.misses += 1
            llama.reset()
            llama.eval(tokens)
            self._save(llama, path, tokens)
        except Exception as exc:  # noqa: BLE001 - a cache must never break a reply
            log.warning("prefix cache skipped: %s", exc)
            llama.reset()

    # -- tokens ------------------------------------------------------------------------------

    def _prefix_tokens(self, llama: Any, system: str) -> list[int]:
        with self._lock:
            if system in self._tokens:
                return self._tokens[system]
        # The chat template decides what surrounds the system text; two prompts that differ
        # only in the user message share exactly the tokens that are fixed.
        a = _prompt_tokens(llama, system, "a")
        b = _prompt_tokens(llama, system, "b z")
        common = 0
        for x, y in zip(a, b, strict=False):
            if x != y:
                break
            common += 1
        tokens = a[: max(0, common - BOUNDARY_SLACK)]
        with self._lock:
            self._tokens[system] = tokens
        return tokens

    def _path(self, tokens: list[int]) -> Path:
        digest = hashlib.sha256(
            f"{self.model_id}|{self.n_ctx}|{','.join(map(str, tokens))}".encode()
        ).hexdigest()[:32]
        return self.folder / f"{digest}.kv"

    # -- files -------------------------------------------------------------------------------

    def _load(self, llama: Any, path: Path, tokens: list[int]) -> bool:
        if not path.is_file():
            return False
        import llama_cpp

        n = len(tokens)
        out = (llama_cpp.llama_token * self.n_ctx)()
        count = ctypes.c_size_t(0)
        ok = llama_cpp.llama_state_load_file(
            llama._ctx.ctx, str(path).encode(), out, self.n_ctx, ctypes.byref(count)
        )
        if not ok or count.value != n or list(out[:n]) != tokens:
            log.warning("prefix cache: %s is unusable; it will be rebuilt", path.name)
            path.unlink(missing_ok=True)
            llama.reset()
            return False
        llama.input_ids[:n] = tokens
        llama.n_tokens = n
        with contextlib.suppress(OSError):  # recently used: pruning keeps the newest
            os.utime(path)
        return True

    def _save(self, llama: Any, path: Path, tokens: list[int]) -> None:
        import llama_cpp

        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        array = (llama_cpp.llama_token * len(tokens))(*tokens)
        if llama_cpp.llama_state_save_file(llama._ctx.ctx, str(tmp).encode(), array, len(tokens)):
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
            self._prune()
        else:
            tmp.unlink(missing_ok=True)

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.kv"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in files[MAX_FILES:]:
            stale.unlink(missing_ok=True)


def _prompt_tokens(llama: Any, system: str, user: str) -> list[int]:
    """The tokens llama-cpp-python's chat handler evaluates for [system, user]."""
    from llama_cpp import llama_chat_format

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return []
    eos = llama._model.token_get_text(llama.token_eos()) if llama.token_eos() != -1 else ""
    bos = llama._model.token_get_text(llama.token_bos()) if llama.token_bos() != -1 else ""
    formatter = llama_chat_format.Jinja2ChatFormatter(
        template=template, eos_token=eos, bos_token=bos
    )
    result = formatter(
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}]
    )
    tokens: list[int] = llama.tokenize(
        result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
    )
    return tokens
