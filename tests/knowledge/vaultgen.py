"""A realistic Obsidian vault, generated: people folders, 1:1s, meetings, daily notes, projects.

The formats follow a real PM's vault: Obsidian Tasks lines (`[ ]`, `[/]`, `[?]`, `[R]`, `[x]`,
`[-]`; `@Full Name` / `@Myself` owners; 📅 ⏳ 🛫 dates; 🔺⏫🔼🔽⏬ priorities; `#task` tags),
front matter `participants:` / `attendees:` / `person:` / `with:` as YAML lists, strings or
[[wikilinks]], and `People/<Name>/...` folders. Every task the generator writes is recorded in
`Vault.tasks` with the truth a reader must recover (owner, whose, who it is with, state, due),
so tests compare what the loader read with what was meant.

    python tests/knowledge/vaultgen.py OUT_DIR [--notes 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

PEOPLE = [
    "Dana Lee", "Sam Ortiz", "Priya Raman", "Mateo Silva", "Aisha Khan", "Jonas Berg",
    "Lena Fischer", "Tom Baker", "Dana Whitfield",
]  # fmt: skip
"""Two Danas on purpose: a full name must never pick up the other one's items."""
ME = "Myself"
TODAY = dt.date(2026, 12, 3)
PROJECTS = ["Tuscany", "MAI rollout", "SKU cleanup", "Atlas billing", "Nimbus onboarding"]
VERBS = [
    "send the pricing memo", "review the SKU list", "draft the MAI rollout plan",
    "book the design review", "share the churn analysis", "confirm the Tuscany contract terms",
    "write the launch checklist", "follow up with legal on the DPA", "update the roadmap slide",
    "pair on the onboarding funnel", "prepare the QBR deck", "ask finance about the budget",
    "summarise the customer interviews", "fix the analytics dashboard filters",
]  # fmt: skip
STATUSES = [" "] * 6 + ["/"] * 2 + ["?"] * 4 + ["x"] * 5 + ["-"] + ["R"]
PRIORITY = ["🔺", "⏫", "🔼", "🔽", "⏬"]
PRIORITY_NAME = dict(zip(PRIORITY, ["highest", "high", "medium", "low", "lowest"], strict=True))


@dataclass
class Task:
    path: str
    line: int
    text: str
    status: str
    owner: str | None
    whose: str | None
    with_people: list[str]
    due: str | None = None
    priority: str | None = None

    @property
    def open(self) -> bool:
        return self.status not in ("x", "X", "-")


@dataclass
class Vault:
    root: Path
    notes: int = 0
    tasks: list[Task] = field(default_factory=list)

    def open_with(self, person: str) -> list[Task]:
        """The open items an agenda with `person` must carry: theirs, and yours (or nobody's)
        from notes with them."""
        return [t for t in self.tasks if t.open and person in t.with_people]


class _Writer:
    def __init__(self, vault: Vault, rng: random.Random):
        self.vault = vault
        self.rng = rng

    def task_line(self, owner: str | None, note_people: list[str]) -> tuple[str, dict]:
        rng = self.rng
        status = rng.choice(STATUSES)
        verb = rng.choice(VERBS)
        parts: list[str] = []
        style = rng.random()
        if owner is not None and style < 0.5:
            parts += [f"@{owner}", verb]
        else:
            parts += [verb[0].upper() + verb[1:]]
            if owner is not None:
                parts.append(f"@{owner}")
        due = None
        priority = None
        if rng.random() < 0.6:
            due = (TODAY + dt.timedelta(days=rng.randint(-40, 40))).isoformat()
            parts.append(f"📅 {due}")
        if rng.random() < 0.3:
            parts.append(f"⏳ {(TODAY + dt.timedelta(days=rng.randint(-10, 10))).isoformat()}")
        if rng.random() < 0.15:
            parts.append(f"🛫 {(TODAY - dt.timedelta(days=rng.randint(1, 30))).isoformat()}")
        if rng.random() < 0.5:
            mark = rng.choice(PRIORITY)
            priority = PRIORITY_NAME[mark]
            parts.append(mark)
        if status in ("x",):
            parts.append(f"✅ {(TODAY - dt.timedelta(days=rng.randint(1, 60))).isoformat()}")
        parts.append("#task")
        if status == "?":
            parts.append("#proposed")
        if owner is None:
            whose, with_people = None, [p for p in note_people]
        elif owner == ME:
            whose, with_people = "you", [p for p in note_people]
        else:
            whose, with_people = "them", [owner]
        line = f"- [{status}] " + " ".join(parts)
        return line, {
            "text": verb,
            "status": status,
            "owner": owner,
            "whose": whose,
            "with_people": with_people,
            "due": due,
            "priority": priority,
        }

    def write(self, rel: str, front: list[str], body: list[str | tuple[str, dict]]) -> None:
        lines: list[str] = []
        if front:
            lines += ["---", *front, "---"]
        for entry in body:
            if isinstance(entry, tuple):
                text, truth = entry
                lines.append(text)
                self.vault.tasks.append(Task(path=rel, line=len(lines), **truth))
            else:
                lines.extend(entry.split("\n"))
        path = self.vault.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", "utf-8")
        self.vault.notes += 1


