"""Knowledge commands: `ingest`, `index status|rebuild`, `search`, `actions`.

`register(app)` adds them to the main typer app. Heavy modules (chromadb, onnxruntime) are
imported inside the command functions only, so `companion --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Task

    from companion.knowledge.index import KnowledgeBase, Progress
    from companion.knowledge.models import ActionItem, SyncReport
    from companion.settings import Settings

_Result = TypeVar("_Result")


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _settings() -> Settings:
    from companion.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        _console(stderr=True).print(f"[red]Settings error:[/red] {exc}", markup=True)
        raise typer.Exit(2) from None


def _knowledge_errors() -> tuple[type[BaseException], ...]:
    from companion.knowledge.embeddings import EmbeddingError
    from companion.knowledge.index import KnowledgeError
    from companion.knowledge.store import StoreError

    return (KnowledgeError, StoreError, EmbeddingError)


def _fail(message: str, code: int = 1) -> None:
    from rich.markup import escape

    _console(stderr=True).print(f"[red]Error:[/red] {escape(message)}")
    raise typer.Exit(code)


def _open_kb(settings: Settings) -> KnowledgeBase:
    from companion.knowledge.index import KnowledgeBase

    try:
        return KnowledgeBase(settings)
    except _knowledge_errors() as exc:
        _fail(str(exc), getattr(exc, "exit_code", 1))
        raise  # unreachable


def _run_with_progress(action: Callable[[Progress], _Result], label: str) -> _Result:
    """Run `action(progress)` with a rich progress bar on stderr: chunks embedded of the total,
    the rate (chunks/s) and the time left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:.1f} chunks/s", style="cyan")

    console = _console(stderr=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[file]}", style="dim"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None, file="scanning...")

        def progress(done: int, total: int, current: str) -> None:
            name = current if len(current) <= 40 else "…" + current[-39:]
            bar.update(task, completed=done, total=max(total, 1), file=name)

        return action(progress)


def _print_report(report: SyncReport) -> None:
    from rich.markup import escape

    out = _console()
    out.print(
        f"Added {len(report.added)}, updated {len(report.updated)}, "
        f"removed {len(report.removed)}, unchanged {report.unchanged}, "
        f"skipped {len(report.skipped)} files; embedded {report.chunks_embedded} chunks "
        f"in {report.seconds:.1f} s."
    )
    if report.keyword_notes:
        out.print(
            f"  keyword search was ready for {report.keyword_notes} changed notes after "
            f"{report.keyword_seconds:.1f} s (before embedding)."
        )
    for title, names in (("added", report.added), ("updated", report.updated)):
        if names and len(names) <= 20:
            out.print(f"  {title}: " + escape(", ".join(names)))
    if report.removed:
        out.print("  removed: " + escape(", ".join(report.removed[:20])))
    for path, reason in report.skipped:
        out.print(f"  [yellow]skipped[/yellow] {escape(path)}: {escape(reason)}")
    for path, reason in report.truncated:
        out.print(f"  [yellow]partly indexed[/yellow] {escape(path)}: {escape(reason)}")


def _sync(kb: KnowledgeBase, *, rebuild: bool = False) -> SyncReport:
    label = "Rebuilding" if rebuild else "Indexing"
    try:
        return _run_with_progress(kb.rebuild if rebuild else kb.sync, label)
    except KeyboardInterrupt:
        _console(stderr=True).print(
            "\n[yellow]Interrupted.[/yellow] Files finished so far are kept; "
            "run `companion ingest` again to resume where it stopped."
        )
        raise typer.Exit(130) from None
    except _knowledge_errors() as exc:
        _fail(str(exc), getattr(exc, "exit_code", 1))
        raise  # unreachable


def ingest(
    paths: list[Path] = typer.Argument(
        None, help="Notes folders to add (remembered in the config file). None: re-sync."
    ),
) -> None:
    """Index your notes folders (and the bundled corpus); only changed files are re-embedded."""
    settings = _settings()
    if paths:
        known = [Path(p).expanduser().resolve() for p in settings.notes_dirs]
        added: list[Path] = []
        for raw in paths:
            folder = Path(raw).expanduser().resolve()
            if not folder.is_dir():
                _fail(f"not a folder: {raw}", 2)
            if folder not in known and folder not in added:
                added.append(folder)
        if added:
            from companion.settings import save_setting

            path = save_setting("notes_dirs", [str(p) for p in [*known, *added]])
            _console(stderr=True).print(
                "Added notes folder(s) " + ", ".join(str(a) for a in added) + f" to {path}"
            )
            settings = _settings()
    if not settings.notes_dirs:
        _console(stderr=True).print(
            "No notes folder configured yet (`companion ingest PATH` adds one); "
            "indexing the bundled corpus only."
        )
    report = _sync(_open_kb(settings))
    _print_report(report)


