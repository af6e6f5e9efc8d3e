"""Reflections built on the most informative new content, rephrased, never parroted."""

from __future__ import annotations

import re

from pydantic import BaseModel

from companion.coaching.listening.nlp import parse
from companion.coaching.listening.state import ConversationState, Fact

PARROT = 0.8  # a reflection sharing this share of its words with a user sentence is a copy
# Which kind of new content a reflection takes up first.
_PRIORITY = ["not_yet", "contrast", "feeling", "condition", "decision", "commitment", "value",
             "claim", "number", "date"]
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SAME = {"my": "your", "our": "your", "i": "you", "me": "you", "we": "you", "us": "you",
         "mine": "yours", "i'm": "you're", "we're": "you're", "i've": "you've", "we've": "you've"}


class Reflection(BaseModel):
    text: str
    kind: str  # "simple" or "complex"
    fact: str | None = None
    """The fact kind it reflects (`not_yet`, `feeling`, ...)."""


def words(text: str) -> list[str]:
    return [_SAME.get(w, w) for w in _WORD.findall(text.lower().replace("’", "'"))]


_LEAD = re.compile(r"^(?:it sounds like|it seems(?: like)?|so|what i'm hearing is(?: that)?|"
                   r"you're saying(?: that)?)\s+", re.IGNORECASE)


def parrot_share(reflection: str, sentence: str) -> float:
    """Share of the reflection's words (its lead-in aside) that are words of `sentence`,
    pronouns normalised."""
    r = set(words(_LEAD.sub("", reflection.strip())))
    return len(r & set(words(sentence))) / len(r) if r else 0.0


def parrots(reflection: str, user_turns: list[str]) -> bool:
    from companion.coaching.listening.nlp import parse as _parse

    for turn in user_turns:
        for sent in _parse(turn).sents:
            if len(sent) >= 3 and parrot_share(reflection, sent.text) >= PARROT:
                return True
    return False


def _clean(text: str) -> str:
    text = " ".join(text.split()).strip(" ,;:.")
    return re.sub(r"^(?:honestly|so|and|but|well|basically),?\s+", "", text, flags=re.IGNORECASE)


def _render(fact: Fact) -> str | None:
    """One fact said back in other words (no lead-in, no final stop)."""
    d = fact.detail
    if fact.kind == "not_yet":
        if d.get("verb") in {"tell", "mention", "share", "raise", "explain", "inform", "warn",
                             "flag", "admit", "email", "show", "bring"} and d.get("whom"):
            about = d.get("about") or "this"
            return f"{_clean(d['whom'])} is still in the dark about {_clean(about)}"
        from companion.coaching.listening.words import gerund

        if d.get("verb") and d.get("rest"):
            return f"{gerund(d['verb'])} {_clean(d['rest'])} is still ahead of you"
        return None
    if fact.kind == "feeling":
        about = _clean(d.get("about", ""))
        feeling = d.get("feeling", fact.text)
        if about:
            about = re.sub(r"^(?:about|that|of|by|with|because|since)\s+", "", about)
            clause = any(t.pos_ in {"VERB", "AUX"} for t in parse(about))
            return f"part of you is {feeling} {'that' if clause else 'about'} {about}"
        return f"this leaves you {feeling}"
    if fact.kind == "contrast":
        left, right = _clean(d.get("left", "")), _clean(d.get("right", ""))
        if left and right:
            return f"on one hand {_lower_first(left)}, and yet {right}"
        return None
    if fact.kind == "condition":
        who, cond = _clean(d.get("who", "")), _clean(d.get("condition", ""))
        if who and cond:
            return f"for {_lower_first(who)}, {cond} is a must-have, not a nice-to-have"
        return None
    if fact.kind == "decision":
        choice = _clean(fact.text)
        if not choice.lower().startswith(("whether", "between")):
            return None
        return f"the choice in front of you is {choice}"
    if fact.kind == "commitment":
        # "I promised the sales director an answer" -> "you've given your word on an answer";
        # the whole clause after "you've given your word here:" did not read as English.
        if not fact.anchor:
            return None
        anchor = _lower_first(_clean(fact.anchor))
        return f"you've given your word {'to' if _ROLE.search(anchor) else 'on'} {anchor}"
    if fact.kind == "value":
        what = re.sub(r"^(?:about|in)\s+", "", _clean(fact.text))
        return f"{what} is something you care about here" if what else None
    if fact.kind == "claim":
        who = d.get("who", "")
        if who and who != "you":
            who = _lower_first(_clean(who))
            be = "are" if who.endswith("s") else "is"
            if d.get("verb") in {"want", "push", "demand", "expect", "insist"} and d.get("action"):
                return f"{who} {be} pushing to {_clean(d['action'])}"
            said = _clean(fact.text)
            if said.startswith("you to "):  # "My VP wants us to ship ..." -> "pushing you to ship ..."
                return f"{who} {be} pushing you {said[4:]}"
            if said.startswith("to "):
                return f"{who} {be} pushing {said}"
            return f"as {who} see{'' if who.endswith('s') else 's'} it, {said}"
        return f"you're fairly sure that {_clean(fact.text)}" if d.get("verb") != "certain" else None
    if fact.kind == "number":
        return None  # a bare number says little on its own; questions take these up
    if fact.kind == "date":
        # Only a deadline ("due in five weeks", "by Friday"): a date alone is not a clock.
        when = _clean(fact.text)
        if not when or not re.search(rf"\b(?:due|by|before|until|deadline|within|(?:is|are|'s) in)\b(?:\s+\w+){{0,2}}\s+{re.escape(when)}",
                                     fact.sentence, re.IGNORECASE):
            return None
        return f"there's a clock on this now: {when}"
    return None


