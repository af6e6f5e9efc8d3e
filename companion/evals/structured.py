"""Checks of substance for the structured modes (agenda, JTBD guide, mentor prompts).

Like `companion.evals.substance`, these read only the inputs and the output, with their own
word lists: never the run-time guard, the rules analyser or the listening layer, so whatever
the guard let through can still fail here. The presupposition detector is tested on
`evals/labels/probes.jsonl` beside the guard's (`companion.coaching.probes`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from companion.evals.substance import content_words, words

# Words every input of a mode shares: naming them is not naming this situation.
GENERIC = {
    "app", "apps", "tool", "tools", "product", "products", "software", "switch", "switched",
    "customer", "customers", "user", "users", "team", "work", "time", "last", "first", "use",
    "used", "using", "months", "month", "weeks", "week", "days", "day", "year", "quarter",
    "recently", "person", "people", "mentee", "mentor", "manager", "report", "meeting", "moved",
    "ideally", "least", "start", "started", "since",
}
_PRAISE = {"improve", "improved", "improves", "improving", "better", "easier", "smoother",
           "faster", "save", "saved", "saves", "helped", "helpful", "helps", "love", "loved",
           "loves", "enjoy", "enjoyed", "best", "favourite", "favorite", "benefit", "benefits",
           "great", "productive", "efficient"}
_COMPLAINT = {"frustrated", "frustrating", "frustration", "annoyed", "annoying", "painful",
              "pain", "headache", "headaches", "waste", "wasted", "wasting", "complicated",
              "disappointing", "disappointed", "bad", "worst", "hate", "hated", "clunky",
              "broken", "expensive", "struggle", "struggled", "slowed"}
_IMAGINED = {"would", "will", "imagine", "ideal", "ideally", "perfect", "future", "likely",
             "recommend", "someday"}
_VENDOR = {"our", "we", "us"}
_ASKERS = {"what", "how", "when", "where", "who", "whom", "why", "which"}
_YES_NO = {"did", "do", "does", "is", "are", "was", "were", "have", "has", "had", "can",
           "could", "would", "will", "should", "wasn't", "isn't", "didn't"}


@dataclass
class Verdict:
    score: float | None
    detail: str
    failing: list[str] = field(default_factory=list)


def presuppositions(question: str) -> list[str]:
    """What a probe takes for granted or how it leads ([] when it is neutral)."""
    w = words(question)
    found: list[str] = []
    if not w:
        return ["empty"]
    hedged = "anything" in w and "if" in w
    if set(w) & _PRAISE and not hedged:
        found.append("benefit")
    if set(w) & _COMPLAINT and not hedged:
        found.append("problem")
    if set(w) & _IMAGINED or w[0] == "if":
        found.append("future")
    # `words` reads "our" as "your" (reflections turn the PM's words round); a probe may not.
    if set(re.findall(r"[a-z']+", question.lower())) & _VENDOR:
        found.append("vendor")
    # A second asking word after "and"/"or", or a second question mark: two questions.
    pairs = zip(w, w[1:], strict=False)
    if question.count("?") > 1 or any(a in {"and", "or"} and b in _ASKERS for a, b in pairs):
        found.append("two questions")
    if w[0] in _YES_NO and not found:
        found.append("yes/no")
    return found


def _stems(text: str) -> set[str]:
    out = set()
    for w in content_words(text):
        if w in GENERIC:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.add(w)
    return out


def input_words(inputs: dict) -> set[str]:
    """The stemmed content words of a scenario's text inputs."""
    return set().union(*(_stems(str(v)) for v in inputs.values() if isinstance(v, str)))


def personalised(items: Iterable[str], inputs: dict, notes: Iterable[str] = ()) -> Verdict:
    """Share of `items` that name a content word of the inputs, or of `notes`: what the
    user's notes with the person say (an agenda asking about "the design review" their last
    1:1 note records is about this person as much as one about the PM's typed worry)."""
    facts = input_words(inputs).union(*(_stems(n) for n in notes))
    items = [i for i in items if i.strip()]
    failing = [i for i in items if not (_stems(i) & facts)]
    if not items:
        return Verdict(None, "nothing to score")
    share = 1 - len(failing) / len(items)
    return Verdict(share, f"{len(items) - len(failing)}/{len(items)} name the inputs", failing)


