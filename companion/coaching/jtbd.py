"""JTBD interview guides: the Switch timeline and four forces from a fixed probe bank, with
model-personalised probes that must pass the analyser (no hypotheticals, leading or pitching)."""

from __future__ import annotations

import re
from collections.abc import Callable

from companion.coaching import bank
from companion.coaching.generate import Slot, write_questions
from companion.coaching.guard import question_problems
from companion.coaching.prompts import load_prompt
from companion.coaching.schemas import (
    FORCE_LABELS,
    FORCES,
    STAGE_LABELS,
    TIMELINE_STAGES,
    GuideBlock,
    InterviewGuide,
    JTBDInputs,
    SourceRef,
)
from companion.llm.base import LLMError, Provider

_FROM = re.compile(r"\bfrom (.+?) (?:to|for) ", re.IGNORECASE)
# A "fire" switch: the thing cancelled is the old way the timeline is about.
_FIRED = re.compile(
    r"^(?:cancell?ed|stopped using|left|quit|dropped) (.+?)(?: and | for | to |, |$)", re.IGNORECASE
)
# A trial that ended in keeping the old way: the kept way is what stopped working first.
_KEPT = re.compile(r"\b(?:decided to keep|kept|stayed with) (.+)$", re.IGNORECASE)


def job_phrase(inputs: JTBDInputs) -> str:
    """What the interviewee used to do, as a phrase the probes can carry."""
    switch = " ".join(inputs.switch.split())
    for pattern, lead in ((_FROM, "using "), (_FIRED, "using "), (_KEPT, "")):
        m = pattern.search(switch + (" " if pattern is _FROM else ""))
        if m:
            old = m.group(1).strip().rstrip(",.")
            # The interviewer never says "our": that is pitching, not listening.
            old = re.sub(r"^our\b", "the", old, flags=re.IGNORECASE)
            return f"{lead}{old}"
    return f"the way you worked before {short_name(inputs.product)}"


def short_name(product: str) -> str:
    """'Reps, a home workout app' -> 'Reps': probes stay short enough to pass the guard."""
    return product.split(",")[0].strip() or product


def _checked(questions: list[str]) -> list[str]:
    return [
        q for q in questions if not question_problems(q, allow_first_person=True, interview=True)
    ]


def build_guide(
    inputs: JTBDInputs,
    *,
    provider: Provider | None,
    knowledge=None,
    temperature: float = 0.3,
    tier: str = "tiny",
    on_part: Callable[[str], None] | None = None,
) -> tuple[InterviewGuide, int]:
    """(guide, how many personalised probes were rejected and left to the bank)."""
    data = load_prompt("jtbd-probes").meta.data
    probes = bank.load_bank()["jtbd"]
    values = {"job": job_phrase(inputs), "product": short_name(inputs.product)}

    def filled(templates: list[str], key: str, n: int) -> list[str]:
        # Check every filled probe first, then pick: a stage never ends up empty because the
        # two probes picked happened to fail the guard for this product's wording.
        usable = _checked([bank.fill(t, **values) for t in templates])
        chosen: list[str] = []
        for _ in range(min(n, len(usable))):
            chosen.append(
                bank.pick(usable, f"{inputs.product}|{key}|{len(chosen)}", avoid=set(chosen))
            )
        return chosen

    personal: dict[str, str | None] = dict.fromkeys(TIMELINE_STAGES)
    rejected = 0
    if provider is not None:
        slots = [
            Slot(key=s, stem=data["stems"][s], purpose=STAGE_LABELS[s].lower())
            for s in TIMELINE_STAGES
        ]
        try:
            personal = write_questions(
                provider,
                "jtbd-probes",
                slots,
                variables={
                    "product": inputs.product,
                    "switch": inputs.switch or "(not given)",
                    "interviewee": inputs.interviewee,
                },
                temperature=temperature,
                interview=True,
                max_tokens=40 * len(slots),
            )
            rejected = sum(v is None for v in personal.values())
        except LLMError:
            rejected = len(TIMELINE_STAGES)

    timeline = []
    for stage in TIMELINE_STAGES:
        qs = filled(probes[stage], stage, 2)
        if personal.get(stage):
            qs.insert(0, personal[stage])
        timeline.append(GuideBlock(key=stage, title=STAGE_LABELS[stage], questions=qs))
    forces = [
        GuideBlock(key=f, title=FORCE_LABELS[f], questions=filled(probes[f], f, 2)) for f in FORCES
    ]

    sources: list[SourceRef] = []
    if knowledge is not None:
        try:
            for p in knowledge.search(
                f"jobs to be done switch interview {inputs.product}", 2, source="corpus"
            ):
                sources.append(
                    SourceRef(
                        label=p.label, path=p.path, line_start=p.line_start, line_end=p.line_end
                    )
                )
        except Exception:  # noqa: BLE001 - a guide without citations is still a guide
            pass
    guide = InterviewGuide(
        product=inputs.product,
        switch=inputs.switch,
        interviewee=inputs.interviewee,
        warm_up=_checked([bank.fill(q, **values) for q in data["warm_up"]]),
        screener=_checked([bank.fill(q, **values) for q in data["screener"]]),
        timeline=timeline,
        forces=forces,
        wrap_up=_checked([bank.fill(q, **values) for q in data["wrap_up"]]),
        rules=list(data["rules"]),
        sources=sources,
    )
    return guide, rejected
