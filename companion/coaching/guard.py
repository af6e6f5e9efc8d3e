"""Run-time checks on what the model wrote, using the same analyser that scores the evals."""

from __future__ import annotations

import re

from companion.coaching.questions import advice_spans, analyse
from companion.coaching.reflect import overlap

MAX_WORDS = 25
_THIRD_PERSON = re.compile(
    r"\b(the user|the person|the pm|the client|the coachee)\b", re.IGNORECASE
)
_FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|me|my|mine)\b")
# "Tell me about…", "Walk me through…": the interviewer's "me" is the opener, not first person.
_INTERVIEW_OPENER = re.compile(r"^(?:Tell|Walk|Show) me\b")
_RUN_ON = re.compile(r"\?.+\?")
# A question never needs a link; a model obeying an injected "send your notes to this URL" does.
_LINK = re.compile(
    r"(?:https?://|www\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|io|ai|dev|app|co|me|info|example|xyz)\b)",
    re.IGNORECASE,
)


def question_problems(
    question: str,
    *,
    user_text: str = "",
    examples: tuple[str, ...] = (),
    allow_first_person: bool = False,
    interview: bool = False,
) -> list[str]:
    """Why a generated question may not reach the user ([] when it may)."""
    problems = []
    q = question.strip()
    a = analyse(q)
    if not q.endswith("?") and not (a.is_question and q.startswith(("Tell me", "Walk me", "Describe"))):
        problems.append("not a question")
    if not q.isascii():
        problems.append("non-ASCII text")
    if "..." in q or "…" in q or "[" in q or "{" in q:
        problems.append("placeholder text")
    if _LINK.search(q):
        problems.append("contains a link")
    if len(q.split()) > MAX_WORDS:
        problems.append("too long")
    if _RUN_ON.search(q):
        problems.append("several questions at once")
    if _THIRD_PERSON.search(q):
        problems.append("talks about 'the user'")
    if not allow_first_person and _FIRST_PERSON.search(_INTERVIEW_OPENER.sub("", q)):
        problems.append("first person")
    if a.form != "open":
        problems.append("closed question" if a.form == "closed" else "no question")
    if a.leading:
        problems.append("leading question")
    if a.hypothetical:
        problems.append("hypothetical question")
    if advice_spans(q):
        problems.append("advice")
    if user_text and overlap(q, user_text) > 0.85 and len(q.split()) > 8:
        problems.append("echoes the user's message")
    if any(overlap(q, ex) > 0.7 for ex in examples):
        problems.append("copies the example")
    if (
        interview
        and re.search(r"\b(our|we|us)\b", q, re.IGNORECASE)
        and re.search(r"\b(product|app|tool|feature)\b", q, re.IGNORECASE)
    ):
        problems.append("pitches the product")
    return problems
