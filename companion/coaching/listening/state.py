"""What the PM has said so far, and what is new in the latest message, read by the program."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Container, Iterable, Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from companion.coaching.listening.nlp import parse
from companion.coaching.listening.words import content_lemmas, gerund, is_content, second_person

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

FactKind = Literal[
    "decision", "not_yet", "feeling", "commitment", "condition", "claim", "value",
    "number", "date", "contrast",
]

ROLE_WORDS = {
    "manager", "boss", "vp", "skip", "level", "skip-level", "ceo", "cto", "cpo", "coo", "cfo",
    "director", "head", "lead", "designer", "engineer", "developer", "report", "mentor", "mentee",
    "founder", "cofounder", "co-founder", "stakeholder", "stakeholders", "customer", "customers",
    "client", "clients", "account", "accounts", "board", "sales", "team", "peer", "colleague",
    "recruiter", "candidate", "analyst", "researcher", "pm", "pms", "exec", "execs", "investor",
    "investors", "partner", "partners", "hr", "legal", "support", "marketing", "finance", "qa",
    "architect", "intern", "contractor", "vendor", "user", "users", "owner", "leadership",
}
FEELINGS = {
    "worried", "worry", "anxious", "nervous", "frustrated", "frustrating", "stuck", "overwhelmed",
    "tired", "exhausted", "scared", "afraid", "angry", "upset", "guilty", "torn", "excited",
    "relieved", "embarrassed", "uneasy", "unsure", "confused", "hurt", "stressed", "disappointed",
    "annoyed", "sad", "proud", "dread", "dreading", "ashamed", "lonely", "burned", "burnt",
    "resentful", "uncomfortable", "awkward", "conflicted", "drained", "panicking", "fear",
    "insecure", "defensive", "sick", "terrified", "furious", "hopeless", "bad",
    # person tests, 2026-12-05: "I felt humiliated and I didn't say anything" named no feeling
    "humiliated", "ignored", "undermined", "disrespected", "isolated", "helpless", "powerless",
    "trapped", "betrayed", "jealous", "inadequate", "demoralized", "demoralised", "discouraged",
    "demotivated", "hopeful", "grateful", "happy", "blindsided", "shocked", "irritated",
    "overlooked", "invisible", "paralyzed", "paralysed", "undervalued", "unappreciated", "bitter",
}
_COMMUNICATE = {"tell", "ask", "mention", "raise", "talk", "share", "say", "explain", "bring",
                "escalate", "flag", "warn", "inform", "show", "email", "call", "admit", "speak"}
_COMMIT = {"promise", "commit", "agree", "pledge", "guarantee", "sign", "volunteer"}
_VALUE_VERBS = {"care", "value", "believe", "matter"}
_CLAIM_VERBS = {"say", "think", "believe", "want", "insist", "claim", "argue", "expect", "feel",
                "know", "complain", "push", "demand"}
_CERTAIN = {"always", "never", "obviously", "clearly", "definitely", "everyone", "nobody",
            "certainly", "sure", "know"}
VAGUE = {"strategic", "alignment", "aligned", "impact", "quality", "ownership", "culture",
         "bandwidth", "visibility", "priorities", "soon", "presence", "proactive", "vision",
         "polish", "polished", "success", "fair", "ready", "enough", "mess", "messy", "toxic",
         "efficient", "synergy", "empowered", "accountable", "accountability"}


class Person(BaseModel):
    """Someone the PM named: a name, a role, or both ("Dana, my manager")."""

    name: str
    role: str | None = None
    turn: int


class Fact(BaseModel):
    """One thing the PM said, in the coach's second person, with the words it came from."""

    kind: FactKind
    text: str
    """The fact as the coach would say it back ("you haven't told your skip-level...")."""
    anchor: str | None = None
    """The noun phrase it is about, for a question to build on."""
    sentence: str
    """The PM's own sentence."""
    turn: int
    detail: dict[str, str] = Field(default_factory=dict)
    """Parts a reflection needs (who, whom, about, condition, ...)."""


