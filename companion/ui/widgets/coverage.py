"""Which Socratic question types this conversation has asked so far."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

# The same five types as `companion.coaching.questions.SOCRATIC_TYPES` (a test keeps them in
# step); that module compiles its analyser's patterns on import, which the first frame skips.
SOCRATIC_TYPES = ("clarity", "assumptions", "reasons_evidence", "alternate_viewpoints", "implications")
TYPE_LABELS = {
    "clarity": "clarity",
    "assumptions": "assumptions",
    "reasons_evidence": "evidence",
    "alternate_viewpoints": "viewpoints",
    "implications": "implications",
}


class CoverageMeter(Static):
    """`Covered 2/5  ■ clarity ■ assumptions □ evidence □ viewpoints □ implications`, then why
    the last question is of its type, what was new in the last message and the session's MITI
    coding."""

    covered: reactive[frozenset[str]] = reactive(frozenset())
    # layout=True: the meter is as wide (and tall) as what it says.
    why: reactive[str] = reactive("", layout=True)
    heard: reactive[str] = reactive("", layout=True)
    miti: reactive[str] = reactive("", layout=True)
    """MITI 4 coding of the coach so far: "this session: R:Q 1.2, 40% complex, 100% open"."""

    def render(self) -> Text:
        types = [t for t in SOCRATIC_TYPES if t in TYPE_LABELS]
        done = [t for t in types if t in self.covered]
        text = Text()
        text.append(f"Covered {len(done)}/{len(types)} ", style="bold")
        for t in types:
            if t in self.covered:
                text.append(" ■ ", style="bold green")
                text.append(TYPE_LABELS[t])
            else:
                text.append(" □ ", style="dim")
                text.append(TYPE_LABELS[t], style="dim")
        # The session's coding, the why and the heard on a line of their own (on one line they
        # were cut off), shortest first.
        details = [(self.miti, "bold"), (f"asked because {self.why}" if self.why else "", "italic"),
                   (f"heard: {self.heard}" if self.heard else "", "dim")]
        details = [(d, style) for d, style in details if d]
        if details:
            text.append("\n")
        for i, (d, style) in enumerate(details):
            text.append(("  · " if i else "") + d, style=style)
        return text
