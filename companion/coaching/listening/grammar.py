"""Does a question parse as a grammatical English question to the PM? (spaCy, and one pattern
for what it parses wrongly: a wh-clause as the subject)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from companion.coaching.listening.nlp import parse

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_WH = {"what", "how", "why", "which", "who", "whom", "whose", "when", "where"}
_AUX = {"is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would",
        "might", "may", "has", "have", "had", "should", "shall"}
_DANGLING = {"the", "a", "an", "your", "my", "our", "their", "his", "her", "its", "of", "about",
             "by", "to", "and", "or", "with", "that"}
_NOMINAL = {"NOUN", "PROPN", "PRON", "NUM"}
# Verbs that take "of" directly ("think of", "consist of", "approve of", "let go of").
_OF_VERBS = {"think", "consist", "approve", "dream", "hear", "speak", "know", "remind", "accuse",
             "rid", "go", "die", "smell", "tire", "despair", "disapprove", "beware", "convince"}


_MAKE_WITHOUT_VERB = re.compile(
    r"^what makes\b(?:(?!\b(?:matters?|feels?|seems?|sounds?|looks?|important|hard|worth)\b).)* "
    r"so much to (?:you|them|him|her)\b", re.IGNORECASE)


def grammar_problems(question: str, user_text: str = "") -> list[str]:
    """Why `question` is not a well-formed question to "you" ([] when it is).

    `user_text` lets the check see a verb phrase of the PM's ("cut scope") turned into a
    noun phrase ("a cut scope"), which parses but reads wrong."""
    q = " ".join(question.split())
    if not q.endswith("?"):
        return ["does not end with a question mark"]
    doc = parse(q)
    problems: list[str] = []
    sents = list(doc.sents)
    if len([s for s in sents if s.text.strip().endswith("?")]) > 1:
        problems.append("more than one question")
    if re.match(r"^\w+ (?:could|might|would|will|can|does|do|did|should) (?:why|what|how|whether|who)\b", q, re.I):
        # qwen2.5-0.5b, 2026-12-05: "What could why you said no be?": a wh-clause as the subject
        problems.append("a wh-clause stands where the subject should be")
    if _MAKE_WITHOUT_VERB.search(q):
        # qwen2.5-0.5b, 2026-12-05, in 4 of its 61 questions: "What makes the board deck so much
        # to you right now?", the stem's "matter" dropped; the parse takes "much" for the verb's complement
        problems.append("'makes' lacks its verb (what it makes the thing do or be)")
    root = next((t for t in doc if t.dep_ == "ROOT"), doc[0])
    if _ONLY_BE.match(q) and root.lemma_.lower() == "be" and not _be_has_complement(root):
        # qwen2.5-0.5b, 2026-12-05: "What could the payments integration be?", the implications
        # stem "What could X ..." finished with "be": it asks what the PM's own thing is
        problems.append("asks only what it could be")
    first = doc[0].lower_
    if first not in _WH and first not in _AUX and doc[0].lemma_.lower() not in {"tell", "walk"}:
        problems.append(f"does not open like a question ({doc[0].text!r})")
    if root.pos_ not in {"VERB", "AUX"} and not _verb_with_pronoun_subject(doc):
        problems.append(f"no main verb (the parse's root is {root.pos_.lower()} {root.text!r})")
    if _CUT_COUNT.search(q):
        # the 0.5B at its tail's length limit, 2026-12-05: "... when comparing spreadsheets in the last 3?"
        problems.append("a count with nothing counted")
    if _CUT_WORD.search(q) or "!" in q:  # "plan B?" is a name, "e?" a cut
        # the 0.5B's JTBD probes with no full stop allowed, 2026-12-05: "... to handle payroll,
        # e?" (its "e.g." cut) and "... project last!?"
        problems.append("ends on a cut word")
    if _CUT_CLAUSE.search(q):
        # "..., how did you?": a question begun and broken off
        problems.append("a clause broken off after its subject")
    if len(doc) > 1 and doc[-2].is_punct and doc[-2].text in {",", ";", ":", "-"}:
        problems.append(f"ends on {doc[-2].text!r}")  # "... in the future, or,?"
    words_ = [t for t in doc[:-1] if not t.is_punct]
    last = words_[-1] if words_ else doc[0]
    if last.pos_ in {"DET", "ADP", "CCONJ", "SCONJ", "PART"} or last.tag_ == "PRP$" or (
        last.lower_ in _DANGLING
    ):
        problems.append(f"ends on {last.text!r}")
    for t in doc:
        if t.dep_ == "prep" and t.lower_ not in {"for", "to"} | {"like"}:
            objs = [c for c in t.children if c.dep_ in {"pobj", "pcomp"}]
            if not objs and t.i + 1 < len(doc) and doc[t.i + 1].is_punct:
                problems.append(f"{t.text!r} has nothing after it")
        if t.dep_ == "pobj" and t.pos_ == "ADJ" and t.lower_ != "own":  # "on your own" is whole
            problems.append(f"the object of {t.head.text!r} is a bare adjective ({t.text!r})")
        if t.lower_ == "of" and t.dep_ == "prep" and t.head.pos_ == "VERB":
            head = t.head
            let_go = head.lemma_.lower() == "let" and any(c.lower_ == "go" for c in head.children)
            if not let_go and (head.lemma_.lower() not in _OF_VERBS or any(
                c.dep_ in {"nsubj", "dobj"} and c.i < t.i for c in head.children
            )):
                problems.append(f"'{head.text} ... of' does not fit together")
        if (t.tag_ in {"VBD", "VBN"} and t.dep_ in {"compound", "amod"} and t.head.pos_ == "NOUN"
                and _was_verb_of(t, user_text)):
            problems.append(f"turns the verb phrase '{t.text} {t.head.text}' into a noun phrase")
        if t.lower_ in {"yet", "still"} and t.i == len(doc) - 2 and not (
            t.head.pos_ in {"VERB", "AUX"}
            and any(c.dep_ == "neg" or c.lemma_ == "have" and c.dep_ == "aux" for c in t.head.children)
        ):
            problems.append(f"{t.text!r} has nothing to attach to")  # "...about those accounts yet?"
        if t.lower_ in {"our", "we", "us", "ours"}:
            problems.append("speaks as 'we/our', not to 'you'")
    if user_text:
        problems += _lost_governor(doc, user_text)
    if user_text and doc[0].lower_ == "what":
        for t in doc:
            if t.tag_ == "JJ" and t.dep_ == "compound" and _was_verb_of(t, user_text):
                problems.append(f"turns the verb phrase '{t.text} {t.head.text}' into a noun phrase")
    return list(dict.fromkeys(problems))


_CUT_WORD = re.compile(r"(?:^|[\s,])[b-hj-z]\?$")
_CUT_COUNT = re.compile(r"\b(?:the|last|past|next|first) (?:\d+|two|three|four|five|six|few)\?$", re.IGNORECASE)
_CUT_CLAUSE = re.compile(r"[,;] (?:how|what|why|when|where|who|which) (?:did|do|does|was|were|is|are|had|has|have|"
                         r"could|would|will|can|might) (?:you|they|it|we|he|she|i)\?$", re.IGNORECASE)
_ONLY_BE = re.compile(r"^(?:what|who) (?:could|might|would|will|may|can|should) .+ be\b", re.IGNORECASE)


def _be_has_complement(root: Token) -> bool:
    """"What could X be worth to the team?" asks something; "What could X be?" does not, nor
    does "What could X be for you?" (the same model's next draft)."""
    for c in root.children:
        if c.dep_ in {"attr", "aux", "nsubj", "punct", "advmod"}:
            continue
        if c.dep_ == "prep" and c.lower_ == "for" and all(o.pos_ == "PRON" for o in c.children):
            continue
        return True
    return False


def _lost_governor(doc: Doc, user_text: str) -> list[str]:
    """The PM's "my director wants the launch to land" cut to "the launch to land" inside a
    question ("How would your director feel about the launch to land?", qwen2.5-0.5b,
    2026-12-05): a clause with its own subject, without the verb it hangs on."""
    q = [w.lower() for w in re.findall(r"[\w'-]+", doc.text)]
    have = {t.lemma_.lower() for t in doc}
    out = []
    for verb in parse(user_text):
        subject = next((c for c in verb.children if c.dep_ == "nsubj" and c.i < verb.i), None)
        to = next((c for c in verb.children if c.lower_ == "to" and c.dep_ == "aux"), None)
        governor = verb.head
        if subject is None or to is None or governor is verb or governor.lemma_.lower() in have:
            continue
        at = [i for i in range(len(q) - 2) if q[i : i + 3] == [subject.lower_, "to", verb.lower_]]
        # "for the launch to land" has its own governor: "What would it take for the launch to land?"
        if any("for" not in q[max(0, i - 3) : i] for i in at):
            out.append(f"'{subject.text} to {verb.text}' has lost the verb it hangs on ('{governor.text}')")
    return out


def _verb_with_pronoun_subject(doc: Doc) -> bool:
    """The small parser misreads some subjects ("your skip-level react"): the same question
    with its subject replaced by "they" parses with a verb at the root when it is fine."""
    if len(doc) < 3 or doc[1].lower_ not in _AUX:
        return False
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.i <= 2 or root.pos_ != "NOUN":
        return False
    if not any(not c.is_punct for c in root.rights):
        return False  # "What might the team?": nothing follows the supposed verb
    variant = parse(" ".join([doc[:2].text, "they", doc[root.i :].text]))
    root = next((t for t in variant if t.dep_ == "ROOT"), variant[0])
    return root.pos_ in {"VERB", "AUX"}


def _was_verb_of(token: Token, user_text: str) -> bool:
    """True when the PM used `token` as a verb with `token.head` as its object."""
    if not user_text:
        return False
    for t in parse(user_text):
        if t.lower_ == token.lower_ and t.pos_ == "VERB" and any(
            c.lemma_.lower() == token.head.lemma_.lower() for c in t.children
        ):
            return True
    return False