class ConversationState(BaseModel):
    """Everything extracted so far; `new_*` describe the latest message only."""

    turns: int = 0
    people: list[Person] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    seen: list[str] = Field(default_factory=list)
    """Content lemmas of every message so far."""
    new_words: list[str] = Field(default_factory=list)
    """Content lemmas of the latest message that were never said before."""
    new_people: list[str] = Field(default_factory=list)
    anchors: list[str] = Field(default_factory=list)
    """Noun phrases of the latest message a question may build on, best first."""
    vague: list[str] = Field(default_factory=list)
    """Vague words of the latest message ("strategic", "ready")."""
    latest: str = ""

    def new_facts(self) -> list[Fact]:
        return [f for f in self.facts if f.turn == self.turns]

    def of_kind(self, kind: str, *, new: bool = False) -> list[Fact]:
        return [f for f in (self.new_facts() if new else self.facts) if f.kind == kind]

    def panel(self) -> dict[str, list[str]]:
        """What the coverage panel shows: the new facts first, then the earlier ones."""
        return {
            "new": [f"{f.kind}: {f.text}" for f in self.new_facts()],
            "earlier": [f"{f.kind}: {f.text}" for f in self.facts if f.turn != self.turns],
            "people": [p.name + (f" ({p.role})" if p.role and p.role != p.name else "")
                       for p in self.people],
            "new_words": self.new_words,
            "anchors": self.anchors,
        }


def _span_text(tokens: Iterable[Token]) -> str:
    tokens = list(tokens)
    text = second_person(tokens)
    first = tokens[0] if tokens else None
    # "Every enterprise pilot" opened the PM's sentence; said back mid-sentence it is lower case.
    if first is not None and first.is_sent_start and first.pos_ in {"DET", "PRON", "ADJ", "NUM"} \
            and first.text[:1].isupper() and not first.text.isupper() and text.startswith(first.text):
        text = first.text.lower() + text[len(first.text):]
    return text


OBJECT_TO_SUBJECT = {"him": "he", "her": "she", "them": "they", "me": "you", "us": "you"}
# Verbs whose direct object is the person addressed ("tell my skip-level"); for the others it is
# the thing ("written the case", "raised the pricing with Dana").
_ADDRESS_VERBS = {"tell", "ask", "inform", "warn", "email", "call", "update", "brief", "ping", "text"}


def _addressee(verb: Token) -> tuple[Token | None, Token | None]:
    """(the person not yet told, the thing not yet said or done) of a negated verb."""
    whom = thing = None
    for c in verb.children:
        if c.dep_ == "dative":
            whom = next((x for x in c.children if x.dep_ == "pobj"), c) if c.pos_ == "ADP" else c
        elif c.dep_ == "prep" and c.lower_ in {"to", "with"} and verb.lemma_ in _COMMUNICATE:
            whom = whom or next((x for x in c.children if x.dep_ == "pobj"), None)
        elif c.dep_ == "dobj":
            addressed = verb.lemma_ in _ADDRESS_VERBS or c.lower_ in OBJECT_TO_SUBJECT
            if addressed and whom is None:
                whom = c
            else:
                thing = c
    if whom is None and thing is not None and verb.lemma_ in _COMMUNICATE:
        # "raised the pricing change with Dana": the parse hangs "with Dana" on the thing
        prep = next((x for x in thing.children if x.dep_ == "prep" and x.lower_ in {"to", "with"}), None)
        whom = next((x for x in prep.children if x.dep_ == "pobj"), None) if prep is not None else None
    return whom, thing


def joined_clauses(verb: Token) -> list[Token]:
    """The verbs joined to `verb` by "and": each heads another clause, another fact."""
    return [c for c in verb.children if c.dep_ == "conj" and c.pos_ in {"VERB", "AUX"}]


def _subtree(t: Token, *, drop: Container[int] = ()) -> list[Token]:
    return [x for x in t.subtree if x.i not in drop]


# A title that names its domain after "of": "head of sales", "VP of engineering".
_TITLED = {"head", "vp", "director", "chief", "lead", "manager", "svp", "evp", "president", "owner"}


