"""The listening layer: state read by spaCy, grammar, reflections, question types, tiers."""

from __future__ import annotations

import re

import pytest
from support.fakes import FakeKnowledge, passage

from companion.coaching import socratic
from companion.coaching.listening import asking, retrieval
from companion.coaching.listening.grammar import grammar_problems
from companion.coaching.listening.reflections import (
    parrots,
    program_reflection,
    reflection_problems,
)
from companion.coaching.listening.state import ConversationState, replay, update
from companion.coaching.listening.tiers import tier_for
from companion.coaching.session import CoachingSession
from companion.llm.fake import ScriptedProvider
from companion.settings import Endpoint, load_settings

SSO = [
    "My VP wants us to ship without SSO and the guided setup. Three of our biggest accounts said "
    "they won't roll out without SSO.",
    "Honestly I haven't told my skip-level about those three accounts yet.",
]


# -- state -------------------------------------------------------------------------------------


def test_state_marks_what_is_new_in_the_latest_message():
    state = replay(SSO)
    new = {f.kind: f for f in state.new_facts()}
    assert new["not_yet"].detail["whom"] == "your skip-level"
    assert new["not_yet"].detail["about"] == "those three accounts"
    assert "skip" in " ".join(state.new_words) or "level" in state.new_words
    assert "sso" not in state.new_words  # said in the first message, not new now
    earlier = {f.kind for f in state.facts if f.turn == 1}
    assert {"condition", "claim", "number"} <= earlier
    assert state.anchors[0] in {"your skip-level", "those three accounts"}


def test_state_reads_people_numbers_dates_commitments_feelings_values_and_decisions():
    state = replay([
        "I have to decide whether to let go of an underperforming engineer before our big launch.",
        "I'm worried the team will burn out, and I promised Dana a plan by Friday.",
        "I care about keeping trust with customers but the board wants revenue this quarter.",
    ])
    kinds = {f.kind for f in state.facts}
    assert {"decision", "feeling", "commitment", "date", "value", "contrast"} <= kinds
    assert "Dana" in [p.name for p in state.people]
    decision = state.of_kind("decision")[0]
    assert decision.text.startswith("whether to let go")
    assert "your big launch" in decision.text  # said back in the second person


def test_state_is_never_invented_every_fact_comes_from_a_sentence_said():
    state = replay(SSO)
    said = " ".join(SSO)
    assert all(f.sentence in said for f in state.facts)


def test_update_returns_a_new_state_and_keeps_the_old():
    first = update(ConversationState(), SSO[0])
    second = update(first, SSO[1])
    assert first.turns == 1 and second.turns == 2 and len(first.facts) < len(second.facts)


# -- grammar -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "user_text"),
    [
        ("What are you taking for granted about strategic?", ""),
        ("What do you mean by a cut scope on the launch?",
         "My manager wants me to cut scope on the launch and I disagree."),
        ("What do you mean by letting someone go of an underperforming engineer on your team "
         "before our big launch?", ""),
        ("What are you assuming about the?", ""),
        ("What might the team?", ""),
        ("the launch is soon?", ""),
        ("What are you assuming about those three accounts yet?", ""),
        # smollm2-135m, 2026-12-05: the guard read the comma as the last word
        ("What could your team do to avoid this situation and make it work better in the future, or,?", ""),
        # qwen2.5-0.5b, 2026-12-05: the anchor "why you said no" as the subject
        ("What could why you said no be?", ""),
        # qwen2.5-0.5b, 2026-12-05: the implications stem finished with "be" asks nothing
        ("What could the payments integration be?", ""),
        ("What could the payments integration be for you?", ""),
        # qwen2.5-0.5b, 2026-12-05: "wants the launch to land" lost its "wants"
        # qwen2.5-0.5b's JTBD probes at their length limit, 2026-12-05
        ("What else did you look at besides Tally when comparing spreadsheets in the last 3?", ""),
        ("Tell me about the first week with Tally after switching in last 3 months, how did you?", ""),
        ("What did you set up first in Shiftpay to handle payroll, e?", ""),
        ("Tell me about the first week with slides and documents you used in your new whiteboard project last!?", ""),
        ("How would your director feel about the launch to land?",
         "My director only wants the launch to land and doesn't care how I handle Marco."),
    ],
)
def test_bad_fills_fail_the_grammar_check(question, user_text):
    assert grammar_problems(question, user_text)


@pytest.mark.parametrize(
    "question",
    [
        "What do you mean by the guided setup?",
        "What are you assuming about your biggest accounts?",
        "How might your skip-level react to hearing about those three accounts?",
        "What might happen if the launch slips to March 3?",
        "What evidence do you have that the accounts will churn?",
        "What do you mean by letting go of an underperforming engineer?",
        "What makes Dana's plan by Friday matter most to you?",
        "What could the payments integration change for you?",
        "What would it take for the launch to land well?",
        "What could the payments integration be worth to the team?",
        "What did you do in the last 3 months?",
        "What changed after version 2?",
        "How did you pick between option A and option B?",
        "How might your director see the launch?",
    ],
)
def test_good_questions_pass_the_grammar_check(question):
    assert grammar_problems(question) == []
    assert grammar_problems(question, "My director only wants the launch to land and doesn't care how.") == []


# -- reflections ---------------------------------------------------------------------------------


def test_the_reflection_takes_up_the_new_content_not_the_first_sentence():
    state = replay(SSO)
    r = program_reflection(state, SSO)
    assert "skip-level" in r.text and "three accounts" in r.text
    assert not parrots(r.text, SSO)


def test_a_condition_in_the_first_message_is_reflected_not_its_first_sentence():
    state = replay(SSO[:1])
    r = program_reflection(state, SSO[:1])
    assert "SSO" in r.text and "VP" not in r.text
    assert r.kind == "complex"


def test_two_sides_become_a_double_sided_reflection():
    text = "I care about keeping trust with customers but the board wants revenue this quarter."
    r = program_reflection(replay([text]), [text])
    assert r.text.startswith("On one hand you care about keeping trust") and ", and yet the board" in r.text
    assert r.kind == "complex"


@pytest.mark.parametrize(
    "message",
    [
        "My manager wants me to cut scope on the onboarding revamp and I disagree.",
        "I have to decide whether to let go of an underperforming engineer on my team before our big launch.",
        "It's been a long week.",
        "Sales is furious because two deals worth 80k are closing in the same week.",
    ],
)
def test_program_reflections_never_parrot(message):
    r = program_reflection(replay([message]), [message])
    assert r.text and not parrots(r.text, [message])


def test_model_reflections_are_guarded():
    state = replay(SSO)
    ok = "So the three accounts are still news your skip-level hasn't heard."
    assert reflection_problems(ok, state, SSO) == []
    assert "names what the PM never said (Marcus)" in reflection_problems(
        "Marcus will be upset that your skip-level hasn't heard about the accounts.", state, SSO)
    assert "advice" in reflection_problems("You should tell your skip-level about the accounts today.", state, SSO)
    assert "third person" in reflection_problems("The user has not told the skip-level about it.", state, SSO)
    assert "parrots a sentence of the PM" in reflection_problems(
        "You haven't told your skip-level about those three accounts yet.", state, SSO)


