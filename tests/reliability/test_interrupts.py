"""Ctrl-C, SIGTERM and SIGKILL during a reply, an ingest and a chat session; then a restart."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import pytest
from knowledge.kb_helpers import assert_consistent, manifest_rows, planned_ids
from relkit import (
    ROOT,
    endpoint_toml,
    library_articles,
    manifest_states,
    mid_notes_ingest,
    stop,
    wait_for,
    write_config,
    write_vault,
)

from companion.coaching.transcripts import TranscriptStore
from companion.knowledge.embeddings import shared_minilm
from companion.knowledge.index import KnowledgeBase
from companion.settings import load_settings

NOTES = 8


@pytest.mark.server
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_during_a_reply_cancels_it_with_one_line(cli, stub, sig):
    server = stub(["hang"])
    write_config(cli.home, endpoint_toml("stub", server.base_url, timeout_s=30))
    proc = cli.popen("ask", "The launch is in two weeks and the team is not ready.",
                     "--model", "stub", "--no-notes")
    wait_for(lambda: server.requests, timeout=60, proc=proc, what="the request to the endpoint")
    out, err = stop(proc, sig, timeout=30)
    cli.finish(proc, out, err)
    assert proc.returncode == 130
    assert err.strip() == "companion: interrupted"
    assert out.rstrip().endswith("(reply cancelled)")  # nothing half-written passes as a reply


def _kb():
    return KnowledgeBase(load_settings(), embedder=shared_minilm(2))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["ctrl-c", "sigterm", "sigkill"])
def test_an_ingest_stopped_midway_resumes_to_a_consistent_index(cli, tmp_path, sig):
    vault = write_vault(tmp_path / "vault", NOTES)
    write_config(cli.home, f'notes_dirs = ["{vault}"]\n')
    proc = cli.popen("ingest")
    wait_for(mid_notes_ingest(cli.home), timeout=90, proc=proc, what="the first indexed note")
    out, err = stop(proc, sig)
    cli.finish(proc, out, err)
    done = sum(1 for src, state in manifest_states(cli.home) if src == "notes" and state == "done")
    assert done < NOTES, "the ingest finished before the signal: nothing was interrupted"
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130
        assert "Interrupted." in err and "run `companion ingest` again" in err

    again = cli.run("ingest")
    assert again.returncode == 0, again.stderr
    assert re.search(r"Added \d+, updated \d+, removed 0", again.stdout), again.stdout
    kb = _kb()
    ids = assert_consistent(kb)  # no pending row, no duplicate, no orphan chunk
    assert ids == planned_ids(kb)  # and nothing missing
    assert sum(r["source"] == "notes" for r in manifest_rows(kb)) == NOTES
    status = json.loads(cli.run("index", "status", "--json").stdout)
    assert (status["notes_files"], status["corpus_files"]) == (NOTES, library_articles())
    assert status["action_items"] == NOTES


CHAT_SCRIPT = """
import asyncio, sys
from pathlib import Path
from ui.uikit import SIZE, UIKnowledge, ready, settle
from companion.llm.fake import ScriptedProvider
from companion.settings import load_settings
from companion.ui.app import make_app

async def main():
    provider = ScriptedProvider(default=sys.argv[2])
    app = make_app(load_settings(), provider=provider, knowledge=UIKnowledge(Path(sys.argv[1])))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        n = 0
        while True:
            n += 1
            app.chat.prompt.insert(f"Message {n}: the launch plan keeps slipping.")
            await pilot.press("enter")
            await settle(app, pilot)
            if not app.chat.busy:
                print("shown", n, flush=True)  # the reply is on screen, both turns sent

asyncio.run(main())
"""


def test_sigkill_mid_session_loses_no_turn_that_was_shown(cli, tmp_path):
    from relkit import QUESTION_JSON

    notes = tmp_path / "notes"
    notes.mkdir()
    env = cli.env()
    env["PYTHONPATH"] += f":{ROOT / 'tests'}"
    proc = subprocess.Popen([sys.executable, "-c", CHAT_SCRIPT, str(notes), QUESTION_JSON],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("shown"):
            shown = int(line.split()[1])
            if shown >= 6:
                proc.kill()  # in the middle of the next turn's writes
                break
    _, err = proc.communicate(timeout=30)
    assert shown >= 6, err
    assert proc.returncode == -signal.SIGKILL

    store = TranscriptStore()  # what the next start opens
    assert store.recovered_from is None  # not damaged
    (session,) = store.list_sessions()
    turns = store.turns(session.id)
    users = [t.content for t in turns if t.role == "user"]
    for n in range(1, shown + 1):
        assert users.count(f"Message {n}: the launch plan keeps slipping.") == 1
    assert len(users) in (shown, shown + 1)  # at most the message in flight is extra
    pairs = turns[: 2 * shown]
    assert [t.role for t in pairs] == ["user", "assistant"] * shown
    assert all("?" in t.content for t in pairs if t.role == "assistant")
    store.close()
