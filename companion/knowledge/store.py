"""The chunk store: the ONLY module that imports chromadb.

A `PersistentClient` in the index folder (telemetry off), or an `HttpClient` for a Chroma
server (`COMPANION_CHROMA_URL`). One cosine collection of chunks. Our embedding function is
always passed (and registered), so chromadb never picks its default one, which downloads a
model at run time; chunks are added with precomputed embeddings.
"""

from __future__ import annotations

import contextlib
import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # chromadb may import onnxruntime

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from chromadb.utils.embedding_functions import register_embedding_function

from companion.errors import CompanionError
from companion.knowledge.embeddings import EndpointEmbedding, MiniLMEmbedding

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Embeddable, Embedding, EmbeddingFunction, Include, QueryResult

# chromadb leaves register_embedding_function unannotated (its own `# type: ignore`).
register_embedding_function(MiniLMEmbedding)  # type: ignore[no-untyped-call]
register_embedding_function(EndpointEmbedding)  # type: ignore[no-untyped-call]

Metadata = Mapping[str, Any]
"""A chunk's metadata as chromadb stores it (str, int, float, bool or None values)."""

COLLECTION = "companion_chunks"
MODEL_KEY = "embedding_model"
_PAGE = 5000


class StoreError(CompanionError):
    """The chunk store cannot be opened or used."""


class ModelMismatch(StoreError):
    """The collection was built by another embedding model."""

    def __init__(self, built_with: str, current: str):
        self.built_with = built_with
        self.current = current
        super().__init__(
            f"the index was built with the embedding model '{built_with}', but the current "
            f"setting is '{current}'. Mixing models would return nonsense, so it is refused. "
            f"Run `companion index rebuild` to re-embed everything with '{current}' "
            f"(or switch the embedding setting back)."
        )


class IndexDamaged(StoreError):
    """A file of the local index cannot be read; `companion index rebuild` sets it aside."""

    def __init__(self, path: Path, detail: str):
        self.path = path
        super().__init__(
            f"the index at {path} is damaged ({detail}). Run `companion index rebuild`: it "
            f"moves the damaged files aside and re-embeds your notes (they are not touched)."
        )


@dataclass
class Hit:
    id: str
    document: str
    metadata: dict[str, Any]
    distance: float
    embedding: np.ndarray | None


def _client(path: Path | None, url: str | None) -> ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        parts = urlsplit(url)
        if not parts.hostname:
            raise StoreError(f"not a Chroma server URL: {url!r}")
        ssl = parts.scheme == "https"
        port = parts.port or (443 if ssl else 8000)
        try:
            return chromadb.HttpClient(host=parts.hostname, port=port, ssl=ssl, settings=settings)
        except Exception as exc:
            raise StoreError(f"cannot reach the Chroma server at {url}: {exc}") from None
    assert path is not None
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:  # noqa: BLE001 - chromadb raises several types for a broken file
        # chromadb caches the half-started client by folder; drop it so a rebuild starts clean.
        with contextlib.suppress(Exception):
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient._identifier_to_system.pop(str(path), None)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise IndexDamaged(path, first[:160]) from None