def noun_phrases(doc: Doc) -> Iterator[Span]:
    """spaCy's noun chunks, with a title kept whole: "your head of sales", not "your head" and
    "sales" (the coach asked "How might your head see this?")."""
    chunks = list(doc.noun_chunks)
    skip = -1
    for n, chunk in enumerate(chunks):
        if n == skip:
            continue
        after = chunk.end
        if (chunk.root.lower_ in _TITLED and n + 1 < len(chunks) and after < len(doc)
                and doc[after].lower_ == "of" and chunks[n + 1].start == after + 1):
            skip = n + 1
            yield doc[chunk.start : chunks[n + 1].end]
        else:
            yield chunk


def _chunk_of(token: Token, doc: Doc) -> Span | None:
    for chunk in noun_phrases(doc):
        if chunk.start <= token.i < chunk.end:
            return chunk
    return None


def _people(doc: Doc, turn: int) -> list[Person]:
    found: list[Person] = []
    names = {e.root.i: e for e in doc.ents if e.label_ == "PERSON"}
    # spaCy's small model often labels first names GPE/ORG/LOC: a capitalised single-token
    # proper noun as subject or object of a verb is also a person.
    for t in doc:
        if t.i in names or not t.text[:1].isupper() or not t.text.isalpha() or t.text.isupper():
            continue
        proper = (t.pos_ == "PROPN" and t.dep_ in {"nsubj", "dobj", "dative", "pobj", "appos", "poss", "conj"}
                  and t.ent_type_ not in {"DATE", "ORG", "PRODUCT", "TIME"} and t.i != t.sent.start)
        # "Ines, our lead designer, just resigned": the tagger took "Ines" for a noun
        titled = any(c.dep_ == "appos" and c.lemma_.lower() in ROLE_WORDS for c in t.children)
        if proper or titled:
            names[t.i] = doc[t.i : t.i + 1]
    for i, span in names.items():
        role = None
        tok = doc[i]
        for other in [tok.head, *tok.children]:
            if other.lemma_.lower() in ROLE_WORDS and other.i != i:
                chunk = _chunk_of(other, doc)
                role = _span_text(chunk) if chunk is not None else other.text
        found.append(Person(name=span.text, role=role, turn=turn))
    for chunk in noun_phrases(doc):
        root = chunk.root
        if root.lemma_.lower() in ROLE_WORDS and not any(p.role == _span_text(chunk) for p in found):
            if any(t.i in names for t in chunk) or is_self(chunk):
                continue
            found.append(Person(name=_span_text(chunk), role=root.lemma_.lower(), turn=turn))
    return found


def _first_person(t: Token) -> bool:
    return any(c.dep_ in {"nsubj", "nsubjpass"} and c.lower_ in {"i", "we"} for c in t.children)


def is_self(chunk: Span) -> bool:
    """The PM describing themself ("I'm the PM for...", "As the new PM, I..."), not someone else:
    "How might the PM see this?" asked the PM about themself (person test, 2026-12-05)."""
    root = chunk.root
    if root.dep_ == "attr" and root.head.lemma_ == "be":
        return _first_person(root.head)
    if root.dep_ == "pobj" and root.head.lower_ == "as" and root.head.dep_ == "prep":
        return _first_person(root.head.head)
    if root.dep_ == "pobj" and root.head.lower_ in {"to", "into"} and root.head.head.lemma_ in {
            "promote", "move", "step", "transfer", "switch", "go", "get"}:
        return _first_person(root.head.head)  # "I got promoted to group PM", "moving into a lead role"
    return root.dep_ == "appos" and root.head.lower_ in {"i", "me", "we", "us"}


def _negated(t: Token) -> bool:
    return any(c.dep_ == "neg" for c in t.children)


