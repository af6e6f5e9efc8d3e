"""Fixtures for the chat app: a notes folder, a small fake index over it, scripted models."""

from __future__ import annotations

from pathlib import Path

import pytest
from uikit import ARTICLE, DANA_NOTE, UIKnowledge

from companion.llm.fake import ScriptedProvider
from companion.settings import load_settings


@pytest.fixture
def notes(tmp_path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "dana.md").write_text(DANA_NOTE, "utf-8")
    (folder / "disagreeing.md").write_text(ARTICLE, "utf-8")
    return folder


@pytest.fixture
def settings(notes):
    return load_settings(notes_dirs=[notes])


@pytest.fixture
def knowledge(notes) -> UIKnowledge:
    return UIKnowledge(notes)


@pytest.fixture
def make_app(settings, knowledge):
    """`make_app(*replies, provider=None)`: the real app and session, scripted model."""
    from companion.ui.app import make_app as factory

    def build(*replies, provider=None, **kwargs):
        provider = provider or ScriptedProvider(list(replies))
        kwargs.setdefault("knowledge", knowledge)
        return factory(settings, provider=provider, **kwargs)

    return build
