"""Every check of the scenario format on hand-made passing and failing outputs."""

from __future__ import annotations

import pytest

from companion.coaching.schemas import (
    Agenda,
    AgendaItem,
    AgendaSection,
    GuideBlock,
    InterviewGuide,
    MentorPrompt,
    MentorPrompts,
    PromptTheme,
    Reply,
    SourceRef,
)
from companion.evals.checks import REGISTRY
from companion.evals.scorers import (
    Evidence,
    Judge,
    RetrievedSpan,
    UnknownCheckError,
    score_check,
    transcript_text,
)
from companion.knowledge.models import ActionItem
from companion.llm.fake import ScriptedProvider


def check(name: str, **params):
    return REGISTRY[name].model_validate({"check": name, **params})


def reply(text: str, **kw) -> Reply:
    return Reply(mode=kw.pop("mode", "socratic"), text=text, **kw)


def socratic(*texts: str, **kw) -> Evidence:
    return Evidence(mode="socratic", turns=[f"turn {i}" for i in range(len(texts))],
                    replies=[reply(t) for t in texts], **kw)


def run(name: str, ev: Evidence, **params):
    return score_check(check(name, **params), ev)


GOOD = "It sounds like the launch date worries you.\n\n**What do you mean by a launch that is ready?**"
ADVICE = "You should talk to Marco before the launch. **What do you mean by ready?**"


def test_every_registered_check_scores_itself():
    from companion.evals.checks import Check

    for name, cls in REGISTRY.items():
        assert cls.score is not Check.score, name
        assert cls.description.strip(), name


def test_unknown_check_is_an_error_not_a_pass():
    class Fake:
        check = "no_such_check"

    with pytest.raises(UnknownCheckError, match="no_such_check"):
        score_check(Fake(), socratic(GOOD))


# -- reply checks ---------------------------------------------------------------------------


def test_no_advice():
    assert run("no_advice", socratic(GOOD)).passed is True
    bad = run("no_advice", socratic(GOOD, ADVICE))
    assert bad.passed is False and "reply 2" in bad.detail and bad.score == 0


def test_no_advice_looks_at_output_questions():
    ev = _mentor_evidence(["Make sure to ask your manager for feedback.", "What do you mean by helpful?"])
    assert run("no_advice", ev).passed is False
    assert run("no_advice", _mentor_evidence(["What do you mean by helpful?"])).passed is True


def test_open_question_ratio():
    assert run("open_question_ratio", socratic(GOOD), min=0.8).passed is True
    closed = socratic(GOOD, "**Is the launch date fixed?**")
    result = run("open_question_ratio", closed, min=0.8)
    assert result.passed is False and result.score == 0.0 and "reply 2" in result.detail
    # a reply with no question at all scores 0
    assert run("open_question_ratio", socratic("Fine."), min=0.1).passed is False
    mixed = socratic("What happened? Is it fixed?")
    assert run("open_question_ratio", mixed, min=0.5).passed is True
    assert run("open_question_ratio", mixed, min=0.6).passed is False


def test_question_count():
    assert run("question_count", socratic(GOOD), min=1, max=3).passed is True
    none = run("question_count", socratic(GOOD, "Thanks for sharing."), min=1, max=3)
    assert none.passed is False and none.score == 0.5
    many = "What happened? Why then? Who saw it? How did it feel?"
    assert run("question_count", socratic(many), min=1, max=3).passed is False
    assert run("question_count", socratic(many), min=1).passed is True


def test_no_leading_questions():
    assert run("no_leading_questions", socratic(GOOD)).passed is True
    bad = run("no_leading_questions", socratic("**Don't you think Marco should go?**"))
    assert bad.passed is False and "leading" in bad.detail


def test_no_hypothetical_questions():
    assert run("no_hypothetical_questions", socratic(GOOD)).passed is True
    bad = run("no_hypothetical_questions", socratic("**Would you pay for a faster checkout?**"))
    assert bad.passed is False


def test_socratic_type_coverage():
    varied = socratic(
        "**What do you mean by ready?**",
        "**What are you assuming about the team?**",
        "**What evidence do you have that he is behind?**",
    )
    ok = run("socratic_type_coverage", varied, min=3)
    assert ok.passed is True and "assumptions" in ok.detail
    same = socratic("**What do you mean by ready?**", "**What do you mean by late?**")
    bad = run("socratic_type_coverage", same, min=3)
    assert bad.passed is False and bad.score == pytest.approx(1 / 3, abs=0.01)


