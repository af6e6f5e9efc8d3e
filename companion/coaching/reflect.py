"""Program-written parts of a reply: the reflection of the user's words and their key phrase."""

from __future__ import annotations

import re

from companion.coaching.listening.words import PRONOUNS
from companion.coaching.rules import sentences as _sentences

# Raw words, not tokens: contractions arrive whole here.
_SWAP = PRONOUNS | {
    "i'm": "you're",
    "im": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "we're": "you're",
    "we've": "you've",
    "we'd": "you'd",
    "we'll": "you'll",
    "was": "were",
}
_FILLERS = re.compile(
    r"^(?:(?:so|ok|okay|well|hi|hey|hello|honestly|basically|um|uh|yeah|right|anyway|"
    # "I think"/"I feel like" stay: dropping them would turn the user's view into our statement.
    r"i guess|to be honest)[,!.]?\s+)+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+|[^\sA-Za-z\d]")
_SIGNAL = re.compile(
    r"\b(decide|decision|whether|should|want|worried|worry|unsure|not sure|struggl|stuck|"
    r"conflict|disagree|promot|underperform|launch|hire|hiring|fire|let go|roadmap|manager|"
    r"report|mentor|feedback|deadline|priorit)",
    re.IGNORECASE,
)
_BREAK_WORDS = {
    "before",
    "after",
    "because",
    "and",
    "but",
    "or",
    "so",
    "to",
    "with",
    "for",
    "in",
    "on",
    "at",
    "that",
    "who",
    "which",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "will",
    "would",
    "should",
    "can",
    "could",
    "if",
    "when",
    "while",
    "since",
    "than",
    "then",
    "about",
    "from",
    "by",
    "into",
    "it",
    "they",
    "he",
    "she",
    "we",
    "i",
    "you",
    "not",
    "does",
    "do",
    "did",
    "be",
    "been",
    "being",
    "this",
    "these",
    "those",
    "there",
    "here",
    "me",
    "him",
    "her",
    "them",
    "us",
    "what",
    "how",
    "why",
    "where",
    "just",
    "also",
    "really",
    "very",
    "of",
    "as",
    "like",
    "without",
    "until",
    "over",
    "under",
    "between",
    "against",
    "during",
    "all",
    "my",
    "our",
    "the",
    "a",
    "an",
    "your",
    "his",
    "their",
    "its",
    "every",
    "each",
    "some",
    "any",
    "no",
    "yet",
    "still",
    "even",
    "too",
    "more",
    "most",
    "much",
    "many",
    "already",
    "only",
}
_VERBS = {
    "wants",
    "keeps",
    "thinks",
    "says",
    "needs",
    "seems",
    "feels",
    "asks",
    "tells",
    "believes",
    "knows",
    "looks",
    "gets",
    "makes",
    "goes",
    "takes",
    "gives",
    "comes",
    "expects",
    "pushes",
    "insists",
    "refuses",
    "plans",
    "prefers",
    "likes",
    "hates",
    "loves",
    "misses",
    "missed",
    "changes",
    "changed",
    "wanted",
    "said",
    "thought",
    "asked",
    "told",
    "got",
    "went",
    "keep",
    "want",
    "need",
    "think",
    "say",
    "feel",
    "ask",
    "tell",
    "seem",
    "seemed",
    "agreed",
    "agrees",
    "disagree",
    "disagrees",
    "disagreed",
    "decided",
    "decides",
    "shipped",
    "ships",
    "launched",
    "launches",
    "became",
    "becomes",
    "left",
    "leaves",
    "joined",
    "joins",
}
_DETERMINERS = {"the", "a", "an", "my", "our", "this", "that", "his", "her", "their", "its", "your"}
_VAGUE = {"lot", "bit", "way", "thing", "things", "time", "week", "day", "point", "kind", "sort"}