# -- question types and anchors ----------------------------------------------------------------


def test_the_type_follows_the_state_and_says_why():
    decision = replay(["I have to decide whether to move the launch to March."])
    qtype, why, anchors = asking.choose_type(decision, [])
    assert qtype == "implications" and "decision" in why and "the launch" in anchors
    person = replay(["Priya, my manager, says the team can absorb the work."])
    assert asking.choose_type(person, [])[0] in {"alternate_viewpoints", "reasons_evidence"}
    vague = replay(["The roadmap needs more alignment."])
    assert asking.choose_type(vague, [])[0] == "clarity"
    untold = replay(SSO)
    qtype, why, anchors = asking.choose_type(untold, [])
    assert qtype == "alternate_viewpoints" and anchors[0] == "your skip-level"
    # The same type is not asked twice in a row when something else is new.
    assert asking.choose_type(untold, ["alternate_viewpoints"])[0] != "alternate_viewpoints"


def test_the_tiny_schema_forces_the_stem_and_an_anchor_from_the_enum():
    state = replay(SSO)
    provider = ScriptedProvider([{"anchor": "those three accounts",
                                  "question": "What might follow from those three accounts for the launch?"}])
    turn = socratic.listening_turn(provider, state, tier="tiny", user_turns=SSO, covered=["alternate_viewpoints"],
                                   asked=[], passages_block="", history_block="", temperature=0.3)
    schema = provider.history[0]["schema"]
    assert set(schema["properties"]) == {"anchor", "question"}
    assert "those three accounts" in schema["properties"]["anchor"]["enum"]
    assert "(your skip-level|those three accounts" in schema["properties"]["question"]["pattern"] or \
        "those three accounts" in schema["properties"]["question"]["pattern"]
    assert "\\." not in schema["properties"]["question"]["pattern"]  # llama.cpp rejects it
    assert turn["question"] == "What might follow from those three accounts for the launch?"
    assert turn["anchor"] == "those three accounts" and turn["reflection_by"] == "program"


def test_small_and_large_tiers_let_the_model_write_the_reflection_under_the_guard():
    state = replay(SSO)
    good = {"reflection": "Part of you is afraid of how your skip-level will take it.",
            "anchor": "your skip-level",
            "question": "How might your skip-level take the news about those three accounts?"}
    said_back = program_reflection(state, SSO).text
    for tier in ("small", "large"):
        provider = ScriptedProvider([good])
        turn = socratic.listening_turn(provider, state, tier=tier, user_turns=SSO, covered=[], asked=[],
                                       passages_block="", history_block="", temperature=0.3)
        assert "reflection" in provider.history[0]["schema"]["properties"]
        assert said_back in provider.history[0]["messages"][-1].content  # the model goes further
        assert turn["reflection_by"] == "program+model" and turn["question_by"] == "model"
        assert turn["reflection"] == f"{said_back} {good['reflection']}"
    invented = dict(good, reflection="So Marcus from legal will block the launch in April.")
    provider = ScriptedProvider([invented])
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=SSO, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert turn["reflection_by"] == "program" and "Marcus" not in turn["reflection"]
    # what the guard refused is kept with why, for the benchmark to read
    assert turn["refused"][0]["part"] == "reflection" and "Marcus" in turn["refused"][0]["text"]
    assert any("never said" in p for p in turn["refused"][0]["problems"])


# qwen2.5-1.5b's whole questions on the listening run of 2026-12-05 (33 of its 58 were like these)
@pytest.mark.parametrize(("turns", "question", "problem"), [
    (["My team is exhausted."],
     "How does the exhaustion of your team impact your work and mental health?", "never said"),
    (["I care about keeping them, but my director only looks at the incident count."],
     "How might your director view this situation and what are their concerns?", "second question"),
    (["We want to sunset the legacy export.", "Brightwell renews in June and their VP emailed our CEO directly about it."],
     "What are the potential risks and benefits of sunsetting the legacy export in June?", "analyses"),
    (["Finance just hinted at a hiring freeze starting in January."],
     "What are the implications of the hiring freeze on your financial resources and timeline?", "never said"),
])
def test_a_model_question_that_wanders_from_what_the_pm_said_is_refused(turns, question, problem):
    state = replay(turns)
    provider = ScriptedProvider([{"anchor": state.anchors[0], "question": question}] * 2)
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=turns, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert turn["question"] != question and turn["fallback"]
    assert any(problem in p for p in turn["problems"]), turn["problems"]


@pytest.mark.parametrize(("turns", "question"), [
    (["Tobias owns the payments migration and has missed three sprint goals in a row."],
     "What do you think is causing Tobias to miss these three sprint goals in a row?"),
    (["My mentor thinks I should move to the platform team."],
     "How might your mentor describe what they see as the right move for you?"),
])
def test_a_model_question_about_what_the_pm_said_passes(turns, question):
    state = replay(turns)
    anchor = next(a for a in state.anchors if a.split()[-1] in question)
    provider = ScriptedProvider([{"anchor": anchor, "question": question}])
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=turns, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert turn["question"] == question and turn["question_by"] == "model", turn["problems"]


def test_a_slow_first_draft_on_the_tiny_tier_falls_back_without_a_second(monkeypatch):
    from companion.coaching.listening.tiers import SLOTS

    turns = ["My team is exhausted."]
    state = replay(turns)
    wanders = {"anchor": state.anchors[0], "question": "How does the exhaustion of your team impact your work?"}
    fast = ScriptedProvider([wanders] * 2)
    socratic.listening_turn(fast, state, tier="tiny", user_turns=turns, covered=[], asked=[],
                            passages_block="", history_block="", temperature=0.3)
    assert len(fast.history) == 2  # refused, written again
    monkeypatch.setitem(SLOTS["tiny"], "regenerate_within_s", -1.0)  # every first draft is "slow"
    slow = ScriptedProvider([wanders] * 2)
    turn = socratic.listening_turn(slow, state, tier="tiny", user_turns=turns, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert len(slow.history) == 1 and turn["fallback"] and turn["question_by"] == "program"


def test_an_ungrammatical_model_question_is_refused():
    state = replay(["What should we do about strategic stuff in the roadmap review?"])
    provider = ScriptedProvider([{"question": "What are you taking for granted about strategic?"}] * 2)
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=[state.latest], covered=[],
                                   asked=[], passages_block="", history_block="", temperature=0.3)
    assert turn["fallback"] and turn["question"] != "What are you taking for granted about strategic?"
    assert any("no main verb" in p or "bare adjective" in p for p in turn["problems"])


# -- tiers -------------------------------------------------------------------------------------


def test_tier_for_maps_models_and_honours_the_setting():
    settings = load_settings(endpoints=[Endpoint(name="big", base_url="http://127.0.0.1:9/v1", model="m")])
    assert tier_for("smollm2-135m", settings) == "tiny"
    assert tier_for("qwen2.5-0.5b", settings) == "tiny"
    assert tier_for("qwen2.5-1.5b", settings) == "small"
    assert tier_for("big", settings) == "large"
    assert tier_for("qwen2.5-0.5b", settings.model_copy(update={"tier": "large"})) == "large"


