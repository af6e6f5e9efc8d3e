"""Checks of substance for Socratic conversations, independent of the run-time guard.

Each takes the user turns and the coach replies (their text, in order) and returns a
`SubstanceResult`. They use their own word lists and regular expressions, never the analyser,
the guard or the listening layer, so a bug there cannot hide here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PARROT_SHARE = 0.8

_STOP = set(["a", "an", "the", "and", "or", "but", "so", "if", "then", "than", "that", "this", "these", "those", "there", "here", "it", "its", "it's", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "have", "has", "had", "having", "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "you", "your", "yours", "he", "him", "his", "she", "her", "they", "them", "their", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "not", "no", "nor", "to", "of", "in", "on", "at", "by", "for", "with", "about", "from", "into", "over", "under", "again", "further", "once", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "only", "own", "same", "too", "very", "can", "will", "just", "should", "would", "could", "might", "may", "must", "shall", "also", "as", "up", "down", "out", "off", "until", "while", "because", "before", "after", "above", "below", "between", "through", "during", "yet", "still", "even", "really", "honestly", "basically", "actually", "like", "get", "got", "go", "going", "gone", "make", "made", "know", "knew", "think", "thought", "feel", "felt", "want", "wanted", "need", "needed", "say", "said", "tell", "told", "thing", "things", "lot", "bit", "way", "kind", "sort", "something", "anything", "everything", "nothing", "someone", "anyone", "everyone", "one", "ok", "okay", "yeah", "well", "right", "now", "new", "sure", "much", "many"])
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_SAME = {"my": "your", "our": "your", "i": "you", "me": "you", "we": "you", "us": "you"}
_SENT = re.compile(r"(?<=[.!?])\s+")  # within a line: sentences() splits lines first
# Verbs a coach's unasked advice opens with ("Take the debate out of standup ...").
_IMPERATIVES = (
    "try|consider|ask|agree|share|set|schedule|talk|start|decide|book|prepare|write|tell|make sure|"
    "focus|avoid|stop|don't|do not|take|give|put|move|bring|send|get|keep|pick|push|plan|draft|frame|"
    "reach out|loop|raise|escalate|cut|drop|delay|postpone|pause|ship|hold|wait|document|check|call|"
    "meet|email|invite|offer|propose|involve|pair|delegate|hire|block|skip|run|go|use|let them|list"
)
# Imperatives that invite the user to talk rather than tell them what to do.
_TALK_TO_ME = re.compile(r"^(?:tell me|walk me|talk me|help me|say more|let me|let's)\b", re.IGNORECASE)
_ADVICE = re.compile(
    rf"(?:^|[.!;]\s+|\d[.)]\s+)(?:first,?\s+)?(?:{_IMPERATIVES})\b|\byou should\b|\byou need to\b|"
    r"\byou (?:could|might want to|may want to|ought to|have to|must)\b|"
    r"\bit(?:'s| is| would be| might be| could be) (?:worth|best|wise|a good idea|better)\b|"
    r"\bi(?:'d| would) (?:recommend|suggest)\b|\bmy advice\b|\bhere are two ideas\b",
    re.IGNORECASE,
)
# A question that carries a solution: "Shouldn't you tell her today?", "Why not just ship it?"
_ADVICE_QUESTION = re.compile(
    r"^(?:shouldn't you|wouldn't it be (?:better|best|wise|easier)|why don't you|why not|how about|"
    r"what if you (?:just|tried|told|asked|moved|cut)|have you tried|could you just|can't you just)\b",
    re.IGNORECASE,
)
_INVITE = re.compile(
    r"^\s*/advice\b|\bwhat (?:would|should|do) (?:you|i) (?:do|suggest|recommend)\b|\btell me what to\b|"
    r"\bjust tell me\b|\b(?:any|your|some|give me(?: some)?) (?:advice|recommendations?|suggestions?|ideas|tips)\b|"
    r"\bhow (?:do|should|can|would) i\b|\bwhat can i do\b|"
    r"\bwhat(?:'s| is) your (?:advice|take|recommendation)\b|^\s*(?:yes|yeah|sure|please)\b",
    re.IGNORECASE,
)


_LEAD = re.compile(r"^(?:it sounds like|it seems(?: like)?|so|what i'm hearing is(?: that)?|"
                   r"you're saying(?: that)?|i hear that)\s+", re.IGNORECASE)


@dataclass
class SubstanceResult:
    score: float | None
    passed: bool
    detail: str
    counts: dict = field(default_factory=dict)


def words(text: str) -> list[str]:
    return [_SAME.get(w, w) for w in _WORD.findall(text.lower().replace("’", "'"))]


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in _STOP and len(w) > 2 and not w.isdigit()} | {
        w for w in words(text) if w.isdigit()
    }


def _stem(w: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


_POINT = re.compile(r"^\d+[.)]\s")
_MARKERS = re.compile(r"(?:\s*\[\d{1,3}\])+\s*$")


def sentences(text: str) -> list[str]:
    """Sentences of a reply; a numbered point ("1. For X, ask ... [1]") stays one unit, its
    citation markers dropped (split at "1." they were counted as reflections)."""
    body = text.split("*Drawing on")[0]
    out: list[str] = []
    for line in body.splitlines():
        line = _MARKERS.sub("", line.strip(" *"))
        if not line:
            continue
        if _POINT.match(line):
            out.append(line)
            continue
        out += [s.strip(" *") for s in _SENT.split(line) if s.strip(" *") and not _MARKERS.fullmatch(s)]
    return out


# "you're fairly sure that you could ship", "your sense is that you could ship", "your mentor
# thinks you should move": the user's claim or someone's view said back, not the coach's advice.
_REPORTED = re.compile(r"\b(?:sure|think|thinks|believe|believes|say|says|said|sees it|see it|sense is|according to "
                       r"[\w' ]{1,30}?)(?: that)?,?\s*$", re.IGNORECASE)


def _advises(s: str) -> bool:
    m = _ADVICE.search(s)
    if m is None:
        return False
    return not (m.group().lower().startswith("you") and _REPORTED.search(s[:m.start()]))


def coach_parts(reply: str) -> tuple[list[str], list[str], list[str]]:
    """(reflections, questions, advice sentences) of a reply, by their surface form."""
    reflections, questions, advice = [], [], []
    for s in sentences(reply):
        told = not _TALK_TO_ME.match(s) and (_advises(s) or _POINT.match(s))
        if s.endswith("?"):
            questions.append(s)
            # "Ask them: would you use it?" and "Shouldn't you tell her?" advise in a question.
            if _ADVICE_QUESTION.match(s) or (told and re.match(r"^[^?]{2,40}:\s", s)):
                advice.append(s)
        elif told:
            advice.append(s)
        elif not s.lower().startswith(("if a couple of ideas", "if you'd like", "you asked what")):
            reflections.append(s)
    return reflections, questions, advice


def new_words(user_turns: list[str], index: int) -> set[str]:
    """Content words of turn `index` that no earlier user turn used."""
    before = set()
    for t in user_turns[:index]:
        before |= {_stem(w) for w in content_words(t)}
    return {w for w in content_words(user_turns[index]) if _stem(w) not in before}


def uptake(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """Share of later turns (2nd on) whose reply's question or reflection uses a new word."""
    hits, total, misses = 0, 0, []
    for i in range(1, min(len(user_turns), len(replies))):
        fresh = {_stem(w) for w in new_words(user_turns, i)}
        if not fresh:
            continue
        total += 1
        refl, qs, _ = coach_parts(replies[i])
        said = {_stem(w) for s in (*refl, *qs) for w in content_words(s)}
        if fresh & said:
            hits += 1
        else:
            misses.append(f"turn {i + 1}")
    score = hits / total if total else None
    return SubstanceResult(score, score is None or score >= 0.85,
                           f"{hits}/{total} later turns taken up" + (f"; missed {', '.join(misses)}" if misses else ""),
                           {"hits": hits, "total": total})


