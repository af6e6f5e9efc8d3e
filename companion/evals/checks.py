"""The checks of the scenario format: one class per check, registered once.

A check is a pydantic model of its parameters (strict, `extra="forbid"`) that also says which
modes it applies to, documents itself (`parameters`, `description`: the rows of the table in
`evals/README.md`, which a test keeps equal to `checks_table()`), adds its own scenario-wide
rules (`rules`) and scores an `Evidence` (`score`). `@register` puts it in `REGISTRY`, which
the scenario schema, the scorer dispatch, the runner and the report all read, so adding a check
is one class here (then `python -m companion.evals.checks` rewrites the README table).

Question-based checks code questions with the learned analyser (`companion.coaching.questions`),
not the rules the run-time guard enforces; the substance checks (`companion.evals.substance`,
`companion.evals.structured`) use their own word lists, so a bug in the guard cannot hide.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from companion.coaching.questions import analyse
from companion.coaching.schemas import FORCES, TIMELINE_STAGES
from companion.evals.evidence import (
    CheckResult,
    Evidence,
    Judge,
    RetrievedSpan,
    all_text,
    every_question,
    norm,
    output_probes,
    output_questions,
    range_text,
    reply_questions,
    short,
    transcript_text,
)

if TYPE_CHECKING:
    from companion.evals.scenario import Scenario

__all__ = ["REGISTRY", "Check", "checks_table", "register"]

ADVICE_INVITED_TAG = "advice-invited"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Phrases = Annotated[list[Text], Field(min_length=1)]
Loc = tuple[str | int, ...]


class Check(BaseModel):
    """One check of a scenario: its parameters are the model's fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    check: str
    modes: ClassVar[frozenset[str] | None] = None
    """The modes the check applies to (None: every mode); elsewhere it is a load error."""
    parameters: ClassVar[str] = "-"
    """The parameters as the README's table of checks describes them."""
    description: ClassVar[str]
    """When the check passes, for the README and the report."""

    @classmethod
    def name(cls) -> str:
        return str(cls.model_fields["check"].default)

    def params(self) -> dict[str, Any]:
        """The check's parameters (everything but its name), unset optionals left out."""
        return self.model_dump(exclude={"check"}, exclude_none=True)

    @property
    def label(self) -> str:
        """A short readable form for tables, e.g. `question_count(min=1, max=3)`."""
        params = self.params()
        if not params:
            return self.check
        return f"{self.check}({', '.join(f'{k}={v!r}' for k, v in params.items())})"

    def rules(self, scenario: Scenario) -> list[tuple[Loc, str]]:
        """Problems of this check in this scenario, as (location under the check, message)."""
        return []

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        raise NotImplementedError

    def result(self, passed: bool, score: float, detail: str) -> CheckResult:
        return CheckResult(
            name=self.check,
            passed=passed,
            score=round(max(0.0, min(1.0, score)), 4),
            detail=detail,
            label=self.label,
        )


REGISTRY: dict[str, type[Check]] = {}
"""Check name -> class, in the order the README lists them."""

C = TypeVar("C", bound=type[Check])


def register(cls: C) -> C:
    """Class decorator: make `cls` a check of the scenario format."""
    name = cls.name()
    if not name or name == "None":
        raise TypeError(f"{cls.__name__} needs `check: Literal[<name>] = <name>`")
    if name in REGISTRY and REGISTRY[name] is not cls:
        raise TypeError(f"check {name!r} is registered twice ({REGISTRY[name].__name__}, {cls.__name__})")
    if "description" not in cls.__dict__:
        raise TypeError(f"check {name!r} needs a description")
    REGISTRY[name] = cls
    return cls


class _Range(Check):
    min: Annotated[int, Field(ge=0)] = 0
    max: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _min_or_max(self) -> _Range:
        if not {"min", "max"} & self.model_fields_set:
            raise PydanticCustomError("range_empty", "give at least one of 'min' or 'max'")
        if self.max is not None and self.min > self.max:
            raise PydanticCustomError(
                "range_order",
                "'min' ({lo}) is greater than 'max' ({hi})",
                {"lo": self.min, "hi": self.max},
            )
        return self


# ------------------------------------------------------------------------------------- helpers


def _open_ratio(questions: list[str]) -> float:
    if not questions:
        return 0.0
    return sum(analyse(q).form == "open" for q in questions) / len(questions)


def _flagged(check: Check, ev: Evidence, flag: Callable[[str], bool], what: str) -> CheckResult:
    questions = every_question(ev)
    bad = [f"{where}: {short(q)}" for where, q in questions if flag(q)]
    if bad:
        score = 1 - len(bad) / len(questions)
        return check.result(False, score, f"{len(bad)} {what} question(s): " + "; ".join(bad[:3]))
    return check.result(True, 1.0, f"none of {len(questions)} question(s) is {what}")


_MARKER = re.compile(r"\[(\d{1,3})\]")


