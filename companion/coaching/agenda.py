"""1:1 agendas: the program owns sections, minutes, facts and topics; the model only writes questions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from companion.coaching.agenda_topics import (
    Topic,
    overlap,
    place,
    rewrite,
    rewrite_all,
    split_sentences,
)
from companion.coaching.generate import Slot, write_questions
from companion.coaching.listening.asking import is_person_phrase
from companion.coaching.listening.grammar import grammar_problems
from companion.coaching.listening.nlp import parse
from companion.coaching.prompts import load_prompt
from companion.coaching.schemas import (
    RELATIONSHIP_LABELS,
    Agenda,
    AgendaInputs,
    AgendaItem,
    AgendaSection,
    SourceRef,
    section_markdown,
)
from companion.knowledge.models import ActionItem, Knowledge
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

# Sections every meeting keeps, whatever they hold.
STANDING = ("Check-in", ACTIONS, "Next steps")
# Below this many minutes a section, a section with nothing of the PM's (no topic, nothing in
# the notes with the person) is left out and its time goes to the rest: a 15-minute sync has
# no room for eight sections.
MIN_SECTION_MINUTES = 3

# What a section looks for in the notes with the person when the PM named nothing for it.
NOTES_QUERIES = {
    "Wins": "went well shipped launched landed win celebrate proud",
    "Blockers": "blocked stuck waiting slipped delayed risk problem behind",
    "Decisions needed": "decide decision whether choose approve trade-off",
    "Growth and career": "grow career promotion learn skills role stretch",
    "Feedback both ways": "feedback expectations performance",
    "Goals": "goal progress learn grow",
    "Topic of the day": "problem question decide explore",
    "Questions to explore": "question unsure assume whether",
}


# Sections whose stem reads right about any open piece of work ("What is getting in the way
# of the Q1 budget for the pricing experiment?"); a win or a decision would be taken for granted.
ON_OPEN_WORK = {"Blockers", "Topic of the day", "Questions to explore"}


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


def carried_items(
    items: list[ActionItem], minutes: int, today: str
) -> tuple[list[ActionItem], int]:
    """(the items to carry, how many were left out), most urgent first: overdue, then by
    priority and due date, newest note first on ties; the first `max_carried` of them."""
    limit = max_carried(minutes)
    ranked = sorted(items, key=lambda a: a.date or "", reverse=True)
    ranked.sort(key=lambda a: a.urgency(today))
    # Ranked even when all fit: the PM walks the list top down and the overdue item is the one
    # the meeting must not run out of time for.
    return ranked[:limit], max(0, len(items) - limit)


def _owner(a: ActionItem) -> str | None:
    if a.whose == "you":
        return "you"
    if a.whose == "them":
        return a.owner or a.person
    # Nobody named on the line: in a note with one person it is read as theirs (as before);
    # in a meeting with several, nobody's.
    people = [p.strip() for p in (a.person or "").split(",") if p.strip()]
    return people[0] if len(people) == 1 else None


def _item_text(a: ActionItem, today: str) -> str:
    extra = []
    if a.state == "in_progress":
        extra.append("in progress")
    elif a.state == "other":
        extra.append(f"status [{a.status}]")
    if a.due:
        extra.append(f"due {a.due}" + (", overdue" if a.overdue(today) else ""))
    return f"{a.text} ({'; '.join(extra)})" if extra else a.text


def build_agenda(
    inputs: AgendaInputs,
    *,
    provider: Provider | None,
    knowledge: Knowledge | None,
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
    with_person = knowledge.action_items(person=inputs.person, open_only=True) if knowledge else []
    open_items, left_out = carried_items(with_person, inputs.duration_minutes, day)
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

    topics = rewrite_all(inputs.on_mind, inputs.person, inputs.relationship)
    for topic in topics:
        items[place(topic.kind, titles)].append(AgendaItem(text=topic.text, kind="topic"))

    items["Check-in"].append(
        AgendaItem(text=data["fallback"]["Check-in"], kind="question", origin="bank")
    )
    items["Next steps"].append(
        AgendaItem(text="Agree owners and dates for anything new.", kind="topic")
    )
    items["Next steps"].append(
        AgendaItem(
            text=f'Record each commitment: companion commit --person {inputs.person} "..."',
            kind="topic",
        )
    )

    agenda = Agenda(
        person=inputs.person,
        relationship=inputs.relationship,
        duration_minutes=inputs.duration_minutes,
        date=day,
        sections=[],
        sources=[i.source for i in items[ACTIONS] if i.source],
    )
    emit = on_part or (lambda _part: None)
    emit(agenda.head_markdown())

    # One suggested question per section, asked as the section is reached, so each section
    # streams as soon as it is written: the model's, else one the program composes from the
    # PM's own topic, else the bank's.
    stems: dict[str, str] = data["stems"]
    # What each section's question is about, first found: its own topics; what the notes
    # with the person say of its kind ("The memo went well with finance" for wins, cited);
    # for a section about open work, an open item's work; the PM's other topics when its stem
    # reads right about anything (`borrow`); else nothing, and the bank asks.
    own = {t: [x for x in topics if place(x.kind, titles) == t] for t in titles if t in stems}
    # A section's question from the notes or an open item, written (and vetted) when found.
    noted: dict[str, tuple[Topic, AgendaItem]] = {}
    short = inputs.duration_minutes < MIN_SECTION_MINUTES * len(titles)
    for t in own:
        if not own[t] and knowledge is not None:
            taken = [x.sentence for x, _ in noted.values()]
            found = _from_notes(knowledge, inputs, t, titles, taken=taken, stem=stems[t])
            if found is None and t in ON_OPEN_WORK and not short:
                found = _from_items(open_items, inputs, taken=[x.anchor for x, _ in noted.values()],
                                    stem=stems[t])
            if found is not None:
                noted[t] = found
    # A topic about a person is not borrowed: "What skills do you want to build through your
    # lead designer?" (person test, 2026-12-05). Those sections ask the bank's question.
    borrowable = [x for x in topics if not is_person_phrase(x.anchor)]
    focus = {t: own[t] or ([] if t in noted or t not in data["borrow"] else borrowable) for t in own}
    if short:
        keep = [t for t in titles if t in STANDING or own.get(t) or t in noted or items[t]]
        plan = [(t, w) for t, w in plan if t in keep]
        titles = keep
        focus = {t: f for t, f in focus.items() if t in keep}
    # A tiny model writes the questions of the (at most three) sections the PM's topics landed
    # in; one small call each on 2 cores is ~6 s, so the rest are composed from the topics.
    # Sections without a topic come after, so a worry placed in the check-in still gets two.
    # A larger tier writes every section's question that has a topic to ask about.
    asked_about = sorted(
        (t for t in focus if focus[t]),
        key=lambda t: (-sum(place(x.kind, titles) == t for x in topics), titles.index(t)),
    )
    landed = [t for t in asked_about if any(place(x.kind, titles) == t for x in topics)]
    by_model = (landed[:3] or asked_about[:2]) if tier == "tiny" else asked_about
    weights = [w + (0.5 * max(0, len(open_items) - 1) if t == ACTIONS else 0) for t, w in plan]
    minutes = timeboxes(weights, inputs.duration_minutes)
    fallbacks = 0
    for n, (title, mins) in enumerate(zip(titles, minutes, strict=True)):
        if title in stems:
            question = _suggest(title, stems[title], focus[title], topics, inputs,
                                provider=provider if title in by_model else None,
                                temperature=temperature, tier=tier)
            if question is None and title in noted:
                question = noted[title][1]
            if question is None and not items[title]:
                question = AgendaItem(text=data["fallback"][title], kind="question", origin="bank")
            if question is not None:
                fallbacks += question.origin == "bank"
                items[title].append(question)
        section = AgendaSection(title=title, minutes=mins, items=items[title])
        agenda.sections.append(section)
        part = section_markdown(section)
        emit(part if n < len(titles) - 1 else part.rstrip() + "\n")
    return agenda, fallbacks


def _suggest(
    title: str,
    stem: str,
    focus: list[Topic],
    topics: list[Topic],
    inputs: AgendaInputs,
    *,
    provider: Provider | None,
    temperature: float,
    tier: str,
) -> AgendaItem | None:
    """This section's suggested question, or None when there is nothing of the PM's to ask
    about (the caller then uses the bank's)."""
    if not focus:
        return None
    sentences = [t.sentence for t in topics]
    if provider is not None:
        slot = Slot(key="q", stem=stem, purpose=f"{title.lower()}, about {focus[0].anchor}")
        try:
            got = write_questions(
                provider,
                "agenda-questions",
                [slot],
                variables={
                    "person": inputs.person,
                    "relationship": RELATIONSHIP_LABELS[inputs.relationship],
                    # The whole text every time: the calls then share their prompt up to the
                    # slot line and llama.cpp reuses that prefix.
                    "on_mind": " ".join(inputs.on_mind.split())[:500],
                },
                temperature=temperature,
                tier=tier,
                vet=lambda _slot, text: question_faults(text, sentences),
            )
        except LLMError:
            got = {}
        if got.get("q"):
            return AgendaItem(text=str(got["q"]), kind="question", origin="model")
    if len(focus[0].anchor.split()) >= 2:  # "the checkout redesign", never a bare "night"
        text = f"{stem} {focus[0].anchor}?"
        if not grammar_problems(text) and not question_faults(text, sentences):
            return AgendaItem(text=text, kind="question", origin="program")
    return None


def _from_notes(
    knowledge: Knowledge, inputs: AgendaInputs, title: str, titles: list[str], taken: list[str],
    stem: str,
) -> tuple[Topic, AgendaItem] | None:
    """A topic of this section's kind from the notes with the person, and the section's
    question about it (citing the note)."""
    try:
        passages = knowledge.search(NOTES_QUERIES.get(title, title), k=4, source="notes",
                                    person=inputs.person)
    except Exception:  # noqa: BLE001 - no notes index, or a store that cannot search: no topic
        return None
    seen = set(taken)
    for p in passages:
        if p.source != "notes":
            continue
        # Prose only: task lines are carried as action items already.
        prose = "\n".join(line for line in p.text.splitlines()
                           if not re.match(r"\s*(?:[-*]\s*\[.\]|#)", line))
        # "The memo went well with finance; the discount band is still open": two facts.
        for sentence in (x for part in re.split(r";\s+", prose) for x in split_sentences(part)):
            if sentence in seen or len(sentence.split()) > 40:
                continue
            topic = rewrite(sentence, inputs.person, inputs.relationship)
            if topic.kind == "explore" or place(topic.kind, titles) != title:
                continue
            if topic.kind == "win" and not _happened(sentence):
                continue  # "the revamp is twice the size the team can ship" is no win
            if len(topic.anchor.split()) >= 2 and not _vague(topic.anchor):
                ref = SourceRef(label=p.date or p.title, path=p.path, line_start=p.line_start,
                                line_end=p.line_end)
                # Only a fact the section's opening makes a good question of: a garbled
                # anchor ("Talked about she wants how to grow") leaves the search going.
                question = _from_note(stem, topic, ref)
                if question is not None:
                    return topic, question
    return None


# Anchors too vague to ask about ("the work", "the week").
_VAGUE = {"the", "a", "an", "this", "that", "work", "thing", "things", "stuff", "time", "week",
          "day", "meeting", "session", "call", "plan", "lot"}


def _vague(anchor: str) -> bool:
    return all(w.lower() in _VAGUE for w in anchor.split())


# Last words of an anchor that name people, not work ("the sales VP", "the payments team").
_PEOPLE = {"vp", "manager", "director", "lead", "head", "team", "partner", "ceo", "cto", "cfo",
           "engineer", "designer", "pm", "owner", "customer", "customers", "people", "sales"}


def _from_items(
    open_items: list[ActionItem], inputs: AgendaInputs, taken: list[str], stem: str
) -> tuple[Topic, AgendaItem] | None:
    """A topic from an open action item with the person (most urgent first), not one whose
    anchor another section already asks about, nor a decision (the decisions section's)."""
    first = inputs.person.split()[0].lower()
    for a in open_items:
        topic = rewrite(a.text, inputs.person, inputs.relationship)
        anchor = topic.anchor
        if (topic.kind == "decision" or len(anchor.split()) < 2 or _vague(anchor)
                or anchor in taken or first in anchor.lower()
                or anchor.split()[-1].lower() in _PEOPLE):
            continue
        ref = SourceRef(label=a.date or a.path, path=a.path, line_start=a.line, line_end=a.line)
        question = _from_note(stem, topic, ref)
        if question is not None:
            return topic, question
    return None


def _happened(sentence: str) -> bool:
    """A win in a note is something done: a past-tense verb ("shipped", "went well")."""
    return any(t.tag_ in {"VBD", "VBN"} for t in parse(sentence))


def _common(anchor: str, sentence: str) -> str:
    """ "Design review went well" -> "the design review": a bare common noun that opened the
    note's sentence reads as one inside a question; a proper noun ("Stripe Radar") stays."""
    words = anchor.split()
    if (sentence.startswith(anchor) and len(words) >= 2 and words[0][:1].isupper()
            and words[1][:1].islower() and parse(anchor)[0].pos_ != "PROPN"):
        return "the " + anchor[:1].lower() + anchor[1:]
    return anchor


def _from_note(stem: str, topic: Topic, ref: SourceRef) -> AgendaItem | None:
    """The section's stem about what the notes say, when it reads as a question."""
    text = f"{stem} {_common(topic.anchor, topic.sentence)}?"
    if grammar_problems(text) or _WE.search(text):
        return None
    return AgendaItem(text=text, kind="question", origin="program", source=ref)


_WE = re.compile(r"\b(we|our|us|ours)\b", re.I)


def question_faults(text: str, sentences: list[str]) -> list[str]:
    """The agenda's own reasons to reject a suggested question: it repeats what the PM wrote,
    speaks as "we", or names nothing of what is on the PM's mind."""
    faults = []
    if any(overlap(text, s) >= 0.8 for s in sentences):
        faults.append("repeats the on-mind text")
    if _WE.search(text):
        faults.append("speaks as 'we'")
    mind = {w for s in sentences for w in re.findall(r"[a-z][a-z'-]{3,}", s.lower())}
    words = set(re.findall(r"[a-z][a-z'-]{3,}", text.lower()))
    if not (words & mind - _COMMON):
        faults.append("names nothing of what is on your mind")
    return faults


# Words too common to show that a question is about the PM's situation.
_COMMON = {"what", "that", "this", "with", "from", "about", "have", "been", "your", "they",
           "their", "there", "would", "could", "should", "will", "want", "need", "think",
           "know", "make", "like", "just", "more", "most", "some", "into", "than", "then",
           "when", "where", "which", "while", "still", "getting", "going", "things", "thing",
           "work", "time", "help", "support", "differently", "proud", "decide", "undecided",
           "skills", "build", "progress", "tried", "assuming", "doing", "really"}

