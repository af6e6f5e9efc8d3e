"""Run-time checks on what the model wrote, with the rule analyser (the evals use the learned one)."""

from __future__ import annotations

import re

from companion.coaching.reflect import overlap
from companion.coaching.rules import advice_spans, analyse

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


RUN_WORDS = 5  # this many words in a row from an example is a copy, however long the rest


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def shares_run(question: str, example: str, stem: str = "", n: int = RUN_WORDS) -> bool:
    """True when the question repeats `n` words in a row of the example, not counting the
    forced `stem` both may start with (every question of its slot does)."""
    q, ex, lead = _words(question), _words(example), _words(stem)
    if lead and q[: len(lead)] == lead:
        q = q[len(lead):]
    if lead and ex[: len(lead)] == lead:
        ex = ex[len(lead):]
    runs = {tuple(ex[i : i + n]) for i in range(len(ex) - n + 1)}
    return any(tuple(q[i : i + n]) in runs for i in range(len(q) - n + 1))


def question_problems(
    question: str,
    *,
    user_text: str = "",
    examples: tuple[str, ...] = (),
    allow_first_person: bool = False,
    interview: bool = False,
    stem: str = "",
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
    if any(overlap(q, ex) > 0.7 or shares_run(q, ex, stem) for ex in examples):
        problems.append("copies the example")
    if interview and re.search(r"\bour\b", q, re.IGNORECASE):
        # "our CRM", "our client follow-ups": the researcher talks as the vendor.
        problems.append("speaks as the company")
    elif (
        interview
        and re.search(r"\b(we|us)\b", q, re.IGNORECASE)
        and re.search(r"\b(product|app|tool|feature)\b", q, re.IGNORECASE)
    ):
        problems.append("pitches the product")
    return problems
