"""Fixtures for the knowledge tests: an isolated COMPANION_HOME, one shared MiniLM, a vault."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from kb_helpers import DANA_NOTE, ROADMAP_NOTE, SAM_NOTE, STANDUP_NOTE, TEXT_NOTE, write

from companion import locations


@pytest.fixture(autouse=True)
def companion_home(tmp_path, monkeypatch):
    """Nothing touches the real user folders; no settings or keys leak in from the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("COMPANION_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("COMPANION_") and name != "COMPANION_HOME":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return home


@pytest.fixture(scope="session")
def embedder():
    """One real MiniLM model for the whole session."""
    from companion.knowledge.embeddings import shared_minilm

    model = shared_minilm(2)
    model.embed(["warm up"])
    return model


@pytest.fixture()
def vault(tmp_path) -> Path:
    """A small notes folder with good and bad files."""
    root = tmp_path / "vault"
    write(root, "1-1 Dana.md", DANA_NOTE)
    write(root, "Roadmap Q3.md", ROADMAP_NOTE)
    write(root, "people/sam.md", SAM_NOTE)
    write(root, "2026-02-03 standup.md", STANDUP_NOTE)
    write(root, "planning.txt", TEXT_NOTE)
    write(root, ".obsidian/workspace.md", "# hidden settings note\nshould never be indexed\n")
    write(root, ".trash/old.md", "# trashed\nnot indexed\n")
    write(root, "drafts/secret.md", "# Secret draft\nexcluded by a glob\n")
    write(root, "empty.md", b"")
    write(root, "image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(root, "latin1.md", "Caf\xe9 notes about the r\xe9sum\xe9 review\n".encode("latin-1"))
    write(
        root, "bad-front.md", "---\ntitle: [unclosed\nperson: {a: b\n---\nBody after broken YAML.\n"
    )
    write(root, "attachment.pdf", b"%PDF-1.4 not a note")
    return root


@pytest.fixture()
def settings(tmp_path):
    from companion.settings import load_settings

    return load_settings(exclude=["drafts/*"])


@pytest.fixture()
def make_kb(tmp_path, embedder, settings):
    """Factory: a KnowledgeBase on a temp index over the given notes folders (no corpus)."""
    from companion.knowledge.index import KnowledgeBase

    def make(*notes_dirs: Path, index_dir: Path | None = None, **kwargs):
        return KnowledgeBase(
            kwargs.pop("settings", settings),
            index_dir=index_dir or tmp_path / "index",
            notes_dirs=list(notes_dirs),
            include_corpus=kwargs.pop("include_corpus", False),
            embedder=kwargs.pop("embedder", embedder),
            **kwargs,
        )

    return make


@pytest.fixture()
def small_corpus(tmp_path, monkeypatch) -> Path:
    """A two-article corpus standing in for the bundled one (keeps CLI tests fast)."""
    root = tmp_path / "corpus"
    write(
        root,
        "jtbd.md",
        textwrap.dedent(
            """\
            ---
            title: Switch interviews
            tags: [jtbd, research]
            ---
            # Switch interviews

            ## The four forces
            Push of the current situation, pull of the new solution, anxiety about the new
            and habit of the present shape every switch a customer makes.
            """
        ),
    )
    write(
        root,
        "feedback.md",
        "---\ntitle: Feedback\n---\n# Feedback\n\nGive feedback soon, in private, about behaviour.\n",
    )
    write(root, "question-bank.yaml", "questions: []\n")
    monkeypatch.setattr(locations, "corpus_dir", lambda: root)
    return root
