"""A native crash of the embedded model is a verdict with advice, never a silent death."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from companion import locations
from companion.llm import probe
from companion.llm.local import LOCAL_MODELS, installed

SPEC = LOCAL_MODELS["qwen2.5-0.5b"]
SEGFAULT = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]


def test_a_child_that_segfaults_is_a_cached_crash_verdict():
    verdict = probe.run_probe(SPEC.name, SPEC.sha256, command=SEGFAULT)
    assert not verdict.ok
    assert "crashed in native code (SIGSEGV)" in verdict.detail
    assert probe.cached_verdict(SPEC.name, SPEC.sha256) == verdict
    with pytest.raises(probe.LocalModelCrashed) as err:
        probe.ensure_runs(SPEC.name, SPEC.sha256)
    message = str(err.value)
    assert "does not run on this machine" in message and "SIGSEGV" in message
    assert "companion doctor" in message and "endpoint" in message


def test_a_hung_child_is_a_verdict_too():
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    verdict = probe.run_probe(SPEC.name, SPEC.sha256, command=sleeper, timeout_s=1)
    assert not verdict.ok and "hung" in verdict.detail


def test_an_ordinary_failure_is_not_cached_as_a_property_of_the_machine():
    failing = [sys.executable, "-c", "import sys; sys.exit('model file unreadable')"]
    verdict = probe.run_probe(SPEC.name, SPEC.sha256, command=failing)
    assert not verdict.ok and "model file unreadable" in verdict.detail
    assert probe.cached_verdict(SPEC.name, SPEC.sha256) is None


def test_the_verdict_is_keyed_by_cpu_and_llama_cpp_version(monkeypatch):
    probe.run_probe(SPEC.name, SPEC.sha256, command=SEGFAULT)
    monkeypatch.setattr(probe, "llama_cpp_version", lambda: "9.9.9")
    assert probe.cached_verdict(SPEC.name, SPEC.sha256) is None  # a new build probes again


def test_cpu_features_name_only_watched_flags():
    features = probe.cpu_features()
    assert set(features) <= set(probe.WATCHED_FEATURES)


def test_ask_says_what_to_do_instead_of_dying(companion_home):
    """A machine whose verdict is a crash: `companion ask` prints one line and exits 1."""
    probe.run_probe(SPEC.name, SPEC.sha256, command=SEGFAULT)
    if not installed(SPEC.name):
        pytest.skip("the embedded model is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli", "ask", "--no-notes", "I have a hard 1:1 tomorrow."],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert "does not run on this machine" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.model
def test_the_real_model_generates_on_this_cpu(share_models):
    verdict = probe.run_probe(SPEC.name, SPEC.sha256)
    assert verdict.ok, verdict.detail
    assert "generated" in verdict.detail
    assert "CPU" in verdict.system_info or "SSE" in verdict.system_info or "NEON" in verdict.system_info
    cached = json.loads(next(locations.models_dir().glob("probe-qwen2.5-0.5b-*.json")).read_text())
    assert cached["ok"] is True


@pytest.mark.model
def test_models_load_without_extra_buffer_types(share_models):
    """The AMX guard: llama.cpp's extra (repacking) buffer types are off for every load."""
    from companion.llm.local import load_llama, model_file

    llama, _lock = load_llama(model_file(SPEC), n_ctx=512, n_threads=2, seed=1)
    assert llama.model_params.use_extra_bufts is False
    import llama_cpp

    assert llama_cpp.llama_model_default_params().use_extra_bufts is True  # restored after
