"""`companion doctor`: check each part and say how to fix what is wrong."""

from __future__ import annotations

import importlib.util
import platform
from collections.abc import Callable

import typer

from companion import locations


def _check(label: str, probe: Callable[[], str]) -> bool:
    try:
        detail = probe()
    except Exception as exc:  # noqa: BLE001 - doctor reports every failure, never crashes
        from companion.llm.keys import redact

        typer.echo(f"  FAIL  {label}: {redact(str(exc))}")
        return False
    typer.echo(f"  ok    {label}: {detail}")
    return True


def run_doctor() -> int:
    from companion.settings import load_settings

    typer.echo("companion doctor")
    results = []
    holder = {}

    def settings_probe():
        holder["s"] = load_settings()
        where = locations.config_file()
        return f"{where}" + ("" if where.exists() else " (not created; defaults in use)")

    results.append(_check("settings", settings_probe))
    s = holder.get("s")
    if s is None:
        typer.echo("  fix: correct the field named above, or move the config file aside.")
        return 1

    def runtime_probe():
        if importlib.util.find_spec("llama_cpp") is None:
            raise RuntimeError("llama-cpp-python is not installed; run `make chat` (compiles once, ~8 min)")
        return "llama-cpp-python installed"

    results.append(_check("embedded runtime", runtime_probe))

    from companion.llm.local import LOCAL_MODELS, installed, model_file

    for name, spec in LOCAL_MODELS.items():
        if spec.extra != "local" and not installed(name):
            typer.echo(f"  --    model {name}: not installed (opt-in: `make chat MODEL={name}`)")
            continue
        results.append(_check(f"model {name}", lambda spec=spec: f"{model_file(spec)} (sha256 verified)"))
    if s.model in LOCAL_MODELS and results[-1]:
        results.append(_probe_local(s.model))

    def embedding_probe():
        from companion.knowledge.embeddings import default_embedding_files

        onnx, tokenizer = default_embedding_files()
        return f"{onnx.name} + {tokenizer.name}"

    if importlib.util.find_spec("companion.knowledge.embeddings"):
        results.append(_check("embedding model", embedding_probe))

    def index_probe():
        from companion.knowledge.index import KnowledgeBase

        st = KnowledgeBase(s).status()
        if not st.chunks:
            raise RuntimeError("the index is empty; run `companion ingest` (the corpus indexes on first chat)")
        return f"{st.files} files, {st.chunks} chunks, {st.action_items} action items ({st.embedding_model})"

    if importlib.util.find_spec("companion.knowledge.index"):
        results.append(_check("index", index_probe))

    for endpoint in s.endpoints:
        results.append(_check(f"endpoint {endpoint.name}", lambda e=endpoint: _probe_endpoint(e)))
    if s.model not in LOCAL_MODELS and s.endpoint(s.model) is None:
        typer.echo(f"  FAIL  model setting: {s.model!r} is neither embedded nor a configured endpoint")
        results.append(False)
    ok = all(results)
    typer.echo("all good" if ok else "some checks failed: see the lines marked FAIL")
    return 0 if ok else 1


def _probe_endpoint(endpoint) -> str:
    from companion.llm.openai_compat import OpenAICompatibleProvider

    provider = OpenAICompatibleProvider(endpoint)
    client = provider._root_client().with_options(timeout=5.0, max_retries=0)
    try:
        names = [m.id for m in client.models.list()]
    except Exception as exc:  # noqa: BLE001
        raise provider._translate(exc) from None
    if names and endpoint.model not in names:
        raise RuntimeError(f"{endpoint.base_url} does not list model {endpoint.model!r} (it has: {', '.join(names[:5])})")
    return f"{endpoint.base_url} answers; model {endpoint.model!r}; key {'sent' if provider.has_key else 'not sent'}"


def _probe_local(name: str) -> bool:
    """Run the model in a child process: a native crash becomes a verdict, not a dead shell."""
    from companion.llm.local import LOCAL_MODELS
    from companion.llm.probe import cpu_features, llama_cpp_version, run_probe

    features = cpu_features()
    typer.echo(f"  info  CPU: {platform.machine()}, features: {', '.join(features) or 'unknown'}")
    typer.echo(f"  info  llama-cpp-python {llama_cpp_version()}")
    verdict = run_probe(name, LOCAL_MODELS[name].sha256)
    if verdict.system_info:
        typer.echo(f"  info  llama.cpp CPU kernels: {verdict.system_info}")
    if verdict.ok:
        typer.echo(f"  ok    model {name} runs here: {verdict.detail}")
        return True
    typer.echo(f"  FAIL  model {name} runs here: {verdict.detail}")
    typer.echo(f"  fix: {verdict.advice()}")
    return False
