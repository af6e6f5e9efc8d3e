"""The offline MiniLM embedder and the OpenAI-compatible endpoint embedder."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from companion.knowledge import embeddings
from companion.knowledge.embeddings import EmbeddingError, EndpointEmbedding


def test_model_files_are_found_on_disk_and_verified():
    model, tokenizer = embeddings.model_files()
    assert model.name == "model.onnx" and tokenizer.name == "tokenizer.json"
    embeddings.verify_model(model)


def test_a_tampered_model_is_refused(tmp_path):
    model, _ = embeddings.model_files()
    fake = tmp_path / "model.onnx"
    shutil.copyfile(model, fake)
    with fake.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(EmbeddingError, match="sha256"):
        embeddings.verify_model(fake)


def test_vectors_are_unit_length_and_batch_independent(embedder):
    texts = ["short", "a much longer sentence about running one-on-ones " * 20, "mid length text"]
    together = embedder.embed(texts)
    assert together.shape == (3, 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = np.stack([embedder.embed_one(t) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)
    assert embedder.embed([]).shape == (0, 384)


def test_similar_texts_are_closer(embedder):
    a, b, c = embedder.embed(
        ["A cat sits on the mat.", "A kitten is resting on a rug.", "Quarterly revenue grew."]
    )
    assert a @ b > a @ c + 0.3


def test_long_inputs_are_truncated_not_rejected(embedder):
    vec = embedder.embed(["word " * 5000])
    assert vec.shape == (1, 384)
    assert embedder.count_tokens("word " * 300) == 300


def test_chromadb_protocol_surface(embedder):
    assert embedder.name() == "minilm-l6-int8" == embedder.model_id
    out = embedder(["hello"])
    assert isinstance(out, list) and out[0].shape == (384,)
    assert embedder.get_config()["threads"] == 2
    assert embeddings.MiniLMEmbedding.build_from_config({"threads": 2}) is embedder
    assert embedder.default_space() == "cosine" and not embedder.is_legacy()


class _FakeEmbeddings(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeEmbeddings.seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        data = []
        for i, text in enumerate(body["input"]):
            vec = np.zeros(64, dtype=np.float32)
            for word in str(text).lower().split():
                vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 3.0
            vec += 0.01
            emb = (
                base64.b64encode(vec.tobytes()).decode()
                if body.get("encoding_format") == "base64"
                else vec.tolist()
            )
            data.append({"object": "embedding", "index": i, "embedding": emb})
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture()
def fake_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeEmbeddings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeEmbeddings.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_endpoint_embedder_never_sends_openai_key_to_another_host(fake_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-should-not-leak")
    emb = EndpointEmbedding(fake_server, "fake-embed")
    vecs = emb.embed(["hello world", "other text"])
    assert vecs.shape == (2, 64)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    (req,) = _FakeEmbeddings.seen
    assert req["path"] == "/v1/embeddings" and req["body"]["model"] == "fake-embed"
    assert "sk-secret" not in (req["auth"] or "")
    assert emb.model_id == "openai-compatible:fake-embed@127.0.0.1"
    assert "base_url" in emb.get_config() and "api_key" not in json.dumps(emb.get_config())


def test_endpoint_settings_and_knowledge_base(fake_server, tmp_path, vault, embedder):
    from companion.knowledge.index import EmbeddingModelMismatch, KnowledgeBase
    from companion.settings import load_settings

    settings = load_settings(
        endpoints=[{"name": "local", "base_url": fake_server, "model": "chat", "api_key": "k-own"}],
        embedding_endpoint="local",
        embedding_model="fake-embed",
        exclude=["drafts/*"],
    )
    emb = embeddings.embedder_for(settings)
    assert isinstance(emb, EndpointEmbedding)
    kb = KnowledgeBase(settings, index_dir=tmp_path / "i", notes_dirs=[vault], include_corpus=False)
    report = kb.sync()
    assert len(report.added) == 7
    assert _FakeEmbeddings.seen[-1]["auth"] == "Bearer k-own"
    assert kb.status().embedding_model == "openai-compatible:fake-embed@127.0.0.1"
    assert kb.search("tiered pricing enterprise plan", k=1)[0].path == "1-1 Dana.md"
    # The MiniLM model may not read this index.
    minilm_kb = KnowledgeBase(
        settings, index_dir=tmp_path / "i", notes_dirs=[vault], embedder=embedder
    )
    with pytest.raises(EmbeddingModelMismatch, match="companion index rebuild"):
        minilm_kb.sync()

    bad = load_settings(embedding_endpoint="missing")
    with pytest.raises(EmbeddingError, match="not one of the configured endpoints"):
        embeddings.embedder_for(bad)


def test_endpoint_failure_is_a_clean_error():
    emb = EndpointEmbedding("http://127.0.0.1:9/v1", "m", max_retries=0, timeout_s=2)
    with pytest.raises(EmbeddingError, match="embedding endpoint"):
        emb.embed(["x"])
