"""Text views the vectorisers read. Module-level functions, so a saved model can find them."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
_WORD = re.compile(r"[a-z']+|\?")
_FILLER = frozenset(["so", "and", "but", "okay", "ok", "well", "um", "uh", "uh-huh", "mm", "mm-hmm", "hmm", "yeah", "right", "alright", "now"])


def _lead_words(sentence: str, n: int) -> list[str]:
    words = [w for w in _WORD.findall(sentence.lower()) if w != "?"]
    while words and words[0] in _FILLER:
        words.pop(0)
    return words[:n]


def cues(text: str) -> str:
    """Tokens for how each sentence opens and ends: the form of a question lives there.

    "Okay. So how often do you drink?" gives ``q_how q_how_often q_how_often_do end_q last_q``:
    the first words of each question, whether the text ends on a question, how many questions.
    """
    out: list[str] = []
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    questions = [s for s in sentences if s.endswith("?")]
    for s in sentences:
        kind = "q" if s.endswith("?") else "s"
        lead = _lead_words(s, 3)
        for k in range(1, len(lead) + 1):
            out.append(f"{kind}_" + "_".join(lead[:k]))
    if sentences:
        last = sentences[-1]
        out.append("end_q" if last.endswith("?") else "end_s")
        lead = _lead_words(last, 2)
        if lead:
            out.append("last_" + "_".join(lead))
    out.append(f"nq_{min(len(questions), 3)}")
    out.append(f"ns_{min(len(sentences), 4)}")
    if " or " in " ".join(questions).lower():
        out.append("q_has_or")
    return " ".join(out)


def identity_tokens(text: str) -> list[str]:
    return text.split()


def question_part(text: str) -> str:
    """The sentences that ask (end with "?"), else the last sentence: where open/closed is decided."""
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    asked = [s for s in sentences if s.endswith("?")]
    return " ".join(asked or sentences[-1:]) or text


# A head that reads context gets "utterance SEP previous user turn" as one string.
SEP = "\x1e"
_CONTENT = re.compile(r"[a-z][a-z']{2,}")
_STOP = frozenset(
    ["the", "and", "but", "you", "your", "you're", "i'm", "that", "this", "with", "have", "for", "are", "was", "were", "not", "just", "what", "how", "they", "them", "there", "then", "when", "it's", "its", "about", "been", "into", "from", "like", "really", "some", "very", "can", "could", "would", "should", "will", "yeah", "okay", "know", "think"]
)


def utterance(text: str) -> str:
    """The utterance part, lower-cased (the word and character views of a context head)."""
    return text.split(SEP, 1)[0].lower()


def utterance_cues(text: str) -> str:
    return cues(text.split(SEP, 1)[0])


def context_cues(text: str) -> str:
    """How the utterance relates to the turn before: word overlap (reflections restate the
    user's content) and whether the user asked something (answers are information)."""
    utt, _, previous = text.partition(SEP)
    if not previous.strip():
        return "prev_none"
    words = {w for w in _CONTENT.findall(utt.lower()) if w not in _STOP}
    before = {w for w in _CONTENT.findall(previous.lower()) if w not in _STOP}
    share = len(words & before) / len(words) if words else 0.0
    bucket = next(b for b, floor in ((3, 0.5), (2, 0.25), (1, 0.1), (0, 0.0)) if share >= floor)
    out = [f"ov_{bucket}"]
    if previous.rstrip().endswith("?"):
        out.append("prev_q")
    n = len(previous.split())
    out.append("prev_short" if n <= 3 else "prev_long" if n >= 25 else "prev_mid")
    return " ".join(out)