class ChunkStore:
    """One chromadb collection of chunks embedded by `embedder`."""

    def __init__(
        self,
        embedder: MiniLMEmbedding | EndpointEmbedding,
        *,
        path: Path | None = None,
        url: str | None = None,
        collection: str = COLLECTION,
    ):
        if not url and path is None:
            raise StoreError("ChunkStore needs a folder or a server URL")
        self.embedder = embedder
        self.location = url or str(path)
        self.collection_name = collection
        self._client = _client(path, url)
        self._col: Collection | None = None

    # -- collection --------------------------------------------------------------------------
    def built_with(self) -> str | None:
        """The embedding model recorded on the collection (None if it does not exist yet)."""
        try:
            col = self._client.get_collection(self.collection_name)
        except (NotFoundError, ValueError):
            return None
        return (col.metadata or {}).get(MODEL_KEY)

    def collection(self, *, check_model: bool = True) -> Collection:
        """The collection, created if missing. Raises `ModelMismatch` on another model."""
        if self._col is not None:
            return self._col
        current = self.embedder.model_id
        if check_model:
            built = self.built_with()
            if built is not None and built != current:
                raise ModelMismatch(built, current)
        try:
            self._col = self._client.get_or_create_collection(
                self.collection_name,
                # Typed for any embeddable input; ours embeds documents, all we ever give it.
                embedding_function=cast("EmbeddingFunction[Embeddable]", self.embedder),
                metadata={MODEL_KEY: current},
                configuration={"hnsw": {"space": "cosine"}},
            )
        except ValueError as exc:
            if "conflict" in str(exc).lower():
                raise ModelMismatch(self.built_with() or "another model", current) from None
            raise
        return self._col

    def drop(self) -> None:
        """Delete the whole collection (rebuild)."""
        self._col = None
        with contextlib.suppress(NotFoundError, ValueError):
            self._client.delete_collection(self.collection_name)

    # -- writes ------------------------------------------------------------------------------
    def add(
        self,
        ids: list[str],
        documents: list[str],
        metadatas: list[Metadata],
        embeddings: np.ndarray,
    ) -> None:
        if ids:
            self.collection().upsert(
                ids=ids, documents=documents, metadatas=metadatas, embeddings=embeddings
            )

    def update_metadata(self, ids: list[str], metadatas: list[Metadata]) -> None:
        if ids:
            self.collection().update(ids=ids, metadatas=metadatas)

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _PAGE):
            part = ids[start : start + _PAGE]
            if part:
                self.collection().delete(ids=part)

    # -- reads -------------------------------------------------------------------------------
    def count(self) -> int:
        """Chunks stored (0 if the collection does not exist yet); never creates it."""
        if self._col is not None:
            return self._col.count()
        try:
            return self._client.get_collection(self.collection_name).count()
        except (NotFoundError, ValueError):
            return 0

    def existing(self, ids: list[str]) -> set[str]:
        """Which of `ids` are stored."""
        found: set[str] = set()
        for start in range(0, len(ids), _PAGE):
            part = ids[start : start + _PAGE]
            if part:
                found.update(self.collection().get(ids=part, include=[])["ids"])
        return found

    def all_ids(self) -> set[str]:
        """Every stored chunk id (reconciling a local index needs no metadata)."""
        col = self.collection()
        out: set[str] = set()
        offset = 0
        while True:
            page = col.get(include=[], limit=_PAGE, offset=offset)["ids"]
            out.update(page)
            if len(page) < _PAGE:
                return out
            offset += _PAGE

    def all_meta(self, keys: tuple[str, ...] = ("doc", "root")) -> dict[str, dict[str, Any]]:
        """id -> the named metadata fields, for every stored chunk (reconciliation)."""
        col = self.collection()
        out: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = col.get(include=["metadatas"], limit=_PAGE, offset=offset)
            metas: Sequence[Mapping[str, Any] | None] = page.get("metadatas") or [None] * len(
                page["ids"]
            )
            for i, m in zip(page["ids"], metas, strict=False):
                out[i] = {k: (m or {}).get(k) for k in keys}
            if len(page["ids"]) < _PAGE:
                return out
            offset += _PAGE

    def query(
        self,
        embedding: np.ndarray,
        n: int,
        where: dict[str, Any] | None = None,
        *,
        embeddings: bool = True,
    ) -> list[Hit]:
        """Nearest chunks; `embeddings=False` skips returning vectors (faster)."""
        col = self.collection()
        include: Include = (
            ["documents", "metadatas", "distances", "embeddings"]
            if embeddings
            else ["documents", "metadatas", "distances"]
        )
        vectors: list[Embedding] = [np.asarray(embedding, dtype=np.float32)]
        res = col.query(  # fewer stored than n (or none) simply returns fewer
            query_embeddings=vectors,
            n_results=max(1, n),
            where=where or None,
            include=include,
        )
        ids = res["ids"][0]
        docs = (res.get("documents") or [[]])[0]
        metas = (res.get("metadatas") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        found = res.get("embeddings")
        embs: Sequence[Any] | np.ndarray = found[0] if found is not None and len(found) else [None] * len(ids)
        return [
            Hit(
                i,
                d or "",
                dict(m or {}),
                float(dist),
                None if e is None else np.asarray(e, dtype=np.float32),
            )
            for i, d, m, dist, e in zip(ids, docs, metas, dists, embs, strict=False)
        ]

    def query_texts(self, texts: list[str], n: int) -> QueryResult:
        """chromadb's own `collection.query(query_texts=...)` (benchmark baseline)."""
        return self.collection().query(query_texts=texts, n_results=n)