def _facts(doc: Doc, turn: int) -> list[Fact]:
    facts: list[Fact] = []

    def add(
        kind: FactKind,
        tokens: Iterable[Token],
        sentence: Span,
        anchor: str | None = None,
        **detail: str,
    ) -> None:
        text = _span_text(tokens)
        if text and not any(f.kind == kind and f.text == text for f in facts):
            facts.append(Fact(kind=kind, text=text, anchor=anchor, sentence=sentence.text.strip(),
                              turn=turn, detail={k: v for k, v in detail.items() if v}))

    for sent in doc.sents:
        lowers = {t.lower_ for t in sent}
        for t in sent:
            lemma = t.lemma_.lower()
            # The decision: "decide whether to ...", "torn between ...", "should I ...".
            if t.lower_ == "whether" or (t.lower_ == "if" and t.head.head.lemma_ in {"decide", "know"}):
                clause = _subtree(t.head)
                add("decision", clause, sent, anchor=_anchor_in(clause, doc))
            if lemma in {"between"} and t.head.lemma_ in {"torn", "choose", "decide", "pick"}:
                add("decision", _subtree(t), sent, anchor=_anchor_in(_subtree(t), doc))
            # "Should I tell my boss ...?": a decision asked aloud, said back as one, not as a
            # statement ("So, to start with, should you tell your boss ...")
            if t.dep_ == "ROOT" and t.pos_ == "VERB" and sent.text.rstrip().endswith("?") and any(
                    c.lower_ in {"should", "shall"} and c.i == sent.start for c in t.children) and _first_person(t):
                asked = [x for x in t.subtree if x.i > t.i and not x.is_punct]
                counted = len(facts)
                add("decision", [t, *asked], sent, anchor=_anchor_in(asked, doc))
                if len(facts) > counted:
                    facts[-1] = facts[-1].model_copy(update={"text": f"whether to {facts[-1].text}"})
            # What has not been done or said: "I haven't told my skip-level ... yet".
            if t.pos_ in {"VERB", "AUX"} and _negated(t) and _first_person(t):  # noqa: SIM102 - the two tests read as two rules
                whom, thing = _addressee(t)
                pending = "yet" in lowers or "still" in lowers
                # "I felt humiliated and I didn't say anything": a past omission with no one
                # to tell is what happened then, not something still ahead of the PM.
                past = any(c.dep_ == "aux" and c.tag_ == "VBD" for c in t.children)
                if (lemma in _COMMUNICATE and not (past and whom is None)) or pending:
                    # "..., and my manager thinks ...": a clause joined by "and" is another fact.
                    joined = {x.i for c in joined_clauses(t) for x in c.subtree}
                    joined |= {c.i for c in t.children if c.dep_ == "cc" or c.dep_ == "punct" and c.i > t.i}
                    # "... because they're my friends": the reason is said apart from the deed
                    reason = next((c for c in t.children if c.dep_ == "advcl" and any(
                        m.dep_ == "mark" and m.lower_ in {"because", "since", "as"} for m in c.children)), None)
                    if reason is not None:
                        joined |= {x.i for x in reason.subtree}
                    rest = [x for x in _subtree(t, drop=joined) if x.dep_ not in {"nsubj", "neg", "aux", "advmod",
                                                                     "punct", "intj"}
                            or x.head != t]
                    rest = [x for x in rest if x.i > t.i and x.lower_ not in {"yet", "still"}]
                    # "told him nothing about the freeze": the "about" may hang on the object
                    objects = {x.i for c in t.children if c.dep_ in {"dobj", "dative"} for x in c.subtree}
                    about = next((c for c in t.subtree if c.dep_ == "prep" and c.lower_ == "about"
                                  and (c.head == t or c.head.i in objects)), None)
                    # "I haven't told him why I said no, only that ...": what is untold is the
                    # wh-clause, up to its first comma.
                    told = next((c for c in t.children if c.dep_ == "ccomp"
                                 and c.left_edge.lower_ in {"why", "what", "how", "that", "whether"}), None)
                    told_words = []
                    for x in (told.subtree if told is not None else []):
                        if x.is_punct:
                            break
                        told_words.append(x)
                    # "raised the pricing change with Dana": the thing, without the person it goes to
                    thing_words = []
                    if thing is not None and whom is not None:
                        to_whom = {x.i for x in whom.head.subtree} if whom.head.dep_ == "prep" else set()
                        thing_words = [x for x in _subtree(thing) if x.i not in to_whom]
                    said = [x for x in _subtree(t, drop=joined) if not (x.head == t and x.dep_ in {"intj", "punct"})
                            and not (x.head == t and x.dep_ == "advmod" and x.i < t.i)]
                    add("not_yet", said, sent, anchor=_anchor_in(rest, doc),
                        verb=lemma,
                        habit="yes" if any(c.lower_ == "never" for c in t.children) and t.tag_ in {"VBP", "VBZ"}
                        else "",
                        whom=OBJECT_TO_SUBJECT.get(whom.lower_, "") if whom is not None and whom.pos_ == "PRON"
                        else _span_text(_chunk_of(whom, doc) or [whom]) if whom is not None else "",
                        about=_span_text(_subtree(about)[1:]) if about is not None
                        # "told HR anything": no thing to name ("What might follow from anything?")
                        else "" if [x.lower_ for x in told_words or thing_words] in (["anything"], ["nothing"],
                                                                                   ["something"], ["it"])
                        else _span_text(told_words or thing_words),
                        rest=_span_text(rest),
                        why=_span_text([x for x in reason.subtree if x.dep_ != "mark" or x.head != reason])
                        if reason is not None else "")
            # Not knowing what to do is being stuck: "I don't know what to do about the load",
            # "I have no idea how to tell her". (Not a claim of certainty.)
            stuck_on = None
            if lemma == "know" and _negated(t) and _first_person(t):
                stuck_on = next((c for c in t.children if c.dep_ in {"xcomp", "ccomp"}), None)
            elif t.lower_ == "idea" and any(c.lower_ == "no" for c in t.children) and _first_person(t.head):
                stuck_on = next((c for c in t.children if c.dep_ in {"relcl", "acl"}), None)
            if stuck_on is not None and stuck_on.left_edge.lower_ in {"what", "how", "whether", "who", "where", "when"}:
                clause = [x for x in stuck_on.subtree if not x.is_punct]
                # "what to do", "how to tell her": stuck; "what strategic means here": unsure
                infinitive = any(x.tag_ == "TO" for x in clause)
                add("feeling", [t], sent, anchor=_anchor_in(clause, doc),
                    feeling="stuck" if infinitive else "unsure", about=_span_text(clause))
            # Feelings the PM named.
            # "My team is exhausted" is the team's feeling, not the PM's.
            holder = next((c for c in (t.head if t.dep_ in {"acomp", "attr"} else t).children
                           if c.dep_ in {"nsubj", "nsubjpass"}), None)
            someone_else = holder is not None and holder.lower_ not in {"i", "we", "i'm", "we're"}
            if (lemma in FEELINGS or t.lower_ in FEELINGS) and not someone_else:  # noqa: SIM102 - the two tests read as two rules
                if t.pos_ in {"ADJ", "VERB", "NOUN"} and (
                    _first_person(t) or _first_person(t.head) or t.head.lower_ in {"feel", "am", "'m"}
                    or any(x.lower_ in {"i", "i'm", "me", "my"} for x in sent)
                ):
                    after = [x for x in t.subtree if x.i > t.i]
                    if not after and t.head.i != t.i:
                        # "I'm exhausted and I don't trust the numbers": the clause joined by
                        # "and" is another fact, not what the feeling is about
                        # "I'm scared the redesign will stall and ...": the parse may join
                        # what the feeling is about by "conj" too; only an "and" of the head's
                        # own joins another clause
                        cc = [c.i for c in t.head.children if c.dep_ == "cc"]
                        other = {x.i for c in joined_clauses(t.head) for x in c.subtree} if cc else set()
                        other |= set(cc)
                        after = [x for x in t.head.subtree if x.i > t.i and x.i not in other]
                        while after and after[-1].is_punct:
                            after = after[:-1]
                    add("feeling", [t], sent, anchor=_anchor_in(after, doc), feeling=t.lower_,
                        about=_span_text(after).rstrip(".!,;"),
                        past="yes" if t.head.tag_ == "VBD" or t.tag_ == "VBD" else "")
            # "I still feel like a fraud": a feeling named by a likeness (a noun, not a clause:
            # "I feel like I'm the only one" is a claim about the situation)
            if lemma == "feel" and _first_person(t):
                like = next((c for c in t.children if c.dep_ == "prep" and c.lower_ == "like"
                             and any(x.dep_ == "pobj" and x.pos_ == "NOUN" for x in c.children)), None)
                if like is not None:
                    likeness = [x for x in like.subtree if not x.is_punct]
                    add("feeling", likeness, sent, anchor=None, feeling=_span_text(likeness))
            # Commitments: "I promised Dana a plan by Friday", "I'll ...", "I told X I'd ...".
            if (lemma in _COMMIT and _first_person(t) and not _negated(t) and t.dep_ != "advcl") or (
                t.lower_ in {"'ll", "will", "'d"} and t.head.pos_ == "VERB"
                and _first_person(t.head) and t.head.dep_ in {"ccomp", "conj", "ROOT"}
                and t.head.head.lemma_ in {"tell", "promise", "say", "agree", t.head.lemma_}
            ):
                verb = t if lemma in _COMMIT else t.head
                add("commitment", [x for x in _subtree(verb) if x.dep_ != "punct" or x.i < verb.i],
                    sent, anchor=_anchor_in(_subtree(verb), doc))
            # Conditions: "won't roll out without SSO", "only if", "unless".
            if t.lower_ in {"without", "unless"} and _negated(t.head):
                obj = _subtree(t)[1:]
                subj = next((c for c in t.head.children if c.dep_ == "nsubj"), None)
                if subj is not None and subj.lower_ in {"they", "it", "he", "she"}:
                    # "they" points back at the subject of the reporting verb.
                    outer = next((c for c in t.head.head.children if c.dep_ == "nsubj"), None)
                    subj = outer or subj
                add("condition", _subtree(t.head), sent, anchor=_anchor_in(obj, doc),
                    condition=_span_text(obj),
                    who=_span_text(_subtree(subj)) if subj is not None else "",
                    verb=t.head.lemma_)
            # Values: "I care about trust", "X matters to me", "it's important to me".
            if lemma in _VALUE_VERBS and (_first_person(t) or any(
                c.lower_ in {"me", "us"} for c in t.subtree
            )):
                obj = [x for c in t.children if c.dep_ in {"prep", "dobj", "ccomp", "xcomp"}
                       for x in c.subtree if x.dep_ != "punct"]
                if lemma == "matter":
                    obj = [x for x in t.subtree if x.i < t.i]
                add("value", obj or [t], sent, anchor=_anchor_in(obj, doc))
            if t.lower_ == "important" and any(c.lower_ in {"me", "us"} for c in t.subtree):
                before = [x for x in t.head.subtree if x.i < t.i and x.dep_ != "punct"]
                add("value", before, sent, anchor=_anchor_in(before, doc))
            # Claims: another person's view, or the PM's own certainty.
            if lemma in _CLAIM_VERBS and t.pos_ == "VERB" and not (lemma == "know" and _negated(t)):
                subj = next((c for c in t.children if c.dep_ == "nsubj"), None)
                comp = next((c for c in t.children if c.dep_ in {"ccomp", "xcomp"}), None)
                # "part of me wants ..." is the PM's own ambivalence (read below), not a view
                inner = subj is not None and any(x.lower_ == "part" and x.nbor(1).lower_ == "of"
                                                 for x in subj.subtree if x.i + 1 < len(doc))
                if subj is not None and comp is not None and subj.lower_ not in {"you"} and not inner:
                    mine = subj.lower_ in {"i", "we"}
                    if not mine or lemma in {"think", "believe", "know"}:
                        target = next(
                            (c for c in comp.children if c.dep_ in {"dobj", "attr"}), None
                        )
                        add("claim", _subtree(comp), sent, anchor=_anchor_in(_subtree(comp), doc),
                            who="you" if mine else _span_text(_subtree(subj)),
                            verb=lemma,
                            action=f"{comp.lemma_} {_span_text(_subtree(target))}"
                            if target is not None and comp.pos_ == "VERB" else "")
            if t.lower_ in _CERTAIN and t.dep_ in {"advmod", "nsubj", "acomp"} and t.lower_ != "know":
                head = t.head
                add("claim", _subtree(head), sent, anchor=_anchor_in(_subtree(head), doc),
                    who="you", verb="certain")
            # Contrast: "I want X but Y", "X, and yet Y".
            # A "yet" after a negation is time, not contrast: "I haven't talked to HR yet".
            temporal = t.lower_ == "yet" and t.dep_ != "cc" and t.i > sent.start and \
                t.nbor(-1).lower_ not in {"and", ",", "but"}
            if t.lower_ in {"but", "yet", "although", "though"} and t.dep_ in {"cc", "mark", "advmod"} \
                    and not temporal:
                left = [x for x in sent if x.i < t.i]
                while left and (left[-1].is_punct or left[-1].lower_ == "and"):
                    left = left[:-1]
                right = [x for x in sent if x.i > t.i]
                while right and right[-1].is_punct:
                    right = right[:-1]
                if len(left) >= 3 and len(right) >= 3:
                    add("contrast", [x for x in sent if left[0].i <= x.i <= right[-1].i], sent,
                        anchor=_anchor_in(right, doc),
                        left=_span_text(left).rstrip(",;"), right=_span_text(right))
        for ent in sent.ents:
            if ent.label_ in {"DATE", "TIME"}:
                add("date", list(ent), sent, anchor=_anchor_in(list(ent.root.head.subtree), doc))
            elif ent.label_ in {"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"}:
                chunk = _chunk_of(ent.root, doc)
                head = ent.root.head if ent.root.dep_ in {"nummod", "nsubj"} else ent.root
                tokens = list(chunk) if chunk is not None else list(head.subtree)
                if ent.root.dep_ == "nsubj" and ent.root.n_rights:  # "Three of our accounts"
                    tokens = list(ent.root.subtree)
                add("number", tokens, sent, anchor=_span_text(tokens))
    _parts(doc, add)
    _either_way(doc, add)
    return facts


