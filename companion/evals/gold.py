"""Gold replies: hand-written good and bad coach replies with the verdict each check should give.

``load_gold()`` reads ``evals/gold/*.yaml`` (format in ``evals/gold/README.md``); ``rates()``
runs one scorer per check over the replies that carry a verdict for it and returns each check's
true-positive rate (gold "pass" replies the scorer passes) and true-negative rate (gold "fail"
replies the scorer fails). ``learned_scorers()`` are the checks built on the learned coder and
MITI coding, which the run-time guard does not use. ``registered_rates()`` scores the gold
replies through the registered check classes that a gold verdict names (``REGISTERED``).
``python -m companion.evals.gold`` prints both tables.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from companion.errors import CompanionError

# Every check a gold reply may carry a verdict for (a typo in a file is an error, not a skip).
CHECKS: dict[str, str] = {
    "reflection": "the reply reflects what the user said (simple or complex)",
    "complex_reflection": "the reply holds a complex reflection (adds feeling or meaning)",
    "open_question": "the reply asks at least one open question",
    "no_closed_question": "the reply asks no closed question",
    "no_unasked_advice": "no advice unless the user asked for it or agreed to hear it",
    "not_leading": "no question that pushes an answer",
    "not_hypothetical": "no question asking the user to predict their own future behaviour",
    "not_parroting": "the reply does not just repeat the user's words",
    "on_topic": "the reply is about the user's situation",
    "grammatical": "every question of the reply is a well-formed English question",
    "takes_up_new": "the reply takes up something the last user turn added to the conversation",
    "stays_on_their_words": "its questions stay with what the user said, bringing in no topic of the coach's",
}
THRESHOLD = 0.90
# The learned checks that meet THRESHOLD on the gold set (tests/evals/test_gold.py asserts it).
# Measured below it on 2026-12-03 and not to gate a run: complex_reflection (TPR 0.80,
# TNR 0.78: the simple/complex head scores 0.57 macro-F1 in grouped CV on AnnoMI, whose own
# annotators rarely agree on it) and no_unasked_advice (TPR 1.00, TNR 0.78: advice phrased as a
# question, "Shouldn't you tell her today?", is coded a question, not advice).
TRUSTED = ("reflection", "open_question", "no_closed_question")

# Registered checks of the scenario format (companion/evals/checks.py) that a gold verdict names:
# check spec -> the gold verdict it must reproduce. Only where the two mean the same thing
# (e.g. `open_question_ratio` scores a reply without a question 0, which gold
# `no_closed_question` passes, so it is not here).
REGISTERED: dict[str, tuple[dict[str, Any], str]] = {
    "advice_without_permission": ({"check": "advice_without_permission"}, "no_unasked_advice"),
    "parroting": ({"check": "parroting", "max": 0.10}, "not_parroting"),
    "no_leading_questions": ({"check": "no_leading_questions"}, "not_leading"),
    "no_hypothetical_questions": ({"check": "no_hypothetical_questions"}, "not_hypothetical"),
    "grammar": ({"check": "grammar"}, "grammatical"),
    "uptake": ({"check": "uptake"}, "takes_up_new"),
    "on_their_words": ({"check": "on_their_words", "min": 1.0}, "stays_on_their_words"),
    "complex_reflections": ({"check": "complex_reflections", "min": 0.5}, "complex_reflection"),
}
# The registered checks that meet THRESHOLD on the gold set (tests/evals/test_gold.py asserts it).
# On 2026-12-03 none did: advice_without_permission, no_leading_questions and
# no_hypothetical_questions read the guard's own rule flags or missed advice without an
# imperative opener. On 2026-12-04 they got the evals' own patterns (companion/evals/substance.py)
# and `holdout.yaml` was written before those patterns first ran on it. First run there:
# advice 1.00/1.00 (5/5), parroting 1.00/1.00, grammar 1.00/1.00, uptake 1.00/1.00,
# no_leading_questions TNR 0.80 ("Why don't you raise it ...?" missed) and
# no_hypothetical_questions TNR 0.67 ("Would small teams switch ...?" missed); both were then
# widened, so those two are no longer measured on unseen replies. Fail counts are small (2-14).
# on_their_words (2026-12-05, first run on `wandering.yaml`, written before it ran): TPR 0.71,
# TNR 1.00: it called natural questions strays for their verbs ("What have you heard from the
# customers who left ...?"). `wandering-holdout.yaml` was then written, and the old count scored
# 0.71 / 1.00 on it too (misses seen); the count then left out the hundred commonest verbs (a
# frequency list, not words from either file): 1.00 / 1.00 on `wandering.yaml`, 0.86 / 1.00 on
# the holdout ("What have you noticed ... since ...?"), 0.93 / 1.00 on both. Trusted; it is
# reported by benchmarks/listening.py and the 25 listening scenarios gate on it at 0.66.
TRUSTED_REGISTERED: tuple[str, ...] = (
    "advice_without_permission", "parroting", "no_leading_questions", "no_hypothetical_questions",
    "grammar", "uptake", "complex_reflections", "on_their_words",
)


class GoldError(CompanionError):
    """A gold file is malformed."""


@dataclass(frozen=True)
class GoldReply:
    id: str
    user: tuple[str, ...]  # the user turns, the last is the one the reply answers
    reply: str
    expect: dict[str, bool]  # check -> True when the reply should pass it
    reason: str
    previous_coach: str | None = None  # the coach turn before the last user turn, if any
    source: str = ""


@dataclass
class CheckRates:
    check: str
    positives: int = 0
    negatives: int = 0
    true_positives: int = 0
    true_negatives: int = 0
    misses: list[str] = field(default_factory=list)  # ids the scorer got wrong

    @property
    def tpr(self) -> float | None:
        return self.true_positives / self.positives if self.positives else None

    @property
    def tnr(self) -> float | None:
        return self.true_negatives / self.negatives if self.negatives else None

    def meets(self, threshold: float = THRESHOLD) -> bool:
        return all(r is None or r >= threshold for r in (self.tpr, self.tnr))


def default_gold_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "evals" / "gold"


def _verdict(value: Any, where: str) -> bool:
    if value in ("pass", "fail"):
        return value == "pass"
    raise GoldError(f"{where}: verdict must be 'pass' or 'fail', got {value!r}")


def _item(raw: Any, where: str) -> GoldReply:
    if not isinstance(raw, dict):
        raise GoldError(f"{where}: each entry must be a mapping")
    missing = {"id", "user", "reply", "expect", "reason"} - set(raw)
    if missing:
        raise GoldError(f"{where}: missing {', '.join(sorted(missing))}")
    user = raw["user"]
    if isinstance(user, str):
        user = [user]
    if not user or not all(isinstance(u, str) and u.strip() for u in user):
        raise GoldError(f"{where} ({raw['id']}): user must be one or more non-empty strings")
    expect = raw["expect"]
    if not isinstance(expect, dict) or not expect:
        raise GoldError(f"{where} ({raw['id']}): expect must map checks to pass/fail")
    unknown = set(expect) - set(CHECKS)
    if unknown:
        raise GoldError(f"{where} ({raw['id']}): unknown check(s) {', '.join(sorted(unknown))}")
    return GoldReply(
        id=str(raw["id"]),
        user=tuple(user),
        reply=str(raw["reply"]),
        expect={k: _verdict(v, f"{where} ({raw['id']}).{k}") for k, v in expect.items()},
        reason=str(raw["reason"]),
        previous_coach=raw.get("previous_coach"),
        source=where,
    )


def load_gold(gold_dir: str | Path | None = None) -> list[GoldReply]:
    """All gold replies, file by file; ids are unique across files."""
    base = Path(gold_dir) if gold_dir is not None else default_gold_dir()
    files = sorted(base.glob("*.yaml"))
    if not files:
        raise GoldError(f"no gold files (*.yaml) in {base}")
    items: list[GoldReply] = []
    seen: set[str] = set()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise GoldError(f"{path.name}: the file must be a list of replies")
        for n, raw in enumerate(data, 1):
            item = _item(raw, f"{path.name}#{n}")
            if item.id in seen:
                raise GoldError(f"{path.name}: duplicate id {item.id!r}")
            seen.add(item.id)
            items.append(item)
    return items


Scorer = Callable[[GoldReply], bool]  # True: the reply passes the check


def rates(items: Iterable[GoldReply], scorers: dict[str, Scorer]) -> dict[str, CheckRates]:
    """True-positive and true-negative rate of each scorer on the replies judged for its check."""
    out = {name: CheckRates(name) for name in scorers}
    for item in items:
        for name, scorer in scorers.items():
            if name not in item.expect:
                continue
            gold, got = item.expect[name], bool(scorer(item))
            r = out[name]
            if gold:
                r.positives += 1
                r.true_positives += got
            else:
                r.negatives += 1
                r.true_negatives += not got
            if gold != got:
                r.misses.append(item.id)
    return out


def session_codes(item: GoldReply, **kwargs: Any) -> list[str]:
    """MITI codes of the reply's utterances, with permission judged from the turns before."""
    from companion.coaching.miti import Turn, code_session

    turns = []
    if item.previous_coach and len(item.user) >= 2:
        turns.append(Turn(item.user[-2], item.previous_coach))
    turns.append(Turn(item.user[-1], item.reply))
    session = code_session(turns, **kwargs)
    last = len(turns) - 1
    return [u.code for u in session.utterances if u.turn == last]


