"""The top line: the current mode and, in Socratic mode, which question types were asked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from companion.coaching.modes import get_mode
from companion.ui.widgets.coverage import CoverageMeter


class ModeBar(Horizontal):
    """`1:1 agenda — a timed agenda with open action items from your notes`."""

    mode: reactive[str] = reactive("socratic", init=False)
    covered: reactive[frozenset[str]] = reactive(frozenset(), init=False)

    def compose(self) -> ComposeResult:
        yield Static("", id="mode-label", markup=False)
        yield CoverageMeter(id="coverage")

    def on_mount(self) -> None:
        self._show()

    def watch_mode(self) -> None:
        if self.is_mounted:
            self._show()

    def watch_covered(self, covered: frozenset[str]) -> None:
        if self.is_mounted:
            self.query_one(CoverageMeter).covered = covered

    def _show(self) -> None:
        spec = get_mode(self.mode)
        # Socratic is the conversation: its coverage meter says more than a help line.
        self.query_one("#mode-label", Static).update(
            f"{spec.label} — {spec.help}" if spec.structured else spec.label
        )
        meter = self.query_one(CoverageMeter)
        meter.display = not spec.structured
        meter.covered = self.covered
