"""LLM benchmark: load time, first token and decode speed of an embedded model.

    python benchmarks/llm.py [--model NAME] [--runs 3] [--max-tokens 96]

Prints ONE JSON object:

- `model`: the embedded model measured (default: the settings' default model)
- `assemble_s`: assembling (split models) and sha256-verifying the GGUF file into a fresh
  data dir, as the very first start on a machine does
- `probe_s`: the once-per-machine crash probe (one short generation in a child process;
  cached afterwards, so later starts skip it)
- `load_s`: loading the verified file into llama.cpp (every later start)
- `ttft_300_s`: median time to the first token at a ~300-token prompt (no prefix reuse)
- `socratic_turn_s`: median of one Socratic turn end to end through `CoachingSession`
  (retrieval over the bundled library, generation, guard), the index built beforehand
- `ttft_s`: median time to the first streamed token through our provider
  (`LocalProvider.stream`, i.e. langchain's chat model over llama.cpp)
- `decode_tok_s`: median decode speed through our provider (tokens after the first / time)
- `raw_decode_tok_s`: the same prompt and parameters through `llama_cpp.Llama` directly,
  same process, same loaded model; `raw_ttft_s` likewise
- `ratio`: decode_tok_s / raw_decode_tok_s (1.0 means the provider layer costs nothing)
- `peak_rss_mib`: peak resident memory of the process
- `samples`: every measurement

The KV cache is reset before every run so no run profits from the previous one's prompt,
and the two paths alternate so background load hits both alike. Temperature 0, fixed seed.
Runs in a temporary COMPANION_HOME: nothing touches your data dir.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SYSTEM = "You are a thoughtful coach for product managers."
USER = (
    "My manager wants me to cut scope for the March launch and I disagree: the onboarding "
    "flow is what customers complained about most in the interviews. Write a numbered list of "
    "ten open questions a mentor could ask me about this."
)


def _timed_stream(pieces) -> tuple[float, float, int]:
    """(seconds to the first piece, decode seconds after it, pieces) of an iterator."""
    start = time.perf_counter()
    first = None
    count = 0
    for _ in pieces:
        count += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    if first is None:
        raise RuntimeError("the model produced no tokens")
    return first - start, end - first, count


def _rate(decode_s: float, count: int) -> float:
    return (count - 1) / decode_s if count > 1 and decode_s > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedded model name (companion models)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="companion-llm-bench-")
    os.environ["COMPANION_HOME"] = home
    from companion.llm import local
    from companion.llm.base import ChatMessage
    from companion.settings import load_settings

    settings = load_settings()
    name = args.model or settings.model
    if name not in local.LOCAL_MODELS:
        sys.exit(f"benchmarks/llm.py measures embedded models: one of {sorted(local.LOCAL_MODELS)}")

    t0 = time.perf_counter()
    path = local.model_file(local.LOCAL_MODELS[name])
    assemble_s = time.perf_counter() - t0

    provider = local.LocalProvider(name, n_ctx=settings.context_tokens,
                                   n_threads=settings.threads, seed=settings.seed)
    from companion.llm.probe import ensure_runs

    t0 = time.perf_counter()
    ensure_runs(name, local.LOCAL_MODELS[name].sha256)
    probe_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    provider.prepare()
    load_s = time.perf_counter() - t0
    llama = provider.chat_model().llama

    messages = [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=USER)]
    raw_messages = [m.model_dump() for m in messages]
    ours: list[tuple[float, float, int]] = []
    raw: list[tuple[float, float, int]] = []
    # One unmeasured warm-up of each path (page cache, thread pool start).
    for measured in [False] + [True] * args.runs:
        llama.reset()
        a = _timed_stream(provider.stream(messages, max_tokens=args.max_tokens, temperature=0.0))
        llama.reset()
        b = _timed_stream(
            part for part in llama.create_chat_completion(
                messages=raw_messages, stream=True, max_tokens=args.max_tokens,
                temperature=0.0, repeat_penalty=1.1)
            if part["choices"][0].get("delta", {}).get("content")
        )
        if measured:
            ours.append(a)
            raw.append(b)

    # A prompt of about 300 tokens, the size of a Socratic turn's prompt.
    long_user = " ".join([USER] * 5)
    long_messages = [ChatMessage(role="system", content=SYSTEM),
                     ChatMessage(role="user", content=long_user)]
    ttft_300 = []
    for _ in range(args.runs):
        llama.reset()
        ttft_300.append(_timed_stream(provider.stream(long_messages, max_tokens=8,
                                                      temperature=0.0))[0])
    prompt_tokens = provider.count_tokens(SYSTEM + long_user)

    from companion.coaching.session import CoachingSession

    session_turns = []
    for _ in range(args.runs):
        session = CoachingSession(settings, provider=provider)
        session.prepare()
        t0 = time.perf_counter()
        session.respond("My manager wants me to cut scope for the March launch and I disagree.")
        session_turns.append(time.perf_counter() - t0)

    decode = statistics.median(_rate(d, n) for _, d, n in ours)
    raw_decode = statistics.median(_rate(d, n) for _, d, n in raw)
    print(json.dumps({
        "model": name,
        "assemble_s": round(assemble_s, 3),
        "probe_s": round(probe_s, 3),
        "load_s": round(load_s, 3),
        "ttft_300_s": round(statistics.median(ttft_300), 3),
        "prompt_tokens_300": prompt_tokens,
        "socratic_turn_s": round(statistics.median(session_turns), 3),
        "ttft_s": round(statistics.median(t for t, _, _ in ours), 3),
        "decode_tok_s": round(decode, 1),
        "raw_ttft_s": round(statistics.median(t for t, _, _ in raw), 3),
        "raw_decode_tok_s": round(raw_decode, 1),
        "ratio": round(decode / raw_decode, 3) if raw_decode else None,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "samples": {
            "ours": [{"ttft_s": round(t, 3), "tokens": n, "tok_s": round(_rate(d, n), 1)}
                     for t, d, n in ours],
            "raw": [{"ttft_s": round(t, 3), "tokens": n, "tok_s": round(_rate(d, n), 1)}
                    for t, d, n in raw],
        },
    }))
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
