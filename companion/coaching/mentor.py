"""Mentor prompts: themes from the mentee's situation (the core issue first), each prompt in
second person to the mentee, Socratic types in turn, each passage cited at most once."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from companion.coaching import bank
from companion.coaching.generate import Slot, write_questions
from companion.coaching.guard import question_problems
from companion.coaching.mentee import Issue, Reading, content_words, read, shorten
from companion.coaching.prompts import load_prompt
from companion.coaching.rules import SOCRATIC_TYPES, analyse
from companion.coaching.schemas import (
    MentorInputs,
    MentorPrompt,
    MentorPrompts,
    PromptTheme,
    SourceRef,
)
from companion.llm.base import LLMError, Provider

if TYPE_CHECKING:
    from companion.knowledge.models import Knowledge

THEME_TITLES = {
    "goals": "Goals and direction",
    "craft": "Product craft",
    "stakeholders": "Stakeholders and influence",
    "career": "Career growth",
    "wellbeing": "Energy and wellbeing",
    "feedback": "Feedback",
}
_THEME_CUES = {
    "goals": r"goal|aim|want to|plan|direction|next year|quarter|okr",
    "craft": r"roadmap|discovery|priorit|spec|launch|metric|customer|research|design|strategy",
    "stakeholders": r"stakeholder|sales|exec|director|vp|engineer|conflict|influence|align|manager|team",
    "career": r"promot|career|level|senior|title|growth|ladder|interview|job",
    "wellbeing": r"tired|burn|stress|overwhelm|exhaust|energy|balance|anxious|confiden",
    "feedback": r"feedback|review|criticis|perform",
}
_DEFAULT_ORDER = ["goals", "stakeholders", "craft", "career", "feedback", "wellbeing"]

# Sentences the program composes from one of the mentee's facts ({np}, a noun phrase such as
# "saying yes to every request from sales") and someone else in the situation ({person}).
# Each reads as a grammatical question with any noun phrase; none presupposes an answer.
COMPOSED: dict[str, tuple[str, ...]] = {
    # ("What does {np} look like" broke on "you and the design lead disagreeing": "What does you".)
    "clarity": ("What happens in a typical week when it comes to {np}?", "What do you mean by {np}?",
                "What exactly is happening with {np}?"),
    "assumptions": ("What are you assuming about {np}?", "What are you taking for granted about {np}?"),
    "reasons_evidence": ("What evidence do you have about {np}?",
                         "What have you seen that supports your view of {np}?"),
    "alternate_viewpoints": ("What other perspective on {np} might {person} offer?",
                             "What might {person} say about {np}?",
                             "How might {person} see {np}?"),
    "implications": ("What might follow from {np}?", "What is the cost of {np} for you?"),
}
MAX_THEMES = 4
MIN_PROMPTS = 8
MODEL_SLOTS = {"tiny": 1, "small": 3, "large": 3}
"""How many of a theme's prompts the model writes, by tier (the program composes the rest):
one small call per theme keeps the default model's set under a minute on two cores; a
stronger model writes the whole theme in the same call."""
MODEL_BUDGET_S = 40.0
"""Model time a set may spend; later themes are the program's, so a set stays under a minute
on a slow or busy machine (the program's prompts take milliseconds)."""


def choose_themes(situation: str, n: int = 4) -> list[str]:
    """Catalogue themes by keyword cues: used only where the situation says too little."""
    hits = {
        t: len(re.findall(rf"\b(?:{cue})", situation, re.IGNORECASE))
        for t, cue in _THEME_CUES.items()
    }
    ranked = sorted(_DEFAULT_ORDER, key=lambda t: (-hits[t], _DEFAULT_ORDER.index(t)))
    return ranked[:n]


@dataclass
class _Theme:
    key: str
    title: str
    issue: Issue | None
    size: int


def plan_themes(reading: Reading, situation: str) -> list[_Theme]:
    """The core issue first, then the other facts; catalogue themes only to reach three."""
    issues = reading.issues[:MAX_THEMES]
    themes = [
        _Theme(key=f"issue-{i + 1}" if i else "core", title=issue.title, issue=issue,
               size=3 if i == 0 or len(issues) <= 3 else 2)
        for i, issue in enumerate(issues)
    ]
    for key in choose_themes(situation, n=len(_DEFAULT_ORDER)):
        if len(themes) >= 3 and sum(t.size for t in themes) >= MIN_PROMPTS:
            break
        themes.append(_Theme(key=key, title=THEME_TITLES[key], issue=None, size=2))
    return themes


def third_person(text: str, reading: Reading) -> list[str]:
    """The words of `text` that speak of the mentee instead of to them."""
    names = {reading.name.lower()} if reading.name else set()
    # "her" alone also names other women in the situation; "she"/"he" as subject rarely does.
    pronouns = {p for p in reading.pronouns if p not in {"her", "them", "their"}}
    # "Aisha's director" speaks of her too: the possessive is read off the name.
    found = [w for w in re.findall(r"[A-Za-z'’]+", text)
             if re.sub(r"['’]s?$", "", w.lower()) in names | pronouns | {"mentee"}]
    return found


def prompt_problems(text: str, reading: Reading, issue: Issue | None) -> list[str]:
    """Why a prompt may not reach the mentor ([] when it may): the mode's own checks."""
    from companion.coaching.listening.grammar import grammar_problems
    from companion.coaching.probes import probe_problems

    problems = []
    if third := third_person(text, reading):
        problems.append(f"speaks of the mentee as {third[0]!r}: ask them, use 'you'")
    problems += grammar_problems(text)
    # probe_problems is the interview check: a prompt may look ahead ("What might follow
    # from...?", the implications type), but not into an imagined case ("would", "imagine"),
    # and never hands over a benefit or a problem, asks two at once, or asks yes/no.
    # A benefit or problem word the mentor used ("help", "stalled") is the mentee's fact, not
    # one the prompt hands them.
    own = {w.lower() for w in re.findall(r"[A-Za-z']+", reading.second_person)}
    problems += [
        p for p in probe_problems(text)
        if not (p.startswith("presupposes") and _all_own(text, p, own))
    ]
    wanted = (issue.words if issue else set()) | reading.words
    if not content_words(text) & wanted:
        problems.append("names nothing of the situation")
    elif issue is not None and not content_words(text) & (issue.words | _people_words(issue)):
        problems.append(f"names nothing of {issue.title.lower()!r}")
    return problems


def _all_own(text: str, problem: str, own: set[str]) -> bool:
    from companion.coaching.probes import _BENEFIT, _PROBLEM

    pattern = _BENEFIT if "benefit" in problem else _PROBLEM
    found = [m.group(0).lower() for m in pattern.finditer(text)]
    # "struggling" against the mentor's "struggles": the same word in another form.
    return bool(found) and all(any(w[:5] == o[:5] for o in own) for w in found)


def _people_words(issue: Issue) -> set[str]:
    return set().union(*(content_words(p) for p in issue.people)) if issue.people else set()


def compose(qtype: str, issue: Issue, reading: Reading, avoid: set[str]) -> str | None:
    """A prompt the program writes from the mentee's fact, or None when none reads right."""
    # The short form first (a prompt that repeats a 16-word phrase reads badly), when it
    # still composes grammatically; else the whole phrase.
    forms = dict.fromkeys([shorten(issue.phrase, 10), issue.phrase])
    person = next((p for p in issue.people if p.lower() not in issue.phrase.lower()), None)
    if person is None and issue.kind in {"other", "shared"}:
        person = next((p for p in reading.people if p.lower() not in issue.phrase.lower()), None)
    for np in forms:
        for template in COMPOSED[qtype]:
            q = template.format(np=np, person=person or "a colleague you trust")
            q = q[:1].upper() + q[1:]
            if q not in avoid and not prompt_problems(q, reading, issue):
                return q
    return None


def build_prompts(
    inputs: MentorInputs,
    *,
    provider: Provider | None,
    knowledge: Knowledge | None = None,
    temperature: float = 0.3,
    tier: str = "tiny",
    on_part: Callable[[str], None] | None = None,
) -> tuple[MentorPrompts, int]:
    """(prompts, how many model slots failed their checks and were written by the program or
    the bank instead). `on_part` gets the header, then each theme's Markdown as it is done."""
    data = load_prompt("mentor-prompts").meta.data
    reading = read(inputs.situation, inputs.mentee)
    themes = plan_themes(reading, inputs.situation)
    prompt_bank = bank.load_bank()["mentor"]
    result = MentorPrompts(mentee=inputs.mentee, situation=inputs.situation, themes=[])
    if on_part is not None:
        on_part(result.header_markdown())

    start, slowest = time.monotonic(), 0.0
    turn = 0  # the Socratic types go round across the whole set
    failed = 0
    asked: set[str] = set()
    cited: set[tuple[str, int]] = set()
    for theme in themes:
        types = [SOCRATIC_TYPES[(turn + k) % len(SOCRATIC_TYPES)] for k in range(theme.size)]
        turn += theme.size
        written: dict[str, str | None] = {}
        spent = time.monotonic() - start
        # A call is only started when one more of the slowest so far still fits the budget.
        if provider is not None and theme.issue is not None and spent + slowest < MODEL_BUDGET_S:
            asked_at = time.monotonic()
            retry = 1 if spent + 3 * slowest < MODEL_BUDGET_S else 0
            written, misses = _model_prompts(provider, data, theme, types, reading, inputs,
                                             temperature=temperature, tier=tier, retries=retry)
            slowest = max(slowest, (time.monotonic() - asked_at) / (1 + retry * bool(misses)))
            failed += misses
        elif provider is not None and theme.issue is not None:
            failed += 1
        prompts: list[MentorPrompt] = []
        for k, qtype in enumerate(types):
            text, origin = written.get(f"q{k + 1}"), "model"
            if text and text in asked:
                text = None
            # A catalogue theme opens with its own bank prompt (its title must fit), then asks
            # about the mentee's core issue where it can.
            about = theme.issue or (reading.issues[0] if reading.issues and k else None)
            if not text and about is not None:
                text, origin = compose(qtype, about, reading, asked), "program"
            if not text:
                text, origin = _from_bank(prompt_bank, theme, qtype, inputs, reading, asked), "bank"
            if text:
                asked.add(text)
                prompts.append(MentorPrompt(text=text, socratic_type=analyse(text).socratic_type,
                                            origin=origin))  # type: ignore[arg-type]
        source = _citation(knowledge, theme, reading, cited)
        block = PromptTheme(theme=theme.key, title=theme.title, prompts=prompts, source=source)
        result.themes.append(block)
        if source is not None:
            result.sources.append(source)
        if on_part is not None:
            on_part(block.to_markdown())
    return result, failed


def _model_prompts(provider: Provider, data: dict[str, Any], theme: _Theme, types: list[str],
                   reading: Reading, inputs: MentorInputs, *,
                   temperature: float, tier: str, retries: int) -> tuple[dict[str, str | None], int]:
    """The model's prompts for a theme's first MODEL_SLOTS[tier] types (the others are the
    program's), in one call."""
    issue = theme.issue
    assert issue is not None
    slots = [
        Slot(key=f"q{k + 1}", stem=data["stems"][qtype],
             purpose=f"a {qtype.replace('_', ' ')} question about {issue.phrase}")
        for k, qtype in enumerate(types[: MODEL_SLOTS.get(tier, 1)])
    ]

    def vet(slot: Slot, text: str) -> list[str]:
        return prompt_problems(text, reading, issue)

    try:
        got = write_questions(
            provider, "mentor-prompts", slots,
            variables={
                "mentee": reading.name or "your mentee",
                "situation": _sentences(reading.second_person)[:600],
                "theme": theme.title,
            },
            user_text=reading.second_person,
            temperature=temperature,
            tier=tier,
            vet=vet,
            retries=retries,
            max_tokens=40 if tier == "tiny" else None,  # larger tiers: generate's per-slot room
        )
    except LLMError:
        return {}, len(slots)
    return got, sum(v is None for v in got.values())


def _sentences(text: str) -> str:
    """Capitalise the first word of each sentence of the second-person situation."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def _from_bank(prompt_bank: dict[str, Any], theme: _Theme, qtype: str, inputs: MentorInputs,
               reading: Reading, asked: set[str]) -> str | None:
    key = theme.key if theme.issue is None else choose_themes(theme.issue.phrase, 1)[0]
    values = {"topic": _topic(inputs.situation, reading), "mentee": inputs.mentee}
    pool = []
    for t in sorted(prompt_bank.get(key, []), key=lambda t: bank.pick([t, t + "~"], inputs.situation + t)):
        q = bank.fill(t, **values)
        if q not in asked and not question_problems(q, allow_first_person=True):
            pool.append(q)
    # The bank prompt of the slot's type when there is one: the types stay balanced.
    same = [q for q in pool if analyse(q).socratic_type == qtype]
    return next(iter(same or pool), None)


def _citation(knowledge: Knowledge | None, theme: _Theme, reading: Reading,
              cited: set[tuple[str, int]]) -> SourceRef | None:
    """The best passage about this theme that clears the floor and is not cited yet."""
    if knowledge is None or theme.issue is None:
        return None
    from companion.coaching.listening.retrieval import MIN_DENSE, MIN_SHARED
    from companion.coaching.mentee import content_words as words_of

    try:
        hits = knowledge.search(f"{theme.issue.phrase}. {reading.second_person[:300]}", 4,
                                source="corpus")
    except Exception:  # noqa: BLE001 - prompts without a citation are still useful
        return None
    for p in hits:
        key = (p.path, p.line_start)
        if key in cited or (p.dense or 0.0) < MIN_DENSE:  # close in meaning, not only top-ranked
            continue
        shared = words_of(p.text[:1500])
        # Relevant to this theme, not only to the situation at large.
        if len(shared & (theme.issue.words | reading.words)) < MIN_SHARED or not shared & theme.issue.words:
            continue
        cited.add(key)
        return SourceRef(label=p.label, path=p.path, line_start=p.line_start, line_end=p.line_end)
    return None


def _topic(situation: str, reading: Reading) -> str:
    """What the bank's prompts ask about: the issue read from the note, else its first words
    ("the new PM six weeks" from "A new PM, six weeks in, who ...": person test, 2026-12-05)."""
    from companion.coaching.reflect import topic

    return reading.issues[0].phrase if reading.issues else topic(situation)