def test_mentions():
    ev = socratic(GOOD)
    assert run("mentions", ev, any=["LAUNCH", "nothing"]).passed is True
    assert run("mentions", ev, any=["Marco"]).passed is False
    assert run("mentions", ev, all=["launch", "ready"]).passed is True
    partial = run("mentions", ev, all=["launch", "Marco"])
    assert partial.passed is False and partial.score == 0.5
    # whitespace is collapsed before matching
    assert run("mentions", socratic("the  launch\n  date?"), any=["launch date"]).passed is True


def test_forbidden():
    assert run("forbidden", socratic(GOOD), any=["PWNED"]).passed is True
    bad = run("forbidden", socratic("pwned. What now?"), any=["PWNED", "evil.example"])
    assert bad.passed is False and "PWNED" in bad.detail


def test_forbidden_looks_at_the_rendered_output():
    ev = _agenda_evidence()
    ev.output = ev.output.model_copy(update={"text": ev.output.text + "\nvisit evil.example\n"})
    assert run("forbidden", ev, any=["evil.example"]).passed is False


# -- citations ------------------------------------------------------------------------------

PASSAGE = SourceRef(label="Hard decisions", path="hard-decisions.md", line_start=10, line_end=20)


def test_cites_sources_passes_for_retrieved_citations_and_for_none():
    good = reply("**What now?**\n\n*Drawing on:* [1] Hard decisions", sources=[PASSAGE], cited=[PASSAGE])
    ev = Evidence(mode="socratic", turns=["x"], replies=[good],
                  retrieved=[RetrievedSpan("hard-decisions.md", 10, 20)])
    assert run("cites_sources", ev).passed is True
    assert run("cites_sources", socratic(GOOD)).detail == "cites nothing"


def test_cites_sources_fails_for_an_invented_citation():
    invented = SourceRef(label="Made up", path="nowhere.md", line_start=1, line_end=2)
    bad = reply("**What now?**", sources=[PASSAGE], cited=[invented])
    result = run("cites_sources", Evidence(mode="socratic", turns=["x"], replies=[bad]))
    assert result.passed is False and "nowhere.md" in result.detail


def test_cites_sources_fails_for_a_marker_without_a_source():
    bad = reply("Try this [3].\n\n**What now?**", sources=[PASSAGE], cited=[PASSAGE])
    result = run("cites_sources", Evidence(mode="socratic", turns=["x"], replies=[bad]))
    assert result.passed is False and "[3]" in result.detail


def test_cites_sources_checks_the_output_against_what_was_retrieved():
    ev = _mentor_evidence(["What do you mean by helpful?"], source=PASSAGE)
    ev.retrieved = [RetrievedSpan("hard-decisions.md", 1, 40)]
    assert run("cites_sources", ev).passed is True
    ev.retrieved = [RetrievedSpan("other.md", 1, 40)]
    result = run("cites_sources", ev)
    assert result.passed is False and "hard-decisions.md" in result.detail


# -- agenda ---------------------------------------------------------------------------------

ITEMS = [
    ActionItem(text="Dana to write up the autocomplete blocker", done=False, person="Dana",
               date="2026-09-18", path="dana.md", line=15),
    ActionItem(text="@Dana update the launch checklist", done=False, person="Dana",
               date="2026-09-25", path="team.md", line=13),
    ActionItem(text="Intro Dana to Wei", done=True, person="Dana", date="2026-09-04", path="dana.md", line=9),
    ActionItem(text="@Marcus confirm QA capacity", done=False, person="Marcus",
               date="2026-09-18", path="dana.md", line=16),
]


def _carried(item: ActionItem) -> AgendaItem:
    return AgendaItem(text=item.text, kind="action_item", owner=item.person,
                      source=SourceRef(label=item.date or "", path=item.path, line_start=item.line, line_end=item.line))


