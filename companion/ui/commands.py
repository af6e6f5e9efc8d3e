"""Command palette entries (Ctrl+P): sessions, modes, models, index, export, sources."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from companion.coaching.modes import all_modes


class CompanionCommands(Provider):
    """The app's own commands, next to Textual's system commands."""

    def _commands(self) -> Iterator[tuple[str, Callable, str]]:
        chat = self.app.chat  # type: ignore[attr-defined]
        settings = self.app.settings  # type: ignore[attr-defined]
        yield "New session", chat.action_new_session, "Start afresh; this conversation stays saved"
        yield "Sessions", chat.action_sessions, "Resume, rename, delete or search past sessions"
        for spec in all_modes():
            yield f"Switch mode: {spec.label}", partial(chat.set_mode, spec.name), spec.help
        for name in settings.model_names():
            endpoint = settings.endpoint(name)
            where = "embedded, runs locally" if endpoint is None else f"endpoint {endpoint.base_url}"
            yield f"Switch model: {name}", partial(chat.switch_model, name), where
        yield ("Ingest a notes folder", chat.action_ingest,
               "Index a folder of Markdown notes (an Obsidian vault works)")
        yield "Rebuild the index", chat.action_rebuild_index, "Re-read and re-embed every file"
        yield ("Export session to Markdown", chat.action_export,
               "Write this conversation to a Markdown file")
        yield "Toggle sources panel", chat.action_toggle_sources, "Show or hide the sources of replies"

    async def discover(self) -> Hits:
        for name, callback, help_ in self._commands():
            yield DiscoveryHit(name, callback, help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_ in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_)