# -- retrieval -------------------------------------------------------------------------------------


def test_retrieval_uses_the_conversation_and_keeps_a_floor():
    state = replay(SSO)
    query = retrieval.conversation_query(state, SSO)
    assert "skip-level" in query and "SSO" in query  # the earlier turn is part of the query
    near = passage(1, "Before a scope cut, check which accounts need SSO and tell your skip-level early.",
                   title="Running one-on-ones", heading="Skip-level meetings")
    far = passage(2, "Pricing tiers follow the value metric.")
    low = near.model_copy(update={"dense": 0.1})
    lexical_only = near.model_copy(update={"dense": None})
    off_topic = near.model_copy(update={"title": "Pricing", "heading": "Value metrics"})  # mentions, is not about
    assert retrieval.relevant([near, far, low, lexical_only, off_topic], state) == [near]


def test_a_passage_sharing_only_counts_and_dates_with_the_message_is_not_cited():
    # The fused rank put "Timing near a launch" (about letting someone go) first for an
    # accessibility audit: it shared "date" and "five" with the conversation, nothing more.
    turns = ["We're bidding on a city council tender due in five weeks.",
             "An audit found 41 accessibility failures in the booking flow, most of them in the date picker."]
    state = replay(turns)
    timing = passage(1, "Five weeks before a launch, a date is hard to move; letting someone go then costs the team.")
    audit = passage(2, "An accessibility audit lists failures by severity; fix the booking blockers first.",
                    title="Accessibility audits", heading="Reading the failures")
    assert retrieval.relevant([timing, audit], state) == [audit]
    # Advice draws on the whole conversation: "tender" was said a turn earlier.
    state = update(state, "What would you do?")
    tender = passage(3, "A public tender scores accessibility; ask the council how they weigh it.",
                     title="Public tenders")
    assert retrieval.relevant([tender], state) == []
    assert retrieval.relevant([tender], state, whole_conversation=True) == [tender]


def test_the_session_searches_with_the_whole_conversation():
    kb = FakeKnowledge([])
    s = CoachingSession(load_settings(), provider=ScriptedProvider(), knowledge=kb)
    s._prepared = True
    for text in SSO:
        s.respond(text)
    assert "SSO" in kb.queries[-1] and "skip-level" in kb.queries[-1]


def test_a_title_with_its_domain_stays_one_anchor_and_one_person():
    # The coach asked "How might your head see this?" after "Our head of sales wants ...".
    state = update(ConversationState(), "Our head of sales wants a dashboard builder.")
    assert "your head of sales" in state.anchors and "your head" not in state.anchors
    assert [p.name for p in state.people] == ["your head of sales"]
    assert "the director of product" in update(ConversationState(), "The director of product ignored my email.").anchors


def test_hyphenated_words_stay_whole_and_a_sentence_opening_is_said_back_in_lower_case():
    # spaCy split "co-founder" at the hyphen and the coach said back "your co and founder".
    assert update(ConversationState(), "My co-founder wants to go after enterprise next year.").anchors[0] \
        == "your co-founder"
    anchors = update(ConversationState(), "Every enterprise pilot so far asked for an on-premise install.").anchors
    assert "every enterprise pilot" in anchors and "the on-premise install" in anchors


def test_a_model_reflection_is_cut_to_its_first_sentence_and_a_cut_off_one_is_refused():
    from companion.coaching.listening.reflections import first_sentences

    def first_sentence(text: str) -> str:
        return first_sentences(text, 1)[0]

    state = replay(SSO)
    drafted = ("You're hearing that SSO decides whether your biggest accounts come along. "
               "This could indicate a lack of trust from the team.")
    assert first_sentence(drafted) == "You're hearing that SSO decides whether your biggest accounts come along."
    assert "cut off mid-sentence" in reflection_problems(
        "It sounds like you're facing the launch without SSO, which could lead to a .", state, SSO)
    assert reflection_problems(first_sentence(drafted), state, SSO) == []


@pytest.mark.parametrize("tier", ["small", "large"])
def test_the_reflection_slot_opens_on_the_person_and_compiles_to_a_llama_cpp_grammar(tier):
    import json

    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    schema = socratic._schema(tier, "", ["your skip-level", "those three accounts"])
    assert schema["properties"]["reflection"]["pattern"].startswith("^(It sounds like you|")
    assert llama_grammar.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)


def test_a_model_that_writes_one_advice_point_twice_gets_it_once():
    from companion.coaching.advice import advise

    state = replay(["Tobias owns the payments migration and has missed three sprint goals in a row.",
                    "What would you do? Tell me what to do about Tobias."])
    from companion.coaching.advice import facts_for_advice

    facts = facts_for_advice(state)
    text = (f"For {facts[0]}, ask for the last specific instance of a missed goal and what got in the "
            "way of it before you decide anything.")
    library = passage(1, "Ask for the last specific instance of a missed goal and what got in the way of it; "
                      "decide nothing before you have heard it.")
    provider = ScriptedProvider([{"points": [{"fact": facts[0], "text": text, "source": 1}] * 2}])
    got = advise(provider, state, [library], temperature=0.3)
    assert len(got.points) == 1 and not got.fallback
    assert "Here is one idea" in got.preface  # it said "two ideas" over one


def test_a_program_reflection_guesses_what_a_fact_may_mean_unless_the_pm_named_a_feeling():
    untold = replay(["My VP wants us to ship without SSO and the guided setup.",
                     "Honestly I haven't told my skip-level about those three accounts yet."])
    r = program_reflection(untold, ["My VP wants us to ship without SSO and the guided setup.", untold.latest])
    assert r.kind == "complex" and "in the dark about those three accounts" in r.text
    assert r.text.endswith("may be weighing on you.")
    pushed = replay(["My VP wants us to ship without SSO and the guided setup."])
    r = program_reflection(pushed, [pushed.latest])
    assert "your VP is pushing you to ship without SSO" in r.text  # was "as your VP sees it, you to ship"
    felt = replay(["I'm nervous that the board deck goes out on Monday with his claim in it."])
    r = program_reflection(felt, [felt.latest])
    assert "nervous" in r.text and "may be" not in r.text  # their feeling, not our guess


def test_the_large_tier_keeps_two_reflection_sentences_and_small_keeps_one():
    state = replay(SSO)
    two = ("Part of you is afraid of how your skip-level will take it. "
           "On one hand you want to ship, and yet those accounts matter to you.")
    said_back = program_reflection(state, SSO).text
    for tier, want in (("small", two.split(". ")[0] + "."), ("large", two)):
        provider = ScriptedProvider([{"reflection": two, "anchor": "your skip-level",
                                      "question": "How might your skip-level take the news about those three accounts?"}])
        turn = socratic.listening_turn(provider, state, tier=tier, user_turns=SSO, covered=[], asked=[],
                                       passages_block="", history_block="", temperature=0.3)
        assert turn["reflection"] == f"{said_back} {want}" and turn["reflection_by"] == "program+model"