def learned_scorers(**coder: Any) -> dict[str, Scorer]:
    """Checks on the learned coder + MITI coding (``coder``/``advice`` may be overridden)."""
    cache: dict[str, list[str]] = {}

    def codes(item: GoldReply) -> list[str]:
        if item.id not in cache:
            cache[item.id] = session_codes(item, **coder)
        return cache[item.id]

    return {
        "reflection": lambda i: any(c.endswith("_reflection") for c in codes(i)),
        "complex_reflection": lambda i: "complex_reflection" in codes(i),
        "open_question": lambda i: "open_question" in codes(i),
        "no_closed_question": lambda i: "closed_question" not in codes(i),
        "no_unasked_advice": lambda i: "advice_without_permission" not in codes(i),
    }


def evidence_of(item: GoldReply) -> Any:
    """The gold reply as a Socratic run's Evidence: the turns it answers and the replies, aligned
    (with `previous_coach`: the last two user turns and the two coach turns)."""
    from companion.coaching.schemas import Reply
    from companion.evals.evidence import Evidence

    if item.previous_coach and len(item.user) >= 2:
        turns, replies = list(item.user[-2:]), [item.previous_coach, item.reply]
    else:
        turns, replies = [item.user[-1]], [item.reply]
    return Evidence(mode="socratic", turns=turns, replies=[Reply(mode="socratic", text=r) for r in replies])


