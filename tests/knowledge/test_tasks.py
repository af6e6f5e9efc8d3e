"""Obsidian Tasks conventions, people in front matter and folders, and `actions` on a vault."""

from __future__ import annotations

from kb_helpers import write

from companion.knowledge import loader


def _note(tmp_path, rel, text):
    return loader.load_note(write(tmp_path, rel, text), tmp_path)


def test_statuses_owners_dates_priorities_and_tags(tmp_path):
    note = _note(
        tmp_path,
        "2026-11-02 sync.md",
        "---\nparticipants: [Myself, '[[Dana Lee]]', Sam Ortiz]\n---\n"
        "- [ ] @Dana Lee send the memo 📅 2026-11-15 ⏫ #task\n"
        "- [?] @Myself Draft the MAI plan 🔼 ⏳ 2026-11-10 🛫 2026-11-01 #task #proposed\n"
        "- [/] Review the SKU list @Sam Ortiz 📅 2026-11-20\n"
        "- [x] Book the room ✅ 2026-11-01\n"
        "- [-] Cancelled idea\n"
        "- [R] Read the article @Dana Lee: by Friday\n"
        "- [ ] Follow up on Tuscany\n",
    )
    items = loader.action_items(note)
    got = [(a.status, a.state, a.done, a.owner, a.whose, a.person) for a in items]
    assert got == [
        (" ", "open", False, "Dana Lee", "them", "Dana Lee"),
        ("?", "other", False, "Myself", "you", "Dana Lee, Sam Ortiz"),
        ("/", "in_progress", False, "Sam Ortiz", "them", "Sam Ortiz"),
        ("x", "done", True, None, None, "Dana Lee, Sam Ortiz"),
        ("-", "cancelled", True, None, None, "Dana Lee, Sam Ortiz"),
        ("R", "other", False, "Dana Lee", "them", "Dana Lee"),
        (" ", "open", False, None, None, "Dana Lee, Sam Ortiz"),
    ]
    memo, plan = items[0], items[1]
    assert (memo.text, memo.due, memo.priority, memo.tags) == (
        "@Dana Lee send the memo", "2026-11-15", "high", ["task"]
    )
    assert (plan.scheduled, plan.start, plan.priority, plan.tags) == (
        "2026-11-10", "2026-11-01", "medium", ["task", "proposed"]
    )
    assert plan.text == "@Myself Draft the MAI plan" and plan.box == "[?]"
    assert memo.overdue("2026-11-16") and not memo.overdue("2026-11-15")


def test_full_name_runs_are_cut_at_the_name(tmp_path):
    text = (
        "- [ ] @Sam Send the deck\n"  # unknown run followed by words: the first word
        "- [ ] Send the deck @Priya Raman 📅 2026-01-02\n"  # a run that ends the clause
        "- [ ] @Dana Lee Monday call\n"  # a known person inside a longer run
        "- [ ] @[[Jonas Berg]] write it up\n"
    )
    note = _note(tmp_path, "People/Dana Lee/1-1.md", text)
    owners = [a.owner for a in loader.action_items(note)]
    assert owners == ["Sam", "Priya Raman", "Dana Lee", "Jonas Berg"]


def test_people_come_from_every_front_matter_form_and_the_people_folder(tmp_path):
    forms = {
        "a.md": "---\nattendees: Dana Lee, Sam Ortiz\n---\nx\n",
        "b.md": "---\nparticipants:\n  - Myself\n  - [[Dana Lee]]\n---\nx\n",
        "c.md": "---\nperson: '[[Dana Lee|Dana]]'\n---\nx\n",
        "d.md": "---\nwith: [[Dana Lee]]\n---\nx\n",
        "People/Dana Lee/2026-01-01 1-1 with Dana Lee.md": "x\n",
        "people/Dana Lee.md": "x\n",
    }
    for rel, text in forms.items():
        note = _note(tmp_path, rel, text)
        assert "Dana Lee" in note.person or note.person == ["Dana"], (rel, note.person)
    assert loader.person_of_path("Notes/People/Sam Ortiz/x.md") == "Sam Ortiz"
    assert loader.person_of_path("Meetings/x.md") is None


def test_your_own_name_from_settings_means_you(tmp_path):
    note = _note(tmp_path, "m.md", "---\nwith: Dana Lee\n---\n- [ ] @Alex Kim send it\n")
    (item,) = loader.action_items(note, me=("Alex Kim", *loader.DEFAULT_ME))
    assert (item.whose, item.person) == ("you", "Dana Lee")
    (theirs,) = loader.action_items(note)
    assert (theirs.whose, theirs.person) == ("them", "Alex")  # an unknown run: first word


def test_full_names_do_not_match_another_person_with_the_same_first_name():
    assert loader.person_matches("Dana Lee", "Dana Lee")
    assert loader.person_matches("Dana Lee", "dana")
    assert not loader.person_matches("Dana Whitfield", "Dana Lee")


def test_a_line_with_no_at_owner_is_read_for_one(tmp_path):
    note = _note(
        tmp_path,
        "2026-09-25 checkout sync.md",
        "---\nparticipants: [Myself, Dana, Marcus]\n---\n"
        "- [ ] Dana to update the launch checklist\n"
        "- [ ] Marcus: rerun the load test\n"
        "- [ ] I'll send the deck to finance\n"
        "- [ ] Send Dana the list of flaky tests\n"
        "- [ ] Review Marcus's draft plan\n"
        "- [ ] Ask my manager about QA budget\n"
        "- [ ] @Myself book the retro\n"
        "- [ ] Follow up on the vendor contract\n",
    )
    got = [(a.whose, a.owner, a.person) for a in loader.action_items(note)]
    assert got == [
        ("them", "Dana", "Dana"),
        ("them", "Marcus", "Marcus"),
        ("you", None, "Dana, Marcus"),
        ("you", None, "Dana, Marcus"),
        ("you", None, "Dana, Marcus"),
        ("you", None, "Dana, Marcus"),
        ("you", "Myself", "Dana, Marcus"),
        (None, None, "Dana, Marcus"),  # nobody named: left to the reader, as before
    ]
