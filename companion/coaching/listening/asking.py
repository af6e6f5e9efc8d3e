"""Which Socratic question the conversation lacks, about what, and how it may be written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypedDict

from companion.coaching.listening.state import OBJECT_TO_SUBJECT, ConversationState


# What each type is for (shown to the model) and the forced openings of the tiny tier, each
# followed by the anchor, then the model's tail; `fallback` finishes a stem when no tail passes.
class QuestionType(TypedDict):
    hint: str
    stems: list[tuple[str, str]]
    """(opening, ending): the anchor goes between them."""


TYPES: dict[str, QuestionType] = {
    "clarity": {
        "hint": "asks what they mean by it, or for a concrete example",
        "stems": [("What do you mean by", ""), ("What exactly do you mean by", "")],
    },
    "assumptions": {
        "hint": "brings to light something they take for granted about it",
        "stems": [("What are you assuming about", ""), ("What are you taking for granted about", "")],
    },
    "reasons_evidence": {
        "hint": "asks what they have seen or heard that supports their view of it",
        "stems": [("What evidence do you have about", ""), ("What have you seen so far of", "")],
    },
    "alternate_viewpoints": {
        "hint": "asks how that person sees it",
        "stems": [("How might", " see this"), ("How would", " describe this")],
    },
    "implications": {
        "hint": "asks what could follow from it",
        "stems": [("What might follow from", ""), ("What could", " change for you")],
    },
    "other": {
        "hint": "asks why it matters so much to them now",
        "stems": [("What makes", " matter so much to you right now"), ("What makes", " the part that matters most")],
    },
}
_PEOPLE_ROLES = {"manager", "boss", "vp", "level", "skip-level", "ceo", "cto", "cpo", "director",
                 "head", "lead", "designer", "engineer", "report", "mentor", "founder", "board",
                 "customer", "account", "client", "stakeholder", "sales", "team", "peer", "colleague",
                 "investor", "partner", "candidate", "exec", "leadership", "developer", "pm"}


# the state keeps "I haven't told him" as "he"; the panel says "told him"
_OBJECT = {subject: obj for obj, subject in OBJECT_TO_SUBJECT.items() if subject != "you"}


def choose_type(state: ConversationState, covered: list[str]) -> tuple[str, str, list[str]]:
    """(type, why, anchors with the best one for that type first), from what is new."""
    new = state.new_facts()
    people = _people_anchors(state)
    scores: dict[str, tuple[float, str, list[str]]] = {}

    def offer(qtype: str, score: float, why: str, anchors: Sequence[str | None]) -> None:
        kept = [a for a in anchors if a]
        if score > scores.get(qtype, (-1.0,))[0]:
            scores[qtype] = (score, why, kept)

    for f in new:
        if f.kind == "decision":
            offer("implications", 5, f"a decision is on the table ({f.text})", [f.anchor])
            offer("assumptions", 4.5, f"a decision is on the table ({f.text})", [f.anchor])
        elif f.kind == "not_yet":
            whom = f.detail.get("whom")
            if whom:
                # "I haven't told him why": he is the person to ask about, not "someone else involved"
                offer("alternate_viewpoints", 5.5,
                      f"you haven't told {_OBJECT.get(whom, whom)} yet: their view is missing", [whom])
            offer("implications", 5, f"something is not done yet ({f.text})", [f.detail.get("about"), f.anchor])
        elif f.kind == "claim":
            who = f.detail.get("who", "")
            if who == "you":
                offer("reasons_evidence", 5, f"you made a claim ({f.text})", [f.anchor])
            else:
                offer("reasons_evidence", 4, f"{who} made a claim ({f.text})", [f.anchor])
                offer("alternate_viewpoints", 4.5, f"{who} has a view of their own", [who])
        elif f.kind == "condition":
            offer("assumptions", 4.5, f"a condition was set ({f.text})", [f.anchor, f.detail.get("condition")])
        elif f.kind in {"feeling", "value"}:
            offer("other", 3.5, f"you named a {f.kind} ({f.text})", [f.anchor])
        elif f.kind == "contrast" and f.detail.get("either"):
            # "if I don't pick Rosa ..., if I do ...": a choice, each way with its cost; the
            # claim inside one side ("the message to support is ...") is not the news
            offer("implications", 5.2, "a choice with a cost either way", [f.anchor])
            offer("assumptions", 4.8, "a choice with a cost either way", [f.anchor])
        elif f.kind == "contrast":
            offer("assumptions", 4, "two sides pull against each other", [f.anchor])
        elif f.kind in {"commitment", "date"}:
            offer("implications", 3.5, f"a {f.kind} is in play ({f.text})", [f.anchor])
        elif f.kind == "number":
            offer("reasons_evidence", 3, f"a number came up ({f.text})", [f.anchor])
    if state.new_people and people:
        offer("alternate_viewpoints", 4.6, f"{people[0]} is named: how they see it is missing", people)
    if state.vague:
        word = state.vague[0]
        anchor = next((a for a in state.anchors if word in a.lower().split()), None)
        offer("clarity", 4.2, f"'{word}' can mean many things", [anchor])
    offer("assumptions", 2, "nothing more specific is new: what is taken for granted", [])
    offer("clarity", 1.8, "asking what it means keeps the focus on the new words", [])
    last = covered[-1] if covered else None
    ranked = []
    for qtype, (score, why, anchors) in scores.items():
        score -= 3 if qtype == last else 0
        score -= 0.5 * covered.count(qtype)
        ranked.append((score, qtype, why, anchors))
    ranked.sort(key=lambda r: -r[0])
    for _, qtype, why, preferred in ranked:
        anchors = _dedupe([*preferred, *(people if qtype == "alternate_viewpoints" else []), *state.anchors])
        if qtype == "alternate_viewpoints":
            anchors = [a for a in anchors if a in people or a in _OBJECT or is_person_phrase(a)]
            if not anchors:  # nobody to ask about: "How might someone else involved see this?" says nothing
                continue
        return qtype, why, anchors[:5] or ["this"]  # "What might follow from this?"
    raise AssertionError("assumptions and clarity are always offered")


def is_person_phrase(anchor: str) -> bool:
    """A role ("your skip-level") or a name ("Dana"), not a thing of theirs ("Sam's status updates")."""
    words = anchor.lower().replace("-", " ").split()
    named = anchor[:1].isupper() and "'s" not in anchor and anchor.split()[-1][:1].isupper()
    # one plural "s" off, not every "s": "boss".rstrip("s") was "bo", and "your boss" no person
    last = words[-1] if words else ""
    return bool(words) and (last in _PEOPLE_ROLES or last.removesuffix("s") in _PEOPLE_ROLES or named)


def _people_anchors(state: ConversationState) -> list[str]:
    latest = [p for p in state.people if p.turn == state.turns]
    named = [p.name for p in latest if p.name[:1].isupper()]
    roles = [p.name for p in latest if not p.name[:1].isupper()]
    return _dedupe([*named, *roles])


def _dedupe(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item and item.lower() not in {o.lower() for o in out} and len(item.split()) <= 7:
            out.append(item)
    return out


def echoes(question: str, message: str, anchor: str | None, n: int = 5) -> bool:
    """True when the question repeats `n` words in a row of the PM's message outside its anchor."""
    from companion.coaching.listening.reflections import words

    q = " ".join(words(question))
    if anchor:
        q = q.replace(" ".join(words(anchor)), " | ")
    qw, mw = q.split(), words(message)
    runs = {tuple(mw[i : i + n]) for i in range(len(mw) - n + 1)}
    return any(tuple(qw[i : i + n]) in runs for i in range(len(qw) - n + 1))


