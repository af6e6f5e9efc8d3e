"""What a JTBD interview is about, read from the guide's three inputs: the old way, the new
product, the moment and the people involved. Every probe must name one of them."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

# "switched from X to Y", "moved client follow-ups from X to Y", "moved from X to Y"
_FROM_TO = re.compile(
    r"\b(?:switch(?:ed)?|mov(?:ed|e)|went|changed|migrated|replaced)\b(?P<what>.*?)\bfrom\b"
    r"(?P<old>.+?)\b(?:to|for|with)\b(?P<new>.+)$",
    re.IGNORECASE,
)
# "cancelled X and joined Y", "stopped using X and went back to Y"
_FIRED = re.compile(
    r"^(?:cancell?ed|stopped using|left|quit|dropped|churned from)\s+(?P<old>.+?)"
    r"(?:\s+(?:and|to)\s+(?:went back to|joined|moved to|switched to|started|took up|now uses?)"
    r"\s+(?P<new>.+))?$",
    re.IGNORECASE,
)
# "trialled X and decided to keep Y": the kept way is the old way the trial lost to.
_TRIAL = re.compile(
    r"^(?:trial?led|tried|tested|piloted)\s+(?P<new>.+?)\s+and\s+(?:decided to keep|kept|stayed "
    r"with|went back to)\s+(?P<old>.+)$",
    re.IGNORECASE,
)
_STARTED = re.compile(r"^(?:started using|signed up for|bought|hired)\s+(?P<new>.+)$", re.IGNORECASE)
_WHEN = re.compile(
    r"\b(?:in the last \w+(?: \w+)?|this (?:term|year|quarter|month)|last (?:quarter|month|year|"
    r"term)|after [^,]+|when [^,]+)$",
    re.IGNORECASE,
)
# People a switch story may involve, named in the inputs.
_PEOPLE = re.compile(
    r"\b(?:team|engineers?|staff|household|partner|family|parents?|accountant|clients?|"
    r"students?|patients?|manager|boss|co-?founder|colleagues?|kids|children|designers?)\b",
    re.IGNORECASE,
)
_LEAD_DET = re.compile(r"^(?:a|an|the|their|his|her|its|my)\s+", re.IGNORECASE)


class SwitchFacts(BaseModel):
    """The parts of a switch a probe can name (each "" when the inputs do not say)."""

    product: str
    """The product's short name ("Tally")."""
    category: str = ""
    """What the product is ("a budgeting app for freelancers")."""
    kind: str = "hire"
    """hire (moved to something new), fire (left the product), kept (a trial that lost)."""
    old: str = ""
    """The old way, as a noun phrase ("spreadsheets", "the shared inbox and sticky notes")."""
    new: str = ""
    """What they moved to ("a budgeting app", "a climbing gym")."""
    what: str = ""
    """What moved, when the switch says ("client follow-ups", "payroll")."""
    who: str = ""
    """The interviewee's role ("freelancer", "GP", "owner of a design agency")."""
    when: str = ""
    people: list[str] = Field(default_factory=list)

    def words(self) -> set[str]:
        """Lower-case content words of the facts, for "does this probe name the switch?"."""
        text = " ".join([self.product, self.category, self.old, self.new, self.what, *self.people])
        return {w for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if w not in _NOT_FACTS}

    @property
    def old_short(self) -> str:
        """The old way without its trailing detail ("typing notes during and after
        consultations" -> "typing notes"), short enough to sit inside a probe."""
        return re.split(r"\s+(?:during|and|for|with|in|on|at|after|from)\s+", self.old, maxsplit=1)[0]

    @property
    def target(self) -> str:
        """What the timeline moves towards: the product hired, or what they left it for."""
        if self.kind in ("hire", "kept") or not self.new:
            return self.product
        return self.new

    def values(self) -> dict[str, str]:
        """Slots the bank's JTBD templates fill."""
        # "your old way" reads in every stem; "how you worked before Reps" made "the last time
        # you used how you worked before Reps" (person test, 2026-12-05).
        old = self.old or "your old way"
        return {"old": old, "product": self.product, "target": self.target}


# Words of the inputs that name nothing in particular.
_NOT_FACTS = {
    "the", "and", "for", "with", "from", "app", "tool", "product", "software", "their", "our",
    "your", "who", "that", "this", "last", "months", "weeks", "days", "using", "used", "use",
    "new", "old", "way", "one", "least", "ideally", "person", "online", "based", "after",
    "during", "before", "into", "small",
}


def short_name(product: str) -> str:
    """'Reps, a home workout app' -> 'Reps'; a description with no name, 'a meal-kit
    subscription for busy parents' -> 'the meal-kit subscription' (said in every probe, the
    whole description made each one a mouthful)."""
    name = product.split(",")[0].strip() or product
    if re.match(r"^(?:a|an|the|our|their)\s", name, re.IGNORECASE):
        return _phrase(re.split(r"\s+(?:for|that|which|who|with|to|in|on)\s+", name, maxsplit=1)[0])
    return name


def _phrase(text: str, *, definite: bool = True) -> str:
    """A noun phrase the interviewer can say: their own thing is "the" one ("a meal-kit
    subscription" -> "the meal-kit subscription"), theirs is "your", never the vendor's "our"."""
    text = " ".join(text.split()).strip(" ,.;")
    text = re.sub(r"^our\b", "the", text, flags=re.IGNORECASE)
    text = re.sub(r"^their\b", "your", text, flags=re.IGNORECASE)
    if definite:
        text = re.sub(r"^(?:a|an)\s+", "the ", text, flags=re.IGNORECASE)
    return text


def read_switch(product: str, switch: str, interviewee: str) -> SwitchFacts:
    """The facts of a switch; what the text does not say stays empty."""
    name = short_name(product)
    category = product.split(",", 1)[1].strip() if "," in product else (product if name != product else "")
    switch = " ".join(switch.split()).rstrip(".")
    facts = SwitchFacts(product=name, category=category)
    if m := _TRIAL.search(switch):
        facts.kind, facts.old, facts.new = "kept", _phrase(m["old"]), _phrase(m["new"])
    elif m := _FIRED.search(switch):
        facts.kind, facts.old, facts.new = "fire", _phrase(m["old"]), _phrase(m["new"] or "")
    elif m := _FROM_TO.search(switch):
        facts.old, facts.new = _phrase(m["old"]), _phrase(m["new"], definite=False)
        facts.what = _phrase(m["what"])
    elif m := _STARTED.search(switch):
        facts.new = _phrase(m["new"], definite=False)
    who = re.sub(r"\s+(?:who|whose|that|with)\b.*$", "", interviewee.strip(), flags=re.IGNORECASE)
    facts.who = _LEAD_DET.sub("", _phrase(who, definite=False))
    if m := _WHEN.search(interviewee.strip()):
        facts.when = m.group(0)
    seen: list[str] = []
    for m in _PEOPLE.finditer(f"{switch} {interviewee}"):
        word = m.group(0).lower()
        if word not in seen:
            seen.append(word)
    facts.people = seen
    return facts
