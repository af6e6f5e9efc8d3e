"""1:1 agendas: the program owns sections, minutes and facts; the model only finishes questions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from companion.coaching.generate import Slot, write_questions
from companion.coaching.prompts import load_prompt
from companion.coaching.schemas import (
    RELATIONSHIP_LABELS,
    Agenda,
    AgendaInputs,
    AgendaItem,
    AgendaSection,
    SourceRef,
)
from companion.llm.base import LLMError, Provider

ACTIONS = "Action items from last time"

# (title, weight). Weights set each section's share of the meeting; the action-items section
# grows with the number of open items.
SECTIONS: dict[str, list[tuple[str, float]]] = {
    "my_report": [
        ("Check-in", 1),
        (ACTIONS, 2),
        ("Wins", 2),
        ("Blockers", 3),
        ("Decisions needed", 2),
        ("Growth and career", 3),
        ("Feedback both ways", 2),
        ("Next steps", 1),
    ],
    "my_manager": [
        ("Check-in", 1),
        (ACTIONS, 2),
        ("Wins", 2),
        ("Blockers", 2),
        ("Decisions needed", 3),
        ("Growth and career", 2),
        ("Feedback both ways", 2),
        ("Next steps", 1),
    ],
    "mentor": [
        ("Check-in", 1),
        (ACTIONS, 2),
        ("Goals", 2),
        ("Topic of the day", 4),
        ("Questions to explore", 3),
        ("Next steps", 1),
    ],
    "mentee": [
        ("Check-in", 1),
        (ACTIONS, 2),
        ("Goals", 2),
        ("Topic of the day", 4),
        ("Questions to explore", 3),
        ("Next steps", 1),
    ],
}

_TOPIC_RULES: list[tuple[str, re.Pattern]] = [
    (
        "Blockers",
        re.compile(
            r"\b(block|stuck|waiting|depend|behind|slip|delay|risk|problem|issue|struggl|late)",
            re.I,
        ),
    ),
    (
        "Decisions needed",
        re.compile(
            r"\b(decid|decision|whether|choose|choice|approv|sign[- ]?off|trade[- ]?off|priorit|budget|headcount)",
            re.I,
        ),
    ),
    (
        "Wins",
        re.compile(
            r"\b(shipped|launched|win|won|proud|landed|closed|celebrat|success|great)", re.I
        ),
    ),
    (
        "Growth and career",
        re.compile(r"\b(promot|career|grow|learn|skill|stretch|level|ladder|goal)", re.I),
    ),
    ("Feedback both ways", re.compile(r"\b(feedback|review|perform|expectation)", re.I)),
]
_MENTOR_TOPIC = "Topic of the day"


def split_topics(on_mind: str) -> list[str]:
    parts = re.split(r"(?<=[.!?;])\s+|\n+|\s+-\s+|^\s*[-*]\s+", on_mind.strip(), flags=re.M)
    return [p.strip(" -*;") for p in parts if p and len(p.strip(" -*;").split()) >= 2]


def place_topic(topic: str, titles: list[str]) -> str:
    if _MENTOR_TOPIC in titles:
        return "Goals" if re.search(r"\b(goal|aim|objective)", topic, re.I) else _MENTOR_TOPIC
    for title, pattern in _TOPIC_RULES:
        if title in titles and pattern.search(topic):
            return title
    return "Decisions needed" if "Decisions needed" in titles else titles[-2]


def timeboxes(weights: list[float], total: int) -> list[int]:
    """Whole minutes, at least one each, that add up exactly to `total` (largest remainder)."""
    n = len(weights)
    if total < n:
        raise ValueError(f"{total} minutes is too short for {n} sections")
    spare = total - n
    scale = sum(weights)
    raw = [spare * w / scale for w in weights]
    minutes = [1 + int(r) for r in raw]
    order = sorted(range(n), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: total - sum(minutes)]:
        minutes[i] += 1
    return minutes


def max_carried(minutes: int) -> int:
    """How many action items a meeting of `minutes` can walk through (one per two minutes)."""
    return max(5, minutes // 2)


def carried_items(items: list, minutes: int, today: str) -> tuple[list, int]:
    """(the items to carry, how many were left out). All of them when they fit; otherwise the
    most urgent: overdue first, then by priority and due date, newest note first on ties."""
    limit = max_carried(minutes)
    if len(items) <= limit:
        return list(items), 0
    ranked = sorted(items, key=lambda a: getattr(a, "date", None) or "", reverse=True)
    if all(hasattr(a, "urgency") for a in ranked):
        ranked.sort(key=lambda a: a.urgency(today))
    return ranked[:limit], len(items) - limit


def _owner(a) -> str | None:
    whose = getattr(a, "whose", None)
    if whose == "you":
        return "you"
    if whose == "them":
        return getattr(a, "owner", None) or a.person
    # Nobody named on the line: in a note with one person it is read as theirs (as before);
    # in a meeting with several, nobody's.
    people = [p.strip() for p in (a.person or "").split(",") if p.strip()]
    return people[0] if len(people) == 1 else None


def _item_text(a, today: str) -> str:
    extra = []
    state = getattr(a, "state", "open")
    if state == "in_progress":
        extra.append("in progress")
    elif state == "other":
        extra.append(f"status [{a.status}]")
    due = getattr(a, "due", None)
    if due:
        extra.append(f"due {due}" + (", overdue" if a.overdue(today) else ""))
    return f"{a.text} ({'; '.join(extra)})" if extra else a.text


def build_agenda(
    inputs: AgendaInputs,
    *,
    provider: Provider | None,
    knowledge,
    today: dt.date | None = None,
    temperature: float = 0.3,
    tier: str = "tiny",
    on_part: Callable[[str], None] | None = None,
) -> tuple[Agenda, int]:
    """(agenda, how many suggested questions came from the fallback)."""
    plan = SECTIONS[inputs.relationship]
    titles = [t for t, _ in plan]
    items: dict[str, list[AgendaItem]] = {t: [] for t in titles}
    data = load_prompt("agenda-questions").meta.data

    # Facts: the open action items with this person, straight from the notes.
    day = (today or dt.date.today()).isoformat()
    found = knowledge.action_items(person=inputs.person, open_only=True) if knowledge else []
    open_items, left_out = carried_items(found, inputs.duration_minutes, day)
    for a in open_items:
        items[ACTIONS].append(
            AgendaItem(
                text=_item_text(a, day),
                kind="action_item",
                owner=_owner(a),
                source=SourceRef(
                    label=a.date or a.path, path=a.path, line_start=a.line, line_end=a.line
                ),
            )
        )
    if left_out:
        items[ACTIONS].append(
            AgendaItem(
                text=f"{left_out} more open item(s) with {inputs.person}: "
                f'companion actions --person "{inputs.person}" --open',
                kind="topic",
            )
        )
    if not open_items:
        items[ACTIONS].append(
            AgendaItem(text=f"No open action items with {inputs.person} in your notes.")
        )

    for topic in split_topics(inputs.on_mind):
        items[place_topic(topic, titles)].append(AgendaItem(text=topic, kind="topic"))

    items["Check-in"].append(
        AgendaItem(text=data["fallback"]["Check-in"], kind="question", origin="bank")
    )

    # Suggested questions: model-finished stems for the sections the user's topics landed in.
    stems: dict[str, str] = data["stems"]
    candidates = [t for t in titles if t in stems]
    chosen = sorted(
        candidates, key=lambda t: (-sum(i.kind == "topic" for i in items[t]), titles.index(t))
    )[:3]
    fallbacks = 0
    questions: dict[str, str | None] = dict.fromkeys(chosen)
    if provider is not None and inputs.on_mind.strip():
        slots = [Slot(key=f"q{i}", stem=stems[t], purpose=t.lower()) for i, t in enumerate(chosen)]
        try:
            got = write_questions(
                provider,
                "agenda-questions",
                slots,
                variables={
                    "person": inputs.person,
                    "relationship": RELATIONSHIP_LABELS[inputs.relationship],
                    "on_mind": " ".join(inputs.on_mind.split())[:500],
                },
                temperature=temperature,
            )
            questions = {t: got[f"q{i}"] for i, t in enumerate(chosen)}
        except LLMError:
            pass
    for title in titles:
        if title in ("Check-in", ACTIONS, "Next steps"):
            continue
        q = questions.get(title)
        origin = "model"
        if q is None and (title in chosen or not items[title]):
            q, origin = data["fallback"][title], "bank"
            fallbacks += title in chosen
        if q:
            items[title].append(AgendaItem(text=q, kind="question", origin=origin))

    items["Next steps"].append(
        AgendaItem(text="Agree owners and dates for anything new.", kind="topic")
    )
    items["Next steps"].append(
        AgendaItem(
            text=f'Record each commitment: companion commit --person {inputs.person} "..."',
            kind="topic",
        )
    )

    weights = [w + (0.5 * max(0, len(open_items) - 1) if t == ACTIONS else 0) for t, w in plan]
    minutes = timeboxes(weights, inputs.duration_minutes)
    sections = [
        AgendaSection(title=t, minutes=m, items=items[t])
        for t, m in zip(titles, minutes, strict=True)
    ]
    agenda = Agenda(
        person=inputs.person,
        relationship=inputs.relationship,
        duration_minutes=inputs.duration_minutes,
        date=(today or dt.date.today()).isoformat(),
        sections=sections,
        sources=[i.source for i in items[ACTIONS] if i.source],
    )
    return agenda, fallbacks