def escape(text: str) -> str:
    """A literal for a JSON-schema pattern: `[.]`, never `\\.` (llama.cpp's grammar rejects it)."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"[\1]", text)


TAIL = "[ -!#->@-~]"  # printable ASCII without `"` and `?`


def tail_pattern(stem: str, anchors: list[str], max_tail: int) -> str:
    group = "|".join(escape(a) for a in anchors)
    return f"^{escape(stem)} ({group}){TAIL}{{0,{max_tail}}}[?]$"


def whole_pattern(max_chars: int) -> str:
    return f"^(What|How|Which|Who|Why|When|Where) {TAIL}{{10,{max_chars}}}[?]$"


_COUNT = (r"(?:\d[\d,.]*k?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
          r"fifteen|twenty|thirty|forty|fifty|a few|several|a couple of)")
_SPAN = re.compile(rf"^(?:another |the next |the last |(?:only|just) )?{_COUNT}(?: more)? "
                   r"(?:days?|weeks?|months?|quarters?|years?|sprints?|hours?)$", re.IGNORECASE)
_NUMBER = r"(?:\d[\d,.]*k?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
_COUNTED = re.compile(rf"^(?:(?:only|just) )?({_NUMBER}) (.+)$", re.IGNORECASE)
# A stem that fits the anchor's shape, tried before the type's own: a span of time is not a
# thing that things follow from ("What might follow from five weeks?"), and a count of people
# is asked about as those people ("How might two customers see this?").
_SPAN_STEMS: dict[str, list[tuple[str, str]]] = {
    "implications": [("What could change for you in", "")],
    "assumptions": [("What are you assuming will happen in", "")],
    "reasons_evidence": [("How did you arrive at", "")],
}


def _stems_for(qtype: str, anchor: str) -> list[tuple[str, str, str]]:
    """(opening, anchor as said, ending) for one anchor, the best fit first."""
    own = [(stem, anchor, end) for stem, end in TYPES[qtype]["stems"]]
    if _SPAN.match(anchor):
        return [(stem, anchor, end) for stem, end in _SPAN_STEMS.get(qtype, [])] + own
    counted = _COUNTED.match(anchor)
    if counted and qtype == "alternate_viewpoints" and is_person_phrase(anchor):
        number, people = counted.groups()
        those = "that" if number.lower() == "one" else "those"
        return [(stem, f"{those} {number} {people}", end) for stem, end in TYPES[qtype]["stems"]]
    if counted and qtype == "implications":
        return own[::-1]  # "What could 29 to 39 dollars change for you?"
    if qtype == "implications" and is_person_phrase(anchor) and not re.match(r"(?:a|an) ", anchor, re.I):
        # "What might follow from HR?" asked nothing; what follows from a person is their knowing
        last = anchor.split()[-1]
        hear = "hear" if last.islower() and last.endswith("s") and not last.endswith("ss") else "hears"
        return [("What might follow once", anchor, f" {hear} about it"), *own]
    return own


def fallback_question(qtype: str, anchors: list[str], asked: list[str]) -> str:
    """A question the program finishes itself: a stem, the anchor and a fixed ending."""
    options = [f"{stem} {a}{end}?" for anchor in anchors for stem, a, end in _stems_for(qtype, anchor)]
    for q in options:
        if q not in asked:
            return q
    return options[0]


# Words a question may bring in that the PM never said: those of our own stems, and how a
# question asks ("What do you think ...", "How might X describe ...").
_ASKING_WORDS = {w for t in TYPES.values() for stem in t["stems"] for part in stem
                 for w in re.findall(r"[a-z]+", part.lower())} | {
    "think", "happen", "change", "say", "look", "see", "describe", "view", "way", "get", "mean",
    "means", "tell", "ask"}
# A consultant's question about the situation rather than the person's own view of it: what the
# 1.5B model wrote in 33 of its 58 questions on the listening run of 2026-12-05 ("What are the
# potential risks and benefits of sunsetting the legacy export in June?").
_ANALYSING = re.compile(r"\b(?:impact(?:s|ed|ing)?|implications?|potential|challenges?|consequences|"
                        r"strateg(?:y|ies)|factors|significant)\b", re.IGNORECASE)
# A second question hung on the first: "..., and what are their concerns?"
_SECOND_QUESTION = re.compile(r",? and (?:what|how|why|who|which|where|when)\b", re.IGNORECASE)


def wandering(question: str, state: ConversationState) -> list[str]:
    """Why a model's question strays from what the PM said ([] when it does not): more than one
    word the PM never said ("your team's morale and productivity"), the vocabulary of an
    analysis, or a second question."""
    from companion.coaching.listening.reflections import unknown_words

    problems = []
    unknown = unknown_words(question, state, allowed=_ASKING_WORDS)
    if len(unknown) > 1:
        problems.append(f"brings in words the PM never said ({', '.join(unknown[:4])})")
    if _ANALYSING.search(question):
        problems.append("analyses the situation instead of asking the PM")
    if _SECOND_QUESTION.search(question):
        problems.append("asks a second question")
    return problems