def _either_way(doc: Doc, add: Callable[..., None]) -> None:
    """"If I don't pick Rosa, X. If I do pick her, Y": a cost on each side of one choice."""
    conds = []
    for t in doc:
        verb = t.head
        if t.lower_ != "if" or t.dep_ != "mark" or verb.dep_ != "advcl" or not _first_person(verb):
            continue
        main = verb.head
        if main.lemma_ in {"think", "guess", "believe", "feel", "suppose"} and _first_person(main):
            main = next((c for c in main.children if c.dep_ == "ccomp"), main)  # "I think" peeled off
        drop = {x.i for x in verb.subtree} | {x.i for c in main.children if c.dep_ in {"conj", "cc"}
                                              for x in c.subtree}
        then = [x for x in main.subtree if x.i not in drop and not (x.is_punct and x.text not in {'"', "'"})]
        while then and then[-1].text in {'"', "'"} and sum(x.text == then[-1].text for x in then) % 2:
            then = then[:-1]
        conds.append((verb, _negated(verb), [x for x in verb.subtree if not x.is_punct], then))
    for (v1, neg1, cond1, then1), (v2, neg2, _, then2) in itertools.combinations(conds, 2):
        same = v1.lemma_ == v2.lemma_ or (v2.lemma_ == "do" and not any(c.dep_ == "dobj" for c in v2.children))
        if same and neg1 != neg2 and len(then1) >= 2 and len(then2) >= 2:
            # the choice itself, as an act: "picking Rosa", "pushing back"
            rest = [x for c in v1.children if c.dep_ in {"dobj", "prt", "prep", "dative"} or (
                c.dep_ == "advmod" and c.lower_ in {"back", "out", "up", "down", "off", "ahead", "through"})
                for x in c.subtree]
            choice = " ".join([gerund(v1.lemma_.lower()), second_person(sorted(rest, key=lambda x: x.i))]).strip()
            add("contrast", [*cond1, *then1], v1.sent, anchor=choice if v1.lemma_ != "do" else _anchor_in(then2, doc),
                condition=_span_text(cond1), left=_span_text(then1), right=_span_text(then2),
                either="don't" if neg2 else "do")
            return


