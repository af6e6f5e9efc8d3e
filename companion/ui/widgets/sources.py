"""The passages behind the last reply: title, heading, file, lines. Enter opens the text."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from companion.coaching.schemas import SourceRef
from companion.ui.messages import SourceOpenRequested

SEP = " › "


def describe(ref: SourceRef, cited: bool) -> Text:
    """Two lines: a mark and the label (title › heading), then `file:lines`."""
    title, _, heading = ref.label.partition(SEP)
    mark = "●" if cited else "○"
    text = Text()
    text.append(f"{mark} ", style="bold" if cited else "dim")
    text.append(title.strip() or ref.path, style="bold")
    if heading:
        text.append(f"\n  {heading.strip()}", style="italic")
    lines = ""
    if ref.line_start:
        lines = f":{ref.line_start}" + (f"-{ref.line_end}" if ref.line_end and ref.line_end != ref.line_start else "")
    text.append(f"\n  {ref.path}{lines}", style="dim")
    return text


class SourcesPanel(Vertical):
    """Sources of the last reply. Cited passages (●) first, then the others retrieved (○).
    Tab from the prompt reaches the list; Enter opens the highlighted source."""

    BINDINGS = [Binding("enter", "open", "Open source")]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.refs: list[SourceRef] = []
        self.border_title = "Sources"

    def compose(self) -> ComposeResult:
        yield Static("No sources yet: they appear with each reply.", classes="empty", markup=False)
        yield OptionList(id="source-list", compact=True)

    def show(self, cited: list[SourceRef], sources: list[SourceRef]) -> None:
        seen: set[tuple[str, int, int]] = set()
        rows: list[tuple[SourceRef, bool]] = []
        for ref, is_cited in [*((r, True) for r in cited), *((r, False) for r in sources)]:
            key = (ref.path, ref.line_start, ref.line_end)
            if key in seen:
                continue
            seen.add(key)
            rows.append((ref, is_cited))
        self.refs = [r for r, _ in rows]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(describe(r, c), id=str(i)) for i, (r, c) in enumerate(rows)])
        if rows:
            options.highlighted = 0
        self.query_one(".empty", Static).display = not rows
        options.display = bool(rows)
        n = sum(1 for _, c in rows if c)
        self.border_subtitle = f"{n} cited · {len(rows) - n} more" if rows else ""

    def action_open(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.highlighted < len(self.refs):
            self.post_message(SourceOpenRequested(self.refs[options.highlighted]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(event.option.id or 0)
        if 0 <= index < len(self.refs):
            self.post_message(SourceOpenRequested(self.refs[index]))
