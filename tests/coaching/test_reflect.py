"""The program-written reflection: the user's own words, pronouns swapped, their view kept theirs."""

from __future__ import annotations

import pytest

from companion.coaching.reflect import reflection


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        (
            "My manager wants me to cut scope and I disagree.",
            "It sounds like your manager wants you to cut scope and you disagree.",
        ),
        # An opinion stays the user's opinion, never our statement of fact.
        (
            "I think the onboarding flow matters more than the new reports page.",
            "It sounds like you think the onboarding flow matters more than the new reports page.",
        ),
        (
            "So I feel like nobody listens to me in planning.",
            "It sounds like you feel like nobody listens to you in planning.",
        ),
        ("I guess we have to ship it anyway.", "It sounds like you have to ship it anyway."),
    ],
)
def test_reflection_swaps_pronouns_and_keeps_the_users_view(said, reflected):
    assert reflection(said) == reflected


def test_a_message_addressed_to_the_coach_is_not_reflected():
    assert reflection("What do you think I should do?") == ""
