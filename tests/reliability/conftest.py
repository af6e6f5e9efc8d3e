"""Fixtures: a guarded `companion` subprocess runner, a pre-embedded corpus, stub endpoints."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from relkit import (
    QUESTION_JSON,
    StubServer,
    assert_clean,
    blocked,
    cli_env,
    companion_cmd,
    library_articles,
    seed_index,
    write_guard,
)

from companion.llm.fake import ScriptedProvider


@pytest.fixture(scope="session")
def guard_dir(tmp_path_factory) -> Path:
    return write_guard(tmp_path_factory.mktemp("guard"))


@pytest.fixture(scope="session")
def corpus_home(tmp_path_factory, guard_dir) -> Path:
    """A home whose index holds the bundled corpus, built once by a real `companion ingest`."""
    home = tmp_path_factory.mktemp("corpus-home")
    log = home / "net.log"
    proc = subprocess.run(companion_cmd("ingest"), env=cli_env(home, guard_dir, log),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert f"Added {library_articles()}," in proc.stdout, proc.stdout
    assert blocked(log) == []
    return home


@pytest.fixture
def home(companion_home, corpus_home) -> Path:
    """This test's COMPANION_HOME, with the corpus already in its index."""
    seed_index(corpus_home, companion_home)
    return companion_home


class Cli:
    """Runs `python -m companion.cli` in `home` with the network guard; checks every run."""

    def __init__(self, home: Path, guard: Path):
        self.home = home
        self.guard = guard
        self.net_log = home.parent / f"{home.name}-net.log"
        self.outputs: list[str] = []

    def env(self, **extra: str) -> dict[str, str]:
        return cli_env(self.home, self.guard, self.net_log, **extra)

    def run(self, *args: str, timeout: float = 120, input: str | None = None,
            env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(companion_cmd(*args), env=env or self.env(), capture_output=True,
                              text=True, timeout=timeout, input=input, cwd=cwd or self.home)
        self.outputs += [proc.stdout, proc.stderr]
        assert_clean(proc, proc.stderr)
        assert blocked(self.net_log) == [], blocked(self.net_log)
        return proc

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(companion_cmd(*args), env=env or self.env(), cwd=self.home,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc: subprocess.Popen, out: str, err: str) -> None:
        """Checks on a Popen'd run once it has ended."""
        self.outputs += [out, err]
        assert_clean(proc, err)
        assert blocked(self.net_log) == [], blocked(self.net_log)


@pytest.fixture
def cli(home, guard_dir) -> Cli:
    return Cli(home, guard_dir)


@pytest.fixture
def stub():
    """`stub(behaviours, reply=...)` starts a StubServer on 127.0.0.1; all stop at the end."""
    servers: list[StubServer] = []

    def start(behaviour=None, reply: str = QUESTION_JSON, **kwargs) -> StubServer:
        server = StubServer(behaviour, reply=reply, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def scripted() -> ScriptedProvider:
    return ScriptedProvider(default=QUESTION_JSON)