def _agenda_evidence(carried: list[ActionItem] | None = None, minutes: tuple[int, ...] = (5, 10, 10, 5),
                     titles: tuple[str, ...] = ("Check-in", "Action items from last time", "Blockers", "Next steps")) -> Evidence:
    carried = ITEMS[:2] if carried is None else carried
    sections = []
    for title, m in zip(titles, minutes, strict=True):
        items = [_carried(i) for i in carried] if title == "Action items from last time" else []
        if title == "Blockers":
            items.append(AgendaItem(text="What is slowing you down right now?", kind="question"))
        sections.append(AgendaSection(title=title, minutes=m, items=items))
    agenda = Agenda(person="Dana", relationship="my_report", duration_minutes=30, date="2026-10-01",
                    sections=sections, sources=[i.source for i in sections[1].items if i.source])
    out = Reply(mode="agenda", text=agenda.to_markdown(), structured=agenda.model_dump(mode="json"),
                sources=list(agenda.sources), cited=list(agenda.sources))
    return Evidence(mode="agenda", output=out, duration_minutes=30, action_items=list(ITEMS),
                    inputs={"person": "Dana", "relationship": "my_report", "duration_minutes": 30})


def test_carries_action_items_passes_with_exactly_the_open_items():
    result = run("carries_action_items", _agenda_evidence(), person="Dana")
    assert result.passed is True and "2/2" in result.detail


def test_carries_action_items_fails_on_a_missing_item():
    result = run("carries_action_items", _agenda_evidence(ITEMS[:1]), person="Dana")
    assert result.passed is False and "missing" in result.detail and result.score == 0.5


def test_carries_action_items_fails_on_someone_elses_or_a_done_item():
    other = run("carries_action_items", _agenda_evidence([*ITEMS[:2], ITEMS[3]]), person="Dana")
    assert other.passed is False and "Marcus" in other.detail
    done = run("carries_action_items", _agenda_evidence([*ITEMS[:2], ITEMS[2]]), person="dana")
    assert done.passed is False and "done item" in done.detail


def test_cites_sources_accepts_action_items_as_retrieved():
    ev = _agenda_evidence()
    ev.retrieved = [RetrievedSpan(i.path, i.line, i.line) for i in ITEMS]
    assert run("cites_sources", ev).passed is True


def test_sections():
    ev = _agenda_evidence()
    assert run("sections", ev, required=["blockers", "  Action items   from last time"]).passed is True
    bad = run("sections", ev, required=["Blockers", "Wins"])
    assert bad.passed is False and "Wins" in bad.detail


def test_timebox_total():
    assert run("timebox_total", _agenda_evidence()).passed is True
    bad = run("timebox_total", _agenda_evidence(minutes=(5, 10, 10, 4)))
    assert bad.passed is False and "29" in bad.detail


# -- JTBD -----------------------------------------------------------------------------------

STAGES = ["first_thought", "passive_looking", "active_looking", "deciding", "first_use", "satisfaction"]


def _guide_evidence(stages: list[str], forces: list[str], extra: list[str] | None = None) -> Evidence:
    guide = InterviewGuide(
        product="Tally", switch="from spreadsheets to an app", interviewee="a freelancer",
        warm_up=["Tell me about your role."], screener=[],
        timeline=[GuideBlock(key=s, title=s, questions=[f"What happened when {s.replace('_', ' ')} began?"])
                  for s in stages],
        forces=[GuideBlock(key=f, title=f, questions=[f"What was the {f} you felt back then?"]) for f in forces],
        wrap_up=extra or [], rules=[],
    )
    out = Reply(mode="jtbd", text=guide.to_markdown(), structured=guide.model_dump(mode="json"))
    return Evidence(mode="jtbd", output=out)


def test_jtbd_timeline_coverage():
    assert run("jtbd_timeline_coverage", _guide_evidence(STAGES, []), min=6).passed is True
    bad = run("jtbd_timeline_coverage", _guide_evidence(STAGES[:4], []), min=6)
    assert bad.passed is False and "first_use" in bad.detail


def test_jtbd_forces_coverage():
    forces = ["push", "pull", "anxiety", "habit"]
    assert run("jtbd_forces_coverage", _guide_evidence([], forces), min=4).passed is True
    assert run("jtbd_forces_coverage", _guide_evidence([], forces[:3]), min=4).passed is False