_ROLE = re.compile(r"\b(?:director|manager|lead|vp|ceo|cto|cfo|customer|client|team|sales|boss|founder|"
                   r"co-founder|engineer|designer|partner|board|skip-level|stakeholders?)\b", re.IGNORECASE)


def _lower_first(text: str) -> str:
    if text[:1].isupper() and not re.match(r"^[A-Z][a-z]*[A-Z]|^[A-Z]{2,}|^I\b", text):
        first = text.split()[0]
        if first.lower() in {"the", "your", "you", "three", "two", "four", "five", "some", "our", "my",
                             "a", "an", "his", "her", "their", "those", "these"}:
            return text[0].lower() + text[1:]
    return text


_MODAL = re.compile(r"\byou (?:should|must|ought|need to|have to)\b", re.IGNORECASE)


def _lead(body: str, kind: str, turn: int) -> str:
    if body.startswith("on one hand"):
        return "On one hand" + body[len("on one hand"):] + "."
    if body.startswith("as "):  # "As your lead sees it, ..." needs no "It sounds like" before it
        return "As" + body[2:] + "."
    leads = ["So", "It sounds like", "It seems"]
    lead = leads[turn % len(leads)]
    return f"{lead} {body}."


# What a fact of each kind may mean to the person, said tentatively: the "continuing the
# paragraph" move of a complex reflection. Facts stay the PM's; only the guess is ours.
_STAKES = {
    "not_yet": ", and holding that back may be weighing on you",
    "decision": ", and neither way seems to come without a cost",
    "commitment": ", and keeping it may be weighing on you",
    "claim": ", which may leave you caught in the middle",
    "date": ", and that may be adding to the pressure",
}
_FEELING_SAID = re.compile(r"\b(?:feel|felt|worried|nervous|anxious|scared|afraid|frustrated|stressed|"
                           r"exhausted|overwhelmed|upset|angry|torn|guilty|embarrassed|dread)\w*", re.I)


def _said_a_feeling(user_turns: list[str]) -> bool:
    """The PM named a feeling in the latest turn: say it back rather than guess another."""
    return bool(user_turns) and bool(_FEELING_SAID.search(user_turns[-1]))


def program_reflection(state: ConversationState, user_turns: list[str]) -> Reflection:
    """The program's reflection of the latest message (simple or double-sided), never a copy."""
    new = state.new_facts()
    ranked = sorted(new, key=lambda f: (_PRIORITY.index(f.kind), -len(f.text)))
    earlier = [f for f in state.facts if f.turn < state.turns]
    for fact in ranked:
        body = _render(fact)
        if not body or _MODAL.search(body):
            continue  # someone's "you should..." said back would read as our advice
        text = _lead(body, fact.kind, state.turns)
        complex_kinds = {"contrast", "feeling", "condition"}
        kind = "complex" if fact.kind in complex_kinds else "simple"
        # Link the new fact to an earlier decision or worry: that is adding meaning.
        link = next((f for f in reversed(earlier) if f.kind in {"decision", "feeling", "value"}), None)
        if kind == "simple" and link is not None and link.anchor and link.anchor.lower() not in text.lower():
            text = text[:-1] + f", on top of {_lower_first(link.anchor)}."
            kind = "complex"
        elif kind == "simple" and fact.kind in _STAKES and not _said_a_feeling(user_turns):
            # MITI's complex reflection: a tentative guess at what the fact means to the person.
            text = text[:-1] + _STAKES[fact.kind] + "."
            kind = "complex"
        if not parrots(text, user_turns):
            return Reflection(text=_capital(text), kind=kind, fact=fact.kind)
    return _anchor_reflection(state, user_turns)


