"""A fast, rule-based analyser for coaching questions (stdlib ``re`` + pydantic only).

It is the run-time guard's instrument: the guard uses it to reject a coach reply that gives advice
in a Socratic turn or asks closed or leading questions. The evals code replies with the learned
analyser in ``companion.coaching.questions`` instead, so a reply the guard let through can still
fail an eval (``python -m companion.coaching.analyser_report`` scores both). No model is called; every decision comes from the rules below, tuned on hand labels in
``evals/labels/`` (see its README for the splits and the measured numbers: form, leading,
hypothetical and advice generalise well to unseen wording; the Socratic type is right about 70%
of the time on wording the rules were not tuned on, so treat type counts as approximate).

Definitions (applied the same way by the rules and by the hand labels):

form
    ``closed``: answerable with yes/no or by picking from options the question supplies. Starts
    with an auxiliary ("Is...", "Do you...", "Can...", "Have you...", "Did...", "Will..."), is a
    statement with a tag ("..., right?", "..., don't they?"), a declarative with a question mark
    ("So you mean the design review?"), a choice ("Is it A or B?", "Which matters more, A or B?")
    or a proposal ("What if you just told him?", "How about...?").
    ``open``: cannot be answered by yes/no: what/how/why/when/where/who/which questions and
    requests for a story ("Tell me about...", "Walk me through...", "Describe..."). Polite
    requests such as "Can you give me an example?" or "Could you walk me through it?" are open,
    because they invite a description, not a yes. Short factual wh-questions ("How often...?")
    still count as open. ``none``: the text holds no question.
leading
    The question presupposes or pushes an answer: negative openers ("Don't you think...",
    "Wouldn't it be better...", "Isn't it true...", "Shouldn't you..."), confirmation tags
    ("..., right?"), "Surely...", appeals to agreement ("You'd agree..."), loaded wording
    ("How frustrating was it...", "this terrible process") and advice disguised as a question
    ("Have you considered firing him?", "Why don't you just...", "What if you just...",
    "Would it make sense to...").
hypothetical
    The question asks someone to predict their own future behaviour, preferences or willingness,
    or to react to an imagined product, which The Mom Test warns gives unreliable answers:
    "Would you use/buy/pay/switch/recommend...", "If we built X, would you...", "How much would
    you pay", "Will you...", "How likely are you to...", "What would you do if...", "What would
    make you upgrade?", "What would your ideal version do?". Questions about consequences
    ("What might happen if you delay the launch?", "What would it mean for the team?") are
    ``implications`` and not hypothetical; "would you" used for description or politeness
    ("How would you describe...", "What would you like to focus on?") is not hypothetical either.
socratic_type (Paul & Elder; ``None`` when the text is not a question)
    ``clarity``: meaning, definitions, examples, specifics, "tell me more", what happened.
    ``assumptions``: what is assumed or taken for granted, what would have to be true, beliefs,
    and presupposing claims ("Isn't it true that...").
    ``reasons_evidence``: why, how do you know, evidence, data, what made/led you to.
    ``alternate_viewpoints``: how someone else sees it, other options, alternatives, counter-views.
    ``implications``: consequences, effects, risks, costs, what happens if, what changed.
    ``other``: questions about the question or the session, agenda and small talk, feelings,
    advice disguised as a question, and customer opinion/prediction questions.

The rules look for the first matching cue in a fixed priority order (see ``_classify``), so a
question such as "Why are we assuming...?" is ``assumptions`` and not ``reasons_evidence``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

__all__ = [
    "ALL_TYPES",
    "SOCRATIC_TYPES",
    "QuestionAnalysis",
    "advice_spans",
    "analyse",
    "is_good_open_question",
    "sentences",
    "split_questions",
]

SocraticType = Literal[
    "clarity", "assumptions", "reasons_evidence", "alternate_viewpoints", "implications", "other"
]
SOCRATIC_TYPES: tuple[str, ...] = (
    "clarity",
    "assumptions",
    "reasons_evidence",
    "alternate_viewpoints",
    "implications",
)
ALL_TYPES: tuple[str, ...] = (*SOCRATIC_TYPES, "other")


class QuestionAnalysis(BaseModel):
    text: str
    is_question: bool
    form: Literal["open", "closed", "none"]
    socratic_type: SocraticType | None
    leading: bool
    hypothetical: bool


def is_good_open_question(a: QuestionAnalysis) -> bool:
    """The kind of question a coach (or an interviewer) should ask: open, neutral, about reality."""
    return a.is_question and a.form == "open" and not a.leading and not a.hypothetical


# ---------------------------------------------------------------------------------------------
# Normalisation and sentence splitting
# ---------------------------------------------------------------------------------------------

_ABBREVIATIONS = re.compile(
    r"\b(e\.g|i\.e|etc|vs|cf|approx|incl|esp|mr|mrs|ms|dr|prof|a\.k\.a|u\.s|u\.k)\.",
    re.IGNORECASE,
)
_DOT = "\u2024"  # one-dot leader: stands in for protected full stops
_LIST_MARKER = re.compile(
    r"^\s*(?:>\s*)*(?:#{1,6}\s+)?(?:[-*+\u2022\u2013]\s+|\(?\d{1,3}[.)]\s+|\(?[a-z][.)]\s+(?=[A-Z]))?"
)
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_TYPOS = {
    "u": "you",
    "ur": "your",
    "wat": "what",
    "wht": "what",
    "whta": "what",
    "waht": "what",
    "whats": "what's",
    "wats": "what's",
    "hows": "how's",
    "hw": "how",
    "whys": "why's",
    "wher": "where",
    "whre": "where",
    "wen": "when",
    "whos": "who's",
    "thats": "that's",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "couldnt": "couldn't",
    "cant": "can't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "youre": "you're",
    "youd": "you'd",
    "youve": "you've",
    "im": "i'm",
    "ive": "i've",
    "lets": "let's",
    "pls": "please",
    "plz": "please",
    "teh": "the",
    "yuo": "you",
    "yo": "you",
    "abt": "about",
    "bc": "because",
    "cuz": "because",
    "wanna": "want to",
    "gonna": "going to",
}
_TYPO_RE = re.compile(r"\b(" + "|".join(map(re.escape, _TYPOS)) + r")\b")
_FILLER = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|also|then|now|hmm+|right|alright|honestly|frankly|"
    r"basically|personally|first|firstly|second|secondly|next|finally|lastly|plus|anyway|"
    r"out of curiosity|quick question|one more thing|one last thing|just curious|great|good|"
    r"thanks|thank you|i see|got it|sure|yes|yeah|no|oh|ah)\b[,.:;!\-\u2014 ]*)+"
)


def _norm(text: str) -> str:
    """Lower-case, straight apostrophes, no quotes or Markdown emphasis, common typos fixed."""
    t = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", " ")
        .replace("\u201d", " ")
    )
    t = _EMPHASIS.sub("", t).replace('"', " ").lower()
    t = re.sub(r"(^|\s)'|'(\s|[?.!,]|$)", r"\1 \2", t)  # quote marks, not apostrophes
    t = _TYPO_RE.sub(lambda m: _TYPOS[m.group(1)], t)
    return re.sub(r"\s+", " ", t).strip()


def _strip_fillers(n: str) -> str:
    return _FILLER.sub("", n).strip()


def _blocks(text: str) -> list[str]:
    """Paragraphs and list items; wrapped lines of one paragraph are joined."""
    blocks: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if current:
                blocks.append(" ".join(current))
                current = []
            continue
        marker = _LIST_MARKER.match(raw)
        is_item = bool(marker and marker.group(0).strip())
        if is_item and current:
            blocks.append(" ".join(current))
            current = []
        current.append(raw[marker.end() :].strip() if marker and is_item else line)
    if current:
        blocks.append(" ".join(current))
    return blocks


_CLOSERS = "\"'\u201d\u2019)]*_"


def _split_block(block: str) -> list[str]:
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0)[:-1].replace(".", _DOT) + _DOT, block)
    use_quotes = protected.count('"') % 2 == 0
    out: list[str] = []
    start = 0
    in_quote = False
    i = 0
    n = len(protected)
    while i < n:
        ch = protected[i]
        if ch == '"' and use_quotes:
            in_quote = not in_quote
        elif ch == "\u201c":
            in_quote = True
        elif ch == "\u201d":
            in_quote = False
        elif ch in ".?!\u2026" and not in_quote:
            j = i + 1
            while j < n and protected[j] in ".?!\u2026":
                j += 1
            while j < n and protected[j] in _CLOSERS:
                j += 1
            if j >= n or protected[j].isspace():
                prev = protected[i - 1] if i else ""
                # "3. ", "a. " list numbering inside a line are not sentence ends
                if not (
                    ch == "."
                    and prev.isdigit()
                    and (i - 1 == start or not protected[i - 2].isalnum())
                ):
                    out.append(protected[start:j])
                    start = j
                i = j
                continue
        i += 1
    out.append(protected[start:])
    result = []
    for s in out:
        s = s.replace(_DOT, ".").strip()
        marker = _LIST_MARKER.match(s)
        if marker and marker.group(0).strip():
            s = s[marker.end() :].strip()
        s = s.strip("*_` ").strip()
        if s and re.search(r"\w", s):
            result.append(s)
    return result


def sentences(text: str) -> list[str]:
    """Sentences of a reply, with Markdown list markers and emphasis removed."""
    out: list[str] = []
    for block in _blocks(text or ""):
        out.extend(_split_block(block))
    return out


# ---------------------------------------------------------------------------------------------
# Question detection and form
# ---------------------------------------------------------------------------------------------

_WH = r"(?:what|what's|how|how's|why|why's|when|when's|where|where's|who|who's|whom|whose|which)"
_AUX = (
    r"(?:is|are|was|were|am|do|does|did|have|has|had|can|could|will|would|should|shall|may|might|"
    r"must|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|haven't|hasn't|hadn't|can't|couldn't|"
    r"won't|wouldn't|shouldn't|mustn't)"
)
_NEG_AUX = (
    r"(?:isn't|aren't|wasn't|weren't|don't|doesn't|didn't|haven't|hasn't|hadn't|can't|couldn't|"
    r"won't|wouldn't|shouldn't|mustn't)"
)
_PRON = r"(?:i|you|we|they|he|she|it|there|someone|somebody|anyone|anybody|everyone|everybody|anything|something|that|this)"
_DET = (
    r"(?:the|this|that|these|those|your|our|my|his|her|their|its|a|an|any|some|every|each|all|no)"
)
_REQUEST_VERB = (
    r"(?:tell|walk|talk|take me|describe|explain|say|give|share|show|clarify|expand|elaborate|"
    r"unpack|help me|paint|recall|remember|list|put that|think of|spell|outline|go through|"
    r"go over|summari[sz]e)"
)
_REQUEST_START = re.compile(
    r"^(?:please )?(?:tell me|tell us|walk me|walk us|talk me|take me through|describe|explain|"
    r"say more|help me understand|give me an example|give me a sense|show me|paint me|"
    r"share (?:more|an example|a bit)|remind me|talk through|run me through|fill me in)\b"
)
_POLITE_REQUEST = re.compile(
    r"^(?:can|could|would|will) you (?:please |maybe |perhaps |just )?" + _REQUEST_VERB + r"\b"
)
_WH_START = re.compile(
    r"^(?:"
    + _WH
    + r"|how come|in what|to what|for what|on what|at what|by how|from whom|with whom|"
    r"in which|of what|under what)\b"
)
_WH_CLEFT = re.compile(
    r"^what (?:(?:might|could|would|will|may|usually|often|really|also) )?(?:helps?|matters?|worked|works|"
    r"counts|strikes me|stands out|i mean|i'd suggest|i suggest|i recommend|i'd recommend|i'd do|i would do|"
    r"i noticed|i notice|i'm hearing|i hear) (?:most )?(?:is|was|are|were|here is)\b"
)
_WH_STATEMENT = re.compile(
    r"^"
    + _WH
    + r" (?:i|you|we|they|he|she)(?:'m|'re|'ve|'d|'ll)? (?!(?:do|does|did|is|are|was|were|have|has|can|could|will|would|should|might|think|mean)\b)"
)
_AUX_START = re.compile(r"^" + _AUX + r" (?:" + _PRON + r"|" + _DET + r"|u)\b")
_AUX_START_ANY = re.compile(r"^" + _AUX + r"\b")
_DO_HAVE_IMPERATIVE = re.compile(r"^(?:do|have|don't) (?!(?:i|you|we|they|he|she|it|there|u)\b)")
_TAG = re.compile(
    r",\s*(?:right|correct|yes|no|true|ok|okay|agreed|yeah|surely|eh|huh|"
    + _NEG_AUX
    + r" (?:it|you|we|they|he|she|i|that|this|there)|is it|are you|do you|did you|isn't that so)\s*[?.!]*$"
)
_SUGGESTION = re.compile(
    r"^(?:what if (?:you|we|i) (?:just |simply |maybe |instead )?(?:just|tried|told|asked|talked|moved|"
    r"started|stopped|said|gave|made|let|took|went|spoke|brought|shared|sent|wrote|booked|called|"
    r"scheduled|cut|dropped|pushed|delayed|escalated|hired|fired|quit|left|focused|reached|set|used|"
    r"ran|checked|put|kept|offered|split|skipped|waited|agreed|raised|looked|picked|chose|"
    r"reframed|delegated|blocked)\b|how about\b|what about (?:\w+ing)\b)"
)
_CHOICE = re.compile(
    r"^(?:which|what)\b[^,]*,\s*(?!.*\b(?:e\.g|for example|such as|like)\b)[^,]+\bor\b[^,]+[?.]*$"
)
_SUBORDINATE = re.compile(
    r"^(?:if|when|once|after|before|since|as|while|given|say|suppose|supposing|imagine|assuming|"
    r"looking|thinking|from|in|on|with|for|at|compared|besides|apart|other than|beyond|"
    r"you said|you mentioned|earlier|last time|based on|speaking of|going back|back to)\b"
)


def _main_clause(n: str) -> str:
    """The clause that carries the question: skips fillers and leading "If ..., " style clauses."""
    n = _strip_fillers(n)
    if _WH_START.match(n) or _AUX_START_ANY.match(n) or _REQUEST_START.match(n):
        return n
    if re.search(r"[,:;\u2014]| - ", n):
        parts = re.split(r"([,:;\u2014]| - )", n)[::2]
        for k in range(1, len(parts)):
            rest = _strip_fillers(",".join(parts[k:]).strip())
            if _WH_START.match(rest) or _AUX_START.match(rest) or _REQUEST_START.match(rest):
                if _TAG.search(n) and not _SUBORDINATE.match(n):
                    return n  # "It makes sense, doesn't it?" is a tag, not a second clause
                return rest
    return n


def _is_question_norm(n: str, raw: str) -> bool:
    stripped = raw.rstrip().rstrip(_CLOSERS + " ")
    if stripped.endswith("?"):
        return True
    m = _main_clause(n)
    m = re.sub(r"[.!\u2026]+$", "", m).strip()
    if _REQUEST_START.match(m) or _POLITE_REQUEST.match(m):
        return True
    if _WH_START.match(m):
        return not (_WH_STATEMENT.match(m) or _WH_CLEFT.match(m))
    return bool(_AUX_START.match(m)) and not _DO_HAVE_IMPERATIVE.match(m)


def _form(n: str) -> Literal["open", "closed"]:
    m = _main_clause(n)
    if _TAG.search(m) or _TAG.search(n):
        return "closed"
    if _POLITE_REQUEST.match(m) or _REQUEST_START.match(m):
        return "open"
    if _SUGGESTION.match(m):
        return "closed"
    if _WH_START.match(m):
        return "closed" if _CHOICE.match(m) else "open"
    return "closed"


# ---------------------------------------------------------------------------------------------
# Leading and hypothetical
# ---------------------------------------------------------------------------------------------

_ADVICE_DISGUISE = re.compile(
    r"^(?:have|haven't) you (?:ever )?(?:considered|thought about|thought of|tried|looked into)"
    r" (?!(?:what|how|why|whether|who|which|where|when|if)\b)"
    r"|^why (?:don't|not|wouldn't|won't|can't|haven't|aren't) (?:you |we )?"
    r"|^"
    + _SUGGESTION.pattern[1:]
    + r"|\b(?:couldn't|can't|shouldn't|should|could|can|wouldn't|won't|don't) (?:you|we|i) (?:just|simply)\b"
    r"|^shouldn't (?:you|we|i)\b"
    r"|^(?:would|wouldn't) it (?:help (?:to|if)|make (?:more )?sense|be (?:better|smarter|easier|wiser|best|worth|a good idea|good|helpful))"
    r"|\bit would make sense\b"
    r"|\b(?:isn't|wouldn't) (?:the|it) (?:obvious|best|right|simplest|easiest) (?:answer|move|thing|fix|option)"
    r"|\bdon't you think (?:you|we) (?:should|need|ought|must|could)\b"
    r"|^(?:maybe |perhaps )?(?:you|we) (?:could|should|might want to|ought to|need to)\b"
    r"|^(?:wouldn't|won't|couldn't|doesn't|don't|isn't) (?:[\w'-]+ ){1,6}(?:solve|fix|help|sort out|resolve|work better|be (?:better|easier|simpler|smarter))\b"
)
_LEADING = re.compile(
    r"^" + _NEG_AUX + r" (?:" + _PRON + r"|" + _DET + r"|\w+ing)\b"
    r"|\b(?:surely|obviously|clearly)\b"
    r"|\b(?:you'd|you would|we'd|we would|wouldn't you|would you not|would you|do you not) agree\b"
    r"|\bdo you agree that\b|\b(?:is|isn't) it fair to say\b"
    r"|\b(?:we all|everyone) (?:agrees?|knows?)\b|\bas we all know\b"
    r"|\bdon't you (?:think|feel|agree|find|hate|love)\b"
    r"|\bhow (?:frustrating|annoying|painful|terrible|awful|infuriating|irritating|stressful|"
    r"exhausting|amazing|great|wonderful|awesome|bad|horrible|maddening|tedious)\b"
    r"|\b(?:terrible|awful|horrible|ridiculous|stupid|useless|pointless)\b"
    r"|\b(?:always|never) so\b"
)
_HYPO_VERBS = (
    r"(?:use|using|buy|pay|switch|recommend|try|sign up|subscribe|upgrade|downgrade|renew|cancel|"
    r"keep|install|integrate|adopt|choose|pick|prefer|want|spend|invest|purchase|order|join|"
    r"be (?:interested|willing|likely|happy|keen|open)|consider|replace|move|leave|stay|come back|"
    r"return|love|miss|change|take|do|accept|stick|go back|get|rely|trust|share|tell others|"
    r"still|actually|really|ever|definitely|probably|even|also)"
)
_HYPOTHETICAL = re.compile(
    r"\b(?:would|will|'d|wouldn't|won't) you (?:\w+ly )?" + _HYPO_VERBS + r"\b"
    r"|(?:^|[,;] ?)(?:what|how|when|where|which|who) will you\b"
    r"|^will you (?!" + _REQUEST_VERB + r"\b)"
    r"|\b(?:are|were) you (?:still |really )?(?:going|planning|likely) to\b"
    r"|\byou'd (?:\w+ly )?" + _HYPO_VERBS + r"\b"
    r"|\bhow likely (?:are|would|is it that|is it) you\b|\blikely (?:are you|would you) to\b"
    r"|\b(?:would|will|might|could) (?:that|this|it|\w+) make you (?:\w+ )?" + _HYPO_VERBS + r"\b"
    r"|\bwhat would (?:it take|make|get|convince) (?:for )?you to (?:\w+ )?" + _HYPO_VERBS + r"\b"
    r"|\bwhat would make you (?:\w+ )?" + _HYPO_VERBS + r"\b"
    r"|\bwouldn't it be (?:great|nice|amazing|cool|awesome|easier|helpful|better|good|wonderful) if\b"
    r"|\b(?:ideal|dream|perfect|magic|magic-wand)\b (?:\w+ )?(?:version|tool|product|solution|app|world|setup|feature)"
    r"|^(?:would|will|could) (?:a|an|the|this|that|such a|something|some|having) (?:[\w-]+ ){0,5}(?:be )?(?:useful|helpful|valuable|worth|interesting|appealing|something you)\b.*\byou"
    r"|\bwould (?:a|an|this|that|such a|something) (?:[\w-]+ ){0,4}be worth\b"
    r"|\bif (?:we|they|you could|someone) (?:\w+ )?(?:built|build|added|made|launched|offered|shipped|"
    r"released|created|gave|lowered|raised|removed|dropped|introduced|charged|priced|had|could)\b.*\byou\b"
)
_HYPO_EXCLUDE = re.compile(
    r"\b(?:would|'d) you (?:\w+ly )?(?:like to|rather|say|describe|define|explain|rate|call|mind|"
    r"characteri[sz]e|summari[sz]e|put|sum up|know|expect|guess|estimate|measure|want to (?:focus|talk|start|explore|discuss|cover|leave|get out))\b"
)


def _hypothetical(n: str) -> bool:
    m = _HYPOTHETICAL.search(n)
    if not m:
        return False
    # "What would you like to focus on?" and "How would you describe it?" are not predictions.
    return not (_HYPO_EXCLUDE.search(n) and not _HYPOTHETICAL.search(_HYPO_EXCLUDE.sub(" ", n)))


def _leading(n: str) -> bool:
    m = _main_clause(n)
    if _TAG.search(n):
        return True
    return bool(_LEADING.search(m) or _ADVICE_DISGUISE.search(m))


# ---------------------------------------------------------------------------------------------
# Socratic type
# ---------------------------------------------------------------------------------------------

_SUBJECTS_OTHERS = (
    r"(?:someone|somebody|others|other (?:people|teams|companies|pms|managers|departments)|"
    r"(?:your|our|the|their|an?|my) (?:[\w-]+ ){0,2}(?:manager|boss|lead|peers?|colleagues?|team ?mates?|"
    r"director|vp|ceo|cto|customers?|users?|stakeholders?|engineers?|designers?|skip-level|mentor|"
    r"reports?|partner|buyers?|exec|executives|leadership|competitors?|critic|skeptic|sceptic|"
    r"team|folks|people|crowd|side)|legal|finance|sales|support|marketing|procurement|they|he|she|"
    r"competitors?|customer support|customer success|customers|users|people|"
    r"an? (?:\w+ )?(?:engineer|designer|customer|skeptic|sceptic|outsider|newcomer|investor))"
)
_PERSPECTIVE_VERB = (
    r"(?:see|sees|saw|view|views|describe|react|reacted|say|said|think|thinks|feel about|approach|"
    r"handle|handles|pitch|deal|experience|experienced|look at|perceive|interpret|respond|worry|"
    r"frame|explain|make of|read|judge|rate|prioriti[sz]e|flag|notice|object to|raise|seeing|viewing|"
    r"handling|approaching|dealing|reacting|describing|thinking about)"
)
# Questions about the question, the session, small talk and logistics
_META = re.compile(
    r"\b(?:right|real|best|most useful|most important|better|next|key|first) question\b"
    r"|\bquestions? (?:that )?(?:matters?|feels?|you most)\b|\bthis question\b|\bwhat question\b"
    r"|\bthe question you\b|\bright problem\b|\b(?:should|could) (?:we|i) (?:be )?ask(?:ing)?\b"
    r"|\bshould(?:n't)? have asked\b|\bdidn't ask\b|\bfocus on (?:today|first|now)\b"
    r"|\b(?:like|want) to (?:focus|talk|start|leave|cover|explore|discuss)\b"
    r"|\b(?:this|last|our|next|today's) (?:session|conversation|call|chat)\b"
    r"|\bon your mind\b|\bagenda\b|\bnext meeting\b|\bweekend\b|\bhighlight\b|\benergy\b"
    r"|\bhow (?:are|is|was|has) (?:you|your) (?:day|week|weekend|doing|been|feeling|going)\b"
    r"|\bhow's (?:your|it going|life|things)\b|\bhow (?:are|were) things\b"
    r"|\brecord (?:this|the) (?:call|session)\b|\bgood time\b|\btake notes\b"
    r"|\btalk (?:about|through)\b|\bmost helpful\b|\bmost useful thing\b|\bdiscuss first\b"
    r"|\bstart with\b|\bpick up where\b|\bwrap(?:ping)? up\b|\b(?:standup|stand-up|retro)\b"
    r"|\bsend (?:me|us)\b|\bmatters? most to you\b|\bneed to agree\b|\bleave this room\b"
    r"|\bmost important decision\b|\b(?:remaining|rest of our|use of our) time\b|\btimebox|\bwhat do we (?:need|have) to decide\b"
    r"|\b(?:want|like) to (?:pull on|pick up|start with|begin with) first\b|\bpull on first\b|\b(?:support|help|resources) (?:do|would|might) you need\b"
    r"|\b(?:walk|get|come) out of (?:this|the|today's)\b|\bout of (?:this|today's) (?:review|meeting|workshop)\b"
    r"|\b(?:mind|okay|ok|alright) if i\b|^(?:can|may|could) i\b|\bwhere would you like to (?:start|begin)\b"
)
_ASSUMPTIONS = re.compile(
    r"\bassum|\bpresum|\b(?:the|this|that) (?:idea|notion|belief|view) that\b|\bisn't it (?:more |just )?(?:likely|possible) that\b|\btak(?:e|en|ing) (?:it )?for granted\b|\btak(?:e|ing) (?:\w+ )?as (?:a )?given\b"
    r"|\b(?:have|has|need|needs) to (?:be true|hold)\b|\bwhat (?:would|has to|must) (?:need to |have to )?(?:be true|hold)\b"
    r"|\bbeliefs?\b|\balways (?:the case|true|so)\b|\bopposite (?:were|was|is) true\b"
    r"|\bstory you(?:'re| are) telling\b|\btreat(?:ing)? as (?:fixed|given|certain)\b"
    r"|\b(?:not|haven't|never) (?:yet )?tested\b|\bframing\b|\bout of date\b|\bpossible that\b"
    r"|\bisn't it (?:true|obvious|clear)\b|\b(?:you'd|you would|wouldn't you) agree\b"
    r"|\b(?:everyone|everybody) (?:already )?knows?\b|\bsurely\b|\bare (?:you|we) (?:sure|certain)\b"
    r"|\breally (?:true|the case)\b|\bhave to be (?:you|perfect)\b|\bhas to be (?:you|perfect)\b"
    r"|\btake as read\b|\bpresuppos|\bprejudg|\bmissing in how\b|\btreating as\b|\bpremises?\b"
    r"|\b(?:rests?|resting|hinges?|relies|relying) on\b|\bhaven't (?:yet )?(?:checked|verified|confirmed|validated)\b"
    r"|\breading (?:too much )?into\b|\bis it possible\b|\bwhat do (?:you|we) (?:believe|assume)\b"
    r"|\bnon-?negotiable\b|\btaking as\b|\bunspoken\b|\bhidden (?:belief|premise|assumption)"
)
# Another person's perspective
_VIEWPOINTS = re.compile(
    r"\b(?:how|what) (?:might|would|could|does|do|did|will|may|are|is|were|was) "
    + _SUBJECTS_OTHERS
    + r" (?:\w+ ){0,4}?"
    + _PERSPECTIVE_VERB
    + r"\b"
    r"|\b(?:how|what) do you (?:think|imagine|suppose|expect|guess) "
    + _SUBJECTS_OTHERS
    + r" (?:\w+ ){0,3}?"
    + _PERSPECTIVE_VERB
    + r"\b"
    r"|\bwhat do " + _SUBJECTS_OTHERS + r" think\b"
    r"|\bhow (?:she|he|they) sees?\b|\b(?:someone|people) who disagrees?\b|\bdisagree"
    r"|\bperspective|\bpoint of view\b|\bviewpoint|\bshoes\b|\b's side\b|\bin (?:their|her|his) place\b"
    r"|\b(?:sees?|see it|look at (?:it|this)) differently\b|\bcase against\b|\bcompetitors?\b"
    r"|\b(?:have|has) a (?:view|different view|say)\b"
    r"|\banother (?:way|explanation|angle|perspective|lens|reading)\b|\bother explanations?\b"
    r"|\bwho (?:might|would|could|else might|else would) (?:see|view|read|say|think|disagree|object|push back|benefit|react)\b"
    r"|\b(?:explain|describe|pitch|justify|present) (?:[\w-]+ ){0,3}to (?:someone|somebody|an? [\w-]+|your [\w-]+|the [\w-]+|a new)\b"
)
_REASONS = re.compile(
    r"\bevidence\b|\b(?:what|any|some|enough|hard|usage|survey|supporting|more) data\b"
    r"|\bdata (?:\w+ )?(?:shows?|says?|suggests?|tells?|is clear|supports?|backs?)\b|\bdata (?:on|about|behind)\b"
    r"|\bnumbers?\b|\bhow (?:do|did|can|could|would) (?:you|we|they|i) (?:know|tell|be sure)\b"
    r"|\bmakes? you (?:think|say|believe|so sure|confident|feel that)\b|\bmade you\b"
    r"|\bbased on\b|\bbasis\b|\bsource\b|\b(?:come|came|coming) from\b|\brationale\b|\breasoning\b"
    r"|\breasons?\b|\bwhat led\b|\bled you\b|\bconvinc|\btells? you\b|\btold you\b|\btell you that\b"
    r"|\bsignals?\b|\bwhat have you seen\b|\bwhat did you (?:notice|see|observe)\b|\bresearch\b"
    r"|\bback(?:s|ed)? (?:that|this|it) up\b|\bsupports? (?:that|this|the|it|your|our|raising|moving|the idea)\b|\bsupported by\b|\bvalidat|\bsignifican|\bhow confident\b"
    r"|\btipped\b|\bpush(?:ed)? you\b|\bfactor\b|\bproof\b|\bproves?\b|\bstopped you\b|\bhesitat"
    r"|\bshows\b|\blearn(?:ed|t)? from\b|\bfeedback on\b|\bseen (?:happen|it|this)\b"
    r"|\barrive at\b|\bcome up with\b|\bdr(?:o|i)ve\b|\bbehind (?:your|that|this|the)\b"
    r"|\bwhy do (?:you|we) (?:think|believe|say)\b|\bdo you think (?:that )?(?:is|it's) (?:true|right|so)\b"
    r"|\bsure (?:of|about) that\b|\bhow certain\b|\bmeasured\b|\bmetrics? (?:say|show|tell|suggest)|\b(?:baseline|any|the|those|these) metrics\b|\bbaseline|\bbenchmark"
    r"|\bdriving\b|\bcome to (?:that|this|the|your) (?:view|conclusion|decision|number|estimate)\b"
    r"|\b(?:final|last) straw\b|\btipping point\b|\btrigger|\bprompted\b|\bmotivat|\bargument|\bjustif"
    r"|\bconfiden(?:ce|t)\b|\b(?:held|hold|holding|holds) (?:you|them|us) back\b|\bspeak for themselves\b"
    r"|\b(?:survey|test|experiment|research|interview|pilot) (?:results|data|findings)\b|\bfindings\b"
    r"|\b(?:gives?|giving|gave) you (?:the|that) (?:impression|idea|sense)\b|\bback(?:s|ed)? (?:\w+ )?up\b"
    r"|\b(?:land|landed|settle|settled) on\b|\bwhat caused\b|\bcaused by\b|\bthe cause\b|\bgrounds\b"
)
# Feelings
_FEELINGS = re.compile(
    r"\b(?:feel|feels|feeling|felt|worried|nervous|anxious|excited|hoping(?! to)|hope(?! to)|frustrat\w*|"
    r"annoy\w*|enjoy|hate|love|like the|like it|scared|afraid|upset|stressed|happy|relieved|"
    r"proud|disappointed|mood|emotions?)\b"
    r"|\bholding up\b|\btreating you\b|\b(?:do|did|does) (?:you|they) (?:like|enjoy|dislike)\b|\bkeeps? you up\b|\b(?:bothers|worries|scares|excites|drains|energi[sz]es) you\b"
)
_IMPLICATIONS = re.compile(
    r"\b(?:what|that) (?:might|could|would|will|may) happen\b|\bhappens? (?:if|to|when|next if)\b"
    r"|\bhappened if\b|\bhave happened\b|\bconsequen|\baffect|\bimpact|\beffects?\b"
    r"|\bcost(?:s|ing)?\b|\bbecomes? possible\b|\bpossible if\b|\bat stake\b|\bat risk\b|\brisks?\b"
    r"|\bstand to (?:lose|gain)\b|\blose\b|\bmean for\b|\bwhere (?:does|will|would|could) (?:this|that|it) (?:lead|go|end)\b"
    r"|\blead to\b|\bripple|\bdownstream\b|\bbreaks?\b|\bhurt|\b(?:has |have )?changed?\b"
    r"|\bdifferent about\b|\bwent wrong\b|\bdownside|\bupside|\bworse\b|\bbetter off\b"
    r"|\bplay out\b|\bgets? (?:harder|easier)\b|\breduce|\bincrease|\bfollows? (?:for|from)\b"
    r"|\bdamag|\bcredibility\b|\bwaste|\bfurious\b|\bslips?\b|\bdelay|\bresult\b|\boutcome of\b"
    r"|\bside effects?\b|\btrade-?offs?\b|\bknock-on\b|\bwho (?:would|will|might) (?:feel|notice|suffer)\b"
    r"|\bwhat (?:then|next) for\b|\bgain\b|\bprice of\b|\b(?:worst|best|likely|possible|realistic|probable) (?:\w+ )?outcomes?\b|\boutcomes? (?:of|if)\b|\bworst\b|\bbest case\b"
    r"|\bleav(?:e|es|ing) (?:you|us|them|the team)\b|\bin (?:a|one|two|five) years?\b|\blong run\b|\blong[- ]term\b"
    r"|\b(?:do|would|will|might|could) (?:we|you|they|i) (?:have to )?give up\b|\bshift\b|\bblast radius\b|\bopen or close\b|\bdoors?\b"
    r"|\b(?:easier|harder|better|worse) now\b|\bnow than\b|\bwhat happened to\b|\bas a result\b|\bthen what\b"
    r"|\bwhat would (?:it|that|this) (?:do|mean) to\b"
)
# Other options
_OPTIONS = re.compile(
    r"\b(?:other|different|alternative) (?:options?|ways?|solutions?|paths?|products?|tools?|"
    r"approaches|routes|choices|possibilities|vendors?|explanations?|angles?)\b"
    r"|\bthe other options\b|\banother (?:way|explanation|angle|option|approach|path|lens|reading)\b"
    r"|\balternatives?\b|\bwhat else (?:did|could|might|would|can) (?:you|we)\b|\bor buy\b"
    r"|\bdifferent way\b|\bdifferently\b|\binstead\b|\btry (?:before|out)\b|\btried before\b"
    r"|\bwhat did you (?:try|use|look at) (?:before|instead)\b|\bconsidered yet\b|\bhaven't (?:you )?considered\b"
    r"|\b(?:who|what) else (?:might|could|would)\b|\bexplanation\b|\bwhat would you do if (?:you|money|there|time)\b"
    r"|\bhow would (?:\w+ ){0,2}(?:approach|handle|tackle|solve)\b|\b(?:not|haven't|never) (?:yet )?tried\b|\b(?:options?|choices|possibilities)\b"
    r"|^(?:should|do|shall|could|can|would) (?:we|i|you) \w+\b[^?]*\bor (?:should |do |shall )?(?:we |i |you )?(?:just |instead )?"
    r"(?:wait|buy|build|keep|go|stay|ship|delay|drop|hire|move|cut|push|launch|hold|pause|start|stop|ask|tell|leave|take|try|switch|use|fix|invest)\b"
)
# Weak reasons cues, checked after the more specific types
_REASONS_WEAK = re.compile(
    r"\bwhy\b|\bhow come\b|\bwhat made\b|\bwhat makes\b|\bhow did (?:you|we) (?:decide|choose|pick)\b"
)
_CLARITY = re.compile(
    r"\bmean\b|\bmeaning\b|\bexamples?\b|\bdefin|\btell me\b|\bsay more\b|\bwalk (?:me|us)\b"
    r"|\btalk me\b|\bdescribe\b|\bexactly\b|\bspecific|\bclarify\b|\bexplain\b|\blooks? like\b"
    r"|\bwhich part\b|\bin one sentence\b|\bwhat happened\b|\bwhen did\b|\bwhere (?:were|do|did|does)\b"
    r"|\bwho (?:is|owns|else|was|decides|uses)\b|\bwhat were you (?:using|doing|trying)\b"
    r"|\breal (?:challenge|issue|problem)\b|\b(?:are|were) (?:we|you) talking about\b"
    r"|\bwhat problem\b|\bin scope\b|\binvolve|\btypical|\bhow often\b|\bworkaround\b"
    r"|\bhow (?:do|does|did) (?:you|your)\b|\bshow me\b|\bcount(?:ed)?\b|\bwhat (?:is|was) going on\b"
    r"|\bwhich (?:\w+ ){0,2}(?:are|is|do|did)\b"
)

_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("other", _META),
    ("assumptions", _ASSUMPTIONS),
    ("alternate_viewpoints", _VIEWPOINTS),
    ("reasons_evidence", _REASONS),
    ("other", _FEELINGS),
    ("implications", _IMPLICATIONS),
    ("alternate_viewpoints", _OPTIONS),
    ("reasons_evidence", _REASONS_WEAK),
    ("clarity", _CLARITY),
]


_ELABORATE = re.compile(
    r"^(?:(?:can|could|would|will) you (?:please )?)?(?:tell me|say|share|give me|talk|expand|elaborate|unpack)"
    r"(?: \w+){0,3}? (?:more|a bit more|an example|examples|a little more)\b"
    r"|^(?:(?:can|could|would|will) you (?:please )?)?(?:expand|elaborate|clarify|unpack)\b"
)


def _classify(question_norms: list[str], context_norms: list[str], hypothetical: bool) -> str:
    joined = " | ".join(question_norms)
    if any(_ADVICE_DISGUISE.search(_main_clause(q)) for q in question_norms):
        return "other"
    if _ELABORATE.search(_main_clause(question_norms[0])):
        return "clarity"
    if hypothetical:
        # Predictions of one's own behaviour: alternatives ("What would you do differently?")
        # keep their type, everything else (would you buy/use/pay...) is "other".
        if _META.search(joined):
            return "other"
        if _VIEWPOINTS.search(joined) or _OPTIONS.search(joined):
            return "alternate_viewpoints"
        return "other"
    for label, pattern in _CUES:
        if pattern.search(joined):
            return label
    context = " ".join(context_norms)
    for label, pattern in _CUES:
        if label != "other" and pattern.search(context):
            return label
    return "clarity"


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _is_question_sentence(sentence: str) -> bool:
    return _is_question_norm(_norm(sentence), sentence)


def split_questions(text: str) -> list[str]:
    """The questions inside a reply, in order, each stripped of list markers and whitespace."""
    return [s for s in sentences(text) if _is_question_sentence(s)]


def analyse(text: str) -> QuestionAnalysis:
    """Analyse one question (a reply with a short preamble is fine: its question is analysed)."""
    sents = sentences(text)
    normed = [(_norm(s), s) for s in sents]
    questions = [n for n, raw in normed if _is_question_norm(n, raw)]
    if not questions:
        return QuestionAnalysis(
            text=text,
            is_question=False,
            form="none",
            socratic_type=None,
            leading=False,
            hypothetical=False,
        )
    context = [n for n, raw in normed if n not in questions]
    hypothetical = any(_hypothetical(q) for q in questions)
    return QuestionAnalysis(
        text=text,
        is_question=True,
        form=_form(questions[0]),
        socratic_type=_classify(questions, context, hypothetical),  # type: ignore[arg-type]
        leading=any(_leading(q) for q in questions),
        hypothetical=hypothetical,
    )


# ---------------------------------------------------------------------------------------------
# Advice
# ---------------------------------------------------------------------------------------------

_REFLECTION_START = re.compile(
    r"^(?:it sounds like|sounds like|it sounds as if|it seems|seems like|it looks like|you seem|you sound|"
    r"what i'm hearing|what i hear|what i'm noticing|i'm hearing|i hear|i notice|i noticed|i sense|"
    r"i'm sensing|so you're|so you are|you're|you are|you said|you say|you've|you have (?:already|been|said|mentioned|told)|"
    r"you mentioned|you told me|you feel|you felt|you want|you'd like|you would like|you wish|you were|"
    r"you wonder|you're wondering|if i understand|if i've understood|in other words|let me reflect|"
    r"let me summari[sz]e|to summari[sz]e|so far you)\b"
)
_ADVICE_PHRASE = re.compile(
    r"\byou (?:really |probably |definitely |just |might |may )?(?:should|shouldn't|ought to|need to|must|have to|had better|'d better)\b"
    r"|\byou(?:'ll| will) (?:want|need) to\b|\byou (?:might|may) (?:want|wish|like) to\b"
    r"|\byou (?:could|can) (?:always |also |just |simply |maybe |even )?(?!(?:see|tell (?:that|the|it|from|by)|feel|hear|sense|notice|imagine|guess)\b)[a-z]+"
    r"|\bwe (?:should|need to|ought to|must|have to)\b"
    r"|\bi(?:'d| would) (?:strongly |really |probably |definitely )?(?:recommend|suggest|advise|start|go|push|take|focus|"
    r"prioriti[sz]e|try|consider|avoid|ask|talk|say|begin|pick|choose|cut|drop|wait|book|write|send|set|"
    r"encourage|urge|escalate|delay|move|keep|stop|skip|spend|tell|get|make|do|look|be)\b"
    r"|\bi (?:recommend|suggest|advise|urge|encourage you)\b|\bmy (?:advice|suggestion|recommendation|tip)\b"
    r"|\bmake sure\b|\bbe sure to\b|\btry to\b|\b(?:^|\. )try \w+ing\b|\bconsider \w+ing\b"
    r"|\b(?:the )?best (?:thing|move|option|approach|bet|step)(?: to do| you can do| for you)? (?:is|would be|might be|here is)\b"
    r"|\bthe key is\b|\bit(?:'s| is) (?:worth|important to|essential to|crucial to|best to|wise to|a good idea)\b"
    r"|\bit (?:might|may|would|could|will|should) (?:help|pay|be (?:a good idea|wise|smart|worth|useful|helpful|better|best))\b"
    r"|\ba good (?:next )?(?:step|move|idea|start)\b|\bone option (?:is|would be)\b|\bif i were you\b"
    r"|\bdon't forget\b|\bremember to\b|\blet's\b|\blet us\b|\bwhy not\b|\byour best bet\b|\bhow about you\b"
    r"|\bit(?:'s| is) (?:high )?time (?:to|you)\b|\byou (?:may|might|will) find it (?:helpful|useful|easier|worthwhile)\b"
    r"|\bwhat (?:might|could|would|may|will) help (?:is|here is|most is)\b|\bwhat i(?:'d| would) (?:suggest|recommend|do) is\b"
    r"|\b(?:another|one more|a further) option (?:is|would be)\b"
    r"|\b(?:a|one) (?:useful|helpful|good|simple|practical|better) (?:approach|way|strategy|tactic|thing to do)"
    r" (?:might be|could be|would be|is)\b|\b(?:might|may|could|would|will) (?:really )?help (?:you|to)\b"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_IMPERATIVE_VERBS = _words(
    """accept add address admit have agree align apologise apologize ask avoid be block book bring build
    call cancel celebrate challenge check choose clarify collect commit confirm consider create cut
    decide define delay delegate document draft drop email escalate find fire focus follow frame
    gather get give go hire hold interview invite keep lead learn leave limit list look lower make map
    measure meet move narrow note offer own pause pick plan practise practice prepare present
    prioritise prioritize propose protect push put quit raise reach read reduce reframe remember
    remove reply request reschedule review run say schedule send set share ship simplify sit sketch
    skip sleep speak spend split start stay step stick stop take talk tell test thank think track
    treat try turn update use wait write rewrite rethink revisit negotiate loop frontload timebox
    double ping cc pair shadow pitch flag surface anchor communicate ensure leverage foster engage
    establish identify involve seek explore reflect discuss evaluate assess collaborate acknowledge
    empower develop implement outline highlight emphasise emphasize tackle invest monitor validate
    experiment iterate listen journal celebrate encourage build prepare revisit recognise recognize
    clarify set-up sync follow-up breathe relax rest prioritize delegate inform notify consult
    invite recruit rehearse practise summarise summarize capture observe compare calculate estimate
    define agree finish complete handle embrace trust"""
)
_IMPERATIVE_NEXT = _words(
    """a an the your my our their his her its this that these those some any one two three four five
    each every all more less fewer it them him us yourself yourselves up out off back down on in to
    for with about by from at into over through around aside away early first now today tomorrow
    clear clearly explicit careful honest open direct directly kind patient curious specific
    proactive time yes no what how why who whether if when where someone something everyone people
    feedback notes questions customers users stakeholders ahead together slowly small smaller simple
    sure advantage care ownership note action responsibility stock inventory realistic transparent
    brave bold concrete ruthless strict firm calm generous humble it's"""
)
_HAVE_A = _words("look go think chat word conversation read try break rest")
_NOT_IMPERATIVE_AFTER = re.compile(
    r"^(?:tell|walk|talk|show|give|take|let|help|remind|say|suppose|imagine|picture|assume|describe|explain)"
    r" (?:me|us)\b|^(?:say|suppose|imagine|picture|assume|pretend) (?:you|we|that|it|for|the|a)\b"
)


