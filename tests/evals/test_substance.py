"""Substance checks (uptake, parroting, grammar, advice, MITI counts) on hand-written replies."""

from __future__ import annotations

from companion.evals import substance

USERS = [
    "My VP wants us to ship without SSO and the guided setup.",
    "Three of our biggest accounts said they won't roll out without SSO.",
    "Honestly I haven't told my skip-level about those three accounts yet.",
]
LISTENING = [
    "So the date is driving the cut.\n\n**What are you assuming about the guided setup?**",
    "For those accounts, SSO is a must-have.\n\n**What evidence do you have about the biggest accounts?**",
    "It seems your skip-level is still in the dark.\n\n**How might your skip-level see this?**",
]
DEAF = [
    "It sounds like your VP wants you to ship without SSO and the guided setup.\n\n**What do you mean by the launch?**",
    "It sounds like your VP wants you to ship without SSO.\n\n**What do you mean by a cut scope on the launch?**",
    "It sounds like your VP wants you to ship.\n\n**What are you taking for granted about strategic?**",
]


def test_uptake_counts_later_turns_whose_new_words_come_back():
    good = substance.uptake(USERS, LISTENING)
    assert good.score == 1.0 and good.passed and good.counts == {"hits": 2, "total": 2}
    bad = substance.uptake(USERS, DEAF)
    assert bad.score == 0.0 and not bad.passed and "missed turn 2, turn 3" in bad.detail


def test_parroting_flags_reflections_that_copy_a_user_sentence():
    assert substance.parroting(USERS, LISTENING).score == 0.0
    deaf = substance.parroting(USERS, DEAF)
    assert deaf.score >= 2 / 3 and not deaf.passed


def test_grammar_flags_the_known_bad_fills():
    assert substance.grammar(USERS, LISTENING).passed
    bad = substance.grammar(USERS, DEAF + ["**What do you mean by letting someone go of an engineer before our launch?**"])
    assert bad.counts["bad"] == 3  # a cut scope, strategic, letting someone go of / our


def test_advice_needs_an_invitation_and_must_name_the_situation():
    users = ["My VP wants to ship without SSO.", "What would you do?"]
    replies = [
        "So the date drives it.\n\n**What are you assuming about SSO?**",
        "You asked what I would do.\n\n1. With your VP, share what the accounts said about SSO. [1]\n"
        "2. Try journaling every morning. [2]",
    ]
    assert substance.advice_without_permission(users, replies).passed
    relevance = substance.advice_relevance(users, replies)
    assert relevance.counts == {"grounded": 1, "total": 2} and not relevance.passed
    uninvited = substance.advice_without_permission(users[:1], ["You should escalate to your VP."])
    assert uninvited.counts["count"] == 1 and not uninvited.passed


def test_miti_counts_reflections_questions_and_complex_ones():
    result = substance.miti_counts(USERS, LISTENING)
    assert result.counts["reflections"] == 3 and result.counts["questions"] == 3
    assert result.score == 1.0 and result.passed
    assert result.counts["complex"] >= 1  # "must-have" adds meaning
    only_questions = substance.miti_counts(USERS[:1], ["**What matters most?** **What else?**"])
    assert only_questions.score == 0.0 and not only_questions.passed


# ------------------------------------------------------------------- through the check registry


def _evidence(users: list[str], replies: list[str]):
    from companion.coaching.schemas import Reply
    from companion.evals.evidence import Evidence

    return Evidence(mode="socratic", turns=list(users), replies=[Reply(mode="socratic", text=r) for r in replies])


def _check(spec):
    from companion.evals.checks import REGISTRY

    name = spec if isinstance(spec, str) else spec["check"]
    cls = REGISTRY[name]
    return cls.model_validate({"check": name} if isinstance(spec, str) else spec)


def test_substance_checks_are_registered_for_socratic_mode():
    from companion.evals.checks import REGISTRY

    for name in substance.CHECKS:
        # grammar also reads the question fields of structured outputs
        want = None if name == "grammar" else frozenset({"socratic"})
        assert REGISTRY[name].modes == want