def _people_field(rng: random.Random, people: list[str]) -> list[str]:
    """Front matter naming `people` in one of the ways real vaults do."""
    key = rng.choice(["participants", "attendees", "with"])
    style = rng.random()
    names = [ME, *people] if key != "with" and rng.random() < 0.7 else list(people)
    if style < 0.4:
        return [f"{key}:"] + [f"  - {'[[' + n + ']]' if n != ME and rng.random() < 0.5 else n}"
                              for n in names]
    if style < 0.7:
        return [f"{key}: [{', '.join(repr(n) for n in names)}]"]
    return [f"{key}: {', '.join(names)}"]


def generate(root: Path, notes: int = 300, seed: int = 7) -> Vault:
    """Write about `notes` notes under `root` and return what they contain."""
    rng = random.Random(seed)
    vault = Vault(Path(root))
    w = _Writer(vault, rng)
    others = [p for p in PEOPLE]
    for person in PEOPLE:
        w.write(
            f"People/{person}/{person}.md",
            ["type: person", f"role: {rng.choice(['PM', 'Designer', 'Engineer', 'Director'])}"],
            [f"# {person}", "", f"Works on {rng.choice(PROJECTS)}. Prefers written updates."],
        )
    day = TODAY - dt.timedelta(days=notes)
    while vault.notes < notes:
        day += dt.timedelta(days=1)
        kind = rng.random()
        if kind < 0.35:  # a 1:1 in the person's folder; front matter optional
            person = rng.choice(PEOPLE)
            front = [f"date: {day}"]
            if rng.random() < 0.5:
                front.append(f"person: '[[{person}]]'")
            front.append("tags: [one-on-one]")
            body: list = [f"# 1:1 with {person}", "", "## Updates",
                          f"{person.split()[0]} shared progress on {rng.choice(PROJECTS)}.",
                          "", "## Action items"]
            for _ in range(rng.randint(1, 4)):
                owner = rng.choice([person, ME, ME, None])
                body.append(w.task_line(owner, [person]))
            w.write(f"People/{person}/{day} 1-1 with {person}.md", front, body)
        elif kind < 0.65:  # a meeting with participants in front matter
            people = rng.sample(others, rng.randint(2, 4))
            topic = rng.choice(PROJECTS)
            front = [f"date: {day}", *_people_field(rng, people), "tags: [meeting]"]
            body = [f"# {topic} sync", "", "## Notes",
                    f"We went through the {topic} risks and the open decisions.", "",
                    "## Next steps"]
            for _ in range(rng.randint(2, 5)):
                owner = rng.choice([*people, ME, None])
                body.append(w.task_line(owner, people))
            w.write(f"Meetings/{day} {topic} sync.md", front, body)
        elif kind < 0.9:  # a daily note: tasks owned by anyone, nobody in front matter
            body = [f"# {day}", "", "Focus: inbox zero, then the roadmap.", ""]
            for _ in range(rng.randint(1, 3)):
                owner = rng.choice([*PEOPLE, ME])
                body.append(w.task_line(owner, []))
            body += ["", "```", "- [ ] not a task: inside a code block @Dana Lee", "```"]
            w.write(f"Daily/{day}.md", [f"date: {day}", "tags: [daily]"], body)
        else:  # a project page: unassigned tasks with nobody are no one's 1:1 business
            topic = rng.choice(PROJECTS)
            body = [f"# {topic}", "", f"Project code word {topic.split()[0]}; owner rotates.", ""]
            for text, status in (("Write the one-pager", " "), ("Kick-off done", "x")):
                truth = {"text": text, "status": status, "owner": None, "whose": None,
                         "with_people": []}
                body.append((f"- [{status}] {text}", truth))
            w.write(f"Projects/{topic} {day}.md", ["tags: [project]"], body)
    return vault


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    vault = generate(args.out, args.notes, args.seed)
    print(f"{vault.notes} notes, {len(vault.tasks)} tasks in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