@pytest.mark.parametrize(("reflection", "problem"), [
    ("It sounds like you're facing a significant deadline that could have implications for the launch.",
     "analyses the situation"),
    ("You're feeling exhausted, and it's wearing on you.", "said of someone else (exhausted)"),
    ("You're looking at the rotation, the pages and the migration together.", "adds no meaning"),
    ("It sounds like you're the one who has to carry that news upward.", "copies an example"),
    # qwen2.5-1.5b, 2026-12-05: a cost-benefit analysis the PM never began
    ("It sounds like you're weighing the cost and the benefits of the rotation.", "status report"),
    ("It seems you're assuming that the rotation is the only option.", "what they assume"),
])
def test_a_model_reflection_that_analyses_misplaces_a_feeling_or_adds_nothing_is_not_added(reflection, problem):
    turns = ["My team is exhausted.",
             "We have four people on an on-call rotation that used to have seven, and pages doubled."]
    if "exhausted" in reflection:
        turns = turns[:1]
    state = replay(turns)
    provider = ScriptedProvider([{"reflection": reflection, "anchor": state.anchors[0],
                                  "question": f"What do you know about {state.anchors[0]} so far?"}] * 2)
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=turns, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert turn["reflection_by"] == "program" and reflection not in turn["reflection"]
    assert any(problem in p for p in turn["problems"]), turn["problems"]


def test_an_added_reflection_that_repeats_the_programs_guess_is_not_added():
    from companion.coaching.listening.reflections import added_problems

    # The endpoint's two added sentences on the listening run of 2026-12-05.
    turns = ["We're bidding on a city council tender due in five weeks."]
    state = replay(turns)
    program = program_reflection(state, turns).text
    assert program.endswith("adding to the pressure.")
    assert "repeats the program's guess at what it means" in added_problems(
        "Maybe you're feeling more stressed and pressured with five weeks left.", program, state, turns)
    turns = ["Our COO told the board the new reporting module is a hit."]
    state = replay(turns)
    program = program_reflection(state, turns).text
    assert program.endswith("now others are counting on it.")
    assert "says again what the program's reflection said" in added_problems(
        "It sounds like you're left out of the decision that lands on your COO, and now others are counting on it.",
        program, state, turns)


def test_a_model_question_or_reflection_that_invents_or_tells_is_refused():
    turns = ["Our CEO wants an AI summary feature in Q2.",
             "The team already committed the quarter to fixing onboarding, where we lose 40 percent of trials."]
    state = replay(turns)
    assert "advice" in reflection_problems(
        "It sounds like you're weighing the quarter and what actions you need to take on onboarding.", state, turns)
    invented = {"anchor": "the quarter", "question": "What could happen if the quarter is delayed by another two weeks?"}
    provider = ScriptedProvider([invented, invented])
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=turns, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert turn["question_by"] == "program" and "two weeks" not in turn["question"]
    assert any("never said (two)" in p for p in turn["problems"])


@pytest.mark.parametrize(("turns", "said", "cue"), [
    (["Tobias owns the payments migration and has missed three sprint goals in a row."],
     "tobias has missed three sprint goals in a row", "pattern"),
    (["We want to sunset the legacy export.", "It costs us a full engineer every sprint, and only Brightwell uses it."],
     "only brightwell uses it", "very little"),
    (["The platform role reports to Yusuf, who I have never worked with."], "yusuf", "from scratch"),
    (["Our head of sales wants a dashboard builder."], "your head of sales wants a dashboard builder", "on you"),
    (["We are raising the Pro plan to 39 dollars next month."], "39 dollars next month", "to start with"),
])
def test_a_plain_statement_is_said_back_as_its_clause_not_a_list_of_nouns(turns, said, cue):
    # "So three sprint goals and the payments migration are part of the picture now." named
    # what was new without saying what happened; 40 of 76 program reflections read like that.
    r = program_reflection(replay(turns), turns)
    assert "picture" not in r.text
    assert said in r.text.lower() and cue in r.text
    assert not parrots(r.text, turns)


def test_an_obligation_or_a_mentor_s_should_is_said_back_without_the_should():
    need = program_reflection(replay(["I need to give Carmen feedback about her work."]),
                              ["I need to give Carmen feedback about her work."])
    assert "giving Carmen feedback about her work is on your plate" in need.text
    mentor = program_reflection(replay(["My mentor thinks I should move to the platform team."]),
                                ["My mentor thinks I should move to the platform team."])
    assert "As your mentor sees it, moving to the platform team" in mentor.text
    assert "should" not in need.text + mentor.text


def test_a_clause_joined_by_and_is_its_own_fact_and_a_temporal_yet_is_no_contrast():
    state = replay(["I haven't talked to HR yet, and my manager Ines thinks I'm being too soft."])
    kinds = {f.kind: f.text for f in state.new_facts()}
    assert kinds["not_yet"] == "you haven't talked to HR yet"
    assert "contrast" not in kinds
    both = replay(["I like the plan, but the team, honestly, is tired."]).of_kind("contrast")[0]
    assert both.text == "you like the plan, but the team, honestly, is tired"


def test_a_restatement_keeps_braces_and_reads_only_a_first_person_only_as_lonely():
    braces = ["Our template says {customer_name} in every renewal email again."]
    r = program_reflection(replay(braces), braces)
    assert "{customer_name}" in r.text
    few = ["We only have two engineers on the payments team."]
    assert "lonely" not in program_reflection(replay(few), few).text
    alone = ["I feel like I'm the only one who has looked at the trial data."]
    assert "lonely" in program_reflection(replay(alone), alone).text


def test_a_message_without_a_verb_is_reflected_without_hanging():
    # The clause search climbed from the anchor to a verb; a verbless message's root is a noun.
    for turns in (["Budget cuts, layoffs, a new VP."], ["Dana.", "Dana, my manager, again."]):
        r = program_reflection(replay(turns), turns)
        assert r.text


def test_what_is_untold_and_not_knowing_what_to_do_are_said_back_in_plain_english():
    # Said back before: "So him is still in the dark about this" and "you're fairly sure that
    # what to do about the on-call load".
    untold = ["Lukas used to come to our one-on-ones with a list of topics.",
              "I haven't told him why I said no, only that it wasn't the right time."]
    r = program_reflection(replay(untold), untold)
    assert "he is still in the dark about why you said no" in r.text
    stuck = ["Four people now cover an on-call rotation that used to have seven, and pages doubled.",
             "I don't know what to do about the on-call load."]
    state = replay(stuck)
    assert not state.of_kind("claim", new=True)
    r = program_reflection(state, stuck)
    assert "stuck on what to do about the on-call load" in r.text and "sure" not in r.text


def test_a_message_with_nothing_to_anchor_on_gets_a_question_about_this():
    state = replay(["Yes. That."])
    _, _, anchors = asking.choose_type(state, [])
    assert anchors == ["this"]


