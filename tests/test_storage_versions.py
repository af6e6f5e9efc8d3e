"""Versioned storage: the sessions database and the index manifest record their schema version;
an older file is backed up and migrated with nothing lost, a newer one is refused untouched.

The fixtures under tests/fixtures/storage/ were written by the released code of schema version 1
(a sessions database with two sessions, a manifest of a two-note vault, from before manifests
recorded their version); they become the "older file" of the next schema change.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from companion import locations
from companion.coaching import transcripts
from companion.coaching.transcripts import SessionsSchemaError, TranscriptError, TranscriptStore
from companion.knowledge import index
from companion.knowledge.cli import register
from companion.knowledge.index import IndexSchemaError, KnowledgeBase
from companion.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures" / "storage"
DANA_TURN = "Dana: PM wants the launch moved — what now? «ünïcode» 李"
FIXTURE_ITEMS = [
    "Ask @dana about the hiring plan for the platform team",
    "Draft the interview loop for the senior PM role",
    "Introduce Dana to our design lead",
    "Send Dana the roadmap draft for Roadmap Q3",
]


def _version(path: Path) -> str | None:
    con = sqlite3.connect(path)
    try:
        row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    finally:
        con.close()
    return row[0] if row else None


def _set_version(path: Path, version: int) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),))
    con.close()


def _sessions(store: TranscriptStore) -> list[tuple[str, list[str]]]:
    return sorted(
        (s.title, [t.content for t in store.turns(s.id)]) for s in store.list_sessions()
    )


FIXTURE_SESSIONS = [
    ("Agenda with Sam", ["Prepare my 1:1 with Sam"]),
    (DANA_TURN, [DANA_TURN, "**What would moving the launch change for Dana?**"]),
]


# ------------------------------------------------------------------------- sessions database


@pytest.fixture()
def sessions_db(tmp_path) -> Path:
    path = tmp_path / "sessions.db"
    shutil.copy(FIXTURES / "sessions-v1.db", path)
    return path


def test_a_current_sessions_database_opens_as_it_is(sessions_db):
    store = TranscriptStore(sessions_db)
    try:
        assert _sessions(store) == FIXTURE_SESSIONS
        assert store.backup is None and store.recovered_from is None
    finally:
        store.close()
    assert _version(sessions_db) == "1"


def test_a_new_sessions_database_records_its_version(tmp_path):
    TranscriptStore(tmp_path / "new.db").close()
    assert _version(tmp_path / "new.db") == str(transcripts.SCHEMA_VERSION)


def test_an_older_sessions_database_is_backed_up_and_migrated(sessions_db, monkeypatch):
    def add_pinned(con: sqlite3.Connection) -> None:
        con.execute("ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(transcripts, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(transcripts, "MIGRATIONS", {1: add_pinned})
    store = TranscriptStore(sessions_db)
    try:
        assert _sessions(store) == FIXTURE_SESSIONS  # nothing lost
        assert store.backup == sessions_db.with_name("sessions.db.v1-backup")
        columns = [r[1] for r in store._con.execute("PRAGMA table_info(sessions)")]
        assert "pinned" in columns
        store.add_turn(store.list_sessions()[0].id, "user", "after the migration")
    finally:
        store.close()
    assert _version(sessions_db) == "2"
    assert _version(store.backup) == "1"

    monkeypatch.setattr(transcripts, "SCHEMA_VERSION", 1)
    old = TranscriptStore(store.backup)  # the backup is a working version-1 database
    try:
        assert _sessions(old) == FIXTURE_SESSIONS
    finally:
        old.close()


def test_a_failed_migration_leaves_the_database_as_it_was(sessions_db, monkeypatch):
    def broken(con: sqlite3.Connection) -> None:
        con.execute("DELETE FROM turns")
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(transcripts, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(transcripts, "MIGRATIONS", {1: broken})
    with pytest.raises(SessionsSchemaError, match=r"from schema version 1 to 2 \(disk full\)") as err:
        TranscriptStore(sessions_db)
    assert err.value.exit_code == 2
    assert sorted(p.name for p in sessions_db.parent.iterdir()) == ["sessions.db", "sessions.db.v1-backup"]
    assert _version(sessions_db) == "1"
    monkeypatch.setattr(transcripts, "SCHEMA_VERSION", 1)
    store = TranscriptStore(sessions_db)
    try:
        assert _sessions(store) == FIXTURE_SESSIONS
    finally:
        store.close()


def test_a_newer_sessions_database_is_refused_and_left_untouched(sessions_db):
    _set_version(sessions_db, 7)
    before = sessions_db.read_bytes()
    with pytest.raises(SessionsSchemaError) as err:
        TranscriptStore(sessions_db)
    assert isinstance(err.value, TranscriptError)  # the app shows it and carries on unsaved
    assert err.value.exit_code == 2
    message = str(err.value)
    assert "schema version 7" in message and "reads up to version 1" in message
    assert "upgrade companion" in message and "not changed" in message
    assert sessions_db.read_bytes() == before
    assert sorted(p.name for p in sessions_db.parent.iterdir()) == ["sessions.db"]


# ---------------------------------------------------------------------------- index manifest


@pytest.fixture()
def index_dir(tmp_path) -> Path:
    folder = tmp_path / "index"
    folder.mkdir()
    shutil.copy(FIXTURES / f"manifest-v{index.MANIFEST_VERSION}.sqlite3", folder / "manifest.sqlite3")
    return folder


def _kb(index_dir: Path) -> KnowledgeBase:
    return KnowledgeBase(load_settings(), index_dir=index_dir, notes_dirs=[],
                         include_corpus=False, vector_cache=False)


def test_a_current_manifest_opens_as_it_is(index_dir):
    kb = _kb(index_dir)
    assert sorted(a.text for a in kb.action_items()) == FIXTURE_ITEMS
    assert kb.status().embedding_model == "minilm-l6-int8"
    assert _version(kb.manifest_path) == str(index.MANIFEST_VERSION)
    assert sorted(p.name for p in index_dir.iterdir() if "backup" in p.name) == []


def test_a_version_1_manifest_gains_the_task_columns_and_keeps_its_items(tmp_path):
    """Manifests from before Obsidian Tasks (version 1) migrate to the current version."""
    folder = tmp_path / "index"
    folder.mkdir()
    shutil.copy(FIXTURES / "manifest-v1.sqlite3", folder / "manifest.sqlite3")
    kb = _kb(folder)
    items = kb.action_items()
    assert sorted(a.text for a in items) == FIXTURE_ITEMS
    assert _version(kb.manifest_path) == str(index.MANIFEST_VERSION)
    assert (folder / "manifest.sqlite3.v1-backup").exists()
    con = sqlite3.connect(kb.manifest_path)
    try:
        columns = {r[1] for r in con.execute("PRAGMA table_info(actions)")}
    finally:
        con.close()
    assert {"status", "owner", "due", "priority", "tags"} <= columns


def test_an_older_manifest_is_backed_up_and_migrated(index_dir, monkeypatch):
    def add_size(con: sqlite3.Connection) -> None:
        con.execute("ALTER TABLE files ADD COLUMN size INTEGER")

    current = index.MANIFEST_VERSION
    monkeypatch.setattr(index, "MANIFEST_VERSION", current + 1)
    monkeypatch.setattr(index, "MANIFEST_MIGRATIONS", {**index.MANIFEST_MIGRATIONS, current: add_size})
    kb = _kb(index_dir)
    assert sorted(a.text for a in kb.action_items()) == FIXTURE_ITEMS
    assert _version(kb.manifest_path) == str(current + 1)
    backup = index_dir / f"manifest.sqlite3.v{current}-backup"
    assert _version(backup) == str(current)
    con = sqlite3.connect(kb.manifest_path)
    try:
        assert [r[0] for r in con.execute("SELECT relpath FROM files ORDER BY relpath")] == [
            "dana.md",
            "standup.md",
        ]
    finally:
        con.close()


def test_a_newer_manifest_is_refused_with_exit_code_2(index_dir, monkeypatch):
    manifest = index_dir / "manifest.sqlite3"
    _set_version(manifest, index.MANIFEST_VERSION + 1)
    before = manifest.read_bytes()
    with pytest.raises(IndexSchemaError, match="index manifest .* schema version 3"):
        _kb(index_dir).action_items()
    with pytest.raises(IndexSchemaError):
        _kb(index_dir).rebuild()  # a rebuild does not set a newer manifest aside either

    home_index = locations.index_dir()
    shutil.copy(manifest, home_index / "manifest.sqlite3")
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    result = CliRunner().invoke(app, ["index", "status"])
    assert result.exit_code == 2, result.output
    assert "newer companion" in result.output
    assert manifest.read_bytes() == before
    assert not [p.name for p in index_dir.iterdir() if "manifest" in p.name and p != manifest]


def test_a_rebuild_keeps_the_manifest_version(index_dir, tmp_path):
    kb = KnowledgeBase(load_settings(), index_dir=index_dir, notes_dirs=[tmp_path / "none"],
                       include_corpus=False, vector_cache=False)
    kb.rebuild()
    assert _version(kb.manifest_path) == str(index.MANIFEST_VERSION)
