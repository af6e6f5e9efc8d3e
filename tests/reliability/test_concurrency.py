"""Two ingests on one data dir, and the app answering while another process ingests."""

from __future__ import annotations

import json

import pytest
from knowledge.kb_helpers import assert_consistent, planned_ids
from relkit import QUESTION_JSON, mid_notes_ingest, wait_for, write_config, write_vault
from ui.uikit import SIZE, ready, settle

from companion.knowledge.embeddings import shared_minilm
from companion.knowledge.index import KnowledgeBase
from companion.llm.fake import ScriptedProvider
from companion.settings import load_settings

BUSY = "another `companion ingest` is updating the index"


def test_a_second_ingest_waits_or_refuses_and_the_index_ends_correct(cli, tmp_path):
    vault = write_vault(tmp_path / "vault", 10)
    write_config(cli.home, f'notes_dirs = ["{vault}"]\n')
    first = cli.popen("ingest")
    wait_for(mid_notes_ingest(cli.home), timeout=90, proc=first, what="the first ingest to start")
    second = cli.popen("ingest")
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=120)
    cli.finish(first, out1, err1)
    cli.finish(second, out2, err2)
    assert first.returncode == 0, err1
    if second.returncode == 0:  # it waited for the lock, then found nothing left to embed
        assert "embedded 0 chunks" in out2, out2
    else:
        assert second.returncode == 1 and BUSY in err2, err2
    kb = KnowledgeBase(load_settings(), embedder=shared_minilm(2))
    assert assert_consistent(kb) == planned_ids(kb)
    assert "embedded 0 chunks" in cli.run("ingest").stdout


@pytest.mark.anyio
async def test_the_app_keeps_answering_while_another_process_ingests(cli, tmp_path):
    from companion.ui.app import make_app

    # Big enough (~960 chunks, 20+ s of embedding) that the ingest is still running when the
    # app has started (spaCy loads on its first Socratic turn) and answered, even on a fast
    # machine; keyword indexing comes first, so the embedding phase is what it outlives.
    vault = write_vault(tmp_path / "vault", 160)
    write_config(cli.home, f'notes_dirs = ["{vault}"]\n')
    ingest = cli.popen("ingest")
    wait_for(mid_notes_ingest(cli.home), timeout=90, proc=ingest, what="the ingest to start")
    app = make_app(load_settings(), provider=ScriptedProvider(default=QUESTION_JSON))
    answered_during_ingest = 0
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, timeout=60)
        chat = app.chat
        for text in ("The launch is in two weeks and the team is not ready.",
                     "The design team disagrees with the onboarding plan."):
            chat.prompt.insert(text)
            await pilot.press("enter")
            await settle(app, pilot)
            reply = chat.last_reply
            assert reply is not None and reply.questions and not chat.busy
            assert reply.sources  # retrieval worked while the other process wrote
            answered_during_ingest += ingest.poll() is None
    out, err = ingest.communicate(timeout=120)
    cli.finish(ingest, out, err)
    assert ingest.returncode == 0, err
    assert answered_during_ingest >= 1, "the ingest ended before the app answered"
    status = json.loads(cli.run("index", "status", "--json").stdout)
    assert status["notes_files"] == 160
