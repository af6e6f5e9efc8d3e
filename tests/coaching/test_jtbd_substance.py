"""JTBD guides about this switch: the facts read from the inputs, the probe checks on our own
labelled probes, and a guide built with a scripted model (issue 16, part 1)."""

from __future__ import annotations

import json

import pytest

from companion import locations
from companion.coaching.jtbd import build_guide, probe_issues
from companion.coaching.probes import probe_problems
from companion.coaching.schemas import JTBDInputs
from companion.coaching.switch import read_switch
from companion.evals.structured import presuppositions
from companion.llm.base import LLMError
from companion.llm.fake import ScriptedProvider

TALLY = JTBDInputs(product="Tally, a budgeting app for freelancers with irregular income",
                   switch="switched from spreadsheets to a budgeting app",
                   interviewee="a freelancer who switched in the last 3 months")


def _probes(split: str) -> list[dict]:
    path = locations.evals_dir() / "labels" / "probes.jsonl"
    return [r for line in path.read_text("utf-8").splitlines() if (r := json.loads(line))["split"] == split]


def _accuracy(detector, rows) -> tuple[float, float]:
    """(accuracy, precision on "leads") of a detector on labelled probes."""
    said = [(bool(detector(r["text"])), r["label"] == "bad") for r in rows]
    flagged = [gold for got, gold in said if got]
    return sum(got == gold for got, gold in said) / len(said), sum(flagged) / max(1, len(flagged))


def test_labelled_probe_set_is_large_and_mixed():
    rows = _probes("dev") + _probes("test")
    assert len(rows) >= 60
    assert 0.35 <= sum(r["label"] == "good" for r in rows) / len(rows) <= 0.65
    kinds = {w for r in rows for w in r["why"]}
    assert kinds == {"benefit", "problem", "two_in_one", "vendor", "future"}


@pytest.mark.parametrize("detector", [probe_problems, presuppositions], ids=["guard", "evals"])
def test_both_detectors_on_the_probes_they_were_not_tuned_on(detector):
    # The test rows were written before either detector; measured once: guard 31/32, evals 32/32.
    accuracy, precision = _accuracy(detector, _probes("test"))
    assert accuracy >= 0.9 and precision >= 0.95


def test_the_issue_examples_are_refused_by_both():
    for bad in ("How has your budgeting app improved your productivity in your daily work?",
                "What did you think of our new dashboard?",
                "When did you first look, and who did you ask?",
                "What would you pay for a budgeting app?"):
        assert probe_problems(bad) and presuppositions(bad), bad


@pytest.mark.parametrize(("product", "switch", "kind", "old", "target"), [
    ("Tally, a budgeting app", "switched from spreadsheets to a budgeting app", "hire", "spreadsheets", "Tally"),
    ("Reps, a workout app", "cancelled a home workout app subscription and joined a climbing gym",
     "fire", "the home workout app subscription", "the climbing gym"),
    ("Canvasly, a whiteboard", "stopped using our online whiteboard and went back to slides", "fire",
     "the online whiteboard", "slides"),
    ("Signalboard, analytics", "trialled a product analytics tool and decided to keep building in-house dashboards",
     "kept", "building in-house dashboards", "Signalboard"),
    ("Shiftpay, payroll", "moved payroll from the accountant to self-serve payroll software", "hire",
     "the accountant", "Shiftpay"),
])
def test_the_switch_is_read_from_the_inputs(product, switch, kind, old, target):
    facts = read_switch(product, switch, "a restaurant owner with 8 staff")
    assert (facts.kind, facts.old, facts.target) == (kind, old, target)
    assert facts.who == "restaurant owner" and "staff" in facts.people


def test_a_probe_must_name_the_switch_and_not_lead():
    facts = read_switch(TALLY.product, TALLY.switch, TALLY.interviewee)
    assert probe_issues("What was happening with spreadsheets the week your invoices were late?", facts) == []
    assert "names nothing of the switch" in probe_issues("When did you first think about a change?", facts)
    assert "presupposes a benefit" in probe_issues("How has Tally improved your budgeting?", facts)
    stem = "What first caught your attention about Tally"
    assert "the ending does not fit the opening" in probe_issues(
        stem + " is the ability to track expenses?", facts, stem=stem)


def test_a_product_described_without_a_name_is_said_short_and_the_old_way_reads_in_every_probe():
    # person test, 2026-12-05: "Tell me about the last time you used how you worked before a
    # meal-kit subscription for busy parents back then?"
    from companion.coaching.jtbd import build_guide
    from companion.coaching.listening.grammar import grammar_problems

    facts = read_switch("a meal-kit subscription for busy parents", "", "a parent of two")
    assert facts.product == "the meal-kit subscription" and "parents" in facts.category
    guide, _ = build_guide(JTBDInputs(product="a meal-kit subscription for busy parents"), provider=None)
    for block in guide.timeline + guide.forces:
        for q in block.questions:
            assert "busy parents" not in q, q
            assert not q.endswith("?") or not grammar_problems(q), q  # "Walk me through ..." is no question
    assert any("your old way" in q for b in guide.forces for q in b.questions)


