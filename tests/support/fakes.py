"""Small stand-ins for the knowledge base in unit tests (real ones are tested on real data)."""

from __future__ import annotations

from companion.knowledge.models import ActionItem, IndexStatus, Passage


def passage(n: int, text: str = "Ask what the report needs and agree clear expectations in writing.",
            title: str = "Running one-on-ones", heading: str = "Carrying items forward") -> Passage:
    return Passage(id=f"p{n}", text=text, source="corpus", path=f"article-{n}.md", title=title,
                   heading=heading, line_start=10 * n, line_end=10 * n + 5, score=0.5, dense=0.5)


class FakeKnowledge:
    def __init__(self, passages=None, items=None):
        self.passages = passages if passages is not None else [passage(1), passage(2)]
        self.items = items or []
        self.queries: list[str] = []

    def search(self, query, k=4, **filters):
        self.queries.append(query)
        return self.passages[:k]

    def action_items(self, person=None, open_only=True):
        out = [i for i in self.items if not (open_only and i.done)]
        if person:
            out = [i for i in out if person.lower() in (i.person or "").lower()]
        return out

    def status(self):
        return IndexStatus(files=2, chunks=len(self.passages), action_items=len(self.items),
                           embedding_model="fake", last_sync=None, location="memory")


def item(text: str, person: str, done: bool = False, line: int = 5) -> ActionItem:
    return ActionItem(text=text, done=done, person=person, date="2026-11-01", path="2026-11-01-dana.md", line=line)
