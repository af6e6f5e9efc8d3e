"""Snapshots of the main screen in each mode (fixed size, fixed date, scripted model).

Update them after an intended change with `pytest tests/ui --snapshot-update` and look at
the report before committing `tests/ui/__snapshots__`.
"""

from __future__ import annotations

import datetime
import types

import pytest
from uikit import MESSAGE, QUESTION, SIZE, ready, settle

from companion.coaching import agenda


class _FixedDate(datetime.date):
    @classmethod
    def today(cls):
        return cls(2026, 11, 23)


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setattr(agenda, "dt", types.SimpleNamespace(date=_FixedDate))


def _drive(mode: str, fields: str = "", message: str = ""):
    async def run_before(pilot) -> None:
        app = pilot.app
        await ready(app, pilot)
        prompt = app.chat.prompt
        if mode == "socratic":
            prompt.insert(message)
            await pilot.press("enter")
        else:
            prompt.insert(f"/mode {mode}")
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press(*fields)
            await pilot.press("ctrl+s")
        await settle(app, pilot)
        app.chat.prompt.cursor_blink = False  # a blinking cursor would make snapshots flaky
        app.chat.transcript.scroll_home(animate=False)
        await pilot.pause()

    return run_before


def test_socratic_mode(snap_compare, make_app):
    app = make_app({"question": QUESTION})
    assert snap_compare(app, terminal_size=SIZE, run_before=_drive("socratic", message=MESSAGE))


def test_agenda_mode(snap_compare, make_app):
    app = make_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=_drive("agenda", fields="Dana"))


def test_jtbd_mode(snap_compare, make_app):
    app = make_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=_drive("jtbd", fields="Invoicing app"))


def test_mentor_mode(snap_compare, make_app):
    app = make_app()
    fields = "Asked to lead pricing for the first time"
    assert snap_compare(app, terminal_size=SIZE, run_before=_drive("mentor", fields=fields))
