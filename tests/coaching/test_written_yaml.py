"""Front matter the product writes parses back to what it was given, whatever the values hold."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from companion.coaching.schemas import Reply
from companion.coaching.session import commit_action, save_note
from companion.fileutil import front_matter
from companion.knowledge import loader

DAY = dt.date(2026, 3, 4)
HOSTILE = [
    "Dana: PM",
    "person: Dana: PM",
    "O'Brien \"the PM\"",
    "Dana\n---\nLee",
    "Zoë 李 🚀",
    "- Dana",
    "#dana",
    "[Dana]",
    "{Dana}",
    "yes",
    "null",
    "2026-01-01",
    "  Dana  ",
    "Dana\u2028Lee",
]


def _meta(text: str) -> dict:
    assert text.startswith("---\n")
    block, end, _ = text[4:].partition("\n---\n")
    assert end, "front matter is closed"
    return yaml.safe_load(block)


@given(st.text(), st.lists(st.text(), max_size=4))
def test_any_text_round_trips_through_front_matter(person, tags):
    meta = _meta(front_matter({"date": DAY, "person": person, "tags": tags}))
    assert meta == {"date": DAY, "person": person, "tags": tags}


@pytest.mark.parametrize("person", HOSTILE)
def test_saved_note_front_matter_reads_back(tmp_path, person):
    reply = Reply(mode="agenda", text="# 1:1\n\nSome agenda.", structured={"person": person})
    path = save_note(tmp_path, reply, today=DAY)
    text = path.read_text("utf-8")
    assert _meta(text) == {"date": DAY, "tags": ["agenda", "companion"], "person": person}
    assert text.endswith("\n\n# 1:1\n\nSome agenda.")

    note = loader.load_note(path, tmp_path)
    assert isinstance(note, loader.Note)
    assert not note.reasons
    assert note.date == "2026-03-04"
    assert note.tags == ["agenda", "companion"]
    assert note.lines[note.body_start :] == ["", "# 1:1", "", "Some agenda."]


@pytest.mark.parametrize("person", HOSTILE)
def test_committed_action_note_front_matter_reads_back(tmp_path, person):
    path = commit_action(tmp_path, person, "Send the launch plan", today=DAY)
    text = path.read_text("utf-8")
    assert _meta(text) == {"date": DAY, "person": person, "tags": ["agenda", "companion"]}
    assert text.endswith("## Next steps\n\n- [ ] Send the launch plan\n")
    note = loader.load_note(path, tmp_path)
    assert isinstance(note, loader.Note) and not note.reasons
    assert [a.text for a in loader.action_items(note)] == ["Send the launch plan"]


def test_plain_values_stay_plain(tmp_path):
    path = commit_action(tmp_path, "Dana", "Send the plan", today=DAY)
    assert path.read_text("utf-8").startswith(
        "---\ndate: 2026-03-04\nperson: Dana\ntags: [agenda, companion]\n---\n\n# 1:1 with Dana\n"
    )