def test_someone_else_s_feeling_and_the_data_s_claim_are_theirs_not_the_pm_s():
    team = replay(["My team is exhausted."])
    assert not team.of_kind("feeling")  # the team's, not the PM's
    assert "your team is exhausted" in program_reflection(team, ["My team is exhausted."]).text
    data = ["Our COO told the board the new reporting module is a hit.",
            "The data says 6 percent of accounts used it more than once."]
    r = program_reflection(replay(data), data)
    assert r.text.startswith("According to the data, 6 percent") and "sees it" not in r.text
    torn = ["I'm torn between a quarter on the billing rewrite and the features sales keeps asking for."]
    assert "torn between a quarter" in program_reflection(replay(torn), torn).text


def test_an_advice_point_keeps_its_first_sentence_and_a_cut_off_one_is_dropped():
    from companion.coaching.advice import advise, facts_for_advice

    state = replay(["Tobias owns the payments migration and has missed three sprint goals in a row.",
                    "What would you do? Tell me what to do about Tobias."])
    fact = facts_for_advice(state)[0]
    library = passage(1, "Ask for the last specific instance of a missed goal and what got in the way of it; "
                      "decide nothing before you have heard it.")
    good = (f"For {fact}, ask for the last specific instance of a missed goal and what got in the way. "
            "Some habits help: name it.")
    cut = f"For {fact}, ask what got in the way of the last specific instance for the team's K."
    provider = ScriptedProvider([{"points": [{"fact": fact, "text": good, "source": 1},
                                             {"fact": fact, "text": cut, "source": 1}]}])
    got = advise(provider, state, [library], temperature=0.3)
    assert len(got.points) == 1 and "Some habits" not in got.points[0] and "K." not in got.points[0]


def test_advice_with_nothing_to_draw_on_says_so_without_a_numbered_point():
    kb = FakeKnowledge([])  # nothing in the library or the notes
    s = CoachingSession(load_settings(), provider=ScriptedProvider(), knowledge=kb)
    s._prepared = True
    s.respond("Four people now cover an on-call rotation that used to have seven, and pages doubled.")
    reply = s.respond("What would you do? Give me some advice.")
    assert reply.advice and "rather not guess" in reply.text
    assert not any(line.strip()[:2] == "1." for line in reply.text.splitlines())


TOBIAS = ["Tobias owns the payments migration and has missed three sprint goals in a row.",
          "Our launch is in four weeks and nobody else knows that code."]


def test_sides_are_each_earlier_message_said_back_most_recent_first_advice_requests_aside():
    from companion.coaching.listening.reflections import sides

    turns = [*TOBIAS[:1], "What would you do?", TOBIAS[1]]
    earlier, latest = sides(turns, skip={1})
    assert [s.label for s in earlier] == ["three sprint goals"]
    assert earlier[0].clause == "Tobias has missed three sprint goals in a row"
    assert latest is not None and latest.clause == "your launch is in four weeks"


def test_a_wider_tier_picks_what_the_news_pulls_against_and_the_program_says_both_sides():
    state = replay(TOBIAS)
    question = "What does the launch in four weeks ask of you?"
    for tier in ("small", "large"):
        provider = ScriptedProvider([{"against": "three sprint goals", "anchor": "four weeks", "question": question}])
        turn = socratic.listening_turn(provider, state, tier=tier, user_turns=TOBIAS, covered=[], asked=[],
                                       passages_block="", history_block="", temperature=0.3)
        schema = provider.history[0]["schema"]
        assert next(iter(schema["properties"])) == "against"  # chosen before the words are written
        assert schema["properties"]["against"]["enum"] == ["three sprint goals", "nothing"]
        assert "Tobias has missed three sprint goals" in provider.history[0]["messages"][-1].content
        assert turn["reflection"] == ("On one hand Tobias has missed three sprint goals in a row, "
                                      "and yet your launch is in four weeks.")
        assert turn["reflection_by"] == "program+model" and turn["against"] == "three sprint goals"
        assert "pulls against three sprint goals" in socratic._panel(state, turn)["why"]
    provider = ScriptedProvider([{"against": "nothing", "anchor": "four weeks", "question": question}])
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=TOBIAS, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert turn["reflection"] == program_reflection(state, TOBIAS).text and "against" not in turn
    tiny = ScriptedProvider([{"anchor": "four weeks", "question": question}])
    socratic.listening_turn(tiny, state, tier="tiny", user_turns=TOBIAS, covered=[], asked=[],
                            passages_block="", history_block="", temperature=0.3)
    assert "against" not in tiny.history[0]["schema"]["properties"]  # a narrow slot has no such reading


def test_a_noun_phrase_is_no_side_and_an_added_sentence_about_someone_else_is_refused():
    from companion.coaching.listening.reflections import added_problems, sides

    turns = ["I'm torn between a quarter on the billing rewrite and the features sales keeps asking for.",
             "Billing had three outages last month, each one about two hours."]
    earlier, _ = sides(turns)
    assert all(not s.clause.startswith("the features") for s in earlier)  # "On one hand the features ..."
    state = replay(TOBIAS)
    said_back = program_reflection(state, TOBIAS).text
    # qwen2.5-1.5b, 2026-12-05, after a two-sided reflection: a guess about someone else
    about_them = "It sounds like your launch is pulling against the idea of the code."
    assert "is about someone else, not the PM" in added_problems(about_them, said_back, state, TOBIAS)
    stock = "It sounds like you're still in the dark about the code, and holding that back may be weighing on you."
    assert "repeats one of the program's stock guesses" in added_problems(stock, said_back, state, TOBIAS)
    pattern = socratic._schema("small", "", ["four weeks"])["properties"]["reflection"]["pattern"]
    assert re.match(pattern, "It sounds like you're worried about the launch in four weeks.")
    assert not re.match(pattern, "It sounds like your launch is pulling against the idea of the code.")


def test_a_person_named_only_by_a_pronoun_is_the_one_asked_about():
    state = replay(["Lukas used to come to our one-on-ones with a list of topics.",
                    "I haven't told him why I said no, only that it wasn't the right time."])
    qtype, why, anchors = asking.choose_type(state, [])
    assert qtype == "alternate_viewpoints" and "told him" in why  # was "told he"
    assert anchors[0] == "he"  # was "someone else involved", which a whole-question model asked about
    assert asking.fallback_question(qtype, anchors, []) == "How might he see this?"


def test_the_person_not_yet_told_is_the_one_addressed_not_the_thing_not_done():
    # 0.5B listening run, 2026-12-05: "I haven't written the case yet" read "the case" as a person
    # ("you haven't told the case yet") and asked "How might someone else involved see this?"
    state = replay(["I'm putting Aisha up for senior PM this cycle.",
                    "The committee meets on the 14th and I haven't written the case yet."])
    (untold,) = [f for f in state.new_facts() if f.kind == "not_yet"]
    assert "whom" not in untold.detail
    qtype, why, anchors = asking.choose_type(state, ["alternate_viewpoints"])
    assert "told" not in why and "someone else involved" not in anchors
    raised = [f for f in replay(["I haven't raised the pricing change with Dana yet."]).new_facts()
              if f.kind == "not_yet"][0].detail
    assert (raised["whom"], raised["about"]) == ("Dana", "the pricing change")
    shown = [f for f in replay(["I haven't shown Priya the numbers yet."]).new_facts() if f.kind == "not_yet"][0]
    assert (shown.detail["whom"], shown.detail["about"]) == ("Priya", "the numbers")


