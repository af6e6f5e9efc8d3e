"""What is on the PM's mind, rewritten as agenda topics: second person, the ask made explicit.

Each on-mind sentence is parsed (the listening layer's spaCy pipeline) and read for what it is
(a decision, a blocker, a worry, a win, growth, feedback, a question to explore); the topic is
a program-chosen lead ("Decide whether ...", "Check how Dana is coping") plus one short fact of
the PM's own words turned to "you". The raw sentence is never pasted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from companion.coaching.listening.nlp import parse
from companion.coaching.listening.state import FEELINGS
from companion.coaching.listening.words import second_person

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

# Lemmas that say what a sentence is about, strongest first (a decision outranks a blocker).
_DECIDE = {"decide", "decision", "whether", "choose", "choice", "approve", "approval", "sign-off",
           "trade-off", "prioritise", "prioritize", "headcount", "budget", "between"}
_BLOCK = {"block", "stuck", "wait", "depend", "slip", "delay", "risk", "problem", "issue",
          "struggle", "late", "behind", "fight", "argument", "lose", "avoid", "skip", "conflict"}
_WIN = {"ship", "launch", "win", "proud", "land", "celebrate", "success"}
_WIN_NOUNS = {"win", "success"}
_GROWTH = {"promotion", "promote", "career", "grow", "learn", "skill", "stretch", "level",
           "ladder", "goal", "role", "onboarding", "month", "opening", "apply"}
_FEEDBACK = {"feedback", "perform", "performance", "expectation", "visible"}
_UNWELL = {"burn", "exhausted", "tired", "overwhelmed", "stressed", "paged", "drained",
           "worried", "anxious", "nervous", "sick", "upset", "frustrated"}
_ROLES = {"report", "manager", "mentor", "mentee", "boss"}
_LIGHT_HEADS = {"i", "we", "think", "feel", "want", "need", "guess", "suppose", "wonder"}

KINDS = ("decision", "wellbeing", "blocker", "feedback", "growth", "win", "explore")
# Where each kind sits, by the sections a relationship has (first title that exists).
PLACES: dict[str, tuple[str, ...]] = {
    "decision": ("Decisions needed", "Topic of the day"),
    "wellbeing": ("Check-in",),
    "blocker": ("Blockers", "Topic of the day"),
    "feedback": ("Feedback both ways", "Topic of the day"),
    "growth": ("Growth and career", "Goals"),
    "win": ("Wins", "Topic of the day"),
    "explore": ("Decisions needed", "Questions to explore"),
}


@dataclass
class Topic:
    text: str
    kind: str
    anchor: str
    """The noun phrase the topic is about ("the checkout redesign"), for a question to use."""
    sentence: str
    """The PM's own sentence (never shown)."""


def split_sentences(on_mind: str) -> list[str]:
    """The on-mind text as sentences: parsed, also cut at bullets, new lines and semicolons."""
    pieces = re.split(r"\n+|^\s*[-*]\s+", on_mind.strip(), flags=re.M)
    out: list[str] = []
    for piece in pieces:
        piece = piece.strip(" -*;")
        if not piece:
            continue
        for sent in parse(piece).sents:
            text = sent.text.strip(" -*;")
            if len(text.split()) >= 2:
                out.append(text)
    return out


def _kind(sent: Span) -> str:
    lemmas = {t.lemma_.lower() for t in sent} | {t.lower_ for t in sent}
    if lemmas & _DECIDE or any(t.lower_ == "should" for t in sent):
        return "decision"
    if lemmas & _UNWELL or "burning" in lemmas:
        return "wellbeing"
    for kind, words in (("feedback", _FEEDBACK), ("blocker", _BLOCK), ("growth", _GROWTH)):
        if lemmas & words:
            return kind
    # A win is something done ("we launched the beta"), not a thing named ("moved the launch").
    if any(t.lemma_.lower() in _WIN and (t.pos_ in {"VERB", "ADJ"} or t.lemma_.lower() in _WIN_NOUNS)
           for t in sent):
        return "win"
    if any(t.lower_ == "well" and t.head.lemma_ == "go" for t in sent):  # "the memo went well"
        return "win"
    return "explore"


def _says(tokens: Iterable[Token], person: str) -> str:
    """Tokens in the coach's second person, "my report" / "my manager" said as the person's
    name (the agenda is for the meeting with them)."""
    out: list[str] = []
    skip: set[int] = set()
    for t in tokens:
        if t.i in skip:
            continue
        if t.lower_ in {"my", "our"} and t.head.lemma_.lower() in _ROLES and t.head.i == t.i + 1:
            out.append(person + t.head.whitespace_)
            skip.add(t.head.i)
            continue
        out.append(second_person([t]) + t.whitespace_)
    text = "".join(out).strip(" ,;.")
    return re.sub(r"\s+", " ", text).replace("you 're", "you're")


