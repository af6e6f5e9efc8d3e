"""JTBD interview guides about this switch: the Switch timeline and the four forces, each
block's probes written by the model from the switch's facts and kept only when they name the
switch, ask about the past and lead nowhere; the bank's neutral probes fill what fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from companion.coaching import bank
from companion.coaching.generate import Slot, write_questions
from companion.coaching.guard import question_problems
from companion.coaching.listening.grammar import grammar_problems
from companion.coaching.listening.retrieval import MIN_DENSE
from companion.coaching.probes import probe_problems
from companion.coaching.prompts import load_prompt
from companion.coaching.schemas import (
    FORCE_LABELS,
    FORCES,
    STAGE_LABELS,
    TIMELINE_STAGES,
    GuideBlock,
    InterviewGuide,
    JTBDInputs,
    Origin,
    SourceRef,
)
from companion.coaching.switch import SwitchFacts, read_switch, short_name
from companion.llm.base import LLMError, Provider

if TYPE_CHECKING:
    from companion.knowledge.models import Knowledge

__all__ = ["build_guide", "job_phrase", "probe_issues", "short_name"]

PROBES_PER_BLOCK = 2
BLOCKS_PER_CALL = 2
TINY_TAIL = 45
"""A tiny model's tail after a stem that already names the switch: long tails ramble."""


def job_phrase(inputs: JTBDInputs) -> str:
    """What the interviewee used to do, as a phrase the probes can carry."""
    return read_switch(inputs.product, inputs.switch, inputs.interviewee).values()["old"]


def probe_issues(
    question: str, facts: SwitchFacts, *, stem: str = "", described: str = "", key: str = ""
) -> list[str]:
    """Why a probe may not go into this guide ([] when it may): it leads, reads badly, names
    nothing of the switch, or copies the inputs' wording (`described`) instead of asking.
    `key` is the block's: whether it asks about the old way, the new one or both."""
    problems = probe_problems(question) + grammar_problems(question)
    said = {w.strip("'?.,()").lower().removesuffix("'s") for w in question.split()}
    if not said & facts.words() and not any(p in said for p in facts.people):
        problems.append("names nothing of the switch")
    tail = question[len(stem):] if stem and question.startswith(stem) else ""
    joined = _JOINED_NAME.match(tail)
    if joined and _FACING.get(key) != "both" and facts.old_short and joined.group(1).lower().startswith(
        facts.old_short.lower()
    ):
        # "Who else had a say before you chose Tally and spreadsheets?": they chose one of them
        problems.append("mixes up the old way and the new one")
    elif _BAD_JOIN.match(tail) and not joined:
        problems.append("the ending does not fit the opening")
    # the prompt's own labels ("Who else had a say before you chose Pipeline as your decision,
    # what moved?", the 0.5B, 2026-12-05)
    if "(" in question or re.search(r"\b(?:not given|what moved|people involved|the old way:)", question, re.I) or (
            re.search(r"\bas (?:your|a|the) (?:new )?switch\b", tail, re.I)):  # "chose Pipeline as your new switch"
        problems.append("copies the prompt")
    if tail and set(re.findall(r"[a-z]+", tail.lower())) <= _LABEL_WORDS:
        # "... about the meal-kit subscription switching?": the block's label, not an ending
        problems.append("the ending does not fit the opening")
    if stem.endswith(facts.values()["old"]) and re.match(r"\s*of\b", tail) and facts.target.lower() in tail.lower():
        # "your old way of using the meal-kit subscription": the old way is not the new product
        problems.append("mixes up the old way and the new one")
    if stem and _PAST.search(stem) and _NOW.search(tail):
        # the 0.5B, 2026-12-05: "What, if anything, made you hesitate about X today?"
        problems.append("asks about the past and the present at once")
    if re.search(r"[,:;\-]\s*\?$|\s\?$", question):
        problems.append("breaks off before the question mark")
    if described and _shares_run(question, _SPAN_OF_TIME.sub("|", described), 4):
        problems.append("copies the interviewee's description")
    if not facts.people and said & {"they", "them", "their"}:
        problems.append("talks about the interviewee in the third person")
    return problems


