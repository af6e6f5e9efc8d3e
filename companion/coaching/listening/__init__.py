"""The listening layer: what the PM said and what is new in it, read by the program (spaCy)."""

from companion.coaching.listening.state import ConversationState, Fact, Person, replay, update
from companion.coaching.listening.tiers import TIERS, tier_for

__all__ = ["TIERS", "ConversationState", "Fact", "Person", "replay", "tier_for", "update"]
