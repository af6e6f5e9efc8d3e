"""End to end on the embedded model: index fixture notes, ask in the app, get a cited question."""

from __future__ import annotations

import re

import pytest
from uikit import MESSAGE, SIZE, ready, settle

from companion.ui.widgets.chat import AssistantMessage
from companion.ui.widgets.sources import SourcesPanel

pytestmark = [pytest.mark.model, pytest.mark.anyio]


async def test_real_model_answers_with_a_cited_question(settings, notes, tmp_path, share_models):
    from companion.knowledge.index import KnowledgeBase
    from companion.ui.app import make_app

    kb = KnowledgeBase(settings, index_dir=tmp_path / "index", notes_dirs=[notes],
                       include_corpus=False)
    report = kb.sync()
    assert sorted(report.added) and kb.status().chunks > 0

    app = make_app(settings, knowledge=kb)  # provider from settings.model: the embedded Qwen
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, timeout=300)
        chat = app.chat
        assert chat.status.ready and chat.status.where == "local · tiny tier"
        assert chat.status.index and chat.status.index["chunks"] > 0
        chat.prompt.insert(MESSAGE)
        await pilot.press("enter")
        await settle(app, pilot)

        reply = chat.query_one(AssistantMessage).reply
        assert reply is not None and not reply.cancelled
        questions = re.findall(r"\*\*([^*]+\?)\*\*", reply.text)
        assert len(questions) == 1 and reply.socratic_types
        assert reply.cited and reply.cited[0].path == "dana.md"
        assert "dana.md:" in reply.text  # the citation is in the reply itself
        assert chat.query_one(SourcesPanel).refs[0].path == "dana.md"
        turns = app.store.turns(chat.session_id)
        assert [t.role for t in turns] == ["user", "assistant"]
        assert turns[1].meta["cited"][0]["path"] == "dana.md"
