"""The agenda's own eval checks: nothing pasted from the on-mind text, owners right."""

from __future__ import annotations

from companion.evals.structured import expected_owner, owners, pasted

ON_MIND = ("I think we should move the launch but I'm not sure Dana will agree about the risk. "
           "I'm worried my report is burning out.")


def test_a_pasted_sentence_or_a_first_person_topic_fails():
    got = pasted([
        ("topic", "I think we should move the launch but I'm not sure Dana will agree"),
        ("topic", "Check how Dana is coping: I am worried"),
        ("topic", "Decide whether to move the launch: you want Dana's view on the risk"),
        ("question", "What is getting in the way of the launch?"),
    ], ON_MIND)
    assert got.score == 0.5
    assert "pasted" in got.failing[0] and "first person" in got.failing[1]


def test_owners_are_read_from_the_task_words():
    assert expected_owner("@Myself book the retro") == "you"
    assert expected_owner("I'll send the deck") == "you"
    assert expected_owner("Ask my manager about QA") == "you"
    assert expected_owner("@Dana update the checklist") == "Dana"
    assert expected_owner("Dana to book the session", ["Dana"]) == "Dana"
    assert expected_owner("Talk to the eng manager", ["Dana"]) is None
    assert expected_owner("Follow up on the vendor contract") is None
    got = owners([("I'll send the deck", "Dana"), ("Dana to book it", "Dana Lee"),
                  ("Follow up", "Dana")], ["Dana Lee"])
    assert got.score == 0.5 and "should be 'you'" in got.failing[0]
    assert owners([("Follow up", "Dana")]).score is None
