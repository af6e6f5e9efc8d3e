"""Does the embedded model run on this CPU? Ask a child process, so a native crash is a verdict.

llama.cpp can die in native code on some CPUs (a segfault is not a Python exception: the
process just ends). One short generation in a child process turns that into a clear answer;
the answer is cached per model, llama.cpp version and CPU, so a machine pays for it once.
`companion doctor` always probes afresh and refreshes the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from companion import locations
from companion.llm.base import LLMError

PROBE_VERSION = 1
PROBE_TIMEOUT_S = 180.0
# CPU features that decide which llama.cpp kernels run (AMX is the one known to crash).
WATCHED_FEATURES = (
    "amx_tile", "amx_int8", "amx_bf16", "avx512f", "avx512_vnni", "avx512_bf16", "avx2", "avx",
    "fma", "f16c", "asimd", "sve", "sve2", "i8mm", "dotprod",
)


class LocalModelCrashed(LLMError):
    """The embedded model crashed or hung in a child process on this machine."""

    kind = "local_crash"


@dataclass
class ProbeVerdict:
    ok: bool
    model: str
    detail: str  # one line: what happened
    llama_cpp: str
    machine: str
    features: list[str] = field(default_factory=list)
    system_info: str = ""  # llama.cpp's own list of the CPU kernels it was built with
    seconds: float = 0.0

    def machine_specific(self) -> bool:
        """A crash or a hang says something about this CPU; other failures do not."""
        return self.ok or "crashed" in self.detail or "hung" in self.detail

    def advice(self) -> str:
        """What the user can do instead of the embedded model."""
        return (
            "run `companion doctor` for details; meanwhile choose another embedded model "
            "(`--model smollm2-135m`) or an endpoint (`model = \"<endpoint name>\"` in the config "
            "file); `make rebuild-llama` recompiles llama.cpp without CPU auto-detection"
        )


def cpu_features() -> list[str]:
    """The watched CPU feature flags this machine reports (Linux /proc/cpuinfo; else empty)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return []
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return [name for name in WATCHED_FEATURES if name in flags]


def llama_cpp_version() -> str:
    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        return "not installed"


def _cache_file(model: str, sha256: str) -> Path:
    key = json.dumps(
        [PROBE_VERSION, model, sha256, llama_cpp_version(), platform.machine(), cpu_features()]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    # Beside the assembled models: one verdict per machine, shared by every session.
    return locations.models_dir() / f"probe-{model}-{digest}.json"


def cached_verdict(model: str, sha256: str) -> ProbeVerdict | None:
    path = _cache_file(model, sha256)
    try:
        return ProbeVerdict(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # none yet, or unreadable: probe again


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def run_probe(model: str, sha256: str, *, command: list[str] | None = None,
              timeout_s: float = PROBE_TIMEOUT_S) -> ProbeVerdict:
    """Generate a few tokens in a child process and judge how it ended; cache the verdict.

    `command` replaces the child (tests simulate a crash with it).
    """
    import time

    argv = command or [sys.executable, "-m", "companion.llm.probe", model]
    base = ProbeVerdict(ok=False, model=model, detail="", llama_cpp=llama_cpp_version(),
                        machine=platform.machine(), features=cpu_features())
    started = time.monotonic()
    try:
        # The child inherits the environment, so COMPANION_HOME and the model files match.
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s,
                              env=os.environ | {"COMPANION_PROBE_CHILD": "1"})
    except subprocess.TimeoutExpired:
        base.detail = f"the model did not answer within {timeout_s:.0f} s (hung)"
    else:
        base.seconds = round(time.monotonic() - started, 2)
        if done.returncode == 0:
            try:
                report = json.loads(done.stdout.strip().splitlines()[-1])
                base.ok = True
                base.system_info = report.get("system_info", "")
                base.detail = f"generated {report.get('tokens', '?')} tokens in {base.seconds:.1f} s"
            except (ValueError, IndexError):
                base.detail = "the probe printed no report"
        elif done.returncode < 0:
            base.detail = (f"llama.cpp crashed in native code ({_signal_name(done.returncode)}) "
                           "while generating")
        else:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            base.detail = f"the probe failed (exit {done.returncode}): {last[:300]}"
    if base.machine_specific():
        # Cache what is a property of the machine; a missing file or a typo is not.
        path = _cache_file(model, sha256)
        path.write_text(json.dumps(asdict(base)), "utf-8")
    return base


def ensure_runs(model: str, sha256: str) -> ProbeVerdict:
    """Raise a clear error, instead of dying, if this machine's verdict is a crash."""
    if os.environ.get("COMPANION_PROBE_CHILD"):
        return ProbeVerdict(ok=True, model=model, detail="in the probe", llama_cpp="",
                            machine=platform.machine())
    verdict = cached_verdict(model, sha256) or run_probe(model, sha256)
    if not verdict.ok and not verdict.machine_specific():
        raise LLMError(f"the embedded model {model!r} failed to start: {verdict.detail}")
    if not verdict.ok:
        features = f" (CPU: {', '.join(verdict.features)})" if verdict.features else ""
        raise LocalModelCrashed(
            f"the embedded model {model!r} does not run on this machine{features}: "
            f"{verdict.detail}; {verdict.advice()}"
        )
    return verdict


def _child(model: str) -> int:
    """Load the model the way the app does and generate a few tokens."""
    from companion.llm.base import ChatMessage
    from companion.llm.local import LocalProvider

    provider = LocalProvider(model, n_ctx=512)
    pieces = list(provider.stream([ChatMessage(role="user", content="Say hello.")], max_tokens=4))
    import llama_cpp

    info = llama_cpp.llama_print_system_info()
    info = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    print(json.dumps({"tokens": len(pieces), "system_info": " ".join(info.split())}))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
