"""What one scenario run produced (`Evidence`), what a check makes of it (`CheckResult`), the
helpers checks share to read it, and the `Judge` model.

Conventions (see `evals/README.md`, "What a check looks at"):

* "replies" are the coach's answers to user turns; the "output" is the structured result
  (`Reply.structured`) and its rendered Markdown (`Reply.text`);
* "questions" of a reply are its sentences that end with "?" (`substance.sentences`, the evals'
  own splitter, not the guard's: the rules' splitter read a long reflection as a question); the
  output's questions are its
  question fields (agenda suggested questions, interview questions, mentor prompts);
* text matching is case-insensitive substring matching after collapsing whitespace, over the
  replies and the rendered output;
* `score` is in 0..1, 1 best, so runs can be averaged and compared; `passed` is None only for a
  skipped check (a `judge` without a judge model), which counts neither as a pass nor a fail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from companion.coaching.schemas import Reply


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
    text: str = ""
    # From the user's notes with the scenario's person (a person-filtered search or action
    # items): facts of this situation as much as what the PM typed.
    personal: bool = False

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


# ------------------------------------------------------------------------------------ reading


def norm(text: str) -> str:
    return " ".join(text.casefold().split())


def all_text(ev: Evidence) -> str:
    parts = [r.text for r in ev.replies]
    if ev.output is not None:
        parts.append(ev.output.text)
    return norm("\n".join(parts))


def output_questions(mode: str, structured: dict[str, Any] | None) -> list[str]:
    """The question fields of a structured output (the mode's `ModeSpec.questions`)."""
    from companion.coaching.modes import find_mode

    spec = find_mode(mode)
    return spec.questions(structured) if structured and spec is not None else []


def output_probes(mode: str, structured: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(text, origin) of the questions the model was asked to write (`ModeSpec.probes`)."""
    from companion.coaching.modes import find_mode

    spec = find_mode(mode)
    return spec.probes(structured) if structured and spec is not None else []


def reply_questions(reply: Reply) -> list[str]:
    from companion.evals.substance import sentences

    return [s for s in sentences(reply.text) if s.rstrip().endswith("?")]


def every_question(ev: Evidence) -> list[tuple[str, str]]:
    """(where, question) for every question of every reply and of the output."""
    out: list[tuple[str, str]] = []
    for i, reply in enumerate(ev.replies, 1):
        out.extend((f"reply {i}", q) for q in reply_questions(reply))
    if ev.output is not None:
        out.extend(("output", q) for q in output_questions(ev.mode, ev.structured))
    return out


def short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def range_text(lo: int, hi: int | None) -> str:
    return f"{lo}..{hi}" if hi is not None else f">= {lo}"


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
        # Set by the run after calibrating against the gold replies: an uncalibrated judge's
        # labels are reported, never counted.
        self.gates = True
        self.calibration: str = ""

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
