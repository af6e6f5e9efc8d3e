"""The sessions store: durable turns, private file, no keys, search, safe export, recovery."""

from __future__ import annotations

import sqlite3
import stat

import pytest
from pydantic import SecretStr

from companion import locations
from companion.coaching.transcripts import (
    TranscriptError,
    TranscriptStore,
    safe_filename,
)


@pytest.fixture
def store():
    s = TranscriptStore()
    yield s
    s.close()


def test_file_is_private_wal_and_each_turn_is_visible_to_another_connection(store):
    path = locations.sessions_db()
    assert store.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sid = store.create_session(mode="socratic", model="qwen2.5-0.5b")
    store.add_turn(sid, "user", "Should I push back on the roadmap?")
    # Committed at once: a second connection (another process) sees it without a close.
    other = sqlite3.connect(path)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("SELECT content FROM turns").fetchall() == [
            ("Should I push back on the roadmap?",)
        ]
    finally:
        other.close()
    info = store.get(sid)
    assert info.title == "Should I push back on the roadmap?" and info.turns == 1


def test_a_failed_write_leaves_nothing_half_done(store):
    sid = store.create_session()
    store.add_turn(sid, "user", "one")
    with pytest.raises(sqlite3.IntegrityError):
        store.add_turn(sid, "robot", "not a role")  # the CHECK fails inside the transaction
    assert [t.content for t in store.turns(sid)] == ["one"]
    with pytest.raises(TranscriptError):
        store.add_turn(sid + 99, "user", "no such session")


def test_api_keys_are_never_stored(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-envkey-1234567890abcdef")
    store = TranscriptStore(secrets=[SecretStr("team-secret-value").get_secret_value()])
    sid = store.create_session()
    store.add_turn(sid, "user", "my key is sk-envkey-1234567890abcdef and team-secret-value")
    store.add_turn(sid, "assistant", "error from server: Bearer abcdefghijklmnopqrstuv",
                   meta={"note": "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"})
    store.close()
    raw = locations.sessions_db().read_bytes()
    for wal in locations.sessions_db().parent.glob("sessions.db*"):
        raw += wal.read_bytes()
    for secret in (b"sk-envkey", b"team-secret-value", b"abcdefghijklmnopqrstuv", b"ABCDEFGHIJKLMNOP"):
        assert secret not in raw


def test_search_finds_words_in_turns_and_titles(store):
    a = store.create_session()
    store.add_turn(a, "user", "Preparing the quarterly roadmap review with Dana")
    store.add_turn(a, "assistant", "What outcome matters most to Dana?")
    b = store.create_session()
    store.add_turn(b, "user", "Hiring a designer")
    store.rename(b, "Design hire")
    assert [s.id for s in store.search("roadmap")] == [a]
    assert [s.id for s in store.search("road")] == [a]  # prefix
    assert [s.id for s in store.search("design")] == [b]  # title and turn
    assert store.search("nothing-like-this") == []
    assert store.search('" OR 1=1 --')  == []  # quotes and operators are just text
    assert {s.id for s in store.search("")} == {a, b}


def test_search_without_fts5_falls_back_to_like(store):
    sid = store.create_session()
    store.add_turn(sid, "user", "100% sure about the_pricing change")
    store.fts = False
    assert [s.id for s in store.search("pricing")] == [sid]
    assert [s.id for s in store.search("100%")] == [sid]


def test_rename_delete_and_empty_sessions_hidden(store):
    sid = store.create_session()
    assert store.list_sessions() == []  # no turns yet
    turn = store.add_turn(sid, "user", "hello")
    store.rename(sid, "  A   better   name ")
    assert store.get(sid).title == "A better name"
    with pytest.raises(TranscriptError):
        store.rename(sid, "   ")
    store.delete_turn(turn)
    assert store.list_sessions() == []
    store.add_turn(sid, "user", "again")
    store.delete(sid)
    assert store.get(sid) is None and store.turns(sid) == []
    assert store.search("again") == []


def test_export_names_cannot_escape_the_folder(store, tmp_path):
    sid = store.create_session()
    store.add_turn(sid, "user", "hi")
    store.add_turn(sid, "assistant", "What is on your mind?",
                   meta={"cited": [{"label": "Feedback", "path": "feedback.md",
                                    "line_start": 3, "line_end": 9}], "cancelled": True})
    store.rename(sid, "../../etc/passwd\0 /..\\evil")
    out = tmp_path / "exports"
    first = store.export_markdown(sid, out)
    second = store.export_markdown(sid, out)
    assert first.parent == out.resolve() and second.parent == out.resolve()
    assert first != second and not first.name.startswith(".")
    text = first.read_text("utf-8")
    assert "## You" in text and "## Coach (stopped early)" in text
    assert "- Feedback (feedback.md:3-9)" in text
    for title in ("..", "/", "", "...", "a/../../b", "\\..\\x", "日本語 notes"):
        name = safe_filename(title)
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert name.endswith(".md")


def test_a_corrupt_database_is_moved_aside():
    path = locations.sessions_db()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"garbage" * 1000)
    store = TranscriptStore()
    try:
        assert store.recovered_from is not None
        assert store.recovered_from.name.startswith("sessions.db.corrupt-")
        assert store.recovered_from.read_bytes().startswith(b"garbage")
        sid = store.create_session()
        store.add_turn(sid, "user", "fresh start")
        assert [s.title for s in store.list_sessions()] == ["fresh start"]
    finally:
        store.close()