def parroting(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """Share of reflection sentences that share >= 80% of their words with a user sentence."""
    user_sents = [s for t in user_turns for s in sentences(t) if len(words(s)) >= 3]
    total, copies, examples = 0, 0, []
    for reply in replies:
        refl, _, told = coach_parts(reply)
        # A copied sentence parrots whatever it opens with ("You need to hire two ..." reads as
        # advice), so advice-shaped sentences count too, but only when they copy: the share stays
        # one of reflections.
        for r, is_reflection in [*((r, True) for r in refl), *((r, False) for r in told)]:
            # A lead-in ("It sounds like") does not make a copied sentence a reflection.
            rw = set(words(_LEAD.sub("", r)))
            if len(rw) < 3:
                continue
            copied = any(len(rw & set(words(u))) / len(rw) >= PARROT_SHARE for u in user_sents)
            if is_reflection or copied:
                total += 1
            if copied:
                copies += 1
                examples.append(r[:80])
    score = copies / total if total else 0.0
    return SubstanceResult(score, score <= 0.10, f"{copies}/{total} reflections parrot a user sentence"
                           + (f": {examples[0]!r}" if examples else ""), {"copies": copies, "total": total})


# Leading questions: the answer is in the question (a negative opener, a tag, a feeling assumed).
_FEELINGS = (
    "angry|upset|frustrated|annoyed|hurt|disappointed|betrayed|worried|anxious|scared|afraid|"
    "stressed|embarrassed|furious|excited|happy|relieved|guilty|ashamed|overwhelmed|sad|jealous"
)
_LEADING = re.compile(
    r"^(?:don't|doesn't|didn't|isn't|aren't|wasn't|weren't|shouldn't|wouldn't|couldn't|can't|won't|"
    r"haven't|hasn't)\s+(?:you|it|that|this|they|he|she|there|we)\b"
    r"|,\s*(?:right|correct|yes|no|surely|isn't it|aren't they|don't you|didn't you|wasn't it|"
    r"wouldn't it|won't it|can't you|isn't that so)\s*\?$"
    r"|^(?:surely|obviously|clearly)\b|\b(?:don't |wouldn't )?you (?:agree|think) that\b"
    rf"|^how (?:{_FEELINGS}) (?:were|are|did|do|was|is|must)\b"
    # a solution inside a question pushes the answer too: "Why don't you raise it ...?"
    r"|^(?:why don't you|why not|how about|have you tried|what if you just|could you just)\b",
    re.IGNORECASE,
)
# Hypothetical questions (The Mom Test): a forecast of what someone would do, buy or choose.
# Verbs of buying and choosing only: "Who would you want in the room?" imagines, it does not forecast.
_ACTS = r"use(?! to\b)|buy|pay|switch|try|adopt|sign up|sign|recommend|prefer|choose|pick|upgrade|churn"
_HYPOTHETICAL = re.compile(
    r"\bhow likely\b|\bhow much would (?:you|they|customers|users|people) pay\b"
    rf"|\bwould (?:[a-z']+ ){{1,3}}?(?:ever |still |actually |really )?(?:{_ACTS})\b"
    rf"|\bwould (?:make|get|convince|push|lead|cause) (?:you|them|your \w+|customers|users|people)"
    rf"(?: to)? (?:{_ACTS})\b"
    r"|\bif (?:we|you|they|i) (?:built|build|had|added|add|made|offered|launched|shipped|gave|released)\b"
    r"[^?]*\bwould\b",
    re.IGNORECASE,
)


def leading(question: str) -> bool:
    """The question pushes an answer: "Don't you think ...", "..., right?", "How angry were you"."""
    return bool(_LEADING.search(question.strip()))


def hypothetical(question: str) -> bool:
    """The question asks for a forecast of behaviour: "Would your customers pay extra for it?"."""
    return bool(_HYPOTHETICAL.search(question))


_OPENERS = re.compile(r"^(?:what|how|why|which|who|whom|when|where|is|are|do|does|did|can|could|"
                      r"will|would|might|may|have|has|tell me|walk me)\b", re.IGNORECASE)
_BAD_ENDS = {"the", "a", "an", "your", "of", "about", "by", "to", "and", "or", "with", "my", "our"}


def grammar(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """Surface grammar of the questions: a question opener, no dangling word, no 'our/we',
    no nominalised verb ('a cut scope'), no 'X someone go of'."""
    total, bad, why = 0, 0, []
    for reply in replies:
        _, qs, _ = coach_parts(reply)
        for q in qs:
            total += 1
            w = words(q)
            problems = []
            if not _OPENERS.match(q):
                problems.append("opener")
            if w and w[-1] in _BAD_ENDS:
                problems.append("dangling")
            if re.search(r"\b(?:our|we|us)\b", q, re.IGNORECASE):
                problems.append("we/our")
            if re.search(r"\b(?:a|an) (?:cut|set|put|let|shut|split)\s+\w+", q, re.IGNORECASE):
                problems.append("nominalised verb")
            if re.search(r"\b\w+ing \w+ go of\b", q, re.IGNORECASE):
                problems.append("'go of'")
            if re.search(r"\babout (?:strategic|important|better|good|bad|ready)\?", q, re.IGNORECASE):
                problems.append("bare adjective")
            if re.search(r"^\w+ (?:could|might|would|will|can|does|do|did|should) (?:why|what|how|whether)\b",
                         q, re.IGNORECASE):
                problems.append("wh-clause as subject")  # "What could why you said no be?"
            if re.search(r"^what makes\b(?:(?!\b(?:matters?|feels?|seems?|sounds?|looks?)\b).)* so much to (?:you|them|him|her)\b",
                         q, re.IGNORECASE):
                problems.append("'make' without its verb")  # "What makes the board deck so much to you?"
            if len(w) > 30:
                problems.append("run-on")
            if problems:
                bad += 1
                why.append(f"{q[:60]!r}: {', '.join(problems)}")
    score = 1 - bad / total if total else None
    return SubstanceResult(score, bad == 0, f"{bad}/{total} questions malformed" + (f"; {why[0]}" if why else ""),
                           {"bad": bad, "total": total})


def advice_without_permission(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """Replies that advise although the user's turn did not invite it."""
    count, where = 0, []
    for i, (turn, reply) in enumerate(zip(user_turns, replies, strict=False)):
        _, _, advice = coach_parts(reply)
        if advice and not _INVITE.search(turn):
            count += 1
            where.append(f"turn {i + 1}: {advice[0][:60]!r}")
    return SubstanceResult(float(count), count == 0,
                           f"{count} replies advise uninvited" + (f"; {where[0]}" if where else ""),
                           {"count": count})


def advice_relevance(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """Share of advice points (numbered lines) that name a content word of the conversation."""
    said = {_stem(w) for t in user_turns for w in content_words(t)}
    total, grounded = 0, 0
    for turn, reply in zip(user_turns, replies, strict=False):
        if not _INVITE.search(turn):
            continue
        for line in reply.splitlines():
            if re.match(r"^\d+[.)]\s", line.strip()):
                total += 1
                if len({_stem(w) for w in content_words(line)} & said) >= 1:
                    grounded += 1
    score = grounded / total if total else None
    return SubstanceResult(score, score is None or score >= 0.9,
                           f"{grounded}/{total} advice points name the situation",
                           {"grounded": grounded, "total": total})


# Words a question is made of rather than about ("What do you mean by ...", "How might X
# describe ..."): the evals' own list, not the guard's.
_QUESTION_CRAFT = {"mean", "exactly", "assum", "tak", "grant", "evidence", "seen", "follow", "chang",
                   "matter", "describe", "see", "happen", "view", "look", "part", "make", "fit",
                   "differen", "expect", "hop", "plan", "worr", "concern", "reason", "first"}
MAX_NEW_IN_QUESTION = 1
# The hundred most frequent English verbs (a frequency list, COCA's, not words picked for our
# gold replies) and their irregular forms. A question's own verbs are how it asks ("What have
# you heard from ..."); what it asks about is carried by its nouns and adjectives, which is where
# a question wanders ("team morale and your hiring strategy").
_FRAME_VERB_LIST = """
be have do say go get make know think take see come want look use find give tell work call try
ask need feel become leave put mean keep let begin seem help talk turn start show hear play run
move like live believe hold bring happen write provide sit stand lose pay meet include continue
set learn change lead understand watch follow stop create speak read allow add spend grow open
walk win offer remember love consider appear buy wait serve die send expect build stay fall cut
reach kill remain suggest raise pass sell require report decide pull
said goes went gone got gotten made knew known thought took taken saw seen came gave given told felt
became left kept began begun heard held brought wrote written sat stood lost paid met learnt led
understood spoke spoken spent grew grown won bought fell fallen ran meant built sent sold
"""
_FRAME_VERBS = frozenset(_FRAME_VERB_LIST.split())


def _frame_verb(w: str) -> bool:
    """`w` is one of `_FRAME_VERBS` in any regular form (telling, stops, wanted, making, stopped)."""
    if w in _FRAME_VERBS:
        return True
    stem = _stem(w)
    undoubled = stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem
    return any(form in _FRAME_VERBS
               for form in (stem, stem + "e", undoubled, w.removesuffix("s"), w.removesuffix("d")))


def _craft(w: str) -> bool:
    return any(w.startswith(c) for c in _QUESTION_CRAFT)


def on_their_words(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """Share of questions that stay with what the user said: at most one content word that no
    user turn so far used (question words and the commonest verbs aside). "How does this impact your team's morale and
    productivity?" after "Our CEO announced the launch on stage" brings in three."""
    total, kept = 0, 0
    stray = ""  # the first question that strays, shown in the detail
    said: set[str] = set()

    def stems(text: str) -> dict[str, str]:
        return {_stem(w.removesuffix("'s")): w.removesuffix("'s") for w in content_words(text)}

    for turn, reply in zip(user_turns, replies, strict=False):
        said |= set(stems(turn))
        _, qs, _ = coach_parts(reply)
        for q in qs:
            total += 1
            brought = sorted(w for s, w in stems(q).items()
                             if s not in said and not _craft(w) and not _frame_verb(w))
            if len(brought) <= MAX_NEW_IN_QUESTION:
                kept += 1
            elif not stray:
                stray = f"{q[:60]!r} ({', '.join(brought[:4])})"
    score = kept / total if total else None
    return SubstanceResult(score, score is None or score >= 0.8,
                           f"{kept}/{total} questions stay with the user's words"
                           + (f"; e.g. {stray}" if stray else ""),
                           {"kept": kept, "total": total})


# double-sided frames count too: "either way something gives: if you don't ..., and if you do ..."
_COMPLEX = re.compile(r"\bon one hand\b|\band yet\b|\beither way\b.+\band if you\b|\bpart of you\b|\bon top of\b|\bsounds like you feel\b|"
                      r"\bmust-have\b|\bweigh|\byou're the one\b|\bless\b.+\bthan\b|\bwondering whether\b",
                      re.IGNORECASE)
# Feeling and meaning words: a reflection that brings one the user did not say adds meaning
# (MITI's complex reflection); saying back the user's own feeling word is simple.
_MEANING = ("feel", "sting", "frustrat", "worn", "tired", "exhaust", "torn", "worr", "afraid", "fear",
            "scare", "reliev", "proud", "stuck", "overwhelm", "anxious", "nervous", "embarrass",
            "guilt", "angry", "upset", "hurt", "disappoint", "dread", "pressur", "heavy", "doubt",
            "wonder", "hope", "care", "trust", "confiden", "lonely", "alone", "burden", "cost",
            "caught", "pulled", "pressing", "duty", "stake", "uneasy", "unsure", "fair")


def _adds_meaning(sentence: str, said_words: set[str]) -> bool:
    return any(w.startswith(_MEANING) and w not in said_words for w in words(sentence))


def miti_counts(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """MITI-style counts: reflections (simple/complex), questions, advice; passes at R:Q >= 1."""
    # Complex: a double-sided or "part of you" frame, or a feeling or meaning the user did not
    # put into words. (New content words alone are not enough: "So X and Y are part of the
    # picture now" adds words, not meaning; counting those over-counted complex 7 to 2.)
    said = {w for t in user_turns for w in words(t)}
    r = q = a = complex_ = 0
    for reply in replies:
        refl, qs, adv = coach_parts(reply)
        r += len(refl)
        q += len(qs)
        a += len(adv)
        for s in refl:
            if _COMPLEX.search(s) or _adds_meaning(s, said):
                complex_ += 1
    ratio = r / q if q else None
    counts = {"reflections": r, "complex": complex_, "questions": q, "advice": a,
              "r_to_q": round(ratio, 3) if ratio is not None else None,
              "complex_share": round(complex_ / r, 3) if r else 0.0}
    return SubstanceResult(ratio, ratio is None or ratio >= 1.0,
                           f"R:Q {ratio if ratio is None else round(ratio, 2)}; {complex_}/{r} complex", counts)


def complex_reflections(user_turns: list[str], replies: list[str]) -> SubstanceResult:
    """Share of reflections that are complex (MITI 4: >= 0.40 fair, >= 0.50 good)."""
    c = miti_counts(user_turns, replies).counts
    score = c["complex"] / c["reflections"] if c["reflections"] else None
    return SubstanceResult(score, score is None or score >= 0.3,
                           f"{c['complex']}/{c['reflections']} reflections complex",
                           {"complex": c["complex"], "reflections": c["reflections"]})


CHECKS = {
    "uptake": uptake,
    "parroting": parroting,
    "grammar": grammar,
    "advice_without_permission": advice_without_permission,
    "advice_relevance": advice_relevance,
    "miti_counts": miti_counts,
    "complex_reflections": complex_reflections,
    "on_their_words": on_their_words,
}
