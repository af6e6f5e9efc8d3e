"""The structured modes' checks of substance score outputs by their own reading, and the
summary reports who wrote the probes (issue 16, part 4)."""

from __future__ import annotations

from companion.coaching.schemas import Reply
from companion.evals.checks import REGISTRY
from companion.evals.evidence import Evidence
from companion.evals.runner import summarise
from companion.evals.structured import bank_share, personalised, presupposing, repeated_citations

INPUTS = {"product": "Tally, a budgeting app", "switch": "switched from spreadsheets to a budgeting app",
          "interviewee": "a freelancer"}


def _guide(probes: list[tuple[str, str]], sources=()) -> Evidence:
    block = {"key": "push", "title": "Push", "questions": [q for q, _ in probes],
             "origins": [o for _, o in probes]}
    data = {"product": "Tally", "switch": INPUTS["switch"], "interviewee": "a freelancer",
            "warm_up": [], "screener": [], "timeline": [block], "forces": [], "wrap_up": [],
            "rules": [], "sources": list(sources)}
    return Evidence(mode="jtbd", inputs=INPUTS, output=Reply(mode="jtbd", text="", structured=data))


def _score(name: str, ev: Evidence, **params):
    return REGISTRY[name].model_validate({"check": name, **params}).score(ev)


def test_personalised_counts_probes_that_name_the_inputs():
    got = personalised(["What was happening with spreadsheets?", "What matters to you?"], INPUTS)
    assert got.score == 0.5 and got.failing == ["What matters to you?"]
    # generic words of every input ("app") name nothing in particular
    assert personalised(["Which app did you use?"], INPUTS).score == 0.0


def test_leading_probes_fail_the_evals_detector():
    got = presupposing(["How has Tally improved your budgeting?", "When did you last open a spreadsheet?"])
    assert got.score == 0.5 and "benefit" in got.failing[0]


def test_a_passage_cited_twice_is_a_repeat():
    assert repeated_citations([("a.md", 3), ("a.md", 3), ("b.md", 1)]).failing == ["a.md:3 x2"]
    assert repeated_citations([]).score is None


def test_registered_checks_read_the_output():
    ev = _guide([("What was happening with spreadsheets in March?", "model"),
                 ("What did you keep doing the way you did with spreadsheets?", "bank"),
                 ("What first caught your attention about Tally?", "model")],
                sources=[{"label": "x", "path": "a.md", "line_start": 3, "line_end": 4}] * 2)
    assert _score("personalised", ev).passed
    assert _score("no_presupposition", ev).passed
    assert _score("bank_share", ev, max=0.3).passed is False  # 1 of 3 from the bank
    assert _score("bank_share", ev, max=0.34).passed
    assert _score("distinct_citations", ev).passed is False
    assert _score("grammar", ev).passed


def test_summary_reports_bank_and_model_shares_per_mode():
    entry = {"id": "a", "mode": "jtbd", "passed": True, "checks": [], "fallbacks": 0,
             "probes": {"total": 10, "bank": 2, "model": 7, "program": 1}}
    m = summarise([entry, dict(entry, id="b")], model="toy")["by_mode"]["jtbd"]
    assert (m["probes"], m["probe_bank_share"], m["probe_model_share"]) == (20, 0.2, 0.7)
    assert bank_share(["bank", "model"]).score == 0.5


def test_an_agenda_question_about_the_notes_with_the_person_is_personal():
    from companion.evals.evidence import RetrievedSpan

    inputs = {"person": "Dana", "on_mind": "The checkout redesign slipped again."}
    section = {"title": "Wins", "minutes": 5, "items": [
        {"text": "What did you learn from the design review?", "kind": "question",
         "origin": "program"}]}
    data = {"person": "Dana", "relationship": "my_report", "duration_minutes": 30,
            "sections": [section], "sources": []}
    note = RetrievedSpan("dana.md", 8, 12, "Design review went well.", personal=True)
    library = RetrievedSpan("article.md", 1, 3, "A design review is a ritual.", personal=False)
    ev = Evidence(mode="agenda", inputs=inputs, retrieved=[library],
                  output=Reply(mode="agenda", text="", structured=data))
    # The library's passages are no fact of this person; the notes with Dana are.
    assert _score("personalised", ev).passed is False
    ev.retrieved = [library, note]
    assert _score("personalised", ev).passed is True


def test_the_runner_marks_what_came_from_the_notes_with_the_person():
    from companion.evals.runner import RecordingKnowledge
    from companion.knowledge.models import Passage

    note = Passage(id="n", text="Design review went well.", source="notes", path="dana.md",
                   title="Dana", line_start=1, line_end=2)
    article = note.model_copy(update={"id": "c", "source": "corpus", "path": "a.md"})

    class KB:
        def search(self, query, k=4, **filters):
            return [note, article]

    kb = RecordingKnowledge(KB())
    kb.search("wins", person="Dana")
    kb.search("wins")
    assert [(r.path, r.personal) for r in kb.retrieved] == [
        ("dana.md", True), ("a.md", False), ("dana.md", False), ("a.md", False)]
    assert kb.retrieved[0].text == "Design review went well."
