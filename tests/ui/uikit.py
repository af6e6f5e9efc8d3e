"""Helpers for the chat app tests: fixture notes, a small fake index over them, scripted models."""

from __future__ import annotations

import threading
from pathlib import Path

from companion.knowledge.models import ActionItem, IndexStatus, Passage
from companion.llm.fake import ScriptedProvider

SIZE = (100, 30)

DANA_NOTE = """\
---
person: Dana Lee
date: 2026-11-02
---
# 1:1 with Dana

## Onboarding revamp

Dana thinks the revamp is twice the size the team can ship this quarter.
She wants to cut the guided tour and keep the checklist.
We did not agree on what "done" means for the first release.

## Actions

- [ ] Dana to share the scope doc with design
- [ ] Me: ask finance about the Q1 budget
"""

ARTICLE = """\
# Disagreeing with your manager

## Find the shared goal

Before arguing about scope, name the outcome you both want.
A disagreement about means is easier when the ends are agreed.
"""

QUESTION = "What do you mean by cutting scope on the onboarding revamp?"
MESSAGE = "My manager wants me to cut scope on the onboarding revamp and I disagree."


class UIKnowledge:
    """The three things the session asks of the index, over two real files on disk."""

    def __init__(self, notes: Path):
        self.notes_dirs = [notes]
        self.queries: list[str] = []
        self.passages = [
            Passage(id="n1", text=DANA_NOTE.split("## Onboarding revamp")[1][:300], source="notes",
                    path="dana.md", title="1:1 with Dana", heading="1:1 with Dana › Onboarding revamp",
                    line_start=8, line_end=10, score=0.61, dense=0.52, person=["Dana Lee"], date="2026-11-02"),
            Passage(id="a1", text=ARTICLE, source="notes", path="disagreeing.md",
                    title="Disagreeing with your manager", heading="Find the shared goal",
                    line_start=3, line_end=6, score=0.55, dense=0.47),
            Passage(id="n2", text="Dana to share the scope doc", source="notes", path="dana.md",
                    title="1:1 with Dana", heading="1:1 with Dana › Actions", line_start=14,
                    line_end=16, score=0.40, dense=0.38),
        ]
        self.items = [
            ActionItem(text="Dana to share the scope doc with design", done=False, person="Dana Lee",
                       date="2026-11-02", path="dana.md", line=15),
        ]

    def search(self, query, k=None, **filters):
        self.queries.append(query)
        return self.passages[: k or 4]

    def action_items(self, person=None, open_only=True):
        if person and not any(person.lower() in (i.person or "").lower() for i in self.items):
            return []
        return list(self.items)

    def status(self):
        return IndexStatus(files=2, chunks=len(self.passages), action_items=len(self.items),
                           embedding_model="fake", last_sync=None, location="memory")

    def sync(self, progress=None):
        if progress:
            progress(1, 1, "dana.md")
        return None


class GatedProvider(ScriptedProvider):
    """A scripted model whose schema-shaped answers wait for `gate` (to act mid-reply)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def _structured_json(self, messages, schema, *, max_tokens, temperature):
        self.waiting.set()
        self.gate.wait(10)
        return super()._structured_json(messages, schema, max_tokens=max_tokens,
                                        temperature=temperature)


async def ready(app, pilot, timeout: float = 20.0) -> None:
    """Wait until the session is prepared and the screen has settled."""
    import time

    deadline = time.monotonic() + timeout
    while not app.host.ready.is_set():
        assert time.monotonic() < deadline, "the session never became ready"
        await pilot.pause(0.02)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def settle(app, pilot) -> None:
    """Let workers finish and their messages be handled."""
    await app.workers.wait_for_complete()
    for _ in range(4):
        await pilot.pause()