# "part of me wants to X, part of me doesn't want to Y": the PM's own two sides, whatever the
# parse makes of them (the small parser hung "part" on "20 min." in one message)
_PART = re.compile(r"\b(?:(?:a|one|another|the other) )?part of (?:me|us)\b", re.IGNORECASE)


def _parts(doc: Doc, add: Callable[..., None]) -> None:
    found = list(_PART.finditer(doc.text))
    if len(found) < 2:
        return
    first, second = found[0], found[1]
    end = re.search(r"[.!?;]", doc.text[second.end():])
    spans = [(first.end(), second.start()), (second.end(), second.end() + end.start() if end else len(doc.text))]
    sides = []
    for start, stop in spans:
        text = re.sub(r"[\s,;]*(?:\b(?:and|but|yet|while|whereas)\b)?[\s,;]*$", "", doc.text[start:stop])
        span = doc.char_span(start, start + len(text), alignment_mode="expand")
        if span is None or len(span) < 2:
            return
        sides.append(span)
    left, right = sides
    sentence = left.sent
    add("contrast", [x for x in doc if left.start <= x.i < right.end], sentence,
        anchor=_anchor_in(list(right), doc), left=_span_text(left), right=_span_text(right), parts="yes")


_PRONOUNS = {"i", "me", "you", "we", "us", "it", "they", "them", "he", "she", "him", "her",
             "this", "that", "what", "which", "who", "something", "anything", "everything",
             "nothing", "someone", "anyone", "everyone", "one", "those", "these", "there", "lot"}