def index_status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Files, chunks, action items, embedding model and last sync of the index."""
    kb = _open_kb(_settings())
    try:
        status = kb.status()
    except _knowledge_errors() as exc:
        _fail(str(exc), getattr(exc, "exit_code", 1))
        return
    if as_json:
        typer.echo(status.model_dump_json(indent=2))
        return
    out = _console()
    out.print(f"Index:           {status.location}")
    out.print(
        f"Files:           {status.files} ({status.corpus_files} corpus, {status.notes_files} notes)"
    )
    out.print(f"Chunks:          {status.chunks}")
    out.print(f"Action items:    {status.action_items}")
    out.print(f"Embedding model: {status.embedding_model or '(not built yet)'}")
    out.print(f"Last sync:       {status.last_sync or 'never'}")
    out.print(f"Notes folders:   {', '.join(status.notes_dirs) or '(none)'}")


def index_rebuild() -> None:
    """Delete the index and re-embed everything with the current embedding model."""
    kb = _open_kb(_settings())
    report = _sync(kb, rebuild=True)
    for path in kb.moved_aside:
        _console(stderr=True).print(f"The damaged index file was moved to {path}", markup=False)
    _print_report(report)


def search(
    query: str = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(4, "--k", "-k", min=1, max=50, help="How many passages."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    source: str | None = typer.Option(None, "--source", help="corpus or notes."),
    person: str | None = typer.Option(None, "--person", help="Only notes with this person."),
    tag: list[str] | None = typer.Option(None, "--tag", help="Only passages with this tag."),
    mode: str = typer.Option(
        "hybrid", "--mode", help="hybrid (default), dense (meaning only) or lexical (keywords only)."
    ),
) -> None:
    """Search the corpus and your notes; prints passages with citations, best first."""
    if source not in (None, "corpus", "notes"):
        _fail("--source must be 'corpus' or 'notes'", 2)
    if mode not in ("hybrid", "dense", "lexical"):
        _fail("--mode must be 'hybrid', 'dense' or 'lexical'", 2)
    kb = _open_kb(_settings())
    try:
        if _run_with_progress(kb.ensure_corpus, "Indexing the corpus") is None:
            _console(stderr=True).print("(the index is being updated by another process)")
        passages = kb.search(query, k, source=source, person=person, tags=tag or None, mode=mode)
    except _knowledge_errors() as exc:
        _fail(str(exc), getattr(exc, "exit_code", 1))
        return
    if as_json:
        payload = [p.model_dump() | {"citation": p.cite(), "label": p.label} for p in passages]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    from rich.markup import escape

    out = _console()
    if not passages:
        out.print("No passages found.")
        return
    for n, p in enumerate(passages, start=1):
        parts = [f"score {p.score:.3f}"]
        if p.dense is not None:
            parts.append(f"meaning {p.dense:.2f}")
        if p.lexical is not None:
            parts.append(f"keywords {p.lexical:.1f}")
        kind = "note" if p.source == "notes" else "library"
        out.print(
            f"[bold][{n}] {escape(p.label)}[/bold]  [dim]{escape(p.cite())}  {kind}  "
            f"{' · '.join(parts)}[/dim]"
        )
        text = p.text.strip()
        out.print(escape(text if len(text) <= 600 else text[:599] + "…"))
        out.print()


def actions(
    person: str | None = typer.Option(None, "--person", help="Only items with this person."),
    open_only: bool = typer.Option(
        False, "--open", help="Only items not done or cancelled (custom statuses included)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Action items from your notes: status, whose (you or them), due date, priority."""
    import datetime as dt

    kb = _open_kb(_settings())
    try:
        items = kb.action_items(person=person, open_only=open_only)
    except _knowledge_errors() as exc:
        _fail(str(exc))
        return
    today = dt.date.today().isoformat()
    if as_json:
        payload = [
            a.model_dump() | {"citation": a.cite(), "overdue": a.overdue(today)} for a in items
        ]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    from rich.markup import escape

    out = _console()
    if not items:
        who = f" with {person}" if person else ""
        out.print(f"No {'open ' if open_only else ''}action items{who}.")
        return
    for a in items:
        out.print(f"{escape(a.box)} {escape(a.text)}{escape(describe_item(a, today))}  "
                  f"[dim]{escape(a.cite())}[/dim]")


def describe_item(a: ActionItem, today: str) -> str:
    """` — yours, with Dana Lee · in progress · due 2026-01-10 (overdue) · high priority`."""
    bits = []
    if a.whose == "you":
        bits.append("yours" + (f", with {a.person}" if a.person else ""))
    elif a.whose == "them":
        bits.append(f"{a.owner}'s")
    elif a.person:
        bits.append(f"unassigned, with {a.person}")
    if a.state not in ("open", "done"):
        bits.append(a.state.replace("_", " ") if a.state != "other" else f"status [{a.status}]")
    if a.due:
        bits.append(f"due {a.due}" + (" (overdue)" if a.overdue(today) else ""))
    if a.priority:
        bits.append(f"{a.priority} priority")
    if a.date and not a.due:
        bits.append(f"noted {a.date}")
    return f" — {' · '.join(bits)}" if bits else ""


def register(app: typer.Typer) -> None:
    """Add the knowledge commands to the main CLI."""
    app.command("ingest")(ingest)
    app.command("search")(search)
    app.command("actions")(actions)
    index_app = typer.Typer(help="Inspect or rebuild the search index.", no_args_is_help=True)
    index_app.command("status")(index_status)
    index_app.command("rebuild")(index_rebuild)
    app.add_typer(index_app, name="index")