@pytest.mark.parametrize("message", [
    # person test, 2026-12-05: "I'm the PM for our mobile app ..." was answered "How might the PM see this?"
    "I'm the PM for our mobile app and our lead designer just resigned.",
    "As the new PM, I own the roadmap and my manager wants a plan by Friday.",
])
def test_the_pm_describing_themself_is_not_someone_else_to_ask_about(message):
    state = update(ConversationState(), message)
    assert not any("PM" in p.name for p in state.people)
    assert not any("PM" in a for a in state.anchors)
    qtype, _, anchors = asking.choose_type(state, [])
    assert qtype == "alternate_viewpoints" and anchors[0] in {"your lead designer", "your manager"}


def test_a_viewpoints_question_needs_someone_to_ask_about():
    state = replay(["The data says churn doubled after the redesign."])
    for covered in ([], ["reasons_evidence"], ["reasons_evidence", "assumptions"]):
        qtype, _, anchors = asking.choose_type(state, covered)
        assert qtype != "alternate_viewpoints" or all(asking.is_person_phrase(a) or a in asking._OBJECT
                                                      for a in anchors)
        assert "someone else involved" not in anchors


@pytest.mark.parametrize(("qtype", "anchor", "question"), [
    # the program's own questions on the 1.5B's listening run of 2026-12-05, and what they are now
    ("implications", "five weeks", "What could change for you in five weeks?"),  # "What might follow from five weeks?"
    ("implications", "a year", "What could change for you in a year?"),
    ("reasons_evidence", "two more weeks", "How did you arrive at two more weeks?"),  # "What evidence ... about"
    ("alternate_viewpoints", "two customers", "How might those two customers see this?"),
    ("alternate_viewpoints", "only one customer", "How might that one customer see this?"),
    ("implications", "29 to 39 dollars", "What could 29 to 39 dollars change for you?"),
    ("implications", "the Pro plan", "What might follow from the Pro plan?"),  # a thing: as before
    ("implications", "an underperforming engineer", "What might follow from an underperforming engineer?"),
])
def test_the_programs_own_question_fits_the_shape_of_its_anchor(qtype, anchor, question):
    assert asking.fallback_question(qtype, [anchor], []) == question
    assert grammar_problems(question, "") == []
    assert asking.fallback_question(qtype, [anchor], [question]) != question  # asked: the next one


def test_a_long_session_replays_only_its_recent_messages_for_sides(monkeypatch):
    from companion.coaching.listening import reflections

    calls = []
    real = reflections.update
    monkeypatch.setattr(reflections, "update", lambda state, text: calls.append(text) or real(state, text))
    turns = [f"We moved the launch to week {i} of the quarter." for i in range(200)]
    turns.append("Billing had three outages last month, each one about two hours.")
    _, latest = reflections.sides(turns)
    assert latest is not None and "three outages" in latest.clause
    assert len(calls) == reflections._SIDES_WINDOW  # not 201: a turn's cost does not grow with the session


def test_an_added_sentence_may_not_set_people_against_each_other_or_give_a_reason_never_given():
    from companion.coaching.listening.reflections import added_problems

    turns = ["I'm putting Aisha up for senior PM this cycle.",
             "Rafael, the other group lead, told the calibration group she isn't strategic enough."]
    state = replay(turns)
    said_back = program_reflection(state, turns).text
    # the endpoint, 2026-12-05: Rafael is the other group lead
    rafael = "It sounds like you're facing a conflict between the other group lead and Rafael."
    assert "sets people against each other (lead, Rafael)" in added_problems(rafael, said_back, state, turns)
    bug = ["Our CEO announced the September 12 launch on stage.", "QA found the sync bug again yesterday."]
    state = replay(bug)
    # the 1.5B, 2026-12-05: a decision never made, with a reason never given
    held = "It sounds like you're holding the September 12 launch back because of the bug that QA found yesterday."
    assert "gives a reason the PM did not give" in added_problems(held, program_reflection(state, bug).text, state, bug)
    options = ["I like my current product, and I just shipped the search rewrite there.",
               "The platform role reports to Yusuf, who I have never worked with."]
    state = replay(options)
    pulled = "It sounds like you're being pulled between your current product and the platform role."
    problems = added_problems(pulled, program_reflection(state, options).text, state, options)
    assert not [p for p in problems if p.startswith(("sets people", "gives a reason"))]  # options, not people


def test_a_question_that_drops_its_verb_or_copies_the_prompts_example_is_refused():
    # qwen2.5-0.5b, listening run of 2026-12-05: 4 of its 61 questions dropped the stem's "matter"
    from companion.evals import substance

    dropped = "What makes the board deck so much to you right now?"
    assert any("lacks its verb" in p for p in grammar_problems(dropped, ""))
    assert substance.grammar([], [f"So it matters.\n\n**{dropped}**"]).counts["bad"] == 1  # the evals' own count
    for fine in ("What makes the offsite matter so much to you right now?", "What makes it so much to handle?",
                 "What makes the billing rewrite so much harder now?"):
        assert not grammar_problems(fine, "") and substance.grammar([], [f"**{fine}**"]).counts["bad"] == 0
    turns = ["Lukas used to come to our one-on-ones with a list of topics.", "He stopped last month."]
    state = replay(turns)
    offsite = "How might he feel about the offsite?"  # the prompt's example anchor, not the PM's
    examples = ("your designer", "the offsite")
    problems = socratic.question_problems_for(offsite, "he", state=state, asked=[], example_anchors=examples,
                                              user_turns=tuple(turns))
    assert "copies an example of the prompt (the offsite)" in problems
    mine = ["My designer keeps missing reviews."]
    theirs = socratic.question_problems_for("How might your designer see this?", "your designer", state=replay(mine),
                                            asked=[], example_anchors=examples, user_turns=tuple(mine))
    assert not [p for p in theirs if p.startswith("copies")]  # "my designer" is the PM's own


def test_a_wider_tier_whose_whole_question_wanders_finishes_a_stem_on_its_second_draft():
    turns = ["My team is exhausted."]
    state = replay(turns)
    qtype, _, anchors = asking.choose_type(state, [])
    second_stem = asking.TYPES[qtype]["stems"][(state.turns + 1) % 2][0]
    wanders = {"anchor": anchors[0], "question": "How does the exhaustion of your team impact your work?"}
    tail = {"anchor": anchors[0], "question": f"{second_stem} {anchors[0]} describe being this tired?"}
    provider = ScriptedProvider([wanders, tail])
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=turns, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    first, second = (call["schema"]["properties"]["question"]["pattern"] for call in provider.history)
    assert first.startswith("^(What|How") and second.startswith("^" + asking.escape(second_stem))
    assert "finish the question" in provider.history[1]["messages"][-1].content
    assert turn["question"] == tail["question"] and turn["question_by"] == "model" and not turn["fallback"]


