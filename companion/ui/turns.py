"""Chat turns to and from the sessions database: what a reply stores, and the reply a stored
turn shows again when a session is resumed."""

from __future__ import annotations

from typing import Any

from companion.coaching.modes import find_mode
from companion.coaching.schemas import Reply, SourceRef


def turn_meta(reply: Reply) -> dict[str, Any]:
    """What a coach turn keeps besides its text."""
    return {
        "cited": [r.model_dump() for r in reply.cited],
        "sources": [r.model_dump() for r in reply.sources],
        "socratic_types": reply.socratic_types,
        "cancelled": reply.cancelled,
        "fallback": reply.fallback,
        "structured": reply.structured,
        "model": reply.model,
    }


def reply_from_turn(turn) -> Reply:
    """A stored coach turn as a `Reply` (old or odd rows degrade, they do not fail)."""
    meta = turn.meta or {}

    def refs(key: str) -> list[SourceRef]:
        out = []
        for item in meta.get(key) or []:
            try:
                out.append(SourceRef.model_validate(item))
            except Exception:  # noqa: BLE001 - old or odd rows are skipped
                continue
        return out

    mode = turn.mode if find_mode(turn.mode) else "socratic"
    return Reply(
        mode=mode, text=turn.content, cited=refs("cited"), sources=refs("sources"),
        socratic_types=[t for t in meta.get("socratic_types") or [] if isinstance(t, str)],
        cancelled=bool(meta.get("cancelled")), fallback=bool(meta.get("fallback")),
        structured=meta.get("structured") if isinstance(meta.get("structured"), dict) else None,
    )
