"""The mentor's situation read as the mentee's: who the mentee is, what the core issue is, and
each other fact as a phrase in second person that a prompt can carry (spaCy, no model)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from companion.coaching.listening.nlp import parse
from companion.coaching.listening.state import FEELINGS, ROLE_WORDS
from companion.coaching.listening.words import content_lemmas, gerund, is_content

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_HE = {"he": "you", "him": "you", "his": "your", "himself": "yourself"}
_SHE = {"she": "you", "hers": "yours", "herself": "yourself"}
_THEY = {"they": "you", "them": "you", "their": "your", "theirs": "yours", "themselves": "yourself"}
# Verbs that report what the mentee said: the issue is what they said, not that they said it.
_REPORTING = {"say", "tell", "admit", "explain", "mention", "complain", "confess", "describe"}
# Clauses that give a reason or a concession are not part of the issue's name.
_CUT_MARKS = {"because", "since", "so", "although", "though", "while", "as", "whereas"}
_EMBEDDED = {"relcl", "acl", "advcl", "xcomp", "csubj", "pcomp", "amod", "prep", "pobj"}
# Words that say something is going wrong: such a clause weighs more as the core issue.
_TROUBLE = {"not", "no", "never", "stall", "miss", "reject", "freeze", "disagree", "struggle",
            "rewrite", "stop", "fail", "escalate", "overrule", "lose", "drop", "avoid", "fear",
            "yes", "every", "still", "without", "only", "instead"}
_FUNCTION_END = {"the", "a", "an", "your", "of", "to", "and", "or", "with", "for", "about", "by",
                 "from", "in", "on", "at", "that", "as", "than", "their", "her", "his", "my", "our",
                 "just", "but", "when", "if", "until", "before", "after", "because", "like"}


@dataclass
class Issue:
    """One thing the mentor said about the mentee, ready for a prompt."""

    phrase: str
    """A noun phrase in second person: "saying yes to every request from sales"."""
    kind: str
    """"core", "mentee" (something the mentee does), "other" (someone else's act), "feeling"."""
    words: set[str] = field(default_factory=set)
    """Its content lemmas (for relevance and personalisation)."""
    people: list[str] = field(default_factory=list)
    """Other people it names, in second person ("your engineers")."""

    @property
    def title(self) -> str:
        return _capital(shorten(self.phrase, 9))


@dataclass
class Reading:
    name: str
    """The mentee's name as the situation uses it ("" when it never names them)."""
    pronouns: dict[str, str]
    """The mentee's third-person pronouns and their second-person forms."""
    issues: list[Issue]
    """The core issue first, then the other facts in the mentor's order."""
    people: list[str]
    """Everyone else the situation names, in second person."""
    second_person: str
    """The whole situation as the mentor would say it to the mentee."""
    words: set[str]


def mentee_name(mentee: str, doc: Doc) -> str:
    head = mentee.split(",")[0].strip()
    first = head.split()[0] if head.split() else ""
    if first[:1].isupper() and first.lower() not in {"your", "my", "the", "a", "an", "our"}:
        return first
    for t in doc:
        if t.pos_ == "PROPN" and t.dep_ in {"nsubj", "nsubjpass"} and t.text[:1].isupper():
            return t.text
    return ""


def _pronouns(doc: Doc, name: str) -> dict[str, str]:
    # The pronoun that is the subject of a sentence's main verb continues its topic, which in a
    # mentor's note is the mentee ("Rohan and the lead disagree: she wants..., he wants...").
    score = {"he": 0.0, "she": 0.0, "they": 0.0}
    for t in doc:
        low = t.lower_
        if low in score and t.dep_ in {"nsubj", "nsubjpass"}:
            score[low] += 3 if t.head.dep_ == "ROOT" else 1
    best = max(score, key=lambda k: score[k])
    if score[best] == 0:
        return {}
    return {"he": _HE, "she": _SHE, "they": _THEY}[best] | ({"her": ""} if best == "she" else {})


class _Render:
    """Tokens to text in second person for the mentee (names, pronouns and verb agreement)."""

    def __init__(self, doc: Doc, name: str, pronouns: dict[str, str]) -> None:
        self.doc = doc
        self.name = name.lower()
        self.pronouns = pronouns
        self.mentee = {t.i for t in doc if self.is_mentee(t)}
        # "A new PM, six weeks in, who keeps saying yes ...": a note that is one noun phrase
        # describes the mentee, and its "who" is them (person test, 2026-12-05: no issue was read).
        self.mentee |= {t.i for t in doc if t.lower_ in {"who", "that"} and t.dep_ in {"nsubj", "nsubjpass"}
                        and t.head.dep_ == "relcl" and t.head.head.dep_ == "ROOT"
                        and t.head.head.pos_ in {"NOUN", "PROPN"} and t.head.head.sent.start == 0}

    def is_mentee(self, t: Token) -> bool:
        return (bool(self.name) and t.lower_ == self.name) or t.lower_ in self.pronouns

    def subject(self, verb: Token) -> Token | None:
        subj = next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        if subj is None and verb.dep_ in {"aux", "auxpass"}:
            return self.subject(verb.head)
        if subj is None and verb.dep_ == "conj" and verb.head.pos_ in {"VERB", "AUX"}:
            return self.subject(verb.head)
        return subj

    def word(self, t: Token) -> str:
        low = t.lower_
        if t.i in self.mentee and low in {"who", "that"}:
            return t.text
        if t.i in self.mentee:
            if low == "her":
                return "your" if t.dep_ == "poss" else "you"
            if low == self.name:
                nxt = self.doc[t.i + 1] if t.i + 1 < len(self.doc) else None
                return "your" if nxt is not None and nxt.tag_ == "POS" else "you"
            return self.pronouns[low]
        if t.tag_ == "POS" and t.i > 0 and t.i - 1 in self.mentee:
            return ""
        if t.tag_ == "VBZ":
            subj = self.subject(t)
            if subj is not None and subj.i in self.mentee and subj.lower_ not in {"who", "that"} and not any(
                c.dep_ == "conj" for c in subj.children
            ):
                return {"is": "are", "has": "have", "does": "do", "'s": "'re"}.get(low, t.lemma_)
        if low == "was":
            subj = self.subject(t)
            if subj is not None and subj.i in self.mentee and subj.lower_ not in {"who", "that"}:
                return "were"
        return t.text

    def text(self, tokens: Iterable[Token], swap: dict[int, str] | None = None) -> str:
        out = []
        for t in tokens:
            w = swap[t.i] if swap and t.i in swap else self.word(t)
            if w:
                out.append(w + t.whitespace_)
            elif out:
                out[-1] = out[-1].rstrip() + t.whitespace_
        return re.sub(r"\s+", " ", "".join(out)).strip()


def _clause_heads(sent: Span, render: _Render) -> list[Token]:
    """Finite clauses of a sentence, main clauses and the ones joined to them, in order."""
    heads = []
    for t in sent:
        if t.pos_ not in {"VERB", "AUX"} or t.dep_ in {"aux", "auxpass"}:
            continue
        subj = next((c for c in t.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        if subj is None and t.dep_ == "conj" and t.head.dep_ == "relcl":
            subj = render.subject(t)  # "who keeps saying yes ... and is now behind": theirs too
        if subj is None:
            continue
        if t.dep_ == "ROOT" or t.dep_ in {"conj", "parataxis"} or (t.dep_ == "relcl" and subj.i in render.mentee) or (
            t.dep_ == "ccomp" and (t.i < t.head.i or (
                t.head.lemma_ in _REPORTING and (s := render.subject(t.head)) is not None
                and s.i in render.mentee))
        ):
            heads.append(t)
    return heads


def _phrase(head: Token, heads: list[Token], render: _Render) -> tuple[str, str] | None:
    """(noun phrase, kind) for the clause headed by `head`."""
    subj = render.subject(head)
    if subj is None:
        return None
    # "She says she freezes...": the issue is what she said.
    inner = next((c for c in head.children if c.dep_ == "ccomp" and c in heads), None)
    if head.lemma_ in _REPORTING and inner is not None and subj.i in render.mentee:
        return None
    skip: set[int] = set()
    for c in head.children:
        if c in heads and c is not head:
            skip |= {x.i for x in c.subtree}
        if c.dep_ == "advcl" and any(m.lower_ in _CUT_MARKS for m in c.children if m.dep_ == "mark"):
            skip |= {x.i for x in c.subtree}
        if c.dep_ == "cc" and any(x.dep_ == "conj" and x in heads for x in head.children):
            skip.add(c.i)
        if c.dep_ == "punct" and c.text == "(":
            close = next((x.i for x in head.sent if x.i > c.i and x.text == ")"), head.sent.end - 1)
            skip |= set(range(c.i, close + 1))
            continue
        if c.dep_ == "parataxis" or (c.dep_ == "punct" and c.i > head.i and c.text in ";:—-"):
            skip |= {x.i for x in c.subtree} if c.dep_ == "parataxis" else set(
                range(c.i, head.sent.end)
            )
    subj_ids = {x.i for x in subj.subtree}
    mentee_subject = subj.i in render.mentee and not any(c.dep_ == "conj" for c in subj.children)
    # "Rohan and the design lead disagree": the mentee is part of it, the phrase keeps both.
    shared = not mentee_subject and any(
        x.i in render.mentee and (x.i == subj.i or x.dep_ == "conj") for x in subj.subtree)
    aux = [c for c in head.children if c.dep_ in {"aux", "auxpass", "neg"}]
    negated = any(c.dep_ == "neg" for c in aux)
    if subj.lower_ in {"i", "we"} or (subj.pos_ in {"PRON", "NUM"} and not mentee_subject
                                       and subj.lower_ not in {"everyone", "nobody"}):
        return None  # the mentor's own clauses, or "she"/"two of them" with no name to carry
    own = {c.i for c in aux}
    rest = [x for x in head.subtree
            if x.i > head.i and x.i not in skip and x.i not in subj_ids and x.i not in own]
    swap: dict[int, str] = {}
    for c in head.children:
        # "sleeping badly and feels like...": a verb sharing the subject is a gerund too.
        if c.dep_ == "conj" and c.pos_ == "VERB" and c not in heads and c.i not in skip:
            swap[c.i] = gerund(c.lemma_.lower())
            for a in c.children:
                if a.dep_ in {"aux", "auxpass"}:
                    swap[a.i] = ""
    before = [x for x in head.subtree if x.i < head.i and x.i not in skip and x.i not in subj_ids
              and x.dep_ not in {"aux", "auxpass", "neg", "punct", "mark", "cc"}]
    # "In the first session she asked...": the setting goes after the verb phrase.
    moved = [x for x in before if any(a.dep_ == "prep" and a.head == head for a in [x, *x.ancestors])]
    # "still", "also", "mostly": true, but a prompt that opens the fact with them reads badly.
    before = [x for x in before if x not in moved and not (
        x.dep_ == "advmod" and x.lower_ in {"still", "also", "mostly", "just", "already", "even"})]
    if moved and moved[0].is_sent_start:
        swap[moved[0].i] = moved[0].text.lower()
    rest = [x for x in rest if not (x.is_punct and x.i == head.sent.end - 1)]
    passive = any(c.dep_ == "auxpass" for c in aux)
    perfect = any(c.lemma_ == "have" and c.dep_ == "aux" for c in aux) and mentee_subject
    then = next((c for c in head.children if c.dep_ == "xcomp" and c.tag_ == "VBG"), None)
    unable = negated and any(c.lower_ in {"can", "could", "ca"} for c in aux)
    if unable:
        verb = "being able to " + head.lemma_  # "cannot stop" -> "not being able to stop"
    elif head.lemma_ in {"start", "begin", "keep"} and then is not None:
        verb = ""  # "have started going to the tech lead": the going is the fact
    elif perfect and head.tag_ == "VBN":
        verb = "having " + head.text
    elif head.lemma_ == "be":
        verb = "being"
    elif passive:
        verb = "being " + head.text
    elif head.tag_ == "VBG":
        verb = head.text
    else:
        verb = gerund(head.lemma_.lower())
    words = [*(["not"] if negated else []), render.text(before), verb, render.text(rest, swap), render.text(moved, swap)]
    body = " ".join(w for w in words if w).strip().rstrip(",;:.")
    body = body + '"' if body.count('"') % 2 else body
    body = re.sub(r"^being (?:now|still|also|just|already) ", "being ", body)  # "being now behind"
    if mentee_subject:
        return body, "mentee"
    who = render.text([x for x in subj.subtree if not x.is_punct])
    if who.lower() in {"it", "this", "that", "there", "which", "who"}:
        return None
    if who.split()[0] in {"The", "Their", "Your", "Her", "His", "A", "An"}:
        who = who[0].lower() + who[1:]  # it goes mid-sentence in a prompt
    return f"{who} {body}", "shared" if shared else "other"


def read(situation: str, mentee: str = "") -> Reading:
    """The situation in the mentee's second person, its issues with the core one first."""
    text = " ".join(situation.split())
    doc = parse(text)
    name = mentee_name(mentee, doc)
    pronouns = _pronouns(doc, name)
    render = _Render(doc, name, pronouns)
    people = _others(doc, render)
    issues: list[Issue] = []
    scored: list[tuple[float, int]] = []
    for sent in doc.sents:
        heads = _clause_heads(sent, render)
        for head in heads:
            got = _phrase(head, heads, render)
            if got is None:
                continue
            phrase, kind = got
            tokens = parse(phrase)
            words = content_lemmas(tokens)
            if len(words) < 2 or len(phrase.split()) < 3:
                continue
            if any(len(words & i.words) >= max(2, len(words) - 1) for i in issues):
                continue  # says again what an earlier clause said
            if {t.lemma_.lower() for t in tokens} & FEELINGS:
                kind = "feeling" if kind == "mentee" else kind
            named = [p for p in people if p.lower() in phrase.lower()]
            issues.append(Issue(phrase=shorten(phrase, 16), kind=kind, words=words, people=named))
            lemmas = {t.lemma_.lower() for t in tokens} | {t.lower_ for t in tokens}
            weight = {"mentee": 3.0, "shared": 3.0, "feeling": 2.5, "other": 1.0}[kind]
            weight += 1.0 if lemmas & _TROUBLE else 0.0
            weight += max(0.0, 1.5 - 0.75 * len(scored))  # the mentor names the problem first
            if any(t.pos_ == "NUM" for t in tokens) and kind == "mentee" and not lemmas & _TROUBLE:
                weight -= 1.5  # "has interviewed nine candidates": context, not the issue
            scored.append((weight, len(issues) - 1))
    if not issues and (fragment := _fragment(doc, render)) is not None:
        issues.append(fragment)
        scored.append((1.0, 0))
    if scored:
        best = max(scored, key=lambda s: (s[0], -s[1]))[1]
        core = issues.pop(best)
        core.kind = "core"
        issues.insert(0, core)
    return Reading(
        name=name, pronouns=pronouns, issues=issues, people=people,
        second_person=render.text(list(doc)), words=content_lemmas(doc),
    )


def _fragment(doc: Doc, render: _Render) -> Issue | None:
    """A note with no clause ("Asked to lead pricing for the first time") as one issue."""
    sent = next(iter(doc.sents), None)
    if sent is None or len(sent) < 3:
        return None
    first, rest = sent[0], [t for t in sent[1:] if not (t.is_punct and t.i == sent.end - 1)]
    if first.tag_ == "VBN":
        phrase = f"being {first.lower_} {render.text(rest)}"
    elif first.tag_ == "VBG":
        phrase = f"{first.lower_} {render.text(rest)}"
    elif first.tag_ == "VB":
        phrase = f"{gerund(first.lemma_.lower())} {render.text(rest)}"
    else:
        return None
    words = content_lemmas(parse(phrase))
    return Issue(phrase=shorten(phrase, 16), kind="mentee", words=words) if len(words) >= 2 else None


def _others(doc: Doc, render: _Render) -> list[str]:
    """People other than the mentee, as noun phrases in second person ("your director")."""
    out: list[str] = []
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.i in render.mentee or any(t.i in render.mentee and t.dep_ != "poss" for t in chunk):
            continue
        is_role = root.lemma_.lower() in ROLE_WORDS or root.lower_ in ROLE_WORDS
        is_name = root.pos_ == "PROPN" and root.ent_type_ == "PERSON"
        if not (is_role or is_name) or root.lower_ in {"team", "user", "users"}:
            continue
        if any(t.like_num for t in chunk) or (len(chunk) == 1 and not is_name and root.lower_ != "sales"):
            continue  # "nine candidates", a bare "PM": not someone who could give a view
        tokens = [t for t in chunk if t.dep_ not in {"det"} or t.lower_ in {"the", "every"}]
        text = render.text(tokens)
        if text and len(text.split()) <= 4 and text.lower() not in {o.lower() for o in out}:
            out.append(text)
    return out


def _trim(phrase: str) -> str:
    words = phrase.split()
    while words and (words[-1].lower().strip(",;:.") in _FUNCTION_END or not words[-1].strip(",;:.")):
        words.pop()
    text = " ".join(words).rstrip(",;:.")
    return text + '"' if text.count('"') % 2 else text


def shorten(phrase: str, n: int) -> str:
    """At most `n` words, cut only after a noun that ends its phrase ("a list of promises"),
    never inside quotes or brackets: a cut elsewhere leaves "with dates you?"."""
    if len(phrase.split()) <= n:
        return phrase
    doc = parse(phrase)
    for k in range(min(len(doc), n + 2), 2, -1):
        last, nxt = doc[k - 1], doc[k] if k < len(doc) else None
        head = doc[:k].text
        if len(head.split()) > n or last.pos_ not in {"NOUN", "PROPN", "NUM"} or last.dep_ in {
            "compound", "nummod", "amod", "poss"
        }:
            continue
        if nxt is not None and (nxt.tag_ == "POS" or nxt.dep_ in {"compound", "case", "nummod"}
                                or nxt.head.i == last.i and nxt.dep_ in {"amod", "poss"}):
            continue
        if head.count('"') % 2 or head.count("(") != head.count(")"):
            continue
        return head
    return phrase


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def content_words(text: str) -> set[str]:
    """Content lemmas of any text (a prompt, a passage)."""
    return {t.lemma_.lower() for t in parse(text) if is_content(t)}
