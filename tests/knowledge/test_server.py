"""The Chroma server path: a real `chroma run` on 127.0.0.1, used through COMPANION_CHROMA_URL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from kb_helpers import assert_consistent

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chroma_cli() -> str | None:
    local = Path(sys.executable).with_name("chroma")
    return str(local) if local.exists() else shutil.which("chroma")


@pytest.fixture()
def chroma_server(tmp_path):
    cli = _chroma_cli()
    if cli is None:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("wb")
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen(
        [cli, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "srv")],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(
                    "chroma server did not start:\n" + (tmp_path / "chroma.log").read_text()
                )
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_sync_and_search_through_a_chroma_server(
    chroma_server, monkeypatch, vault, tmp_path, embedder
):
    from companion.knowledge.index import KnowledgeBase
    from companion.settings import load_settings

    monkeypatch.setenv("COMPANION_CHROMA_URL", chroma_server)
    settings = load_settings(exclude=["drafts/*"])
    assert settings.chroma_url == chroma_server
    kb = KnowledgeBase(
        settings,
        index_dir=tmp_path / "idx",
        notes_dirs=[vault],
        include_corpus=False,
        embedder=embedder,
    )
    report = kb.sync()
    assert len(report.added) == 7 and report.chunks_embedded > 0
    assert kb.status().location == chroma_server
    assert not (tmp_path / "idx" / "chroma").exists()  # nothing stored locally but the manifest

    top = kb.search("tiered pricing for the enterprise plan", k=2)[0]
    assert top.cite() == "1-1 Dana.md:12-14"
    assert {p.path for p in kb.search("planning", k=6, person="dana")} == {"1-1 Dana.md"}

    again = kb.sync()
    assert again.chunks_embedded == 0 and again.unchanged == 7
    (vault / "planning.txt").unlink()
    assert kb.sync().removed == ["planning.txt"]
    assert_consistent(kb)
    assert [a.line for a in kb.action_items(person="Dana")] == [3, 17, 19]
