"""Word-level helpers over spaCy tokens: second-person rendering and content lemmas."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token

# First person -> second person, word for word; `reflect` adds whole contractions to it.
PRONOUNS = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "am": "are",
}
# spaCy splits "I'm" into "I" + "'m".
_SWAP = PRONOUNS | {"'m": "'re", "’m": "'re"}
# Words that carry no content of the situation (on top of spaCy's stop words).
_LIGHT = {
    "honestly", "basically", "really", "just", "actually", "kind", "sort", "thing", "things",
    "lot", "bit", "way", "stuff", "guess", "maybe", "okay", "ok", "yeah", "well", "like",
    "also", "even", "still", "get", "got", "go", "going", "make", "know", "think", "feel",
    "want", "need", "have", "be", "do", "say", "tell", "time", "yes", "no", "sure", "right",
}
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"}


def second_person(tokens: Iterable[Token]) -> str:
    """The tokens as the coach says them back: I/my/we/our become you/your."""
    out: list[str] = []
    subject_i = False
    for t in tokens:
        low = t.lower_
        text = t.text
        if low in _SWAP:
            text = _SWAP[low]
            subject_i = low in {"i", "we"}
        elif low == "was" and subject_i:
            text = "were"
        elif low in {"is", "'s"} and subject_i and t.dep_ in {"aux", "ROOT", "auxpass"}:
            text = "are"
        elif t.pos_ in {"VERB", "AUX"} and t.dep_ not in {"aux", "auxpass"}:
            subject_i = False
        out.append(text + t.whitespace_)
    text = "".join(out).strip()
    return re.sub(r"\s+", " ", text)


_HYPHENATED = re.compile(r"^[A-Za-z]+(?:-[A-Za-z]+)+$")  # "co-founder", "on-premise"


def is_content(t: Token) -> bool:
    return (
        t.pos_ in CONTENT_POS
        and not t.is_stop
        and t.lemma_.lower() not in _LIGHT
        and len(t.text) > 1
        and (t.is_alpha or _HYPHENATED.match(t.text) is not None)
        or t.like_num
    )


def content_lemmas(doc: Iterable[Token]) -> set[str]:
    """Lower-cased lemmas of the content words of a Doc or Span."""
    return {t.lemma_.lower() for t in doc if is_content(t)}


def gerund(lemma: str) -> str:
    """tell -> telling, share -> sharing, plan -> planning (good enough for common verbs)."""
    if lemma in {"be", "see", "flee", "agree"}:
        return lemma + "ing"  # not "bing"
    if lemma.endswith("ie"):
        return lemma[:-2] + "ying"
    if lemma.endswith("e") and not lemma.endswith(("ee", "ye", "oe")):
        return lemma[:-1] + "ing"
    if (
        len(lemma) <= 4
        and len(lemma) >= 3
        and lemma[-1] not in "aeiouwxy"
        and lemma[-2] in "aeiou"
        and (lemma[-3] not in "aeiou" or lemma[-4:-2] == "qu")  # quit -> quitting
    ):
        return lemma + lemma[-1] + "ing"
    return lemma + "ing"