_LABEL_WORDS = {"switch", "switching", "switched", "the", "new", "solution", "old", "way", "this", "a"}
_PAST = re.compile(r"\b(?:did|was|were|had|made|chose|caught|decided|happened|first|last)\b", re.IGNORECASE)
_NOW = re.compile(r"\b(?:today|now|nowadays|currently|these days|tomorrow)\b", re.IGNORECASE)
# A tail that starts a new clause ("...about Tally is the ability to...", "... and how did it
# affect your work?") breaks the stem; so does the switch's own label hung on the product
# ("... hesitate about Tally switching in the last 3 months?", the 0.5B, 2026-12-05).
# The same for a gerund that makes the product its subject ("... hesitate about Linewise moving
# to Jira?", "... about Signalboard being built in-house?", the 0.5B's structured run, 2026-12-05).
_BAD_JOIN = re.compile(r"^[\s,]*(?:is|are|was|were|because|and|but|so|which|that|it|switch|switching|switched|"
                       r"moving|being|going|getting)\b", re.IGNORECASE)
# "... besides Tally and spreadsheets?": "and" adding a thing, not a clause (the 0.5B's probe,
# refused in 3 of 3 guides before 2026-12-05)
_JOINED_NAME = re.compile(
    r"^\s*and (?!(?:what|how|why|when|where|who|which|did|do|does|was|were|is|are|had|has|have|"
    r"you|it|they|then|i|we|if|your new|the new)\b)((?:your |the |a |an )?[\w'-]+(?: [\w'-]+){0,3})\s*\?$",
    re.IGNORECASE)
# The interviewee's screener ("who switched in the last 3 months") may date a probe; only their
# description of themselves, said back to them, reads wrong.
_SPAN_OF_TIME = re.compile(r"\b(?:in|over|during|within) the (?:last|past) \w+ (?:days?|weeks?|months?|years?)\b",
                           re.IGNORECASE)


def _shares_run(question: str, text: str, n: int) -> bool:
    q = re.findall(r"[a-z0-9']+", question.lower())
    t = re.findall(r"[a-z0-9']+", text.lower())
    runs = {tuple(t[i : i + n]) for i in range(len(t) - n + 1)}
    return any(tuple(q[i : i + n]) in runs for i in range(len(q) - n + 1))


# Which side of the switch each block asks about: the old way, what they moved to, or both.
_FACING = {
    "first_thought": "old", "passive_looking": "target", "active_looking": "both",
    "deciding": "target", "first_use": "target", "satisfaction": "both", "push": "old",
    "pull": "target", "anxiety": "target", "habit": "old",
}


def slot_names(key: str, facts: SwitchFacts) -> tuple[str, ...]:
    """The phrases a block's probes must name one of (the grammar forces one in)."""
    old = [facts.old_short] if facts.old else []
    target = [facts.target]
    side = _FACING[key]
    chosen = old + target if side == "both" else (old or target) if side == "old" else target
    return tuple(dict.fromkeys(n for n in chosen if n))


def _usable(question: str, facts: SwitchFacts) -> bool:
    return not question_problems(question, allow_first_person=True, interview=True) and not (
        probe_problems(question)
    )