def test_a_question_that_says_the_same_name_twice_is_refused():
    turns = ["Helga is our new manager and she wants to reorganise the team in her first week."]
    state = replay(turns)
    twice = socratic.question_problems_for("How would Helga feel about the new manager, Helga?", "Helga",
                                           state=state, asked=[])
    assert "says the same thing twice (Helga)" in twice  # qwen2.5-0.5b, 2026-12-05
    once = socratic.question_problems_for("How would Helga describe her first week?", "Helga", state=state, asked=[])
    assert not [p for p in once if p.startswith("says the same")]


@pytest.mark.parametrize(("text", "cut"), [
    ("It sounds like you're facing the launch without SSO, which could lead to a .", True),
    ("You feel this could lead to.", True),
    ("It sounds like the launch is.", True),
    ("You are caught between them and.", True),
    ("It sounds like this is weighing on your.", True),
    # whole sentences the old word list called cut off (gold complex reflections, 2026-12-05)
    ("It seems you wonder whether the role fits who you want to be.", False),
    ("That came from someone you rely on.", False),
    ("You may feel the case has to answer Rafael before it can argue for her.", False),
    ("You may feel the decision was made for you before the evidence was in.", False),
    ("It sounds like you're proud of what you built where you are.", False),
])
def test_cut_off_reads_the_sentence_not_only_its_last_word(text, cut):
    from companion.coaching.listening.reflections import cut_off

    assert cut_off(text) is cut


def test_a_said_back_clause_keeps_what_was_said_and_a_slip_is_no_clock():
    said = ["I've said yes to every request this quarter and now the roadmap is a mess."]
    # was "So, to start with, you've said to every request this quarter and."
    assert program_reflection(replay(said), said).text == "So, to start with, you've said yes to every request this quarter."
    slipped = ["Last time I gave a date under pressure, we slipped by six weeks and I lost credibility."]
    assert "clock" not in program_reflection(replay(slipped), slipped).text
    due = ["The launch is due by Friday."]
    assert "clock on this now: Friday" in program_reflection(replay(due), due).text


def test_what_is_not_yet_told_may_hang_on_the_object():
    # the listening run of 2026-12-05: "the candidate is still in the dark about this"
    told = ["I haven't told the candidate, Mateo, anything about the freeze risk."]
    assert "in the dark about the freeze risk" in program_reflection(replay(told), told).text


def test_a_thing_of_someones_is_not_a_person_to_ask_about():
    # the agenda borrowed nothing for "Sam's status updates", read as a person by its capital
    assert asking.is_person_phrase("Dana") and asking.is_person_phrase("your skip-level")
    assert not asking.is_person_phrase("Sam's status updates")


def test_the_added_sentence_guard_on_hand_labelled_sentences():
    # tests/fixtures/added_sentences.yaml: 46 good sentences written in a strong model's voice
    # before the rules changed, and the 1.5B's 122 refused drafts labelled by hand (4 good).
    # The old rules took 4 of the 50 good ones, so no model could reach MITI's 2:1.
    import pathlib

    import yaml

    from companion.coaching.listening.reflections import added_problems

    here = pathlib.Path(__file__).parents[1]
    scenarios = {}
    for path in (here.parent / "evals" / "scenarios" / "listening").glob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        scenarios[data["id"]] = [t["user"] for t in data["turns"]]
    examples = tuple(socratic._EXAMPLE.findall(socratic.load_prompt("socratic-listening").system))
    kept = {"good": [], "bad": []}
    for row in yaml.safe_load((here / "fixtures" / "added_sentences.yaml").read_text("utf-8")):
        turns = scenarios[row["scenario"]][: row["turn"] + 1]
        state = replay(turns)
        said_back = program_reflection(state, turns).text
        problems = reflection_problems(row["text"], state, turns) or added_problems(
            row["text"], said_back, state, turns, examples)
        kept[row["label"]].append(not problems)
    assert len(kept["good"]) == 57 and len(kept["bad"]) == 123
    assert sum(kept["good"]) / 57 >= 0.80  # 49 on 2026-12-05, evening
    assert 1 - sum(kept["bad"]) / 123 >= 0.95  # 118 refused


@pytest.mark.parametrize(("turns", "sentence", "problem"), [
    # the 1.5B's added sentences on the listening runs of 2026-12-05, after the redesign
    (["I have to decide whether to let go of an underperforming engineer before our big launch.",
      "I haven't talked to HR yet, and my manager Ines thinks I'm being too soft."],
     "It sounds like you're being too soft on the underperforming engineer.", "someone else's view"),
    (["My co-founder wants to go after enterprise next year.",
      "Every enterprise pilot so far asked for an on-premise install."],
     "It sounds like you're in a race against your co-founder to get enterprise next year.", "against someone"),
    (["My co-founder wants to go after enterprise next year."],
     "Maybe you feel rushed, but it's important to remember that your co-founder is pushing for it.", "advice"),
    (["We have four people on an on-call rotation that used to have seven."],
     "It sounds like you're having to juggle multiple responsibilities and shifts.", "status report"),
    (["Since I turned down his proposal for the analytics rebuild, he says everything is fine.",
      "I haven't told him why I said no, only that it wasn't the right time."],
     "It sounds like you're still confused about why Lukas said no to your proposal.", "what the PM did"),
])
def test_an_added_sentence_that_misreads_the_pm_is_refused(turns, sentence, problem):
    from companion.coaching.listening.reflections import added_problems

    state = replay(turns)
    problems = added_problems(sentence, program_reflection(state, turns).text, state, turns)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(("drafted", "shown"), [
    ("It sounds like you're wary of the whole plan.", "Maybe you're wary of the whole plan."),
    # was "Maybe you may doubt ..."
    ("It sounds like you may doubt the whole plan.", "It sounds like you may doubt the whole plan."),
])
def test_an_added_sentence_after_it_sounds_like_opens_without_saying_it_twice(drafted, shown):
    turns = ["My VP wants to ship the admin console without SSO to hit the March date."]
    state = replay(turns)
    said_back = program_reflection(state, turns).text
    assert said_back.startswith("It sounds like")
    provider = ScriptedProvider([{"reflection": drafted, "anchor": state.anchors[0],
                                  "question": f"What do you mean by {state.anchors[0]}?"}])
    turn = socratic.listening_turn(provider, state, tier="small", user_turns=turns, covered=[], asked=[],
                                   passages_block="", history_block="", temperature=0.3)
    assert turn["reflection"] == f"{said_back} {shown}", turn["problems"]