def _phrases(sent: Span) -> Iterator[tuple[list[Token], Token]]:
    """Noun phrases: the parser's chunks, and each noun with the words before it that it
    governs (the small parser loses "the mobile on-call rota" to the hyphen)."""
    yield from ((list(c), c.root) for c in sent.noun_chunks)
    for t in sent:
        if t.pos_ in {"NOUN", "PROPN"}:
            left = [x for x in t.subtree if x.i <= t.i]
            if len(left) > 1 and left[-1].i - left[0].i == len(left) - 1:
                yield left, t


def _anchor(sent: Span, person: str) -> str:
    """The sentence's most contentful noun phrase: not the person, not a pronoun, not a time
    ("two weeks"), and not a bare noun ("night") when anything better exists."""
    first = person.split()[0].lower()
    best, score = "", 0.0
    for words, root in _phrases(sent):
        if root.pos_ == "PRON" or root.lower_ in {first, "it", "this", "that"}:
            continue
        if root.ent_type_ in {"DATE", "TIME", "CARDINAL"} or any(t.like_num for t in words):
            continue
        content = [t for t in words if not t.is_stop and t.is_alpha]
        if not content:
            continue
        s = len(content) + (0.5 if any(t.dep_ == "compound" for t in words) else 0)
        s -= 0.02 * words[0].i  # earlier is the subject of the sentence more often
        if len(words) == 1 and root.pos_ != "PROPN":
            s -= 1.5  # a bare noun reads badly after "about" / "of"
        if s > score:
            # "the roadmap fight about custom dashboards": keep what the thing is about.
            about = [x for c in root.children if c.dep_ == "prep" and c.lower_ in {"about", "over"}
                     for x in c.subtree]
            phrase = [*words, *about] if 0 < len(about) <= 4 else words
            best, score = _says(phrase, person), s
    if best[:1].isupper() and best.split()[0].lower() in {"the", "a", "an", "this", "that"}:
        best = best[:1].lower() + best[1:]
    if best.lower().startswith(("a ", "an ")):
        best = "the " + best.split(" ", 1)[1]
    return best


# Verbs whose subject holds a view or a state, not an event ("Dana thinks ...", "Ines is great").
_NOT_EVENTS = {"be", "have", "think", "say", "want", "need", "feel", "know", "believe", "seem", "like"}


def _happening(sent: Span, person: str) -> str | None:
    """What someone did or is doing, as "Ines leaving in three weeks": the person's name (not
    the role said beside it) and the event, when the sentence's subject is a person. "Talk
    through your lead designer" lost the news (person test, 2026-12-05)."""
    from companion.coaching.listening.state import ROLE_WORDS
    from companion.coaching.listening.words import gerund

    verb = sent.root
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if verb.pos_ != "VERB" or verb.lemma_.lower() in _NOT_EVENTS or subject is None:
        return None
    titled = any(c.dep_ == "appos" and c.lemma_.lower() in ROLE_WORDS for c in subject.children)  # "Ines, our lead designer,"
    if not (subject.pos_ == "PROPN" or subject.lemma_.lower() in ROLE_WORDS or titled):
        return None
    titles = {x.i for c in subject.children if c.dep_ == "appos" for x in c.subtree}
    who = [t for t in subject.subtree if t.i not in titles and not t.is_punct]
    rest = [t for c in verb.children if c.i > verb.i and c.dep_ in {"prep", "dobj", "npadvmod", "prt", "advmod"}
            for t in c.subtree]
    if any(c.dep_ in {"conj", "ccomp", "advcl", "xcomp"} for c in verb.children) or len(who) + len(rest) > 8:
        return None  # more than one thing happened: the anchor names it better
    named = _says(who, person)
    if named.split()[0] in {"The", "A", "An", "Your"}:
        named = named[:1].lower() + named[1:]
    return " ".join([named, gerund(verb.lemma_.lower()), _says(sorted(rest, key=lambda t: t.i), person)]).strip()