def build_guide(
    inputs: JTBDInputs,
    *,
    provider: Provider | None,
    knowledge: Knowledge | None = None,
    temperature: float = 0.3,
    tier: str = "tiny",
    on_part: Callable[[str], None] | None = None,
) -> tuple[InterviewGuide, int]:
    """(guide, how many probes the bank supplied because the model's failed)."""
    data = load_prompt("jtbd-probes").meta.data
    facts = read_switch(inputs.product, inputs.switch, inputs.interviewee)
    values = facts.values()
    # The script around the probes speaks for the research team ("we should have asked"), so
    # only the guard's general checks apply; a line about the old way needs one to be named.
    script = {
        part: [
            q
            for t in data[part]
            if (facts.old or "{old}" not in t)
            and not question_problems(q := bank.fill(t, **values), allow_first_person=True, interview=False)
        ]
        for part in ("warm_up", "screener", "wrap_up")
    }
    guide = InterviewGuide(
        product=inputs.product,
        switch=inputs.switch,
        interviewee=inputs.interviewee,
        warm_up=script["warm_up"],
        screener=script["screener"],
        timeline=[],
        forces=[],
        wrap_up=script["wrap_up"],
        rules=list(data["rules"]),
    )
    emit = on_part or (lambda _part: None)
    emit(guide.head_markdown())

    variables = {
        "product": facts.product,
        "category": facts.category or "not given",
        "old": facts.old or "not given",
        "target": facts.target,
        "what": facts.what or "not given",
        "people": ", ".join(facts.people) or "not given",
        "interviewee": inputs.interviewee,
    }
    banked = 0
    short = {**values, "old": facts.old_short or values["old"]}
    model_ok = provider is not None
    described = f"{inputs.interviewee} | {facts.category}"
    keys = (*TIMELINE_STAGES, *FORCES)
    # Two blocks per call: half the calls of one per block (each costs ~1 s of prompt and
    # grammar set-up on 2 cores), and the guide still arrives in five steps.
    for pair in (keys[i : i + BLOCKS_PER_CALL] for i in range(0, len(keys), BLOCKS_PER_CALL)):
        written: dict[str, str | None] = {}
        if model_ok:
            slots = [
                Slot(key=f"{key}_{i}", stem=bank.fill(stem, **short),
                     purpose=f"{_title(key).lower()}: {data['purposes'][key]}",
                     names=slot_names(key, facts), max_tail=TINY_TAIL)
                for key in pair
                for i, stem in enumerate(data["stems"][key][:PROBES_PER_BLOCK])
            ]
            try:
                written = write_questions(
                    provider,  # type: ignore[arg-type]
                    "jtbd-probes",
                    slots,
                    variables=variables,
                    temperature=temperature,
                    interview=True,
                    tier=tier,
                    retries=2,
                    vet=lambda slot, text: probe_issues(
                        text, facts, stem=slot.stem, described=described, key=slot.key.rsplit("_", 1)[0]
                    ),
                )
            except LLMError:
                # A dead endpoint mid-guide: the rest comes from the bank, the guide still arrives.
                model_ok = False
        for key in pair:
            mine = [q for k, q in written.items() if q and k.rsplit("_", 1)[0] == key]
            block = _block(key, mine, facts, values)
            banked += block.origins.count("bank")
            if key in TIMELINE_STAGES:
                guide.timeline.append(block)
                first = len(guide.timeline) == 1
                emit((guide.TIMELINE_HEADING if first else "") + block.to_markdown())
            else:
                guide.forces.append(block)
                first = len(guide.forces) == 1
                emit((guide.FORCES_HEADING if first else "") + block.to_markdown())

    guide.sources = _sources(knowledge, inputs)
    emit(guide.tail_markdown())
    return guide, banked


def _title(key: str) -> str:
    return STAGE_LABELS.get(key) or FORCE_LABELS[key]


def _block(key: str, written: list[str], facts: SwitchFacts, values: dict[str, str]) -> GuideBlock:
    """The model's probes, then the bank's (stable per product) up to `PROBES_PER_BLOCK`."""
    questions = list(dict.fromkeys(written))
    origins: list[Origin] = ["model"] * len(questions)
    pool = [q for t in bank.load_bank()["jtbd"][key] if _usable(q := bank.fill(t, **values), facts)]
    while len(questions) < PROBES_PER_BLOCK and pool:
        q = bank.pick(pool, f"{facts.product}|{key}|{len(questions)}", avoid=set(questions))
        pool.remove(q)
        if q not in questions:
            questions.append(q)
            origins.append("bank")
    return GuideBlock(key=key, title=_title(key), questions=questions, origins=origins)


def _sources(knowledge: Knowledge | None, inputs: JTBDInputs) -> list[SourceRef]:
    """Up to two distinct corpus passages on switch interviews, each cited once."""
    if knowledge is None:
        return []
    try:
        found = knowledge.search(
            f"jobs to be done switch interview timeline forces {short_name(inputs.product)}",
            4,
            source="corpus",
        )
    except Exception:  # noqa: BLE001 - a guide without citations is still a guide
        return []
    refs: dict[tuple[str, int], SourceRef] = {}
    for p in found:
        if (p.dense or 0.0) < MIN_DENSE:  # close in meaning, not only top-ranked
            continue
        key = (p.path, p.line_start)
        if key not in refs and len(refs) < 2:
            refs[key] = SourceRef(
                label=p.label, path=p.path, line_start=p.line_start, line_end=p.line_end
            )
    return list(refs.values())