@pytest.mark.parametrize(("turns", "said", "not_said"), [
    # the departure is the news, not its date; the name keeps its capital
    (["Ines, our lead designer, just resigned. She leaves in three weeks."],
     "So Ines, your lead designer, just resigned", "clock"),
    # a name is one person, whatever the tagger says
    (["My manager Ines thinks I'm being too soft on the team."], "As your manager Ines sees it", "Ines see "),
    # the reason is said apart from the deed; "in the dark about anything" is no English
    (["Two of my engineers keep missing standups.", "I haven't said anything to them because they're my friends."],
     "they are still in the dark about this, and it may be harder to raise because they're your friends",
     "because they're your friends is still"),
    # what someone asks of the PM, not our advice, and no middle to be caught in
    (["My boss says I need to show more strategic thinking."], "your boss is asking you for more strategic thinking",
     "picture"),
    (["I don't really know what strategic means here."], "part of you is unsure about what strategic means here",
     "stuck"),
    # the feeling named, in its time; a past omission is not something still ahead
    (["Yesterday he said my roadmap was fantasy in front of the whole team.", "I felt humiliated and I didn't say anything."],
     "it left you feeling humiliated.", "ahead of you"),
    # a clause joined by "and" is not what the feeling is about ...
    (["Honestly I'm exhausted and I don't trust the numbers."], "this leaves you exhausted", "exhausted that"),
    # ... unless the parse joined what it is about
    (["I'm scared the redesign will stall and my director will blame me."],
     "part of you is scared that the redesign will stall and your director will blame you", "leaves you"),
    # a decision asked aloud is said back as one, not as a statement with a question's word order
    (["Should I tell my boss that the migration will slip?"],
     "the choice in front of you is whether to tell your boss that the migration will slip", "should you"),
    (["I've been a PM for six months and I still feel like a fraud."], "part of you feels like a fraud", "six months"),
    # a habit is not something still ahead; the reason stays the PM's
    (["I never ask questions because I don't want to look stupid."],
     "you tend to hold back from asking questions, partly because you don't want to look stupid", "ahead of you"),
    # "without asking you" is no question put to the PM
    (["My CEO said yes without asking me."], "leaves you out of a call", "on you to answer"),
    (["I got promoted to group PM last month.", "Now I manage three PMs who used to be my peers.",
      "One of them, Dev, applied for the same role and hasn't spoken to me since."], "silence", "picture"),
    (["If I tell him now he will panic, but if I wait it gets worse."], "On one hand if you tell him", "hand If"),
    # with nothing to anchor on, the sentence's own verb still gives the clause to say back
    (["I got promoted to group PM last month."], "you got promoted to group PM last month", "more to this"),
    (["Design thinks it's a novelty effect and we should wait two weeks.", "I want to roll back today."],
     "you want to roll back today", "more to this"),
    # "part of me ..., part of me ...": the PM's two sides, not someone's view ("According to
    # part of you, ..." on the default's eval, 2026-12-05), and no parse needed to find them
    (["I'm meeting the CEO friday, 20 min. part of me wants to just tell him the date is impossible, "
      "part of me doesn't want to be the PM who says no to the CEO in month two"],
     "pulled two ways: toward telling him the date is impossible, and away from being the PM", "According to"),
    (["Part of me is relieved and part of me feels guilty about leaving the team."],
     "of two minds: relieved, and guilty about leaving the team", "part of you feels"),
    (["Part of me thinks we should wait, but another part of me wants to ship now."],
     "toward waiting, and toward shipping now", "you should"),
    # one choice, a cost on each side: was "your sense is that the message to support is ...",
    # its condition dropped
    (["if I don't pick Rosa I think the message to support is \"you can't grow here\". if I do pick her "
      "I'm the one training her for months"],
     "either way something gives: if you don't pick Rosa, the message to support is", "your sense"),
    (["If I push back, the VP will be annoyed. If I don't, my team works every weekend."],
     "and if you don't, your team works every weekend", "fairly sure"),
])
def test_program_reflections_on_the_evening_s_person_tests(turns, said, not_said):
    r = program_reflection(replay(turns), turns)
    assert said in r.text and not_said not in r.text
    assert not parrots(r.text, turns)


def test_naming_a_thing_of_someone_s_claim_is_not_saying_their_view():
    # The rule fired on any three words of a claim, so naming "the March date" of the VP's
    # claim was refused as "someone else's view of the PM as fact".
    from companion.coaching.listening.reflections import added_problems

    turns = ["My VP says the March date is fixed and the team can absorb the extra work."]
    state = replay(turns)
    base = program_reflection(state, turns).text
    naming = added_problems("Maybe part of you dreads what the March date will ask of you.", base, state, turns)
    assert not any("someone else's view" in p for p in naming), naming
    stating = added_problems("It sounds like the team can absorb the extra work.", base, state, turns)
    assert any("someone else's view" in p for p in stating), stating


def test_advice_is_about_the_situation_not_a_span_of_time_or_the_request():
    from companion.coaching.advice import facts_for_advice

    turns = ["Ines, our lead designer, just resigned. She leaves in three weeks.",
             "Nobody else has touched the design system in a year.", "What would you do? Give me some advice."]
    facts = facts_for_advice(replay(turns))
    assert "the design system" in facts and "Ines" in facts
    assert not {"a year", "three weeks", "some advice"} & set(facts)


def test_a_title_matches_the_conversation_by_stem_and_invited_advice_searches_the_whole_situation():
    from companion.knowledge.lexical import stems

    assert stems("resignations") == stems("resigned") == {"resign"}
    state = replay(["Ines, our lead designer, just resigned.", "Nobody else has touched the design system."])
    leaving = passage(1, "When your lead designer resigns, map what only they know about the design system.",
                      title="When a key person leaves: resignations and handovers")
    leaving.dense = 0.45
    assert retrieval.relevant([leaving], state, whole_conversation=True) == [leaving]
    assert "resigned" in retrieval.advice_query(["Ines, our lead designer, just resigned.", "Nobody else knows it."])


def test_passages_two_searches_found_keep_their_closer_reading():
    near, far = passage(1, "Skip-level meetings."), passage(1, "Skip-level meetings.")
    near.dense, far.dense = 0.38, 0.21
    other = passage(2, "Re-plan honestly.")
    other.dense = 0.33
    assert [(p.id, p.dense) for p in retrieval.merged([near], [other, far])] == [(near.id, 0.38), (other.id, 0.33)]


def test_the_pm_s_new_role_is_no_one_to_ask_and_a_boss_is_a_person():
    state = replay(["I got promoted to group PM last month."])
    assert not state.people and "group PM" not in state.anchors
    assert asking.is_person_phrase("your boss") and not asking.is_person_phrase("the Pro plan")
    qtype, _, anchors = asking.choose_type(replay(["Should I tell my boss that the migration will slip?"]), [])
    assert asking.fallback_question(qtype, anchors, []) == "What might follow once your boss hears about it?"


def test_a_choice_with_a_cost_either_way_asks_what_follows_from_the_choice():
    from companion.coaching.listening import asking

    for turns, question in (
        (["if I don't pick Rosa I think the message to support is bad. if I do pick her I'm the one "
          "training her for months"], "What might follow from picking Rosa?"),
        (["If I push back, the VP will be annoyed. If I don't, my team works every weekend."],
         "What might follow from pushing back?"),
    ):
        qtype, _, anchors = asking.choose_type(replay(turns), [])
        assert (qtype, asking.fallback_question(qtype, anchors, [])) == ("implications", question)
