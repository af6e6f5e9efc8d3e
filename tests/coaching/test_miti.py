"""MITI 4 session coding: counts, summary metrics, thresholds, permission for advice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from companion.coaching.miti import (
    SessionCode,
    Turn,
    asks_for_advice,
    asks_permission,
    code_replies,
    code_session,
    rate,
)


def _code(behaviour: str, form: str = "none", reflection: str | None = None):
    return SimpleNamespace(behaviour=behaviour, form=form, is_question=form != "none", reflection=reflection)


# A scripted coder: the utterance's first word says what it is, so the tests pin the counting.
def fake_coder(text: str, previous: str | None = None):
    first = text.split()[0].lower()
    return {
        "simple:": _code("reflection", reflection="simple"),
        "complex:": _code("reflection", reflection="complex"),
        "open:": _code("question", form="open"),
        "closed:": _code("question", form="closed"),
    }.get(first, _code("other"))


def fake_advice(text: str) -> list[str]:
    return [text] if text.lower().startswith("advice:") else []


def coded(turns):
    return code_session(turns, coder=fake_coder, advice=fake_advice)


def test_counts_and_summary_metrics():
    s = coded(
        [
            Turn("My launch slipped again.", "Simple: it slipped. Complex: you feel stuck. Open: what happened?"),
            Turn("The API was late.", "Complex: the delay is not yours. Closed: did you tell them?"),
        ]
    )
    assert (s.simple_reflections, s.complex_reflections) == (1, 2)
    assert (s.open_questions, s.closed_questions) == (1, 1)
    assert s.rq_ratio == pytest.approx(1.5)
    assert s.pct_complex == pytest.approx(2 / 3)
    assert s.pct_open == pytest.approx(0.5)
    assert s.rating("rq_ratio") == "fair" and s.rating("pct_complex") == "good"
    assert s.display() == "this session: R:Q 1.5, 67% complex, 50% open"
    assert s.summary()["ratings"] == {"rq_ratio": "fair", "pct_complex": "good", "pct_open": "fair"}


@pytest.mark.parametrize(
    ("value", "fair", "good", "expected"),
    [(2.0, 1.0, 2.0, "good"), (1.0, 1.0, 2.0, "fair"), (0.99, 1.0, 2.0, "below"),
     (0.5, 0.4, 0.5, "good"), (0.4, 0.4, 0.5, "fair"), (0.39, 0.4, 0.5, "below")],
)
def test_miti_thresholds(value, fair, good, expected):
    assert rate(value, fair, good) == expected


def test_advice_without_permission_is_counted_and_shown():
    s = coded([Turn("My manager ignores my updates.", "Advice: send a weekly summary.")])
    assert s.advice_without_permission == 1 and s.advice_with_permission == 0
    assert "1 unasked advice" in s.display()


def test_advice_the_user_asked_for_is_with_permission():
    s = coded([Turn("What should I do about my manager?", "Advice: send a weekly summary.")])
    assert (s.advice_with_permission, s.advice_without_permission) == (1, 0)


def test_advice_after_the_coach_asked_and_the_user_agreed_is_with_permission():
    s = coded(
        [
            Turn("My manager ignores my updates.", "Closed: may I share an idea that helped others?"),
            Turn("Yes, please.", "Advice: send a weekly summary."),
            Turn("He still ignores it.", "Advice: ask him in your 1:1."),
        ]
    )
    assert s.advice_with_permission == 1 and s.advice_without_permission == 1


def test_undefined_ratios_are_none_and_the_display_says_so():
    assert SessionCode().display() == "this session: nothing coded yet"
    s = coded([Turn("hi", "Simple: you are here.")])
    assert s.rq_ratio is None and s.rating("rq_ratio") is None
    assert s.display() == "this session: R:Q 1:0, 0% complex"


def test_parallel_lists_must_match():
    with pytest.raises(ValueError, match="2 user turns but 1 coach replies"):
        code_replies(["a", "b"], ["Open: what?"], coder=fake_coder, advice=fake_advice)


@pytest.mark.parametrize(
    "text", ["What should I do?", "Any tips for a tough 1:1?", "How do I tell her?", "What would you do?",
             # the eval run of 2026-12-05 coded the advice given after these as unasked
             "just tell me what to say to her, like the actual first sentence", "Yes please. Tell me what you would do."]
)
def test_requests_for_advice(text):
    assert asks_for_advice(text)


@pytest.mark.parametrize("text", ["My manager ignores me.", "I told him yesterday.", ""])
def test_not_requests_for_advice(text):
    assert not asks_for_advice(text)


def test_permission_questions():
    assert asks_permission("May I share an idea?")
    assert asks_permission("Would it help if I offered a suggestion?")
    # the coach's own offer after "I don't know what to do"
    assert asks_permission("If a couple of ideas from the library would help here, I can share them.")
    assert not asks_permission("What happened next?")


def test_real_coder_codes_a_short_session():
    """The shipped learned coder on clear cases (no scripted coder)."""
    s = code_session(
        [
            Turn(
                "I keep rewriting the roadmap because sales changes its mind every week.",
                "It sounds like you are tired of redoing work that keeps getting thrown away. "
                "What would a stable roadmap give you?",
            ),
            Turn("Some peace, honestly.", "Did you talk to the head of sales about it?"),
        ]
    )
    codes = [u.code for u in s.utterances]
    assert codes[0].endswith("reflection")
    assert codes[1:] == ["open_question", "closed_question"]
    assert s.display().startswith("this session: R:Q 0.5")


def test_the_sources_footer_is_not_an_utterance():
    from companion.coaching.miti import utterances

    reply = ("It sounds like your manager is pushing to cut scope.\n\n"
             "How would your manager see the onboarding revamp?\n\n"
             "*Drawing on:* [1] Socratic questioning › Viewpoints (socratic-questioning.md:57-66)")
    assert utterances(reply) == ["It sounds like your manager is pushing to cut scope.",
                                 "How would your manager see the onboarding revamp?"]
    # "Sources" inside a sentence is speech, not a footer.
    assert utterances("Sources of friction matter here.") == ["Sources of friction matter here."]
