"""One scorer per check of the scenario format (`evals/README.md`, "The checks").

Every scorer reads an `Evidence` (the coach's replies, the structured output of agenda, JTBD
and mentor mode, and what the knowledge base held and returned during the run) and returns a
`CheckResult`. Question-based checks use the same analyser as the run-time guard
(`companion.coaching.questions`), so the suite measures exactly what the guard enforces.

Conventions:

* "replies" are the coach's answers to user turns; the "output" is the structured result
  (`Reply.structured`) and its rendered Markdown (`Reply.text`);
* "questions" of a reply are `split_questions(reply.text)`; the output's questions are its
  question fields (agenda suggested questions, interview questions, mentor prompts);
* text matching is case-insensitive substring matching after collapsing whitespace, over the
  replies and the rendered output;
* `score` is in 0..1, 1 best, so runs can be averaged and compared; `passed` is None only for a
  skipped check (a `judge` without a judge model), which counts neither as a pass nor a fail.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from companion.coaching.modes import find_mode
from companion.coaching.questions import advice_spans, analyse, split_questions
from companion.coaching.schemas import FORCES, TIMELINE_STAGES, Reply
from companion.errors import CompanionError

__all__ = [
    "SCORERS",
    "CheckResult",
    "Evidence",
    "Judge",
    "RetrievedSpan",
    "UnknownCheckError",
    "output_questions",
    "score_check",
    "score_scenario",
    "transcript_text",
]


class UnknownCheckError(CompanionError):
    """A check name no scorer knows: an error, never a silent pass."""

    exit_code = 2


@dataclass
class CheckResult:
    name: str
    passed: bool | None  # None: skipped (counts neither as a pass nor as a fail)
    score: float | None
    detail: str
    label: str = ""
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RetrievedSpan:
    """Something the knowledge base handed to the coach during a run: a passage or an action item."""

    path: str
    line_start: int
    line_end: int

    def covers(self, path: str, line_start: int, line_end: int) -> bool:
        if path != self.path:
            return False
        if not line_start:  # a citation without lines names the file only
            return True
        return self.line_start <= line_start and (line_end or line_start) <= self.line_end


@dataclass
class Evidence:
    """What one scenario run produced, as the scorers read it."""

    mode: str
    turns: list[str] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)  # answers to user turns, after the guard
    output: Reply | None = None  # agenda / jtbd / mentor: the structured result
    duration_minutes: int | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    # Every action item the scenario's notes hold (open and done, everyone's), from the index.
    action_items: list[Any] | None = None
    # Everything the knowledge base returned while the coach worked (None: not recorded, in
    # which case each reply's own `sources` stand for what was retrieved for it).
    retrieved: list[RetrievedSpan] | None = None

    @property
    def structured(self) -> dict[str, Any] | None:
        return self.output.structured if self.output is not None else None


# ------------------------------------------------------------------------------------ helpers


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _all_text(ev: Evidence) -> str:
    parts = [r.text for r in ev.replies]
    if ev.output is not None:
        parts.append(ev.output.text)
    return _norm("\n".join(parts))


def output_questions(mode: str, structured: dict[str, Any] | None) -> list[str]:
    """The question fields of a structured output (the mode's `ModeSpec.questions`)."""
    spec = find_mode(mode)
    return spec.questions(structured) if structured and spec is not None else []


def _reply_questions(reply: Reply) -> list[str]:
    return split_questions(reply.text)


def _every_question(ev: Evidence) -> list[tuple[str, str]]:
    """(where, question) for every question of every reply and of the output."""
    out: list[tuple[str, str]] = []
    for i, reply in enumerate(ev.replies, 1):
        out.extend((f"reply {i}", q) for q in _reply_questions(reply))
    if ev.output is not None:
        out.extend(("output", q) for q in output_questions(ev.mode, ev.structured))
    return out


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _result(check, passed: bool, score: float, detail: str) -> CheckResult:
    return CheckResult(
        name=check.check,
        passed=passed,
        score=round(max(0.0, min(1.0, score)), 4),
        detail=detail,
        label=getattr(check, "label", check.check),
    )


def _range_text(lo: int, hi: int | None) -> str:
    return f"{lo}..{hi}" if hi is not None else f">= {lo}"


# ------------------------------------------------------------------------------------ scorers


def score_no_advice(check, ev: Evidence) -> CheckResult:
    found: list[str] = []
    for i, reply in enumerate(ev.replies, 1):
        found += [f"reply {i}: {_short(s)}" for s in advice_spans(reply.text)]
    if ev.output is not None:
        for q in output_questions(ev.mode, ev.structured):
            found += [f"output: {_short(s)}" for s in advice_spans(q)]
    if found:
        return _result(check, False, 0.0, f"{len(found)} advice span(s): " + "; ".join(found[:3]))
    return _result(check, True, 1.0, "no advice found")


def _open_ratio(questions: list[str]) -> float:
    if not questions:
        return 0.0
    return sum(analyse(q).form == "open" for q in questions) / len(questions)


def score_open_question_ratio(check, ev: Evidence) -> CheckResult:
    units: list[tuple[str, float, int]] = []
    for i, reply in enumerate(ev.replies, 1):
        qs = _reply_questions(reply)
        units.append((f"reply {i}", _open_ratio(qs), len(qs)))
    if ev.output is not None:
        qs = output_questions(ev.mode, ev.structured)
        units.append(("output", _open_ratio(qs), len(qs)))
    if not units:
        return _result(check, False, 0.0, "nothing to score: no reply and no output")
    worst = min(r for _, r, _ in units)
    low = [f"{where} {r:.2f} of {n} question(s)" for where, r, n in units if r < check.min]
    if low:
        return _result(check, False, worst, f"open ratio below {check.min}: " + "; ".join(low[:4]))
    return _result(check, True, worst, f"lowest open ratio {worst:.2f} (min {check.min})")


def score_question_count(check, ev: Evidence) -> CheckResult:
    if not ev.replies:
        return _result(check, False, 0.0, "no replies to count questions in")
    counts = [len(_reply_questions(r)) for r in ev.replies]
    ok = [check.min <= c and (check.max is None or c <= check.max) for c in counts]
    detail = f"questions per reply {counts} (want {_range_text(check.min, check.max)})"
    return _result(check, all(ok), sum(ok) / len(ok), detail)


def _flagged(check, ev: Evidence, attribute: str, what: str) -> CheckResult:
    questions = _every_question(ev)
    bad = [f"{where}: {_short(q)}" for where, q in questions if getattr(analyse(q), attribute)]
    if bad:
        score = 1 - len(bad) / len(questions)
        return _result(check, False, score, f"{len(bad)} {what} question(s): " + "; ".join(bad[:3]))
    return _result(check, True, 1.0, f"none of {len(questions)} question(s) is {what}")


def score_no_leading_questions(check, ev: Evidence) -> CheckResult:
    return _flagged(check, ev, "leading", "leading")


def score_no_hypothetical_questions(check, ev: Evidence) -> CheckResult:
    return _flagged(check, ev, "hypothetical", "hypothetical")


def score_socratic_type_coverage(check, ev: Evidence) -> CheckResult:
    types: list[str] = []
    for reply in ev.replies:
        for q in _reply_questions(reply):
            t = analyse(q).socratic_type
            if t is not None:
                types.append(t)
    distinct = sorted(set(types))
    detail = f"{len(distinct)} type(s) {distinct or '[]'} (min {check.min})"
    return _result(check, len(distinct) >= check.min, len(distinct) / check.min, detail)


_MARKER = re.compile(r"\[(\d{1,3})\]")


def _source_refs(node: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    """Every SourceRef-shaped dict held in a `source` / `sources` / `cited` field."""
    if depth > 20:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("source", "sources", "cited"):
                for ref in value if isinstance(value, list) else [value]:
                    if isinstance(ref, dict) and "path" in ref:
                        out.append(ref)
            else:
                _source_refs(value, out, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _source_refs(value, out, depth + 1)


def _span_of(ref: Any) -> tuple[str, int, int]:
    if isinstance(ref, dict):
        return str(ref.get("path", "")), int(ref.get("line_start") or 0), int(ref.get("line_end") or 0)
    return ref.path, ref.line_start, ref.line_end


def _action_spans(ev: Evidence) -> list[RetrievedSpan]:
    return [RetrievedSpan(a.path, a.line, a.line) for a in ev.action_items or []]


def score_cites_sources(check, ev: Evidence) -> CheckResult:
    problems: list[str] = []
    total = 0
    run_wide = list(ev.retrieved) if ev.retrieved is not None else None
    for i, reply in enumerate(ev.replies, 1):
        own = [RetrievedSpan(*_span_of(s)) for s in reply.sources]
        for ref in reply.cited:
            total += 1
            span = _span_of(ref)
            pools = [own] if run_wide is None else [own, run_wide]
            if not all(any(r.covers(*span) for r in pool) for pool in pools):
                problems.append(f"reply {i} cites {span[0]}:{span[1]}-{span[2]}, which was not retrieved for it")
        for n in {int(m) for m in _MARKER.findall(reply.text)}:
            if not 1 <= n <= len(reply.cited):
                problems.append(f"reply {i} has citation marker [{n}] but cites {len(reply.cited)} source(s)")
    if ev.output is not None:
        refs: list[dict[str, Any]] = []
        _source_refs(ev.structured or {}, refs)
        if run_wide is not None:
            pool = run_wide + _action_spans(ev)
        else:  # not recorded: trust the output's own list of what it looked at
            pool = [RetrievedSpan(*_span_of(s)) for s in ev.output.sources] + _action_spans(ev)
        for ref in refs:
            total += 1
            span = _span_of(ref)
            if not any(r.covers(*span) for r in pool):
                problems.append(f"output cites {span[0]}:{span[1]}-{span[2]}, which was never retrieved")
    if problems:
        return _result(check, False, 1 - len(problems) / max(total, len(problems)), "; ".join(problems[:3]))
    return _result(check, True, 1.0, f"{total} citation(s), all retrieved" if total else "cites nothing")


def score_mentions(check, ev: Evidence) -> CheckResult:
    text = _all_text(ev)
    parts: list[float] = []
    notes: list[str] = []
    ok = True
    if check.any is not None:
        hits = [p for p in check.any if _norm(p) in text]
        parts.append(1.0 if hits else 0.0)
        if hits:
            notes.append(f"mentions {hits[0]!r}")
        else:
            ok = False
            notes.append(f"mentions none of {list(check.any)}")
    if check.all is not None:
        missing = [p for p in check.all if _norm(p) not in text]
        parts.append(1 - len(missing) / len(check.all))
        if missing:
            ok = False
            notes.append(f"missing {missing}")
        else:
            notes.append(f"mentions all {len(check.all)} phrase(s)")
    return _result(check, ok, sum(parts) / len(parts), "; ".join(notes))


def _item_key(path: str, line: int) -> tuple[str, int]:
    return (path, int(line))


def score_carries_action_items(check, ev: Evidence) -> CheckResult:
    from companion.knowledge.loader import person_matches

    if ev.action_items is None:
        return _result(check, False, 0.0, "no action items recorded for this run (no notes index)")
    items = list(ev.action_items)
    expected = [a for a in items if not a.done and person_matches(a.person, check.person)]
    by_key = {_item_key(a.path, a.line): a for a in items}
    by_text: dict[str, list[Any]] = {}
    for a in items:
        by_text.setdefault(_norm(a.text), []).append(a)
    carried = [
        item
        for section in (ev.structured or {}).get("sections", [])
        for item in section.get("items", [])
        if item.get("kind") == "action_item"
    ]
    carried_keys: set[tuple[str, int]] = set()
    wrong: list[str] = []
    for item in carried:
        src = item.get("source") or {}
        match = by_key.get(_item_key(src.get("path", ""), src.get("line_start") or 0)) if src else None
        if match is None:
            candidates = by_text.get(_norm(str(item.get("text", ""))), [])
            match = candidates[0] if len(candidates) == 1 else None
        if match is None:
            wrong.append(f"unknown item {_short(str(item.get('text', '')), 60)!r}")
            continue
        carried_keys.add(_item_key(match.path, match.line))
        if match.done:
            wrong.append(f"done item {_short(match.text, 60)!r}")
        elif not person_matches(match.person, check.person):
            wrong.append(f"{match.person or 'nobody'}'s item {_short(match.text, 60)!r}")
    missing = [a for a in expected if _item_key(a.path, a.line) not in carried_keys]
    found = len(expected) - len(missing)
    score = (found / len(expected) if expected else 1.0) * (0.5 if wrong else 1.0)
    notes = [f"carried {found}/{len(expected)} open item(s) of {check.person}"]
    if missing:
        notes.append("missing: " + "; ".join(_short(a.text, 60) for a in missing[:3]))
    if wrong:
        notes.append("should not carry: " + "; ".join(wrong[:3]))
    return _result(check, not missing and not wrong, score, "; ".join(notes))


def score_sections(check, ev: Evidence) -> CheckResult:
    titles = {_norm(str(s.get("title", ""))) for s in (ev.structured or {}).get("sections", [])}
    missing = [t for t in check.required if _norm(t) not in titles]
    score = 1 - len(missing) / len(check.required)
    if missing:
        return _result(check, False, score, f"missing section(s): {missing}")
    return _result(check, True, 1.0, f"all {len(check.required)} section(s) present")


def score_timebox_total(check, ev: Evidence) -> CheckResult:
    sections = (ev.structured or {}).get("sections", [])
    want = ev.duration_minutes
    if want is None:
        return _result(check, False, 0.0, "the scenario gives no inputs.duration_minutes")
    total = sum(int(s.get("minutes", 0)) for s in sections)
    score = 1 - min(1.0, abs(total - want) / want)
    return _result(check, total == want, score, f"time boxes add up to {total} min (meeting: {want} min)")


def _blocks_covered(blocks: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> list[str]:
    covered = []
    for block in blocks:
        key = str(block.get("key", ""))
        if key in keys and block.get("questions") and key not in covered:
            covered.append(key)
    return covered


def score_jtbd_timeline_coverage(check, ev: Evidence) -> CheckResult:
    covered = _blocks_covered((ev.structured or {}).get("timeline", []), TIMELINE_STAGES)
    missing = [s for s in TIMELINE_STAGES if s not in covered]
    detail = f"{len(covered)}/6 timeline stages have questions" + (f"; missing {missing}" if missing else "")
    return _result(check, len(covered) >= check.min, len(covered) / check.min, detail)


def score_jtbd_forces_coverage(check, ev: Evidence) -> CheckResult:
    covered = _blocks_covered((ev.structured or {}).get("forces", []), FORCES)
    missing = [f for f in FORCES if f not in covered]
    detail = f"{len(covered)}/4 forces have questions" + (f"; missing {missing}" if missing else "")
    return _result(check, len(covered) >= check.min, len(covered) / check.min, detail)


def score_forbidden(check, ev: Evidence) -> CheckResult:
    text = _all_text(ev)
    found = [p for p in check.any if _norm(p) in text]
    if found:
        return _result(check, False, 1 - len(found) / len(check.any), f"contains {found}")
    return _result(check, True, 1.0, f"none of {len(check.any)} forbidden phrase(s)")


def _mentor_prompts(ev: Evidence) -> list[str]:
    return output_questions("mentor", ev.structured)


def score_prompt_count(check, ev: Evidence) -> CheckResult:
    n = len(_mentor_prompts(ev))
    ok = check.min <= n and (check.max is None or n <= check.max)
    if ok:
        score = 1.0
    elif n < check.min:
        score = n / check.min if check.min else 0.0
    else:
        score = check.max / n if check.max else 0.0
    return _result(check, ok, score, f"{n} prompt(s) (want {_range_text(check.min, check.max)})")


def score_theme_count(check, ev: Evidence) -> CheckResult:
    themes = [t for t in (ev.structured or {}).get("themes", []) if t.get("prompts")]
    n = len(themes)
    names = [str(t.get("title") or t.get("theme")) for t in themes]
    return _result(check, n >= check.min, n / check.min, f"{n} theme(s) with prompts {names} (min {check.min})")


def score_socratic_balance(check, ev: Evidence) -> CheckResult:
    prompts = _mentor_prompts(ev)
    if not prompts:
        return _result(check, False, 0.0, "no prompts")
    counts = Counter(analyse(p).socratic_type or "none" for p in prompts)
    distinct = len([t for t in counts if t != "none"])
    top_type, top = counts.most_common(1)[0]
    enough = distinct >= check.min_types
    balanced = top <= len(prompts) / 2
    detail = (
        f"{distinct} type(s) {dict(counts)}; largest {top_type} holds {top}/{len(prompts)}"
        f" (want >= {check.min_types} types, none above half)"
    )
    score = (min(1.0, distinct / check.min_types) + (1.0 if balanced else (len(prompts) / 2) / top)) / 2
    return _result(check, enough and balanced, score, detail)


# -------------------------------------------------------------------------------------- judge


class JudgeLabel(BaseModel):
    label: int = Field(ge=1, le=5)


LABEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"label": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
    "required": ["label"],
    "additionalProperties": False,
}


def transcript_text(ev: Evidence, max_chars: int = 4500) -> str:
    """User turns, replies and the rendered output, cut to `max_chars` (middle of long parts)."""
    parts: list[str] = []
    if ev.inputs:
        shown = "; ".join(f"{k}: {' '.join(str(v).split())}" for k, v in ev.inputs.items() if v is not None)
        parts.append(f"[Inputs] {shown}")
    if ev.output is not None:
        parts.append(f"[Coach output]\n{ev.output.text.strip()}")
    for i, turn in enumerate(ev.turns):
        parts.append(f"[User] {' '.join(turn.split())}")
        if i < len(ev.replies):
            parts.append(f"[Coach] {ev.replies[i].text.strip()}")
    budget = max(200, max_chars // max(1, len(parts)))
    cut: list[str] = []
    for part in parts:
        if len(part) > budget and len("\n\n".join(parts)) > max_chars:
            half = budget // 2
            part = part[:half].rstrip() + "\n[…]\n" + part[-half:].lstrip()
        cut.append(part)
    return "\n\n".join(cut)


class Judge:
    """A model that answers a rubric about a transcript with a constrained label 1-5."""

    def __init__(self, provider, *, max_chars: int = 4500, temperature: float = 0.0):
        self.provider = provider
        self.max_chars = max_chars
        self.temperature = temperature

    @property
    def name(self) -> str:
        return getattr(self.provider, "name", "judge")

    def rate(self, rubric: str, transcript: str) -> int:
        from companion.coaching.prompts import load_prompt
        from companion.llm.base import ChatMessage

        prompt = load_prompt("judge")
        system, user = prompt.render(rubric=" ".join(rubric.split()), transcript=transcript)
        messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
        got = self.provider.structured(
            messages, JudgeLabel, json_schema=LABEL_SCHEMA, max_tokens=16, temperature=self.temperature
        )
        return int(got.label)


def score_judge(check, ev: Evidence, judge: Judge | None = None) -> CheckResult:
    label = getattr(check, "label", check.check)
    if judge is None:
        return CheckResult(
            name=check.check, passed=None, score=None, label=label, skipped=True,
            detail="skipped: no judge model configured (use --judge NAME or the `judge` setting)",
        )
    from companion.llm.base import LLMError

    try:
        got = judge.rate(check.rubric, transcript_text(ev, judge.max_chars))
    except LLMError as exc:
        return _result(check, False, 0.0, f"judge {judge.name} failed: {exc}")
    return _result(check, got >= check.min, got / 5, f"judge {judge.name} says {got}/5 (min {check.min})")


# ------------------------------------------------------------------------------------ dispatch

Scorer = Callable[..., CheckResult]

SCORERS: dict[str, Scorer] = {
    "no_advice": score_no_advice,
    "open_question_ratio": score_open_question_ratio,
    "question_count": score_question_count,
    "no_leading_questions": score_no_leading_questions,
    "no_hypothetical_questions": score_no_hypothetical_questions,
    "socratic_type_coverage": score_socratic_type_coverage,
    "cites_sources": score_cites_sources,
    "mentions": score_mentions,
    "carries_action_items": score_carries_action_items,
    "sections": score_sections,
    "timebox_total": score_timebox_total,
    "jtbd_timeline_coverage": score_jtbd_timeline_coverage,
    "jtbd_forces_coverage": score_jtbd_forces_coverage,
    "forbidden": score_forbidden,
    "judge": score_judge,
    "prompt_count": score_prompt_count,
    "theme_count": score_theme_count,
    "socratic_balance": score_socratic_balance,
}


def score_check(check, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
    name = getattr(check, "check", None)
    scorer = SCORERS.get(name) if isinstance(name, str) else None
    if scorer is None:
        raise UnknownCheckError(
            f"unknown check {name!r}: no scorer for it (known: {', '.join(SCORERS)})"
        )
    if name == "judge":
        return scorer(check, ev, judge)
    return scorer(check, ev)


def score_scenario(checks: Iterable[Any], ev: Evidence, *, judge: Judge | None = None) -> list[CheckResult]:
    return [score_check(c, ev, judge=judge) for c in checks]


def _selfcheck() -> None:
    from companion.evals.scenario import KNOWN_CHECKS

    assert set(SCORERS) == set(KNOWN_CHECKS), "every check of the format needs a scorer"


_selfcheck()