def registered_scorers() -> dict[str, tuple[str, Scorer]]:
    """Registered check name -> (gold verdict, scorer through the real check class)."""
    from companion.evals.checks import REGISTRY

    out: dict[str, tuple[str, Scorer]] = {}
    for name, (spec, verdict) in REGISTERED.items():
        check = REGISTRY[name].model_validate(spec)

        def scorer(item: GoldReply, check: Any = check) -> bool:
            return bool(check.score(evidence_of(item)).passed)

        out[name] = (verdict, scorer)
    return out


def registered_rates(items: Iterable[GoldReply]) -> dict[str, CheckRates]:
    """TPR/TNR of each registered check in REGISTERED on the gold verdict it stands for."""
    items = list(items)
    out: dict[str, CheckRates] = {}
    for name, (verdict, scorer) in registered_scorers().items():
        r = rates(items, {verdict: scorer})[verdict]
        r.check = f"{name} ({verdict})"
        out[name] = r
    return out


def format_rates(
    result: dict[str, CheckRates], threshold: float = THRESHOLD, trusted: Iterable[str] | None = None
) -> str:
    """The table; with `trusted`, a last column says whether each check is trusted (may gate)."""
    def pct(v: float | None) -> str:
        return "  -  " if v is None else f"{v:.2f}"

    trust = None if trusted is None else set(trusted)
    width = max([20, *(len(r.check) for r in result.values())])
    head = f"{'check':{width}} {'TPR':>5} {'TNR':>5}  n(pass/fail)  verdict  "
    lines = [head + ("trusted    " if trust is not None else "") + "misses"]
    for key, r in result.items():
        verdict = "ok" if r.meets(threshold) else "BELOW"
        flag = "" if trust is None else f"{'trusted' if key in trust else 'untrusted':11}"
        lines.append(
            f"{r.check:{width}} {pct(r.tpr):>5} {pct(r.tnr):>5}  {r.positives:>4}/{r.negatives:<4}     "
            f"{verdict:7}  {flag}{', '.join(r.misses)}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    items = load_gold(args[0] if args else None)
    result = rates(items, learned_scorers())
    print(f"{len(items)} gold replies; checks on the learned coder + MITI coding (threshold {THRESHOLD}):")
    print(format_rates(result))
    print(f"trusted (meet the threshold, may gate): {', '.join(TRUSTED)}")
    registered = registered_rates(items)
    print()
    print("registered checks of the scenario format (companion/evals/checks.py), scored through the check class:")
    print(format_rates(registered, trusted=TRUSTED_REGISTERED))
    from companion.evals.checks import REGISTRY

    unjudged = [n for n in REGISTRY if n not in REGISTERED]
    print(f"no gold verdict for: {', '.join(unjudged)}")
    ok = all(result[c].meets() for c in TRUSTED) and all(registered[c].meets() for c in TRUSTED_REGISTERED)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