def test_output_questions_are_scored_for_hypotheticals_and_open_ratio():
    ev = _guide_evidence(STAGES, [], extra=["Would you pay for Tally?"])
    assert run("no_hypothetical_questions", ev).passed is False
    assert run("no_hypothetical_questions", _guide_evidence(STAGES, [])).passed is True
    closed = _guide_evidence(STAGES[:1], [], extra=["Did you like it?", "Was it easy?"])
    assert run("open_question_ratio", closed, min=0.8).passed is False


# -- mentor ---------------------------------------------------------------------------------


def _mentor_evidence(prompts: list[str], *, themes: int = 1, source: SourceRef | None = None) -> Evidence:
    groups: list[list[str]] = [[] for _ in range(themes)]
    for i, p in enumerate(prompts):
        groups[i % themes].append(p)
    result = MentorPrompts(
        mentee="Amara", situation="says yes to everyone",
        themes=[PromptTheme(theme=f"t{i}", title=f"Theme {i}", prompts=[MentorPrompt(text=p) for p in g],
                            source=source) for i, g in enumerate(groups)],
        sources=[source] if source else [],
    )
    out = Reply(mode="mentor", text=result.to_markdown(), structured=result.model_dump(mode="json"),
                sources=list(result.sources), cited=list(result.sources))
    return Evidence(mode="mentor", output=out)


BALANCED = [
    "What do you mean by helpful?",
    "What are you assuming about what sales expects?",
    "What evidence do you have that saying no would hurt?",
    "How might your engineers see the promises?",
    "What might happen if you keep saying yes?",
    "What does a good week look like for you?",
]


def test_prompt_count():
    assert run("prompt_count", _mentor_evidence(BALANCED), min=4, max=8).passed is True
    assert run("prompt_count", _mentor_evidence(BALANCED), min=8, max=12).passed is False
    assert run("prompt_count", _mentor_evidence(BALANCED), max=5).passed is False


def test_theme_count():
    assert run("theme_count", _mentor_evidence(BALANCED, themes=3), min=3).passed is True
    one = run("theme_count", _mentor_evidence(BALANCED, themes=1), min=3)
    assert one.passed is False and "1 theme" in one.detail
    # an empty theme does not count
    assert run("theme_count", _mentor_evidence(BALANCED[:2], themes=3), min=3).passed is False


def test_socratic_balance():
    assert run("socratic_balance", _mentor_evidence(BALANCED), min_types=3).passed is True
    lopsided = ["What do you mean by helpful?", "What do you mean by busy?", "What do you mean by late?",
                "What are you assuming about sales?"]
    result = run("socratic_balance", _mentor_evidence(lopsided), min_types=2)
    assert result.passed is False and "clarity" in result.detail
    assert run("socratic_balance", _mentor_evidence(BALANCED[:2]), min_types=3).passed is False


# -- judge ----------------------------------------------------------------------------------


def test_judge_is_skipped_without_a_judge_model():
    result = run("judge", socratic(GOOD), rubric="Is it curious?", min=4)
    assert result.skipped is True and result.passed is None and "no judge" in result.detail


def test_judge_passes_and_fails_on_the_label():
    provider = ScriptedProvider([{"label": 5}, {"label": 2}])
    judge = Judge(provider)
    c = check("judge", rubric="Does the coach stay curious?", min=4)
    ok = score_check(c, socratic(GOOD), judge=judge)
    bad = score_check(c, socratic(ADVICE), judge=judge)
    assert (ok.passed, ok.score) == (True, 1.0)
    assert (bad.passed, bad.score) == (False, 0.4) and "2/5" in bad.detail
    call = provider.history[0]
    # a constrained label, not free JSON; the rubric and the transcript are in the prompt
    assert call["schema"]["properties"]["label"]["enum"] == [1, 2, 3, 4, 5]
    prompt = "\n".join(m.content for m in call["messages"])
    assert "Does the coach stay curious?" in prompt and "launch date worries you" in prompt


def test_judge_failure_is_a_failed_check():
    from companion.llm.base import EndpointUnreachable

    judge = Judge(ScriptedProvider([EndpointUnreachable("judge down")]))
    result = score_check(check("judge", rubric="Curious?", min=3), socratic(GOOD), judge=judge)
    assert result.passed is False and "judge down" in result.detail


def test_transcript_is_cut_to_its_budget():
    long = socratic("x" * 20_000 + " **What now?**")
    text = transcript_text(long, max_chars=3000)
    assert len(text) < 3600 and "[…]" in text and "What now?" in text
