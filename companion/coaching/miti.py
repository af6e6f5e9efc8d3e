"""Session coding after MITI 4 (Moyers et al., Motivational Interviewing Treatment Integrity 4.2).

A conversation is a list of turns (what the user said, what the coach replied). Each reply is
split into utterances and each utterance gets one code: a simple or complex reflection, an open
or closed question, advice with or without permission, or nothing countable. The session's
summary metrics are the ones MITI 4 sets thresholds for:

* R:Q, reflections per question: fair >= 1, good >= 2;
* % complex reflections (complex / all reflections): fair >= 40%, good >= 50%;
* % open questions (open / all questions): not a MITI 4 indicator (MITI 4 dropped the split);
  the thresholds shown are MITI 3.1.1's, fair >= 50%, good >= 70%;
* advice without permission: MITI 4's "persuade" behaviour when the user neither asked for
  advice nor agreed to hear it. Any is a flag; zero is the goal.

The coder is a parameter, called as ``coder(utterance, previous=user_turn)``: by default the
learned analyser (``companion.coaching.questions``), which is what the evals use; the advice
detector defaults to the rules' ``advice_spans`` (AnnoMI's advice labels trained a far weaker one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Code = Literal[
    "simple_reflection",
    "complex_reflection",
    "open_question",
    "closed_question",
    "advice_with_permission",
    "advice_without_permission",
    "other",
]

THRESHOLDS: dict[str, tuple[float, float]] = {
    # metric: (fair, good)
    "rq_ratio": (1.0, 2.0),
    "pct_complex": (0.40, 0.50),
    "pct_open": (0.50, 0.70),
}

_ASKS_FOR_ADVICE = re.compile(
    r"\b(?:what should (?:i|we)|what (?:do|would) you (?:suggest|recommend|advise|do)|"
    r"(?:any|some|your) (?:advice|tips|suggestions|recommendations|ideas)|"
    r"(?:can|could|would) you (?:give|offer|share|suggest|recommend)|"
    r"how (?:should|do|can|could) (?:i|we)\b|should i\b|tell me what to (?:do|say)|just tell me\b|"
    r"what you would do|"
    r"what are my options|what(?:'s| is) the best way|help me (?:decide|figure out|plan)|"
    r"i need (?:advice|ideas|a plan|suggestions))",
    re.IGNORECASE,
)
_ASKS_PERMISSION = re.compile(
    r"\b(?:(?:may|can|could) i (?:share|offer|suggest|give|tell)|would (?:it|you) (?:help|like|be "
    r"(?:ok|okay|useful|helpful))|do you want (?:me to|some|a few|an idea|ideas|suggestions)|"
    r"is it (?:ok|okay|alright) if i|want to hear (?:some|a few|what)|"
    r"if (?:a couple of |some |a few )?(?:ideas|thoughts|suggestions)\b.{0,40}\bwould help\b.{0,30}\bi can share)",
    re.IGNORECASE,
)
_AFFIRMS = re.compile(
    r"^\s*(?:yes|yeah|yep|sure|ok|okay|please|go ahead|go for it|absolutely|definitely|"
    r"that would help|i'd like that|i would like that)\b",
    re.IGNORECASE,
)


def asks_for_advice(user_text: str) -> bool:
    """The user asks what to do, for tips or suggestions, or for options."""
    return bool(_ASKS_FOR_ADVICE.search(user_text or ""))


def asks_permission(coach_text: str) -> bool:
    """The coach asks whether the user wants to hear an idea ("May I share a thought?")."""
    return bool(_ASKS_PERMISSION.search(coach_text or ""))


@dataclass(frozen=True)
class Turn:
    user: str
    coach: str


@dataclass(frozen=True)
class CodedUtterance:
    turn: int
    text: str
    code: Code


@dataclass
class SessionCode:
    """Counts of one session's coded coach utterances, and MITI 4's summary metrics."""

    utterances: list[CodedUtterance] = field(default_factory=list)

    def count(self, code: Code) -> int:
        return sum(u.code == code for u in self.utterances)

    @property
    def simple_reflections(self) -> int:
        return self.count("simple_reflection")

    @property
    def complex_reflections(self) -> int:
        return self.count("complex_reflection")

    @property
    def reflections(self) -> int:
        return self.simple_reflections + self.complex_reflections

    @property
    def open_questions(self) -> int:
        return self.count("open_question")

    @property
    def closed_questions(self) -> int:
        return self.count("closed_question")

    @property
    def questions(self) -> int:
        return self.open_questions + self.closed_questions

    @property
    def advice_without_permission(self) -> int:
        return self.count("advice_without_permission")

    @property
    def advice_with_permission(self) -> int:
        return self.count("advice_with_permission")

    @property
    def rq_ratio(self) -> float | None:
        """Reflections per question; ``None`` when the coach asked nothing."""
        return self.reflections / self.questions if self.questions else None

    @property
    def pct_complex(self) -> float | None:
        return self.complex_reflections / self.reflections if self.reflections else None

    @property
    def pct_open(self) -> float | None:
        return self.open_questions / self.questions if self.questions else None

    def rating(self, metric: str) -> str | None:
        """``good``, ``fair`` or ``below`` against MITI's thresholds; ``None`` when undefined."""
        value = getattr(self, metric)
        if value is None:
            return None
        return rate(value, *THRESHOLDS[metric])

    def summary(self) -> dict[str, Any]:
        return {
            "simple_reflections": self.simple_reflections,
            "complex_reflections": self.complex_reflections,
            "open_questions": self.open_questions,
            "closed_questions": self.closed_questions,
            "advice_with_permission": self.advice_with_permission,
            "advice_without_permission": self.advice_without_permission,
            "rq_ratio": _round(self.rq_ratio),
            "pct_complex": _round(self.pct_complex),
            "pct_open": _round(self.pct_open),
            "ratings": {m: self.rating(m) for m in THRESHOLDS},
        }

    def display(self) -> str:
        """One line for a panel: ``this session: R:Q 1.2, 40% complex``."""
        if not self.utterances:
            return "this session: nothing coded yet"
        rq = f"R:Q {self.rq_ratio:.1f}" if self.questions else f"R:Q {self.reflections}:0"
        parts = [rq]
        if self.reflections:
            parts.append(f"{self.pct_complex:.0%} complex")
        if self.questions:
            parts.append(f"{self.pct_open:.0%} open")
        if self.advice_without_permission:
            n = self.advice_without_permission
            parts.append(f"{n} unasked advice")
        return "this session: " + ", ".join(parts)