def _is_imperative(n: str) -> bool:
    n = re.sub(
        r"^(?:just|please|maybe|perhaps|simply|always|then|also|definitely|really)\b[, ]*", "", n
    )
    if re.match(r"^(?:don't|do not|never)\b (?!(?:you|we|they|i)\b)\w+", n):
        return True
    if _NOT_IMPERATIVE_AFTER.match(n):
        return False
    words = re.findall(r"[a-z][a-z'\-]*|\d+", n)
    if not words or words[0] not in _IMPERATIVE_VERBS:
        return False
    if len(words) == 1:
        return True
    if words[0] == "have":  # "Have a look / a go / a word with..."
        return len(words) > 2 and words[1] == "a" and words[2] in _HAVE_A
    nxt = words[1]
    return (
        nxt in _IMPERATIVE_NEXT
        or nxt.endswith("ing")
        or (nxt.endswith("ly") and len(nxt) > 3)
        or nxt.isdigit()
    )


def advice_spans(text: str) -> list[str]:
    """Sentences that advise: recommendations and imperatives, not questions, not reflections."""
    spans: list[str] = []
    for s in sentences(text):
        n = _norm(s)
        if _is_question_norm(n, s):
            continue
        core = _strip_fillers(n)
        if _REFLECTION_START.match(core):
            continue
        if _ADVICE_PHRASE.search(core) or _is_imperative(core):
            spans.append(s)
    return spans
