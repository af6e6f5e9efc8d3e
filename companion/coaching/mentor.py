"""Mentor prompts: 8-12 discussion prompts by theme, Socratic types balanced, grounded in the corpus."""

from __future__ import annotations

import re
from collections.abc import Callable

from companion.coaching import bank
from companion.coaching.generate import Slot, write_questions
from companion.coaching.guard import question_problems
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


def choose_themes(situation: str, n: int = 4) -> list[str]:
    hits = {
        t: len(re.findall(rf"\b(?:{cue})", situation, re.IGNORECASE))
        for t, cue in _THEME_CUES.items()
    }
    ranked = sorted(_DEFAULT_ORDER, key=lambda t: (-hits[t], _DEFAULT_ORDER.index(t)))
    return ranked[:n]


def build_prompts(
    inputs: MentorInputs,
    *,
    provider: Provider | None,
    knowledge=None,
    temperature: float = 0.3,
    tier: str = "tiny",
    on_part: Callable[[str], None] | None = None,
) -> tuple[MentorPrompts, int]:
    """(prompts, how many model-written prompts failed the analyser and were left out)."""
    data = load_prompt("mentor-prompts").meta.data
    themes = choose_themes(inputs.situation)
    prompt_bank = bank.load_bank()["mentor"]

    sources: dict[str, SourceRef] = {}
    passages_block = ""
    if knowledge is not None:
        from companion.knowledge.models import format_passages

        try:
            found = knowledge.search(inputs.situation, 3)
            passages_block = format_passages(found[:2], max_chars=600)
            for theme in themes:
                hits = knowledge.search(
                    f"{THEME_TITLES[theme]}: {inputs.situation}", 1, source="corpus"
                )
                if hits:
                    p = hits[0]
                    sources[theme] = SourceRef(
                        label=p.label, path=p.path, line_start=p.line_start, line_end=p.line_end
                    )
        except Exception:  # noqa: BLE001 - prompts without citations are still useful
            pass

    # Balance the Socratic types: model slots take the types in turn.
    slot_types = [SOCRATIC_TYPES[i % len(SOCRATIC_TYPES)] for i in range(len(themes))]
    model_prompts: dict[str, str | None] = dict.fromkeys(themes)
    rejected = 0
    if provider is not None:
        slots = [
            Slot(
                key=f"{t}",
                stem=data["stems"][st],
                purpose=f"{THEME_TITLES[t].lower()}, a {st.replace('_', ' ')} question",
            )
            for t, st in zip(themes, slot_types, strict=True)
        ]
        try:
            model_prompts = write_questions(
                provider,
                "mentor-prompts",
                slots,
                variables={
                    "mentee": inputs.mentee,
                    "situation": " ".join(inputs.situation.split())[:600],
                    "passages": passages_block,
                },
                user_text=inputs.situation,
                temperature=temperature,
            )
            rejected = sum(v is None for v in model_prompts.values())
        except LLMError:
            rejected = len(themes)

    topic_values = {"topic": _topic(inputs.situation), "mentee": inputs.mentee}
    type_counts: dict[str, int] = {}
    chosen_by_theme: dict[str, list[MentorPrompt]] = {}
    for theme in themes:
        prompts: list[MentorPrompt] = []
        if model_prompts.get(theme):
            q = model_prompts[theme]
            prompts.append(MentorPrompt(text=q, socratic_type=analyse(q).socratic_type, origin="model"))
        chosen_by_theme[theme] = prompts
        for p in prompts:
            type_counts[p.socratic_type or "other"] = type_counts.get(p.socratic_type or "other", 0) + 1
    for theme in themes:
        prompts = chosen_by_theme[theme]
        # Bank prompts that pass the analyser, stable order per situation.
        pool = []
        for t in sorted(prompt_bank.get(theme, []), key=lambda t: bank.pick([t, t + "~"], inputs.situation + t)):
            q = bank.fill(t, **topic_values)
            if not question_problems(q, allow_first_person=True):
                pool.append(MentorPrompt(text=q, socratic_type=analyse(q).socratic_type))
        while len(prompts) < 3 and pool:
            # Balance the Socratic types: take the prompt whose type is rarest so far.
            best = min(pool, key=lambda p: type_counts.get(p.socratic_type or "other", 0) + (p.socratic_type == "other"))
            pool.remove(best)
            prompts.append(best)
            type_counts[best.socratic_type or "other"] = type_counts.get(best.socratic_type or "other", 0) + 1
    blocks = [PromptTheme(theme=t, title=THEME_TITLES[t], prompts=chosen_by_theme[t], source=sources.get(t))
              for t in themes]
    result = MentorPrompts(
        mentee=inputs.mentee,
        situation=inputs.situation,
        themes=blocks,
        sources=list(sources.values()),
    )
    return result, rejected


def _topic(situation: str) -> str:
    from companion.coaching.reflect import topic

    return topic(situation)