def test_registered_substance_checks_score_the_evidence():
    good, deaf = _evidence(USERS, LISTENING), _evidence(USERS, DEAF)
    for spec in ({"check": "uptake", "min": 0.85}, {"check": "parroting", "max": 0.10}, "grammar",
                 "advice_without_permission", {"check": "miti_counts", "min_r_to_q": 1.0}):
        check = _check(spec)
        assert check.score(good).passed, check.label
    assert not _check({"check": "uptake", "min": 0.85}).score(deaf).passed
    parrot = _check({"check": "parroting", "max": 0.10}).score(deaf)
    assert not parrot.passed and parrot.score is not None and parrot.score <= 1 / 3
    assert _check({"check": "uptake", "min": 0.0}).score(deaf).passed  # the parameter is used


def test_registered_advice_checks():
    users = ["My VP wants to ship without SSO.", "What would you do?"]
    replies = [
        "So the date drives it.\n\n**What are you assuming about SSO?**",
        "You asked what I would do.\n\n1. With your VP, share what the accounts said about SSO. [1]\n"
        "2. Try journaling every morning. [2]",
    ]
    ev = _evidence(users, replies)
    assert _check("advice_without_permission").score(ev).passed
    rel = _check({"check": "advice_relevance", "min": 0.9}).score(ev)
    assert not rel.passed and rel.score == 0.5
    assert _check({"check": "advice_relevance", "min": 0.5}).score(ev).passed
    uninvited = _check("advice_without_permission").score(_evidence(users[:1], ["You should escalate to your VP."]))
    assert not uninvited.passed and uninvited.score == 0.5


def test_substance_does_not_import_the_guard_or_the_listening_layer():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(substance.__file__).read_text("utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.startswith("companion")}, imported


def test_a_numbered_advice_point_is_one_advice_unit_and_markers_are_not_sentences():
    reply = ("You asked what I would do. Here are two ideas for two deals, drawn from the library.\n\n"
             "1. For two deals: ask for the last specific instance. [1]\n"
             "2. For two deals: ask at least three questions first. [2]\n\n"
             "**Which of these fits what you know?**\n\n*Drawing on:* [1] x")
    reflections, questions, advice = substance.coach_parts(reply)
    assert reflections == []  # "1." and "[1]" were counted as reflections
    assert questions == ["Which of these fits what you know?"]
    assert "1. For two deals: ask for the last specific instance." in advice


def test_a_replys_questions_are_its_sentences_ending_in_a_question_mark():
    from companion.coaching.schemas import Reply
    from companion.evals.evidence import reply_questions

    text = ("As your platform lead sees it, if you don't rebuild the pipeline this quarter the dashboards "
            "will fall over, which may leave you caught in the middle.\n\n**What have you seen so far?**")
    # the guard's splitter read the reflection as a closed question
    assert reply_questions(Reply(mode="socratic", text=text)) == ["What have you seen so far?"]


def test_a_questions_own_verbs_are_not_strays_but_imported_topics_are():
    user = ["Churn in the self-serve plan went from 3 to 5 percent after the price change."]
    # heard, left: how the question asks; customers: its one new word
    kept = substance.on_their_words(user, ["What have you heard from the customers who left the self-serve plan?"])
    assert kept.score == 1.0
    strays = substance.on_their_words(user, ["What retention levers and value metrics could your team explore?"])
    assert strays.score == 0.0 and "retention" in strays.detail


def test_the_users_claim_or_someones_view_said_back_is_not_the_coachs_advice():
    for said_back in ("It sounds like you're fairly sure that you could ship on the 12th.",
                      "So your mentor thinks you should move to the platform team.",
                      # the default's eval, 2026-12-05: the PM's own "I think we could ..."
                      "It seems your sense is that you could ship something for march 1 if you cut sync."):
        assert substance.coach_parts(said_back)[2] == [], said_back
    assert substance.coach_parts("You could ship it on Friday.")[2] == ["You could ship it on Friday."]


def test_a_wh_clause_as_the_subject_is_malformed():
    result = substance.grammar(["I haven't told him why I said no."], ["So he is in the dark.\n\n**What could why you said no be?**"])
    assert result.counts["bad"] == 1


def test_a_cost_on_each_side_of_one_choice_is_a_complex_reflection():
    said = "if I don't pick Rosa the message to support is bad. if I do pick her I'm training her for months"
    reflection = ("It seems either way something gives: if you don't pick Rosa, the message to support is "
                  "bad, and if you do, you're training her for months.")
    assert substance.complex_reflections([said], [f"{reflection}\n\n**How might Rosa see this?**"]).counts["complex"] == 1