def summary_reflection(state: ConversationState, user_turns: list[str]) -> str | None:
    """What the conversation has said so far, in one sentence of our own, before advice."""
    ranked = sorted(state.facts, key=lambda f: (_PRIORITY.index(f.kind), -f.turn, -len(f.text)))
    for fact in ranked:
        body = _render(fact)
        if not body or _MODAL.search(body):
            continue
        text = f"From what you've said, {body}."
        if not parrots(text, user_turns):
            return text
    return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _anchor_reflection(state: ConversationState, user_turns: list[str]) -> Reflection:
    """When no fact renders: name what is new in the message, in a sentence of our own."""
    anchors = state.anchors[:2]
    if len(anchors) == 2:
        text = f"So {anchors[0]} and {anchors[1]} are part of the picture now."
    elif anchors:
        text = f"So {anchors[0]} is part of the picture now."
    else:
        text = "So there's more to this than it first looked."
    return Reflection(text=_capital(text), kind="simple", fact=None)


# A draft that hit its length cap ends on a word that cannot end a sentence ("... by a .").
_CUT_OFF = re.compile(r"\b(?:a|an|the|to|of|by|and|or|but|with|for|in|on|at|as|your|their|his|her|its|"
                      r"this|that|which|who|more|than|is|are|was|were|be)\s*[.,;:]*\s*$", re.IGNORECASE)
_THIRD = re.compile(r"\b(the user|the person|the pm|the client|the coachee|they said)\b", re.I)
_COACH_WORDS = {"sound", "sounds", "seem", "seems", "feel", "feeling", "hear", "hearing", "hand",
                "yet", "part", "weigh", "weighs", "weighing", "matter", "matters", "torn", "pull",
                "pulled", "tension", "caught", "middle", "both", "important", "care", "worry",
                "worried", "pressure", "stake", "risk", "trust", "hard", "heavy", "want", "know",
                "sure", "unsure", "uneasy", "difficult", "choice", "decision", "right", "still",
                # how a person stands in a situation, not facts about it
                "deal", "dealing", "face", "facing", "consider", "considering", "handle", "handling",
                "carry", "carrying", "juggle", "juggling", "impact", "affect", "significant",
                "potential", "challenge", "concern", "concerned", "situation", "struggle",
                "struggling", "balance", "balancing", "stuck", "load", "weight", "try", "trying",
                # light verbs carry no fact of their own
                "come", "put", "take", "give", "get", "make", "go", "keep", "let", "leave", "look",
                "turn", "bring", "land", "hold", "spot", "place", "decide"}


def first_sentences(text: str, most: int) -> list[str]:
    """A model's reflection as its first `most` sentences, then fewer, the longest first: past
    them is where a small model drifts into analysis."""
    t = " ".join(text.split())
    parts = [p for p in re.split(r"(?<=[.!])\s+(?=[A-Z])", t) if p] or [t]
    return [" ".join(parts[:n]) for n in range(min(most, len(parts)), 0, -1)]


def invented_names(text: str, state: ConversationState) -> list[str]:
    """Names and numbers in `text` the PM never said ("delayed by another two weeks")."""
    seen = set(state.seen)
    return [
        tok.text for tok in parse(text)
        if (tok.pos_ == "PROPN" or tok.like_num) and tok.lemma_.lower() not in seen
        and tok.lower_ not in {"one", "hand"}
    ]


def reflection_problems(text: str, state: ConversationState, user_turns: list[str]) -> list[str]:
    """Why a model-written reflection may not reach the PM ([] when it may)."""
    from companion.coaching.questions import advice_spans

    problems = []
    t = " ".join(text.split())
    if not t or len(t.split()) < 4:
        problems.append("empty")
        return problems
    if "?" in t:
        problems.append("a question, not a reflection")
    if _CUT_OFF.search(t):
        problems.append("cut off mid-sentence")
    if not t.isascii():
        problems.append("non-ASCII text")
    if _THIRD.search(t):
        problems.append("third person")
    if re.search(r"\b(I|I'm|I'd|I've|me|my|we|our)\b", t):
        problems.append("first person")
    if advice_spans(t) or _MODAL.search(t):  # "what actions you need to take" tells, too
        problems.append("advice")
    if parrots(t, user_turns):
        problems.append("parrots a sentence of the PM")
    seen = set(state.seen)
    doc = parse(t)
    invented = invented_names(t, state)
    unknown = [
        tok.text for tok in doc
        if tok.pos_ in {"NOUN", "VERB", "ADJ"} and not tok.is_stop
        and tok.lemma_.lower() not in seen and tok.lower_ not in _COACH_WORDS
        and tok.lemma_.lower() not in _COACH_WORDS
    ]
    if invented:
        problems.append(f"names what the PM never said ({', '.join(invented)})")
    elif len(unknown) > 3 * max(1, len(re.findall(r"[.!](?:\s|$)", t))):  # per sentence
        problems.append(f"adds facts not in the conversation ({', '.join(unknown[:4])})")
    return problems
