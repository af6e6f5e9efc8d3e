"""Interview probes that lead: the run-time check for JTBD probes and mentor prompts.

A probe leads when it hands the interviewee an answer: a benefit of the product ("How has
Tally improved..."), a problem of the old way ("What frustrated you about..."), two questions
at once, the vendor's "our", or a future or imagined situation instead of a past one (The Mom
Test). Tuned on the `dev` rows of `evals/labels/probes.jsonl`; its `test` rows, written before
these rules, measure it (`tests/coaching/test_probes.py`). The evals use their own detector
(`companion.evals.structured`), not this one.
"""

from __future__ import annotations

import re

# Judgements of the product or the change: the probe supplies the answer it wants.
_BENEFIT = re.compile(
    r"\b(?:improv\w*|better|easier|smoother|faster|saved?|saving|help(?:ed|ful|s)?|love[ds]?|"
    r"enjoy\w*|best|favou?rite|benefits?|great|changed? \w+ (?:\w+ )?for the better|"
    r"less (?:stressful|painful|work)|more (?:productive|efficient))\b",
    re.IGNORECASE,
)
# Judgements of the old way, or a feeling the interviewee never said they had.
_PROBLEM = re.compile(
    r"\b(?:frustrat\w*|annoy\w*|pain(?:ful)?|headaches?|waste[ds]?|wasting|too (?:complicated|"
    r"slow|expensive|hard)|complicated|disappoint\w*|bad|worst|slow(?:ed)? \w+ down|hated?|"
    r"expensive|broken|clunky|struggl\w*)\b",
    re.IGNORECASE,
)
# "if anything" or "at all" makes a feeling question neutral.
_NEUTRALISED = re.compile(r"\bif anything\b|\bat all\b|\bif any\b", re.IGNORECASE)
_FUTURE = re.compile(
    r"\b(?:would|will|could you|might you|if you could|imagine|ideal(?:ly)?|perfect|in the "
    r"future|next (?:year|month|time)|likely|recommend|someday)\b",
    re.IGNORECASE,
)
_CONDITIONAL_START = re.compile(r"^if\b", re.IGNORECASE)
_VENDOR = re.compile(r"\b(?:our|we|us)\b", re.IGNORECASE)
_CLOSED_START = re.compile(
    r"^(?:did|do|does|is|are|was|were|wasn't|isn't|didn't|have|has|had|can|could|would|will|"
    r"should)\b",
    re.IGNORECASE,
)
_WH = r"(?:what|how|when|where|who|whom|why|which)"
# "..., and who did you talk to?" / "... and how long had you used it?": a second question.
# "...Tally's app. What did you find...": a second sentence is a second question or a pitch.
_SENTENCE_BREAK = re.compile(r"[.!?;]\s+[A-Z]")
_SECOND_QUESTION = re.compile(rf"(?:,\s*|\s)(?:and|or|then)\s+{_WH}\b", re.IGNORECASE)


MAX_WORDS = 20


def probe_problems(question: str) -> list[str]:
    """Why a probe leads the interviewee ([] when it does not)."""
    q = " ".join(question.split())
    problems: list[str] = []
    if len(q.split()) > MAX_WORDS:
        # Long probes are where small models pile on invented detail.
        problems.append("too long")
    body = q.rstrip("?. ")
    if q.count("?") > 1 or _SECOND_QUESTION.search(body) or _SENTENCE_BREAK.search(body):
        problems.append("two questions in one")
    if _VENDOR.search(q):
        problems.append("speaks as the company")
    if _FUTURE.search(q) or _CONDITIONAL_START.search(q):
        problems.append("asks about the future or an imagined situation")
    neutral = bool(_NEUTRALISED.search(q))
    if _BENEFIT.search(q) and not neutral:
        problems.append("presupposes a benefit")
    if _PROBLEM.search(q) and not neutral:
        problems.append("presupposes a problem")
    if _CLOSED_START.search(q) and not problems:
        # A yes/no probe about the product invites the polite yes.
        problems.append("closed question")
    return problems