def _whether(sent: Span, person: str) -> str | None:
    """ "whether to apply for the group PM opening now or wait a year" """
    for t in sent:
        if t.lower_ == "whether":
            clause = [x for x in sent if x.i >= t.i and not x.is_punct]
            stop = next((x.i for x in clause if x.dep_ == "cc" and x.lower_ in {"and", "but"}
                         and x.i > t.i + 2), None)
            text = _says([x for x in clause if stop is None or x.i < stop], person)
            return text[:1].lower() + text[1:]  # "Whether ..." opens the fragment; "January" stays
    should = next((t for t in sent if t.lower_ == "should"), None)
    if should is not None:
        verb = should.head
        subject = {x.i for c in verb.children if c.dep_ == "nsubj" for x in c.subtree}
        rest = [x for x in verb.subtree if x.i > should.i and x.dep_ != "punct"
                and x.i not in subject]  # "Should we move ..." asks with the subject inverted
        cut = next((x.i for x in rest if x.dep_ == "cc" and x.head == verb), None)
        rest = [x for x in rest if cut is None or x.i < cut]
        if rest:
            return "whether to " + _says(rest, person)
    return None


def _noun_phrase(token: Token, person: str) -> str:
    """The phrase `token` heads, without its clauses, plus nouns the parser left after it."""
    words = [x for x in token.subtree if x.dep_ not in {"relcl", "acl", "prep", "punct"}
             or x.i < token.i]
    end = max(x.i for x in words)
    doc = token.doc
    # "the second designer headcount": the small parser reads "headcount" as a verb.
    while end + 1 < len(doc) and (doc[end + 1].pos_ in {"NOUN", "PROPN"} or (
        doc[end + 1].dep_ == "acl" and doc[end + 1].tag_ in {"VB", "VBP", "NN"}
    )):
        end += 1
        words.append(doc[end])
    return _says(sorted(words, key=lambda x: x.i), person)


def _decision_object(sent: Span, person: str) -> str | None:
    """ "a decision on the second designer headcount" -> "on the second designer headcount";
    "the analytics vendor decision" -> "on the analytics vendor". """
    for t in sent:
        if t.lemma_.lower() in {"decision", "decide", "choose", "choice"}:
            prep = next((c for c in t.children if c.lower_ in {"on", "about", "between"}), None)
            if prep is not None:
                objs = [c for c in prep.children if c.dep_ == "pobj"]
                if objs:
                    return f"{prep.lower_} {_noun_phrase(objs[0], person)}"
            comps = [x for c in t.children if c.dep_ in {"compound", "amod"} for x in c.subtree]
            if comps:
                return "on the " + " ".join(c.text for c in sorted(comps, key=lambda c: c.i))
    return None


def _deadline(sent: Span, person: str) -> str | None:
    """ "before Q1 planning locks", "this week", "by October 20" """
    for t in sent:
        if t.lower_ in {"before", "by", "until"} and t.dep_ in {"prep", "mark"}:
            phrase = list(t.subtree)
            if t.dep_ == "mark":
                phrase = [t, *[x for x in t.head.subtree if x.i > t.i]]
            if 2 <= len(phrase) <= 6:
                return _says(phrase, person)
    for ent in sent.ents:
        text = ent.text
        if ent.label_ == "DATE" and len(ent) <= 4 and (
            any(c.isdigit() for c in text) or text.lower().startswith(("this", "next"))
        ):
            return text if text.lower().startswith(("this", "next")) else f"by {text}"
    return None


def _feeling(sent: Span, person: str) -> str | None:
    """ "I'm worried my report is burning out" -> "you are worried Dana is burning out";
    "it feels like everyone moved on without me" -> "you feel everyone moved on without you" """
    mine = any(x.lower_ in {"i", "we", "me", "my"} for x in sent)
    for t in sent:
        if not mine:
            break
        if t.lemma_.lower() == "feel" and t.pos_ == "VERB":
            for c in t.children:
                marks = [m for m in c.children if m.dep_ == "mark" and m.lower_ in {"like", "as"}]
                if c.dep_ in {"advcl", "ccomp"} and marks:
                    clause = [x for x in c.subtree if x.i > marks[0].i and not x.is_punct]
                    return "you feel " + _says(clause, person)
        if (t.lower_ in FEELINGS or t.lemma_.lower() in FEELINGS) and t.pos_ in {"ADJ", "VERB"}:
            about = [x for x in t.subtree if x.i > t.i and x.dep_ != "punct"]
            words = _says(about, person) if about else ""
            return f"you are {t.lower_}" + (f" {words}" if words else "")
    return None


def _contrast(sent: Span, person: str) -> str | None:
    """The part after "but", said to you: the PM's doubt."""
    for t in sent:
        if t.lower_ in {"but", "though", "although"} and t.dep_ in {"cc", "mark"}:
            right = [x for x in sent if x.i > t.i and not x.is_punct]
            if 3 <= len(right) <= 12 and any(x.lower_ in {"i", "we"} for x in right):
                return _says(right, person)
    return None


