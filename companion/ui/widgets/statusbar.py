"""One line at the bottom: model, where it runs, index size, offline, what is happening."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


def index_summary(index: dict | None) -> str:
    if not index:
        return "index: not loaded"
    files, chunks = index.get("files"), index.get("chunks")
    if not files and not chunks:
        return "index: empty"
    parts = []
    if files is not None:
        parts.append(f"{files} files")
    if chunks is not None:
        parts.append(f"{chunks} chunks")
    return "index: " + ", ".join(parts)


class StatusBar(Static):
    """Model · local/host · index · offline · activity."""

    model: reactive[str] = reactive("")
    where: reactive[str] = reactive("")
    index: reactive[dict | None] = reactive(None, always_update=True)
    offline: reactive[bool] = reactive(True)
    activity: reactive[str] = reactive("")
    ready: reactive[bool] = reactive(False)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("● " if self.ready else "○ ", style="bold green" if self.ready else "yellow")
        text.append(self.model or "no model", style="bold")
        if self.where:
            text.append(f" · {self.where}")
        text.append(f" · {index_summary(self.index)}")
        if self.offline:
            text.append(" · offline", style="bold")
        if self.activity:
            text.append(f" · {self.activity}", style="italic")
        return text
