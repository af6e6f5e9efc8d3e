"""A damaged index or sessions database: a clear message, a rebuild, nothing silently lost."""

from __future__ import annotations

import json

import pytest
from knowledge.kb_helpers import assert_consistent, planned_ids
from relkit import QUESTION_JSON, write_config
from ui.uikit import SIZE, ready, settle

from companion import locations
from companion.knowledge.embeddings import shared_minilm
from companion.knowledge.index import KnowledgeBase
from companion.llm.fake import ScriptedProvider
from companion.settings import load_settings
from companion.ui.widgets.chat import AssistantMessage

GARBAGE = b"not a database, just bytes " * 300
NOTE = "# Pricing review\n\nMateo wants a holdout group before the tiered pricing test ships.\n"


@pytest.mark.parametrize("broken", ["chroma/chroma.sqlite3", "manifest.sqlite3"])
def test_a_damaged_index_is_named_and_rebuilt_without_losing_notes(cli, tmp_path, broken):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "pricing.md").write_text(NOTE, "utf-8")
    write_config(cli.home, f'notes_dirs = ["{vault}"]\n')
    assert cli.run("ingest").returncode == 0
    target = cli.home / "data" / "index" / broken
    target.write_bytes(GARBAGE)

    proc = cli.run("search", "holdout group", "--source", "notes")
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "is damaged" in line and "companion index rebuild" in line

    rebuilt = cli.run("index", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    moved = rebuilt.stderr.split("was moved to ", 1)[1].split()[0]
    aside = cli.home / "data" / "index" / moved.rsplit("/", 1)[1]
    kept = aside / "chroma.sqlite3" if aside.is_dir() else aside
    assert kept.read_bytes() == GARBAGE  # set aside, not deleted
    assert (vault / "pricing.md").read_text("utf-8") == NOTE  # the user's note untouched

    found = json.loads(cli.run("search", "holdout group", "--source", "notes", "--json").stdout)
    assert found and found[0]["path"] == "pricing.md"
    kb = KnowledgeBase(load_settings(), embedder=shared_minilm(2))
    assert assert_consistent(kb) == planned_ids(kb)


@pytest.mark.anyio
async def test_the_app_survives_a_damaged_index_and_sessions_database(home, tmp_path):
    from companion.ui.app import make_app

    (home / "data" / "index" / "chroma" / "chroma.sqlite3").write_bytes(GARBAGE)
    locations.sessions_db().write_bytes(GARBAGE)
    app = make_app(load_settings(), provider=ScriptedProvider(
        default=QUESTION_JSON))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        messages = " ".join(n.message for n in app._notifications)
        assert "returned no passages. Rebuild it" in messages  # says what to do
        assert app.store.recovered_from is not None
        assert app.store.recovered_from.read_bytes() == GARBAGE  # moved aside, byte for byte
        chat = app.chat
        chat.prompt.insert("The launch is in two weeks and the team is not ready.")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "a launch that is ready?" in chat.query(AssistantMessage).last().body.source
        assert len(app.store.turns(chat.session_id)) == 2  # the new store saves the turns
        assert "is damaged" in app.host.session.knowledge_error  # retrieval degraded, named