def presupposing(items: Iterable[str]) -> Verdict:
    items = [i for i in items if i.strip()]
    failing = [f"{i} ({', '.join(p)})" for i in items if (p := presuppositions(i))]
    if not items:
        return Verdict(None, "nothing to score")
    return Verdict(1 - len(failing) / len(items),
                   f"{len(failing)}/{len(items)} lead or presuppose", failing)


def repeated_citations(cited: Iterable[tuple[str, int]]) -> Verdict:
    """Passages (path, first line) cited more than once."""
    counts = Counter(cited)
    if not counts:
        return Verdict(None, "no citations")
    repeats = [f"{p}:{line} x{n}" for (p, line), n in counts.items() if n > 1]
    total = sum(counts.values())
    return Verdict(len(counts) / total, f"{len(counts)} distinct of {total} citations", repeats)


def bank_share(origins: Iterable[str]) -> Verdict:
    origins = list(origins)
    if not origins:
        return Verdict(None, "no probes")
    bank = sum(o == "bank" for o in origins)
    return Verdict(bank / len(origins), f"{bank}/{len(origins)} from the bank")


# -- agendas: nothing pasted, owners right ------------------------------------------------------

_FIRST_PERSON = {"i", "i'm", "i'll", "i've", "i'd", "me", "my", "mine", "myself", "we", "we're",
                 "we'll", "we've", "our", "ours", "us", "ourselves"}


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower().replace("’", "'"))


def sentences_of(text: str) -> list[str]:
    """The PM's text cut at sentence ends, semicolons, new lines and bullets."""
    parts = re.split(r"(?<=[.!?;])\s+|\n+|^\s*[-*]\s+", text.strip(), flags=re.M)
    return [p.strip() for p in parts if len(_tokens(p)) >= 2]


def pasted(items: Iterable[tuple[str, str]], on_mind: str) -> Verdict:
    """(kind, text) of an agenda's topics and questions: the share that neither repeat an
    on-mind sentence (>= 80% of the item's words are words of one sentence) nor, for topics,
    speak in the first person."""
    sents = [set(_tokens(s)) for s in sentences_of(on_mind)]
    items = [(k, t) for k, t in items if t.strip()]
    if not items:
        return Verdict(None, "nothing to score")
    failing = []
    for kind, text in items:
        words = _tokens(text)
        share = max((sum(w in s for w in words) / len(words) for s in sents), default=0.0)
        if share >= 0.8:
            failing.append(f"{text} (pasted, {share:.0%})")
        elif kind == "topic" and set(words) & _FIRST_PERSON:
            failing.append(f"{text} (first person)")
    ok = len(items) - len(failing)
    return Verdict(ok / len(items), f"{ok}/{len(items)} rewritten", failing)


_ME_NAMES = {"myself", "me", "i"}


def expected_owner(text: str, names: Iterable[str] = ()) -> str | None:
    """Who owns a task line by its words alone: `@Myself` / "I'll ..." / "my" are yours,
    `@Dana ...` / "Dana to ..." / "Dana: ..." are Dana's (when Dana is one of `names`, so
    "Talk to ..." is nobody's); None when the words do not say."""
    at = re.match(r"\s*@(\w+)", text)
    if at:
        return "you" if at.group(1).lower() in _ME_NAMES else at.group(1)
    if re.search(r"@(myself|me)\b", text, re.I):
        return "you"
    named = re.match(r"\s*([A-Z][a-z]+)(?::|\s+(?:to|will|should)\s)", text)
    known = {n.split()[0].casefold() for n in names if n.strip()}
    if named and named.group(1).casefold() in known:
        return named.group(1)
    if set(_tokens(text)) & {"i", "i'll", "i'm", "i've", "me", "my", "myself"}:
        return "you"
    return None


def owners(carried: Iterable[tuple[str, str | None]], names: Iterable[str] = ()) -> Verdict:
    """(task text, owner shown) of the carried items: the share whose shown owner is the one
    the words say (items whose words do not say are not scored); `names` are the people."""
    names = list(names)
    judged = [(t, o, want) for t, o in carried if (want := expected_owner(t, names)) is not None]
    if not judged:
        return Verdict(None, "no item says whose it is")
    failing = [f"{t} (owner {o!r}, should be {w!r})" for t, o, w in judged
               if (o or "").split()[0:1] != [w] and (o or "").casefold() != w.casefold()]
    ok = len(judged) - len(failing)
    return Verdict(ok / len(judged), f"{ok}/{len(judged)} owners right", failing)
