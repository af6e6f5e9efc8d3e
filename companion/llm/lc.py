"""Conversions between our messages and langchain's."""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from companion.llm.base import ChatMessage

_TYPES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def to_langchain(messages: list[ChatMessage]) -> list[BaseMessage]:
    return [_TYPES[m.role](content=m.content) for m in messages]


def to_dicts(messages: list[BaseMessage]) -> list[dict]:
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]