def _condition(sent: Span, person: str) -> str | None:
    """ "without making Dana defensive" / "without taking it over": how the PM wants it done."""
    for t in sent:
        if t.lower_ == "without" and any(c.dep_ == "pcomp" for c in t.children):
            right = [x for x in t.subtree if x.i > t.i and not x.is_punct]
            if 1 <= len(right) <= 8:
                return "you want to do it without " + _says(right, person)
    return None


def _unsure(sent: Span, person: str) -> str | None:
    """ "I still don't know what my role will be" -> "you don't know what your role will be" """
    for t in sent:
        if t.lemma_.lower() == "know" and any(c.dep_ == "neg" for c in t.children) and any(
            c.dep_ == "nsubj" and c.lower_ in {"i", "we"} for c in t.children
        ):
            comp = next((c for c in t.children if c.dep_ in {"ccomp", "xcomp", "dobj"}), None)
            if comp is not None:
                return "you don't know " + _says(list(comp.subtree), person)
    return None


def _about_them(sent: Span, person: str) -> str | None:
    """A sentence whose subject is the person: its first clause, said as a fact you noticed
    ("Jonas has been paged at night four times in two weeks"), at most 10 words."""
    first = person.split()[0].lower()
    root = sent.root
    subj = next((c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
    if subj is None or subj.lower_ != first:
        return None
    words = [x for x in root.subtree if not x.is_punct]
    cut = next((x.i for x in words if x.dep_ == "cc" and x.head == root), None)
    words = [x for x in words if cut is None or x.i < cut][:12]
    while words and words[-1].pos_ in {"ADP", "DET", "CCONJ", "ADJ"}:
        words.pop()
    return "you noticed " + _says(words, person) if len(words) >= 3 else None


def _want(sent: Span, person: str) -> str | None:
    """ "I want to understand what that means before the QBR" -> "you want to understand ..." """
    for t in sent:
        if t.lemma_.lower() == "want" and any(c.lower_ in {"i", "we"} for c in t.children):
            comp = next((c for c in t.children if c.dep_ == "xcomp"), None)
            if comp is not None:
                words = [x for x in comp.subtree if not x.is_punct]
                cut = next((x.i for x in words if x.dep_ == "cc" and x.head == comp), None)
                words = [x for x in words if cut is None or x.i < cut][:12]
                return "you want " + _says(words, person)
    return None


_WH = {"how", "what", "why", "where", "when", "who", "which", "whether"}


def _explore(sent: Span, person: str, *, short: bool = False) -> str:
    """A question-like fragment ("How Kenji's first month is going and whether ...", "What I
    learnt from the Discord hour, and how to ...") as things to ask, share or decide."""
    if sent[0].lower_ not in _WH:
        return ""
    name = person.split()[0]
    clauses: list[list[Token]] = [[]]
    for x in sent:
        if x.is_punct:
            continue
        if x.dep_ == "cc" and x.i + 1 < len(x.doc) and x.doc[x.i + 1].lower_ in _WH and clauses[-1]:
            clauses.append([])
            continue
        clauses[-1].append(x)
    out = []
    for clause in clauses:
        if not clause:
            continue
        text = _says(clause, person)
        text = text[:1].lower() + text[1:]
        mine = any(x.lower_ in {"i", "we"} for x in clause)
        if short and not mine and clause[0].lower_ != "whether":
            # Said back whole, the fragment is the PM's sentence again: name what it is about.
            about = _clause_anchor(clause, person)
            if about:
                out.append(f"ask {name} about {about}")
                continue
        if clause[0].lower_ == "whether":
            verb = "decide"
        elif mine:
            verb = "share"
        else:
            verb = "ask" if any(x.lower_ == name.lower() for x in clause) else f"ask {name}"
        out.append(f"{verb} {text}")
    return "; ".join(out)


def _clause_anchor(clause: list[Token], person: str) -> str:
    ids = {x.i for x in clause}
    first = person.split()[0].lower()
    best, score = "", 0
    for chunk in clause[0].doc.noun_chunks:
        if chunk.root.i not in ids or chunk.root.pos_ == "PRON":
            continue
        words = [t for t in chunk if t.lower_ != first and t.dep_ != "case"]
        n = sum(1 for t in words if not t.is_stop and t.is_alpha)
        if n >= score and n:  # on a tie the later phrase, the object more often than not
            text = _says(words, person)
            best, score = text if words[0].dep_ == "det" else f"the {text}", n
    return best


def overlap(topic: str, sentence: str) -> float:
    """The share of the topic's words that are words of the sentence."""
    t = re.findall(r"[a-z0-9']+", topic.lower())
    s = set(re.findall(r"[a-z0-9']+", sentence.lower()))
    return sum(w in s for w in t) / len(t) if t else 0.0


def rewrite(sentence: str, person: str, relationship: str, before: str = "") -> Topic:
    """One on-mind sentence as an agenda topic in the second person, its ask explicit;
    `before` is the anchor of the sentence before, for "it" and "that"."""
    sent = next(iter(parse(sentence).sents))
    kind = _kind(sent)
    name = person.split()[0]
    anchor = _anchor(sent, person)
    # "It"/"that" as an object points back to the sentence before, unless this sentence named
    # its own thing first ("Dana shipped the pricing page and I want to celebrate that").
    pointer = next((t for t in sent if t.lower_ in {"it", "this", "that"}
                    and t.dep_ in {"dobj", "pobj"}), None)
    own_first = bool(anchor) and pointer is not None and (
        0 <= sent.text.lower().find(anchor.lower()) < pointer.idx - sent.start_char)
    if not anchor or pointer is not None and before and not own_first:
        anchor = before or anchor or "this"
    theirs = relationship in {"my_manager", "mentor"}
    view = f"you want {name}'s view" if theirs else f"hear {name}'s view first"
    if kind == "decision":
        whether = _whether(sent, person)
        what = whether or _decision_object(sent, person)
        lead = f"Decide {what}" if what else f"Agree a decision on {anchor}"
        if theirs and not whether:
            lead = f"Ask {name} for a decision {what}" if what else f"Ask {name} to decide on {anchor}"
        if what and not whether:
            anchor = what.split(" ", 1)[1]  # what the decision is on, for the questions
    elif kind == "wellbeing":
        lead = (f"Ask {name} for support with {anchor}" if theirs
                else f"Check how {name} is coping")
    elif kind == "blocker":
        lead = f"Talk through what is happening with {anchor}"
    elif kind == "feedback":
        lead = f"Talk through the feedback on {anchor}"
    elif kind == "growth":
        lead = (f"Ask {name} about {anchor}" if theirs
                else f"Talk about {anchor} and what {name} wants from it")
    elif kind == "win":
        lead = f"Recognise {anchor}"
    else:
        happening = _happening(sent, person)
        lead = f"Talk through {happening or anchor}"
        anchor = happening or anchor  # the questions ask about the news, not the person
    lead = _explore(sent, person) or lead
    if overlap(lead, sentence) >= 0.7:
        lead = _explore(sent, person, short=True) or lead
    deadline = _deadline(sent, person)
    details = [
        _feeling(sent, person),
        _contrast(sent, person),
        _unsure(sent, person),
        _about_them(sent, person),
        _condition(sent, person),
        _want(sent, person),
        (f"you need it {deadline}" if kind == "decision" else f"due {deadline}") if deadline else None,
        view if kind in {"decision", "explore"} and not lead.startswith(("Ask", "ask")) else None,
    ]
    text = _tidy(lead)
    about = _about_them(sent, person)
    if kind == "blocker" and about and anchor and anchor.lower() in about.lower():
        lead = f"Talk it through with {name}"  # the fact already names what it is about
    for detail in details:
        if not detail or detail.lower() in lead.lower():
            continue
        candidate = _tidy(f"{lead}: {detail}")
        # One short fact of the PM's own words, never so much of the sentence that the topic
        # reads as the sentence pasted back.
        if overlap(candidate, sentence) < 0.75 and len(candidate.split()) <= 26:
            text = candidate
            break
    return Topic(text=text, kind=kind, anchor=anchor or "this", sentence=sentence)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:.")
    text = re.sub(r"\bthe the\b", "the", text)
    return text[:1].upper() + text[1:]


def place(kind: str, titles: list[str]) -> str:
    """The section a topic of `kind` goes in, of the sections this meeting has."""
    for title in PLACES.get(kind, ()):
        if title in titles:
            return title
    for title in ("Decisions needed", "Topic of the day"):
        if title in titles:
            return title
    return titles[-2]


def rewrite_all(on_mind: str, person: str, relationship: str) -> list[Topic]:
    topics: list[Topic] = []
    for sentence in split_sentences(on_mind):
        before = topics[-1].anchor if topics else ""
        topics.append(rewrite(sentence, person, relationship, before))
    return topics