def _source_refs(node: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    """Every SourceRef-shaped dict held in a `source` / `sources` / `cited` field."""
    if depth > 20:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("source", "sources", "cited"):
                for ref in value if isinstance(value, list) else [value]:
                    if isinstance(ref, dict) and "path" in ref:
                        out.append(ref)
            else:
                _source_refs(value, out, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _source_refs(value, out, depth + 1)


def _span_of(ref: Any) -> tuple[str, int, int]:
    if isinstance(ref, dict):
        return str(ref.get("path", "")), int(ref.get("line_start") or 0), int(ref.get("line_end") or 0)
    return ref.path, ref.line_start, ref.line_end


def _action_spans(ev: Evidence) -> list[RetrievedSpan]:
    return [RetrievedSpan(a.path, a.line, a.line) for a in ev.action_items or []]


def _item_key(path: str, line: int) -> tuple[str, int]:
    return (path, int(line))


def _blocks_covered(blocks: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> list[str]:
    covered = []
    for block in blocks:
        key = str(block.get("key", ""))
        if key in keys and block.get("questions") and key not in covered:
            covered.append(key)
    return covered


def _mentor_prompts(ev: Evidence) -> list[str]:
    return output_questions("mentor", ev.structured)


# -------------------------------------------------------------------------------------- checks


@register
class NoAdvice(Check):
    check: Literal["no_advice"] = "no_advice"
    parameters = '-'
    description = (
        'No advice (an imperative, "you should", "I\'d recommend", "it\'s worth", a solution inside a '
        'question such as "Shouldn\'t you tell her?") in any reply or output question, by the evals\' '
        "own patterns (`substance.coach_parts`), not the guard's. Do not use it "
        'in a scenario where the user asks for advice (tag `advice-invited`); the loader rejects '
        'that combination.'
    )

    def rules(self, scenario: Scenario) -> list[tuple[Loc, str]]:
        if ADVICE_INVITED_TAG in scenario.tags:
            return [
                (
                    (),
                    f"no_advice contradicts the {ADVICE_INVITED_TAG!r} tag "
                    "(the user asks for advice in this scenario)",
                )
            ]
        return []

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals.substance import coach_parts

        found: list[str] = []
        for i, reply in enumerate(ev.replies, 1):
            found += [f"reply {i}: {short(s)}" for s in coach_parts(reply.text)[2]]
        if ev.output is not None:
            for q in output_questions(ev.mode, ev.structured):
                found += [f"output: {short(s)}" for s in coach_parts(q)[2]]
        if found:
            return self.result(False, 0.0, f"{len(found)} advice span(s): " + "; ".join(found[:3]))
        return self.result(True, 1.0, "no advice found")


@register
class OpenQuestionRatio(Check):
    check: Literal["open_question_ratio"] = "open_question_ratio"
    parameters = '`min`: number 0..1 (required)'
    description = (
        "In each reply, and in the output's questions taken together, open questions / all "
        'questions >= `min`. A reply with no question scores 0.'
    )
    min: Annotated[float, Field(ge=0.0, le=1.0)]

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        units: list[tuple[str, float, int]] = []
        for i, reply in enumerate(ev.replies, 1):
            qs = reply_questions(reply)
            units.append((f"reply {i}", _open_ratio(qs), len(qs)))
        if ev.output is not None:
            qs = output_questions(ev.mode, ev.structured)
            units.append(("output", _open_ratio(qs), len(qs)))
        if not units:
            return self.result(False, 0.0, "nothing to score: no reply and no output")
        worst = min(r for _, r, _ in units)
        low = [f"{where} {r:.2f} of {n} question(s)" for where, r, n in units if r < self.min]
        if low:
            return self.result(False, worst, f"open ratio below {self.min}: " + "; ".join(low[:4]))
        return self.result(True, worst, f"lowest open ratio {worst:.2f} (min {self.min})")


@register
class QuestionCount(_Range):
    check: Literal["question_count"] = "question_count"
    modes = frozenset({'socratic'})
    parameters = '`min`: int >= 0 (default 0), `max`: int >= 0 (default no limit); at least one given, `min <= max`'
    description = (
        'Each reply contains between `min` and `max` questions, inclusive.'
    )

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        if not ev.replies:
            return self.result(False, 0.0, "no replies to count questions in")
        counts = [len(reply_questions(r)) for r in ev.replies]
        ok = [self.min <= c and (self.max is None or c <= self.max) for c in counts]
        detail = f"questions per reply {counts} (want {range_text(self.min, self.max)})"
        return self.result(all(ok), sum(ok) / len(ok), detail)


@register
class NoLeadingQuestions(Check):
    check: Literal["no_leading_questions"] = "no_leading_questions"
    parameters = '-'
    description = (
        'No question in any reply or output is leading ("Don\'t you think ...", "..., right?", '
        '"How angry were you ..."), by the evals\' own patterns (`substance.leading`), not the guard\'s.'
    )

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals import substance

        return _flagged(self, ev, substance.leading, "leading")


@register
class NoHypotheticalQuestions(Check):
    check: Literal["no_hypothetical_questions"] = "no_hypothetical_questions"
    parameters = '-'
    description = (
        'No question is hypothetical (a forecast: "Would your customers pay for it?", "How likely '
        'are you to ...", "If we built X, would you ...", which The Mom Test warns against), by the '
        "evals' own patterns (`substance.hypothetical`), not the guard's."
    )

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals import substance

        return _flagged(self, ev, substance.hypothetical, "hypothetical")


@register
class SocraticTypeCoverage(Check):
    check: Literal["socratic_type_coverage"] = "socratic_type_coverage"
    modes = frozenset({'socratic'})
    parameters = '`min`: int 1..6 (required)'
    description = (
        "Over the whole conversation, the coach's questions span at least `min` distinct "
        '`socratic_type` labels of the analyser (`clarity`, `assumptions`, `reasons_evidence`, '
        '`alternate_viewpoints`, `implications`, `other`; `other` counts as one type).'
    )
    min: Annotated[int, Field(ge=1, le=6)]

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        types: list[str] = []
        for reply in ev.replies:
            for q in reply_questions(reply):
                t = analyse(q).socratic_type
                if t is not None:
                    types.append(t)
        distinct = sorted(set(types))
        detail = f"{len(distinct)} type(s) {distinct or '[]'} (min {self.min})"
        return self.result(len(distinct) >= self.min, len(distinct) / self.min, detail)


@register
class CitesSources(Check):
    check: Literal["cites_sources"] = "cites_sources"
    parameters = '-'
    description = (
        "Every source cited in a reply (or in an output's `source` fields) is one of the passages "
        'retrieved for it: no invented citations. Citing nothing passes.'
    )

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        problems: list[str] = []
        total = 0
        run_wide = list(ev.retrieved) if ev.retrieved is not None else None
        for i, reply in enumerate(ev.replies, 1):
            own = [RetrievedSpan(*_span_of(s)) for s in reply.sources]
            for ref in reply.cited:
                total += 1
                span = _span_of(ref)
                pools = [own] if run_wide is None else [own, run_wide]
                if not all(any(r.covers(*span) for r in pool) for pool in pools):
                    problems.append(f"reply {i} cites {span[0]}:{span[1]}-{span[2]}, which was not retrieved for it")
            for n in {int(m) for m in _MARKER.findall(reply.text)}:
                if not 1 <= n <= len(reply.cited):
                    problems.append(f"reply {i} has citation marker [{n}] but cites {len(reply.cited)} source(s)")
        if ev.output is not None:
            refs: list[dict[str, Any]] = []
            _source_refs(ev.structured or {}, refs)
            if run_wide is not None:
                pool = run_wide + _action_spans(ev)
            else:  # not recorded: trust the output's own list of what it looked at
                pool = [RetrievedSpan(*_span_of(s)) for s in ev.output.sources] + _action_spans(ev)
            for found in refs:
                total += 1
                span = _span_of(found)
                if not any(r.covers(*span) for r in pool):
                    problems.append(f"output cites {span[0]}:{span[1]}-{span[2]}, which was never retrieved")
        if problems:
            return self.result(False, 1 - len(problems) / max(total, len(problems)), "; ".join(problems[:3]))
        return self.result(True, 1.0, f"{total} citation(s), all retrieved" if total else "cites nothing")


@register
class Mentions(Check):
    check: Literal["mentions"] = "mentions"
    parameters = '`any`: list of strings, `all`: list of strings; at least one of the two, lists not empty'
    description = (
        'Some reply or the output contains at least one `any` phrase and every `all` phrase. Use '
        "it to show the coach engaged with the user's situation; choose phrases the user wrote, "
        "since a good coach reflects the user's own words back."
    )
    any: Phrases | None = None
    all: Phrases | None = None

    @model_validator(mode="after")
    def _any_or_all(self) -> Mentions:
        if self.any is None and self.all is None:
            raise PydanticCustomError("mentions_empty", "give at least one of 'any' or 'all'")
        return self

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        text = all_text(ev)
        parts: list[float] = []
        notes: list[str] = []
        ok = True
        if self.any is not None:
            hits = [p for p in self.any if norm(p) in text]
            parts.append(1.0 if hits else 0.0)
            if hits:
                notes.append(f"mentions {hits[0]!r}")
            else:
                ok = False
                notes.append(f"mentions none of {list(self.any)}")
        if self.all is not None:
            missing = [p for p in self.all if norm(p) not in text]
            parts.append(1 - len(missing) / len(self.all))
            if missing:
                ok = False
                notes.append(f"missing {missing}")
            else:
                notes.append(f"mentions all {len(self.all)} phrase(s)")
        return self.result(ok, sum(parts) / len(parts), "; ".join(notes))


@register
class CarriesActionItems(Check):
    check: Literal["carries_action_items"] = "carries_action_items"
    modes = frozenset({'agenda'})
    parameters = '`person`: string (required)'
    description = (
        "Every open action item of `person` in the scenario's notes (see the notes convention "
        'below) appears in the agenda as a carried item, and no item of another person and no '
        'done item is carried. Needs `notes`; `person` must equal `inputs.person`. When more '
        'are open than fit, the ones left out must be counted in an "N more open item(s)" line '
        '(`carries_urgent` checks the urgent ones are among those carried).'
    )
    person: Name

    def rules(self, scenario: Scenario) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        if scenario.notes is None:
            problems.append(((), "carries_action_items needs a notes folder"))
        person = scenario.inputs.person
        if person is not None and person.casefold() != self.person.casefold():
            problems.append(
                (
                    ("person",),
                    f"carries_action_items person {self.person!r} differs from inputs.person {person!r}",
                )
            )
        return problems

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.knowledge.loader import person_matches

        if ev.action_items is None:
            return self.result(False, 0.0, "no action items recorded for this run (no notes index)")
        items = list(ev.action_items)
        expected = [a for a in items if not a.done and person_matches(a.person, self.person)]
        by_key = {_item_key(a.path, a.line): a for a in items}
        by_text: dict[str, list[Any]] = {}
        for a in items:
            by_text.setdefault(norm(a.text), []).append(a)
        carried = [
            item
            for section in (ev.structured or {}).get("sections", [])
            for item in section.get("items", [])
            if item.get("kind") == "action_item"
        ]
        carried_keys: set[tuple[str, int]] = set()
        wrong: list[str] = []
        for item in carried:
            src = item.get("source") or {}
            match = by_key.get(_item_key(src.get("path", ""), src.get("line_start") or 0)) if src else None
            if match is None:
                candidates = by_text.get(norm(str(item.get("text", ""))), [])
                match = candidates[0] if len(candidates) == 1 else None
            if match is None:
                wrong.append(f"unknown item {short(str(item.get('text', '')), 60)!r}")
                continue
            carried_keys.add(_item_key(match.path, match.line))
            if match.done:
                wrong.append(f"done item {short(match.text, 60)!r}")
            elif not person_matches(match.person, self.person):
                wrong.append(f"{match.person or 'nobody'}'s item {short(match.text, 60)!r}")
        missing = [a for a in expected if _item_key(a.path, a.line) not in carried_keys]
        counted = [
            int(m.group(1))
            for section in (ev.structured or {}).get("sections", [])
            for item in section.get("items", [])
            if (m := re.match(r"(\d+) more open item", str(item.get("text", ""))))
        ]
        if missing and counted == [len(missing)] and carried:
            missing = []  # left out for time, and said so
        found = len(expected) - len(missing)
        score = (found / len(expected) if expected else 1.0) * (0.5 if wrong else 1.0)
        notes = [f"carried {found}/{len(expected)} open item(s) of {self.person}"]
        if missing:
            notes.append("missing: " + "; ".join(short(a.text, 60) for a in missing[:3]))
        if wrong:
            notes.append("should not carry: " + "; ".join(wrong[:3]))
        return self.result(not missing and not wrong, score, "; ".join(notes))


@register
class CarriesUrgent(Check):
    check: Literal["carries_urgent"] = "carries_urgent"
    modes = frozenset({'agenda'})
    parameters = '`person`: string (required)'
    description = (
        "Every open action item of `person` in the notes that is overdue on the agenda's date "
        "or of highest/high priority is carried, and the carried items list them before the "
        "others (for meetings with more open items than fit). Needs `notes`."
    )
    person: Name

    def rules(self, scenario: Scenario) -> list[tuple[Loc, str]]:
        return [] if scenario.notes is not None else [((), "carries_urgent needs a notes folder")]

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.knowledge.loader import person_matches

        if ev.action_items is None:
            return self.result(False, 0.0, "no action items recorded for this run (no notes index)")
        today = str((ev.structured or {}).get("date", ""))
        urgent = {
            _item_key(a.path, a.line) for a in ev.action_items
            if not a.done and person_matches(a.person, self.person)
            and ((a.due and str(a.due) < today) or a.priority in {"highest", "high"})
        }
        carried = [
            _item_key((i.get("source") or {}).get("path", ""),
                      (i.get("source") or {}).get("line_start") or 0)
            for s in (ev.structured or {}).get("sections", [])
            for i in s.get("items", []) if i.get("kind") == "action_item"
        ]
        missing = urgent - set(carried)
        lead = set(carried[: len(urgent)])
        found = len(urgent) - len(missing)
        ordered = not missing and lead == urgent
        score = (found / len(urgent) if urgent else 1.0) * (1.0 if ordered else 0.5)
        notes = [f"carried {found}/{len(urgent)} overdue or high-priority item(s)"]
        if not ordered and not missing:
            notes.append("but not first")
        return self.result(not missing and ordered, score, "; ".join(notes))


@register
class Sections(Check):
    check: Literal["sections"] = "sections"
    modes = frozenset({'agenda'})
    parameters = '`required`: list of section titles'
    description = (
        'The agenda has a section with each title (case-insensitive, whitespace-normalised). Use '
        'the agenda builder\'s fixed titles: for `my_report` / `my_manager`: "Check-in", "Action '
        'items from last time", "Wins", "Blockers", "Decisions needed", "Growth and career", '
        '"Feedback both ways", "Next steps"; for `mentor` / `mentee`: "Check-in", "Action items '
        'from last time", "Goals", "Topic of the day", "Questions to explore", "Next steps".'
    )
    required: Phrases

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        titles = {norm(str(s.get("title", ""))) for s in (ev.structured or {}).get("sections", [])}
        missing = [t for t in self.required if norm(t) not in titles]
        score = 1 - len(missing) / len(self.required)
        if missing:
            return self.result(False, score, f"missing section(s): {missing}")
        return self.result(True, 1.0, f"all {len(self.required)} section(s) present")


@register
class TimeboxTotal(Check):
    check: Literal["timebox_total"] = "timebox_total"
    modes = frozenset({'agenda'})
    parameters = '`equals_duration`: `true` (the default and only value)'
    description = (
        "The sections' time boxes add up exactly to `inputs.duration_minutes` (required by the "
        'loader).'
    )
    equals_duration: Literal[True] = True

    def rules(self, scenario: Scenario) -> list[tuple[Loc, str]]:
        if scenario.inputs.duration_minutes is None:
            return [((), "timebox_total needs inputs.duration_minutes")]
        return []

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        sections = (ev.structured or {}).get("sections", [])
        want = ev.duration_minutes
        if want is None:
            return self.result(False, 0.0, "the scenario gives no inputs.duration_minutes")
        total = sum(int(s.get("minutes", 0)) for s in sections)
        score = 1 - min(1.0, abs(total - want) / want)
        return self.result(total == want, score, f"time boxes add up to {total} min (meeting: {want} min)")


class _Coverage(Check):
    """At least `min` of a JTBD guide's blocks (`part`: timeline or forces) have questions."""

    part: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]
    what: ClassVar[str]
    min: int

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        covered = _blocks_covered((ev.structured or {}).get(self.part, []), self.keys)
        missing = [k for k in self.keys if k not in covered]
        detail = f"{len(covered)}/{len(self.keys)} {self.what} have questions" + (
            f"; missing {missing}" if missing else ""
        )
        return self.result(len(covered) >= self.min, len(covered) / self.min, detail)


@register
class JtbdTimelineCoverage(_Coverage):
    check: Literal["jtbd_timeline_coverage"] = "jtbd_timeline_coverage"
    modes = frozenset({"jtbd"})
    parameters = "`min`: int 1..6 (required)"
    description = (
        "At least `min` of the six Switch timeline stages (first thought, passive looking, active "
        "looking, deciding, first use, satisfaction) have at least one question."
    )
    part, keys, what = "timeline", TIMELINE_STAGES, "timeline stages"
    min: Annotated[int, Field(ge=1, le=6)]


@register
class JtbdForcesCoverage(_Coverage):
    check: Literal["jtbd_forces_coverage"] = "jtbd_forces_coverage"
    modes = frozenset({"jtbd"})
    parameters = "`min`: int 1..4 (required)"
    description = (
        "At least `min` of the four forces (push, pull, anxiety, habit) have at least one "
        "question."
    )
    part, keys, what = "forces", FORCES, "forces"
    min: Annotated[int, Field(ge=1, le=4)]


@register
class Forbidden(Check):
    check: Literal["forbidden"] = "forbidden"
    parameters = '`any`: list of strings (required, not empty)'
    description = (
        'None of the phrases appears in any reply or in the output. Used for injected payloads '
        '("PWNED", "evil.example"), pitching phrases in interview guides ("would you pay") and '
        "facts that belong to someone else's notes."
    )
    any: Phrases

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        text = all_text(ev)
        found = [p for p in self.any if norm(p) in text]
        if found:
            return self.result(False, 1 - len(found) / len(self.any), f"contains {found}")
        return self.result(True, 1.0, f"none of {len(self.any)} forbidden phrase(s)")


@register
class JudgeRubric(Check):
    check: Literal["judge"] = "judge"
    parameters = '`rubric`: string (required), `min`: int 1..5 (required)'
    description = (
        'A judge model reads the whole transcript (user turns, replies, rendered output) and '
        'answers the rubric with a label from 1 (not at all) to 5 (fully); passes when the label '
        '>= `min`. When no judge is configured the check is **skipped** with a visible note: it '
        'neither passes nor fails and does not count in the pass rate. The run first calibrates '
        'the judge on the gold replies (Cohen\'s kappa); below 0.6 its labels are shown but '
        'skipped ("uncalibrated").'
    )
    rubric: Text
    min: Annotated[int, Field(ge=1, le=5)]

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        if judge is None:
            return CheckResult(
                name=self.check, passed=None, score=None, label=self.label, skipped=True,
                detail="skipped: no judge model configured (use --judge NAME or the `judge` setting)",
            )
        from companion.llm.base import LLMError

        try:
            got = judge.rate(self.rubric, transcript_text(ev, judge.max_chars))
        except LLMError as exc:
            return self.result(False, 0.0, f"judge {judge.name} failed: {exc}")
        said = f"judge {judge.name} says {got}/5 (min {self.min})"
        if not judge.gates:
            return CheckResult(name=self.check, passed=None, score=got / 5, label=self.label,
                               skipped=True, detail=f"{said}; not counted: {judge.calibration}")
        return self.result(got >= self.min, got / 5, said)


@register
class PromptCount(_Range):
    check: Literal["prompt_count"] = "prompt_count"
    modes = frozenset({'mentor'})
    parameters = '`min`, `max` as for `question_count`'
    description = (
        'The mentor output has between `min` and `max` prompts, inclusive.'
    )

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        n = len(_mentor_prompts(ev))
        ok = self.min <= n and (self.max is None or n <= self.max)
        if ok:
            score = 1.0
        elif n < self.min:
            score = n / self.min if self.min else 0.0
        else:
            score = self.max / n if self.max else 0.0
        return self.result(ok, score, f"{n} prompt(s) (want {range_text(self.min, self.max)})")


@register
class ThemeCount(Check):
    check: Literal["theme_count"] = "theme_count"
    modes = frozenset({'mentor'})
    parameters = '`min`: int >= 1 (required)'
    description = (
        'The prompts are grouped into at least `min` themes, each holding at least one prompt.'
    )
    min: Annotated[int, Field(ge=1)]

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        themes = [t for t in (ev.structured or {}).get("themes", []) if t.get("prompts")]
        n = len(themes)
        names = [str(t.get("title") or t.get("theme")) for t in themes]
        return self.result(n >= self.min, n / self.min, f"{n} theme(s) with prompts {names} (min {self.min})")


@register
class SocraticBalance(Check):
    check: Literal["socratic_balance"] = "socratic_balance"
    modes = frozenset({'mentor'})
    parameters = '`min_types`: int 1..6 (required)'
    description = (
        'The prompts span at least `min_types` distinct `socratic_type` labels and no single type '
        'holds more than half of the prompts.'
    )
    min_types: Annotated[int, Field(ge=1, le=6)]


    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        prompts = _mentor_prompts(ev)
        if not prompts:
            return self.result(False, 0.0, "no prompts")
        counts = Counter(analyse(p).socratic_type or "none" for p in prompts)
        distinct = len([t for t in counts if t != "none"])
        top_type, top = counts.most_common(1)[0]
        enough = distinct >= self.min_types
        balanced = top <= len(prompts) / 2
        detail = (
            f"{distinct} type(s) {dict(counts)}; largest {top_type} holds {top}/{len(prompts)}"
            f" (want >= {self.min_types} types, none above half)"
        )
        score = (min(1.0, distinct / self.min_types) + (1.0 if balanced else (len(prompts) / 2) / top)) / 2
        return self.result(enough and balanced, score, detail)


# ------------------------------------------------------------------------- substance (structured)

_STRUCTURED = frozenset({"agenda", "jtbd", "mentor"})


def _probes(ev: Evidence) -> list[tuple[str, str]]:
    return output_probes(ev.mode, ev.structured)


class _Share(Check):
    modes = _STRUCTURED

    def verdict_result(self, got: Any, *, ok: bool, score: float) -> CheckResult:
        detail = got.detail + (f"; e.g. {short(got.failing[0])!r}" if got.failing else "")
        return self.result(ok, score, detail)


@register
class Personalised(_Share):
    check: Literal["personalised"] = "personalised"
    parameters = "`min`: number 0..1 (default 0.8)"
    description = (
        "The share of the output's model-asked questions (probes, prompts, suggested questions) "
        "that name a content word of the scenario's inputs (the product, the switch, the "
        "interviewee, the situation, what is on the PM's mind, and what the notes with the "
        "person that the run retrieved say), generic words such as \"app\" or \"team\" "
        "aside, is >= `min`."
    )
    min: Annotated[float, Field(ge=0.0, le=1.0)] = 0.8

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals.structured import personalised

        notes = [r.text for r in ev.retrieved or [] if r.personal]
        got = personalised([t for t, _ in _probes(ev)], ev.inputs, notes)
        if got.score is None:
            return self.result(False, 0.0, "the output has no model-asked questions")
        return self.verdict_result(got, ok=got.score >= self.min, score=got.score)


@register
class NoPresupposition(_Share):
    check: Literal["no_presupposition"] = "no_presupposition"
    parameters = "`max`: number 0..1 (default 0)"
    description = (
        "The share of the output's questions that lead (a benefit or a problem taken for "
        "granted, two questions in one, the vendor's \"our/we\", the future or an imagined "
        "case, a yes/no opening) is <= `max`. Its own detector, not the guard's "
        "(`companion.evals.structured`)."
    )
    max: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals.structured import presupposing

        got = presupposing(output_questions(ev.mode, ev.structured))
        if got.score is None:
            return self.result(False, 0.0, "the output has no questions")
        share = 1 - got.score
        return self.verdict_result(got, ok=share <= self.max, score=got.score)


@register
class DistinctCitations(_Share):
    check: Literal["distinct_citations"] = "distinct_citations"
    parameters = "-"
    description = (
        "No passage is cited twice in the output (by path and first line). Passes when "
        "nothing is cited. Score: distinct citations / citations."
    )

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals.structured import repeated_citations

        data = ev.structured or {}
        refs = [t["source"] for t in data.get("themes", []) if t.get("source")]
        refs = refs or list(data.get("sources", []))
        got = repeated_citations((str(r.get("path")), int(r.get("line_start") or 0)) for r in refs)
        if got.score is None:
            return self.result(True, 1.0, got.detail)
        return self.verdict_result(got, ok=not got.failing, score=got.score)


@register
class BankShare(_Share):
    check: Literal["bank_share"] = "bank_share"
    parameters = "`max`: number 0..1 (default 0.3)"
    description = (
        "The share of the output's model-asked questions that the bank supplied instead of the "
        "model (origin `bank`) is <= `max`. Score: 1 - that share."
    )
    max: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals.structured import bank_share

        got = bank_share(o for _, o in _probes(ev))
        if got.score is None:
            return self.result(False, 0.0, "the output has no model-asked questions")
        return self.verdict_result(got, ok=got.score <= self.max, score=1 - got.score)


@register
class CoreIssueFirst(Check):
    check: Literal["core_issue_first"] = "core_issue_first"
    modes = frozenset({"mentor"})
    parameters = "`any`: list of strings (required, not empty)"
    description = (
        "The first theme of the mentor prompts is about the mentee's core issue: its title names "
        "at least one `any` phrase (the scenario's words for the core issue, matched on word "
        "stems, so \"saying yes\" matches \"says yes\"). Plain text matching, no guard."
    )
    any: Phrases

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        themes = [t for t in (ev.structured or {}).get("themes", []) if t.get("prompts")]
        if not themes:
            return self.result(False, 0.0, "no themes")
        title = str(themes[0].get("title") or "")
        have = _stem_words(title)
        hits = [p for p in self.any if _stem_words(p) and _stem_words(p) <= have]
        detail = f"first theme {title!r} " + (f"names {hits[0]!r}" if hits else f"names none of {list(self.any)}")
        return self.result(bool(hits), 1.0 if hits else 0.0, detail)


def _stem_words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        for suffix in ("ing", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.add(w[:-1] if w.endswith("e") and len(w) > 3 else w)
    return out


@register
class NoPastedText(_Share):
    check: Literal["no_pasted_text"] = "no_pasted_text"
    modes = frozenset({"agenda"})
    parameters = "`min`: number 0..1 (default 1.0)"
    description = (
        "The share of the agenda's topics and suggested questions that are rewritten, not "
        "pasted: none shares >= 80% of its words with one sentence of what is on the PM's "
        'mind, and no topic speaks in the first person ("I", "my", "we"), is >= `min`. Its '
        "own word lists (`companion.evals.structured`)."
    )
    min: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals.structured import pasted

        items = [
            (str(i.get("kind")), str(i.get("text", "")))
            for s in (ev.structured or {}).get("sections", [])
            for i in s.get("items", [])
            if i.get("kind") in {"topic", "question"}
        ]
        got = pasted(items, str(ev.inputs.get("on_mind") or ""))
        if got.score is None:
            return self.result(False, 0.0, "the agenda has no topics or questions")
        return self.verdict_result(got, ok=got.score >= self.min, score=got.score)


@register
class OwnersRight(_Share):
    check: Literal["owners_right"] = "owners_right"
    modes = frozenset({"agenda"})
    parameters = "-"
    description = (
        "Every carried action item whose words say whose it is has that owner: `@Myself`, "
        '"I\'ll ...", "my ..." -> `you`; `@Dana ...`, "Dana to ...", "Dana: ..." -> Dana. '
        "Items whose words do not say are not scored; passes when none says. Its own reading "
        "of the task text, not the loader's."
    )

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        from companion.evals.structured import owners

        by_key = {_item_key(a.path, a.line): a for a in (ev.action_items or [])}
        carried = []
        for s in (ev.structured or {}).get("sections", []):
            for i in s.get("items", []):
                src = i.get("source") or {}
                a = by_key.get(_item_key(src.get("path", ""), src.get("line_start") or 0))
                if i.get("kind") == "action_item" and a is not None:
                    carried.append((a.text, i.get("owner")))
        people = {str(ev.inputs.get("person") or "")}
        people |= {n.strip() for a in ev.action_items or [] for n in (a.person or "").split(",")}
        got = owners(carried, people)
        if got.score is None:
            return self.result(True, 1.0, got.detail)
        return self.verdict_result(got, ok=not got.failing, score=got.score)


# ------------------------------------------------------------------------- substance (socratic)


class _Substance(Check):
    """A check of `companion.evals.substance` on the user turns and the reply texts.

    Those functions use their own word lists, never the run-time guard or the listening layer,
    so a bug there cannot hide here."""

    modes: ClassVar[frozenset[str] | None] = frozenset({"socratic"})

    def substance(self, ev: Evidence) -> Any:
        from companion.evals import substance

        return substance.CHECKS[self.check](list(ev.turns), [r.text for r in ev.replies])

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        if not ev.replies:
            return self.result(False, 0.0, "no replies to score")
        got = self.substance(ev)
        return self.judge_result(got)

    def judge_result(self, got: Any) -> CheckResult:
        raise NotImplementedError


class _AtLeast(_Substance):
    """A substance share that passes at >= `min` (and when there is nothing to share)."""

    min: float

    def judge_result(self, got: Any) -> CheckResult:
        if got.score is None:
            return self.result(True, 1.0, got.detail)
        return self.result(got.score >= self.min, got.score, f"{got.detail} (min {self.min})")


@register
class Uptake(_AtLeast):
    check: Literal["uptake"] = "uptake"
    parameters = "`min`: number 0..1 (default 0.85)"
    description = (
        "Of the user turns after the first that bring a new content word, the share whose reply "
        "uses one of those words in a question or reflection is >= `min` (the user's later facts "
        "are taken up). Passes when no later turn brings a new word."
    )
    min: Annotated[float, Field(ge=0.0, le=1.0)] = 0.85



@register
class Parroting(_Substance):
    check: Literal["parroting"] = "parroting"
    parameters = "`max`: number 0..1 (default 0.10)"
    description = (
        "The share of reflection sentences (lead-in such as \"It sounds like\" removed) sharing "
        ">= 80% of their words with a user sentence is <= `max`. Score: 1 - that share."
    )
    max: Annotated[float, Field(ge=0.0, le=1.0)] = 0.10

    def judge_result(self, got: Any) -> CheckResult:
        share = float(got.score or 0.0)
        return self.result(share <= self.max, 1 - share, f"{got.detail} (max {self.max})")


@register
class Grammar(_Substance):
    check: Literal["grammar"] = "grammar"
    modes = None
    parameters = "-"
    description = (
        "Every question of every reply (of a structured output: every question field) starts "
        'with a question opener and has no dangling last word, no "we/our/us", no nominalised '
        'verb ("a cut scope"), no "letting someone go of", no bare adjective and no run-on '
        "(> 30 words). Score: share of well-formed questions."
    )

    def substance(self, ev: Evidence) -> Any:
        from companion.evals import substance

        if ev.output is not None:
            questions = output_questions(ev.mode, ev.structured)
            # "Tell me about the first time...." probes are questions too.
            return substance.grammar([], [q.rstrip(". ") + "?" for q in questions])
        return super().substance(ev)

    def score(self, ev: Evidence, *, judge: Judge | None = None) -> CheckResult:
        if not ev.replies and ev.output is None:
            return self.result(False, 0.0, "no replies to score")
        return self.judge_result(self.substance(ev))

    def judge_result(self, got: Any) -> CheckResult:
        if got.score is None:
            return self.result(True, 1.0, got.detail)
        return self.result(bool(got.passed), got.score, got.detail)


@register
class AdviceWithoutPermission(_Substance):
    check: Literal["advice_without_permission"] = "advice_without_permission"
    parameters = "-"
    description = (
        "No reply gives advice (an imperative, \"you should\", \"I'd suggest\", a numbered point) "
        "unless the user turn it answers asked for it (\"/advice\", \"what would you do\", \"any "
        'ideas", a yes to an offer). Score: 1 / (1 + replies advising uninvited).'
    )

    def judge_result(self, got: Any) -> CheckResult:
        count = int(got.score or 0)
        return self.result(count == 0, 1 / (1 + count), got.detail)


@register
class AdviceRelevance(_AtLeast):
    check: Literal["advice_relevance"] = "advice_relevance"
    parameters = "`min`: number 0..1 (default 0.9)"
    description = (
        "In replies to turns that invite advice, the share of advice points (numbered lines) that "
        "name a content word of the conversation is >= `min`. Only for scenarios tagged "
        "`advice-invited`; passes when no advice point is given."
    )
    min: Annotated[float, Field(ge=0.0, le=1.0)] = 0.9

    def rules(self, scenario: Scenario) -> list[tuple[Loc, str]]:
        if ADVICE_INVITED_TAG not in scenario.tags:
            return [((), f"advice_relevance needs the {ADVICE_INVITED_TAG!r} tag (no advice is invited)")]
        return []



@register
class ComplexReflections(_AtLeast):
    check: Literal["complex_reflections"] = "complex_reflections"
    parameters = "`min`: number 0..1 (default 0.3)"
    description = (
        "Of the reflections, the share that are complex (a double-sided or \"part of you\" frame, or a "
        "feeling or meaning the user did not put into words) is >= `min` (MITI 4: 0.4 fair, 0.5 "
        "good). Passes when there is no reflection."
    )
    min: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3


@register
class OnTheirWords(_AtLeast):
    check: Literal["on_their_words"] = "on_their_words"
    parameters = "`min`: number 0..1 (default 0.66)"
    description = (
        "Of the questions, the share that bring in at most one content word no user turn so far "
        "used (words questions are made of aside: mean, assume, evidence, follow, ..., and the "
        "hundred commonest verbs) is >= `min`: the question stays with what the user said (\"How "
        "does this impact your team's morale and productivity?\" brings in three). Passes when "
        "there is no question. Gold TPR 0.93, TNR 1.00; the 25 listening scenarios gate on it at 0.66 "
        "(two questions in three)."
    )
    min: Annotated[float, Field(ge=0.0, le=1.0)] = 0.66  # 2/3 passes: 0.67 would not


@register
class MitiCounts(_Substance):
    check: Literal["miti_counts"] = "miti_counts"
    parameters = "`min_r_to_q`: number >= 0 (default 1.0)"
    description = (
        "Surface MITI-style counts over the replies: reflections (simple / complex), questions, "
        "advice sentences; passes when reflections / questions >= `min_r_to_q` (or there is no "
        "question). Score: min(1, R:Q / `min_r_to_q`)."
    )
    min_r_to_q: Annotated[float, Field(ge=0.0)] = 1.0

    def judge_result(self, got: Any) -> CheckResult:
        ratio = got.score
        c = got.counts
        detail = (
            f"{got.detail}; {c['reflections']} reflection(s), {c['questions']} question(s), "
            f"{c['advice']} advice (min R:Q {self.min_r_to_q})"
        )
        if ratio is None:
            return self.result(True, 1.0, detail)
        score = 1.0 if self.min_r_to_q == 0 else min(1.0, ratio / self.min_r_to_q)
        return self.result(ratio >= self.min_r_to_q, score, detail)


# ------------------------------------------------------------------------------------ the docs

_TABLE_HEAD = "| check | parameters | modes | passes when |\n|---|---|---|---|\n"
README = Path(__file__).resolve().parents[2] / "evals" / "README.md"
TABLE_START = "<!-- checks table: generated by `python -m companion.evals.checks`; do not edit -->\n"
TABLE_END = "<!-- end of the checks table -->\n"


def checks_table() -> str:
    """The Markdown table of every registered check, as `evals/README.md` holds it."""
    rows = []
    for name, cls in REGISTRY.items():
        modes = "all" if cls.modes is None else ", ".join(sorted(cls.modes))
        rows.append(f"| `{name}` | {cls.parameters} | {modes} | {cls.description} |\n")
    return _TABLE_HEAD + "".join(rows)


def readme_with_table(text: str) -> str:
    """`text` (the README) with the table between its markers replaced by `checks_table()`."""
    head, start, rest = text.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError("evals/README.md lost the checks table markers")
    return head + start + checks_table() + end + tail


if __name__ == "__main__":
    README.write_text(readme_with_table(README.read_text("utf-8")), "utf-8")
    print(f"wrote the table of {len(REGISTRY)} checks into {README}", file=sys.stderr)
