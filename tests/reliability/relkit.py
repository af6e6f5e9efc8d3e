"""Helpers for the reliability tests: real `companion` subprocesses under a network guard."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from support import QUESTION, QUESTION_JSON  # noqa: F401 - re-exported to the suite
from support.servers import RecordingServer

ROOT = Path(__file__).resolve().parents[2]
NET_LOG_ENV = "COMPANION_TEST_NET_LOG"

# Loaded by every subprocess through PYTHONPATH: any connect or name lookup beyond loopback is
# refused and written to the log, and the telemetry switch is recorded when onnxruntime loads.
# It proves the product itself keeps traffic on the machine (the pytest guard covers only the
# test process, and a subprocess inherits none of it).
SITECUSTOMIZE = '''
import ipaddress
import json
import os
import socket
import sys

_LOG = os.environ.get("COMPANION_TEST_NET_LOG")


def _record(line):
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(line + "\\n")


def _local_host(host):
    if host in (None, "", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local(address):
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    return _local_host(address[0] if isinstance(address, tuple) else address)


if _LOG:
    _connect, _connect_ex, _gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self, address):
        if not _local(address):
            _record(f"BLOCKED connect {address!r}")
            raise OSError(f"network blocked by the test guard: {address!r}")
        return _connect(self, address)

    def connect_ex(self, address):
        if not _local(address):
            _record(f"BLOCKED connect_ex {address!r}")
            raise OSError(f"network blocked by the test guard: {address!r}")
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _local_host(host):
            _record(f"BLOCKED getaddrinfo {host!r}")
            raise socket.gaierror(f"name lookup blocked by the test guard: {host!r}")
        return _gai(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

    class _TelemetryWatch:
        """Records ORT_DISABLE_TELEMETRY at the moment onnxruntime is first imported."""

        def find_spec(self, name, path=None, target=None):
            if name == "onnxruntime":
                _record("ORT_DISABLE_TELEMETRY=" + os.environ.get("ORT_DISABLE_TELEMETRY", "<unset>"))
                sys.meta_path.remove(self)
            return None

    sys.meta_path.insert(0, _TelemetryWatch())
'''


def write_guard(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, "utf-8")
    return folder


def cli_env(home: Path, guard: Path, net_log: Path, **extra: str) -> dict[str, str]:
    """The environment of a `companion` subprocess: its own home, the guard, no inherited keys."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("COMPANION_") and k not in {
               "OPENAI_API_KEY", "ORT_DISABLE_TELEMETRY", "ANONYMIZED_TELEMETRY", "PYTHONPATH"}}
    env.update(COMPANION_HOME=str(home), PYTHONPATH=str(guard), PYTHONUNBUFFERED="1",
               COLUMNS="200", NO_COLOR="1", TERM="dumb")
    env[NET_LOG_ENV] = str(net_log)
    env.update(extra)
    return env


def companion_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "companion.cli", *args]


def library_articles() -> int:
    """The bundled library's article count: what an ingest adds besides the notes."""
    from companion.locations import corpus_dir

    return len(list(corpus_dir().glob("*.md")))


def net_log_lines(net_log: Path) -> list[str]:
    return net_log.read_text("utf-8").splitlines() if net_log.exists() else []


def blocked(net_log: Path) -> list[str]:
    return [line for line in net_log_lines(net_log) if line.startswith("BLOCKED")]


def assert_clean(proc: subprocess.CompletedProcess | subprocess.Popen, stderr: str) -> None:
    """No traceback, and any error is one `companion: ...` or `Error: ...` line."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines()
              if line.startswith(("companion:", "Error:"))]
    assert len(errors) <= 1, stderr


def endpoint_toml(name: str, base_url: str, *, api_key: str | None = None,
                  timeout_s: float = 10, max_retries: int = 0) -> str:
    lines = ["[[endpoints]]", f'name = "{name}"', f'base_url = "{base_url}"', 'model = "stub"',
             f"timeout_s = {timeout_s}", f"max_retries = {max_retries}"]
    if api_key:
        lines.append(f'api_key = "{api_key}"')
    return "\n".join(lines) + "\n"


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text, "utf-8")
    return path


def seed_index(template: Path, home: Path) -> None:
    """Copy an index with the corpus already embedded (saves ~5 s per test)."""
    shutil.copytree(template / "data" / "index", home / "data" / "index",
                    ignore=shutil.ignore_patterns("sync.lock"), dirs_exist_ok=True)
    (home / "cache").mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copy2(template / "cache" / "corpus-vectors.sqlite3", home / "cache")
    os.chmod(home / "data", 0o700)


def write_vault(root: Path, files: int, sections: int = 6, tag: str = "log") -> Path:
    """Notes big enough that embedding them takes a few seconds (to interrupt it)."""
    for n in range(files):
        body = "\n\n".join(
            f"## Item {n}.{i}\nDecision log entry {i} of file {n}: the options we weighed, the "
            f"evidence from customer calls, the risks to the launch, and who owns the follow-up "
            f"work with the design and data teams this quarter ({tag})."
            for i in range(sections)
        )
        path = root / f"{tag}{n:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {tag.title()} {n}\n\n{body}\n\n- [ ] follow up on item {n}\n", "utf-8")
    return root


def manifest_states(home: Path) -> list[tuple[str, str]]:
    """(source, state) of each manifest row; [] while the manifest does not exist yet."""
    path = home / "data" / "index" / "manifest.sqlite3"
    if not path.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return [(r[0], r[1]) for r in con.execute("SELECT source, state FROM files")]
        finally:
            con.close()
    except sqlite3.Error:
        return []


def wait_for(check: Callable[[], object], timeout: float = 60, proc: subprocess.Popen | None = None,
             what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before {what}: "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def mid_notes_ingest(home: Path) -> Callable[[], bool]:
    """True once at least one notes file is indexed and another is still to do or pending."""
    def check() -> bool:
        states = manifest_states(home)
        notes = [s for src, s in states if src == "notes"]
        return any(s == "done" for s in notes)
    return check


def stop(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 60) -> tuple[str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=timeout)
    return out, err


class StubServer(RecordingServer):
    """The RecordingServer, with `role` in each streamed delta as real servers send it.

    langchain's structured (`response_format`) path rebuilds the final message from the deltas
    and needs the role; without it every schema-shaped answer would look malformed.
    """

    def __init__(self, behaviour=None, reply: str = QUESTION_JSON, *, echo_key: bool = False):
        super().__init__(behaviour, reply=reply)
        base = self.server.RequestHandlerClass

        class Handler(base):
            def _chunk(self, data: bytes) -> None:
                super()._chunk(data.replace(b'"delta": {"content"',
                                            b'"delta": {"role": "assistant", "content"'))

            def _json(self, code, payload):
                if echo_key and code >= 400:  # like servers that quote the key they refused
                    said = self.headers.get("Authorization", "")
                    payload = {"error": {"message": f"Incorrect API key provided: {said}"}}
                super()._json(code, payload)

        self.server.RequestHandlerClass = Handler