def rate(value: float, fair: float, good: float) -> str:
    if value >= good:
        return "good"
    return "fair" if value >= fair else "below"


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


# The sources footer ("*Drawing on:* [1] ...") is the program's citation, not something the
# coach says to the user: coded, it read as a reflection and inflated R:Q.
_FOOTER = re.compile(r"^\s*\**\s*(?:Drawing on|Sources?)\s*:.*", re.IGNORECASE | re.MULTILINE | re.DOTALL)


def utterances(reply: str) -> list[str]:
    """A reply's utterances: its sentences (Markdown list markers and emphasis removed), the
    sources footer left out."""
    from companion.coaching.rules import sentences

    return sentences(_FOOTER.sub("", reply))


def _default_coder() -> Callable[..., Any]:
    from companion.coaching.questions import analyse

    return analyse


def _default_advice() -> Callable[[str], list[str]]:
    from companion.coaching.rules import advice_spans

    return advice_spans


def code_utterance(
    text: str,
    *,
    permitted: bool,
    previous: str = "",
    coder: Callable[..., Any],
    advice: Callable[[str], list[str]],
) -> Code:
    """One code per utterance: advice first (an advising sentence is advice whatever else it
    does), then question, then reflection."""
    if advice(text):
        return "advice_with_permission" if permitted else "advice_without_permission"
    a = coder(text, previous=previous)
    if a.is_question:
        return "open_question" if a.form == "open" else "closed_question"
    if a.behaviour == "reflection":
        return "complex_reflection" if a.reflection == "complex" else "simple_reflection"
    return "other"


def code_turn(
    index: int,
    user: str,
    coach: str,
    *,
    previous_coach: str = "",
    coder: Callable[..., Any] | None = None,
    advice: Callable[[str], list[str]] | None = None,
) -> list[CodedUtterance]:
    """The coded utterances of one reply (`previous_coach`: the reply before, for a "yes" to
    its offer of ideas)."""
    coder = coder or _default_coder()
    advice = advice or _default_advice()
    permitted = asks_for_advice(user) or (
        asks_permission(previous_coach) and bool(_AFFIRMS.match(user or ""))
    )
    return [
        CodedUtterance(
            index, u, code_utterance(u, permitted=permitted, previous=user, coder=coder, advice=advice)
        )
        for u in utterances(coach)
    ]


def code_session(
    turns: Iterable[Turn | tuple[str, str]],
    *,
    coder: Callable[..., Any] | None = None,
    advice: Callable[[str], list[str]] | None = None,
) -> SessionCode:
    """Code every coach utterance of a conversation, turn by turn."""
    coder = coder or _default_coder()
    advice = advice or _default_advice()
    session = SessionCode()
    previous_coach = ""
    for i, turn in enumerate(turns):
        user, coach = (turn.user, turn.coach) if isinstance(turn, Turn) else turn
        session.utterances += code_turn(i, user, coach, previous_coach=previous_coach,
                                        coder=coder, advice=advice)
        previous_coach = coach
    return session


def code_replies(
    user_turns: Sequence[str], coach_replies: Sequence[str], **kwargs: Any
) -> SessionCode:
    """The same from two parallel lists (the user turn each reply answers)."""
    if len(user_turns) != len(coach_replies):
        raise ValueError(
            f"{len(user_turns)} user turns but {len(coach_replies)} coach replies: each reply "
            "needs the user turn it answers"
        )
    return code_session(list(zip(user_turns, coach_replies, strict=True)), **kwargs)