def _anchor_in(tokens: Iterable[Token], doc: Doc) -> str | None:
    """The most contentful noun chunk among `tokens` (second person), if any."""
    ids = {t.i for t in tokens}
    best, best_score = None, 0.0
    for chunk in noun_phrases(doc):
        if chunk.root.i not in ids or chunk.root.lower_ in _PRONOUNS or is_self(chunk):
            continue
        score = sum(1 for t in chunk if is_content(t)) + (0.5 if chunk.root.pos_ == "PROPN" else 0)
        if score > best_score:
            best, best_score = _span_text(chunk), score
    return best


def candidate_anchors(doc: Doc, seen: set[str], limit: int = 6) -> list[str]:
    """Noun phrases of the latest message, new content first, as the coach would say them."""
    scored: list[tuple[float, int, str]] = []
    for chunk in noun_phrases(doc):
        root = chunk.root
        if root.lower_ in _PRONOUNS or root.pos_ == "PRON" or root.like_num and len(chunk) == 1 or is_self(chunk):
            continue
        tokens = list(chunk)
        # "a cut scope": a participle before the noun that the parser calls compound is a verb
        # read as a noun phrase; do not offer it.
        if any(t.tag_ in {"VBD", "VBN"} and t.dep_ == "compound" for t in tokens):
            continue
        text = _span_text(tokens)
        if tokens[0].lower_ in {"a", "an"}:  # "a plan" reads as "the plan" when said back
            text = "the " + text.split(" ", 1)[1]
        if len(text.split()) > 6 or len(text) < 3:
            continue
        lemmas = {t.lemma_.lower() for t in tokens if is_content(t)}
        if not lemmas:
            continue
        new = len(lemmas - seen)
        score = new * 2 + len(lemmas) + (1.5 if root.pos_ == "PROPN" else 0) + (
            1 if any(t.like_num for t in tokens) else 0
        )
        if text.lower().startswith("the ") is False and tokens[0].pos_ == "ADJ":
            score -= 0.5  # "biggest accounts" reads worse than "your biggest accounts"
        scored.append((score, -chunk.start, text))
    out: list[str] = []
    for _, _, text in sorted(scored, reverse=True):
        if text.lower() not in {o.lower() for o in out}:
            out.append(text)
    return out[:limit]


def update(state: ConversationState, message: str) -> ConversationState:
    """The state after `message`: a new object, the old one is left as it was."""
    doc = parse(message)
    turn = state.turns + 1
    seen = set(state.seen)
    lemmas = content_lemmas(doc)
    people = list(state.people)
    known = {p.name.lower() for p in people}
    new_people = []
    for person in _people(doc, turn):
        key = person.name.lower()
        if key not in known:
            people.append(person)
            known.add(key)
            new_people.append(person.name)
    facts = [*state.facts, *_facts(doc, turn)]
    vague = sorted({t.text.lower() for t in doc if t.lower_ in VAGUE and t.pos_ in {"ADJ", "NOUN", "ADV"}})
    return ConversationState(
        turns=turn,
        people=people,
        facts=facts,
        seen=sorted(seen | lemmas),
        new_words=sorted(lemmas - seen),
        new_people=new_people,
        anchors=candidate_anchors(doc, seen),
        vague=vague,
        latest=message,
    )


def replay(messages: list[str]) -> ConversationState:
    """The state after a whole saved conversation."""
    state = ConversationState()
    for message in messages:
        state = update(state, message)
    return state
