"""A generated realistic vault (tests/knowledge/vaultgen.py): people, meetings, Obsidian Tasks.

Indexed into real chromadb and the real keyword index with a hashed stand-in for MiniLM (the
agenda's items come from the notes, not from embeddings), then read back through the same
`action_items` the agenda and `companion actions` use.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import vaultgen
from kb_helpers import hash_embedder
from typer.testing import CliRunner

from companion.coaching.agenda import build_agenda, carried_items, max_carried
from companion.coaching.schemas import AgendaInputs
from companion.knowledge.models import ActionItem


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, embedder):
    from companion.knowledge.index import KnowledgeBase
    from companion.settings import load_settings

    base = tmp_path_factory.mktemp("gen")
    vault = vaultgen.generate(base / "vault", notes=300, seed=7)
    kb = KnowledgeBase(
        load_settings(),
        index_dir=base / "index",
        notes_dirs=[vault.root],
        include_corpus=False,
        embedder=hash_embedder(embedder),
        vector_cache=False,
    )
    report = kb.sync()
    assert not report.skipped and len(report.added) == vault.notes
    return vault, kb


def _keys(items) -> set[tuple[str, int]]:
    return {(i.path, i.line) for i in items}


def test_every_task_is_read_with_its_owner_and_people(indexed):
    vault, kb = indexed
    got = {(a.path, a.line): a for a in kb.action_items(open_only=False)}
    assert len(got) == len(vault.tasks) > 500  # the code-block task is not one
    for t in vault.tasks:
        a = got[(t.path, t.line)]
        assert (a.status, a.owner, a.whose, a.done) == (t.status, t.owner, t.whose, not t.open), t
        assert a.people() == t.with_people, t
        assert (a.due, a.priority) == (t.due, t.priority), t
    states = {a.state for a in got.values()}
    assert states == {"open", "in_progress", "other", "done", "cancelled"}


@pytest.mark.parametrize("person", ["Dana Lee", "Sam Ortiz", "Dana Whitfield"])
def test_the_agenda_carries_every_open_item_with_the_person_and_no_one_elses(indexed, person):
    vault, kb = indexed
    expected = vault.open_with(person)
    assert expected and any(t.whose == "you" for t in expected)
    assert any(t.whose == "them" for t in expected)
    assert any(t.status not in (" ",) for t in expected)  # [/], [?], [R] are carried too
    minutes = 120
    limit = max_carried(minutes)
    agenda, _ = build_agenda(
        AgendaInputs(person=person, relationship="my_report", duration_minutes=minutes),
        provider=None,
        knowledge=kb,
        today=vaultgen.TODAY,
    )
    carried = [
        i for s in agenda.sections for i in s.items if i.kind == "action_item" and i.source
    ]
    got = {(i.source.path, i.source.line_start) for i in carried}
    if len(expected) <= limit:
        assert got == _keys(expected)
    else:  # the most urgent fill the meeting; the rest are counted, never dropped silently
        assert got < _keys(expected) and len(got) == limit
        more = [i.text for s in agenda.sections for i in s.items if " more open item" in i.text]
        assert more and more[0].startswith(f"{len(expected) - limit} more open item(s)")
        today = vaultgen.TODAY.isoformat()
        overdue = {(t.path, t.line) for t in expected if t.due and t.due < today}
        assert overdue <= got or got <= overdue
    owners = {(i.source.path, i.source.line_start): i.owner for i in carried}
    for t in expected:
        if (t.path, t.line) not in owners:
            continue
        alone = t.with_people[0] if len(t.with_people) == 1 else None
        want = "you" if t.whose == "you" else (t.owner if t.whose == "them" else alone)
        assert owners[(t.path, t.line)] == want
    assert sum(s.minutes for s in agenda.sections) == minutes
    # `companion actions --person ... --open` lists exactly the same items.
    assert _keys(kb.action_items(person=person, open_only=True)) == _keys(expected)


def test_the_overdue_and_urgent_come_first_and_lead_when_items_do_not_fit():
    today = "2026-12-03"

    def item(n, due=None, priority=None, date="2026-11-01"):
        return ActionItem(text=f"item {n}", done=False, person="Dana Lee", path="a.md", line=n,
                          due=due, priority=priority, date=date)

    items = [item(n, date=f"2026-10-{10 + n}") for n in range(1, 9)]
    items += [
        item(20, due="2026-12-01"),  # overdue
        item(21, due="2026-11-20", priority="low"),  # overdue, low
        item(22, priority="highest"),
        item(23, due="2026-12-24", priority="high"),
    ]
    chosen, left = carried_items(items, 10, today)
    assert left == len(items) - 5
    assert [a.line for a in chosen] == [20, 21, 22, 23, 8]  # then the newest note
    # When all fit they are still ranked: the overdue one leads, then the newest note.
    fit = [items[0], items[1], items[8]]
    assert carried_items(fit, 10, today) == ([items[8], items[1], items[0]], 0)


def test_the_actions_command_lists_open_items_with_whose_and_due(indexed, monkeypatch):
    import typer

    from companion.knowledge import cli as kcli

    vault, kb = indexed
    monkeypatch.setattr(kcli, "_open_kb", lambda settings: kb)
    host = typer.Typer()
    host.callback()(lambda: None)
    kcli.register(host)
    runner = CliRunner()
    result = runner.invoke(host, ["actions", "--person", "Dana Lee", "--open", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {(r["path"], r["line"]) for r in rows} == _keys(vault.open_with("Dana Lee"))
    assert all(r["whose"] in ("you", "them", None) for r in rows)
    assert all("overdue" in r and "due" in r and "status" in r for r in rows)
    text = runner.invoke(host, ["actions", "--person", "Dana Lee", "--open"]).output
    assert "Dana Lee's" in text and "yours, with" in text and "[?]" in text
    assert "Dana Whitfield's" not in text  # the other Dana's own items are hers alone
    assert not any(r["owner"] == "Dana Whitfield" for r in rows)
    today = dt.date.today().isoformat()
    if any(r["due"] and r["due"] < today for r in rows):
        assert "(overdue)" in text