@pytest.mark.parametrize(("stem", "tail", "problem", "fine"), [
    # the 0.5B's tails on that guide, and tails that fit
    ("What, if anything, made you hesitate about the meal-kit subscription", " switching?",
     "the ending does not fit the opening", " in the first month?"),
    ("When did you last go back to your old way", " of using the meal-kit subscription?",
     "mixes up the old way and the new one", " after the meal-kit subscription arrived?"),
    ("What questions did you have before you chose the meal-kit subscription", " today?",
     "asks about the past and the present at once", " for your family?"),
])
def test_a_tail_that_breaks_its_stem_is_refused(stem, tail, problem, fine):
    facts = read_switch("a meal-kit subscription for busy parents", "", "a parent of two")
    assert problem in probe_issues(stem + tail, facts, stem=stem)
    assert probe_issues(stem + fine, facts, stem=stem) == []


@pytest.mark.parametrize(("key", "stem", "tail", "problem"), [
    # the 0.5B's tails on the Tally guide, 2026-12-05 (problem None: a good probe it had refused)
    ("active_looking", "What else did you look at besides Tally", " and spreadsheets?", None),
    ("deciding", "Who else had a say before you chose Tally", " and spreadsheets?",
     "mixes up the old way and the new one"),
    ("anxiety", "What, if anything, made you hesitate about Tally", " when you switched in the last three months?", None),
    ("deciding", "Who else had a say before you chose Tally", " in the last 3 months?", None),
    ("anxiety", "What, if anything, made you hesitate about Tally", " switching in the last 3 months?",
     "the ending does not fit the opening"),
    ("anxiety", "What questions did you have before you chose Tally", " and your new way of budgeting?",
     "the ending does not fit the opening"),
    ("first_use", "What did you set up first in Tally", " for freelancers with irregular income?",
     "copies the interviewee's description"),
    ("deciding", "Who else had a say before you chose Tally", " as your decision, what moved?", "copies the prompt"),
    ("deciding", "Who else had a say before you chose Tally", " as your new switch?", "copies the prompt"),
    ("anxiety", "What, if anything, made you hesitate about Tally", " moving to spreadsheets?",
     "the ending does not fit the opening"),
    ("pull", "What first caught your attention about Tally", " being built for freelancers?",
     "the ending does not fit the opening"),
])
def test_a_tail_is_read_for_what_it_joins(key, stem, tail, problem):
    facts = read_switch(TALLY.product, TALLY.switch, "a freelancer who switched in the last 3 months")
    described = f"a freelancer who switched in the last 3 months | {facts.category}"
    got = probe_issues(stem + tail, facts, stem=stem, described=described, key=key)
    assert (problem in got) if problem else got == [], got


def test_model_probes_are_kept_when_good_and_the_bank_fills_the_rest():
    facts = read_switch(TALLY.product, TALLY.switch, TALLY.interviewee)
    assert facts.old_short == "spreadsheets"
    good = {
        "first_thought_0": "When did you first think about moving away from spreadsheets at tax time?",
        "first_thought_1": "What was going on the first time you looked beyond spreadsheets for invoices?",
        # leads: refused twice (first ask and retry), the bank fills it
        "passive_looking_0": "What did you notice about Tally that made budgeting easier?",
        "passive_looking_1": "Who did you hear talking about Tally at your coworking space?",
    }
    provider = ScriptedProvider([good, good], default=json.dumps({}))
    parts: list[str] = []
    guide, banked = build_guide(TALLY, provider=provider, on_part=parts.append)
    first, passive = guide.timeline[0], guide.timeline[1]
    assert first.origins == ["model", "model"] and "tax time" in first.questions[0]
    assert passive.origins == ["model", "bank"]
    assert "easier" not in " ".join(passive.questions)
    assert banked == 1 + 16  # the scripted model answers nothing for the other eight blocks
    # streamed section by section, and the pieces are the guide
    assert len(parts) == 12 and "".join(parts).rstrip() + "\n" == guide.to_markdown()
    assert parts[0].startswith("# JTBD interview guide: Tally")


def test_a_dead_endpoint_mid_guide_still_gives_a_whole_guide():
    provider = ScriptedProvider([LLMError("connection refused")])
    guide, banked = build_guide(TALLY, provider=provider)
    assert banked == 20 and all(len(b.questions) == 2 for b in guide.timeline + guide.forces)
    assert len(provider.history) == 1  # no more calls to a dead endpoint


def test_a_larger_tier_writes_whole_questions_and_hears_why_a_draft_failed():
    from companion.coaching.generate import Slot, write_questions

    bad = {"s": "How has Tally improved your budgeting?"}
    good = {"s": "Which spreadsheet did you open last before trying Tally?"}
    provider = ScriptedProvider([bad, good])
    slot = Slot(key="s", stem="What was happening with spreadsheets", purpose="push")
    got = write_questions(provider, "jtbd-probes", [slot], tier="small", interview=True,
                          vet=lambda _s, text: probe_problems(text),
                          variables={"product": "Tally", "category": "-", "old": "spreadsheets",
                                     "target": "Tally", "what": "-", "people": "-", "interviewee": "-"})
    assert got == {"s": good["s"]}  # not forced to the stem: a wider slot
    pattern = provider.history[0]["schema"]["properties"]["s"]["pattern"]
    assert pattern.startswith("^(What|How") and "{10,140}" in pattern
    assert "presupposes a benefit" in provider.history[1]["messages"][-1].content


@pytest.mark.parametrize("tier", ["tiny", "small", "large"])
def test_every_tier_schema_compiles_to_a_llama_cpp_grammar(tier):
    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    from companion.coaching.generate import Slot, slots_schema

    _, schema = slots_schema([Slot(key="s", stem="What, if anything, made you [pause] (a.k.a.)", purpose="x")], tier)
    assert llama_grammar.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