def _swap_pronouns(clause: str) -> str:
    out = []
    for token in _WORD.findall(clause):
        low = token.lower().replace("’", "'")
        if low in _SWAP:
            swapped = _SWAP[low]
            out.append(swapped)
        else:
            out.append(token)
    text = " ".join(out)
    text = re.sub(r"\s+([,.;:!?%)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    text = re.sub(r"\s*'\s*", "'", text)
    text = re.sub(r"\s+-\s+", "-", text)
    return text


def key_clause(message: str) -> str:
    """The sentence of the message that carries the situation (or the first one)."""
    sentences = [s for s in _sentences(message) if len(s.split()) >= 3 and not s.endswith("?")]
    if not sentences:
        sentences = _sentences(message) or [message.strip()]
    for sentence in sentences:
        if _SIGNAL.search(sentence):
            return sentence
    return sentences[0]


def reflection(message: str, *, max_words: int = 24) -> str:
    """'It sounds like …': the user's own words, pronouns swapped, trimmed; '' if nothing fits."""
    clause = _FILLERS.sub("", key_clause(message)).strip().rstrip(".!?;:")
    if not clause or re.search(r"\byou(r|rs)?\b", clause, re.IGNORECASE):
        return ""  # a sentence addressed to the coach does not reflect well
    words = clause.split()
    if len(words) > max_words:
        cut = words[:max_words]
        # End on a clause boundary when one is near.
        for i in range(len(cut) - 1, max_words // 2, -1):
            if cut[i].endswith((",", ";")) or cut[i].lower() in {"but", "because", "and", "so"}:
                cut = cut[:i]
                break
        clause = " ".join(cut).rstrip(",;")
    swapped = _swap_pronouns(clause)
    if swapped[:1].isupper() and not re.match(r"^(I|[A-Z][a-z]+[A-Z]|[A-Z]{2,})\b", clause):
        first = swapped.split()[0]
        if (
            first.lower() in _SWAP.values()
            or first.lower() in _BREAK_WORDS
            or first.islower() is False
            and first.lower() in {"it", "there", "the", "a", "an", "this"}
        ):
            swapped = swapped[0].lower() + swapped[1:]
    return f"It sounds like {swapped}."


def key_phrases(message: str, limit: int = 3) -> list[str]:
    """Short noun phrases from the message ('the underperforming engineer'), best first."""
    candidates: list[tuple[float, int, str]] = []
    for s_index, sentence in enumerate(_sentences(message)):
        tokens = re.findall(r"[A-Za-z][A-Za-z'’-]*", sentence)
        i = 0
        while i < len(tokens):
            low = tokens[i].lower()
            if low in _DETERMINERS:
                j = i + 1
                phrase: list[str] = []
                while j < len(tokens) and len(phrase) < 4:
                    word = tokens[j].lower()
                    if word in _BREAK_WORDS or word in _VERBS:
                        break
                    if phrase and word.endswith(("ing", "ed")) and len(word) > 5:
                        break  # a verb after the noun ("the VP changing ...")
                    phrase.append(tokens[j])
                    j += 1
                if (
                    phrase
                    and phrase[-1].lower() not in _VAGUE
                    and not (len(phrase) == 1 and len(phrase[0]) < 4)
                ):
                    det = {
                        "my": "your",
                        "our": "your",
                        "a": "the",
                        "an": "the",
                        "this": "this",
                        "that": "that",
                    }.get(low, low)
                    text = f"{det} {' '.join(phrase)}"
                    score = len(phrase) * 1.0 + (0.5 if _SIGNAL.search(text) else 0) - s_index * 0.3
                    candidates.append((score, -i, text))
                i = j
            else:
                i += 1
    seen, out = set(), []
    for _, _, text in sorted(candidates, reverse=True):
        if text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out[:limit]


def topic(message: str) -> str:
    """The best key phrase, or a neutral stand-in."""
    phrases = key_phrases(message, 1)
    return phrases[0] if phrases else "this situation"


def content_words(text: str) -> set[str]:
    return {
        w
        for w in re.findall(r"[a-z][a-z'-]+", text.lower())
        if w not in _BREAK_WORDS and len(w) > 2
    }


def overlap(a: str, b: str) -> float:
    """Share of a's content words that also appear in b."""
    wa = content_words(a)
    return len(wa & content_words(b)) / len(wa) if wa else 0.0
