"""The `companion` command. Imports stay lazy: `--help` must not load models or chromadb."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from companion import __version__
from companion.clikit import fail, friendly, settings
from companion.coaching.modes import mode_names

app = typer.Typer(
    name="companion",
    help="A coaching companion for product managers: Socratic questions, 1:1 agendas, "
    "JTBD interview guides and mentor prompts, grounded in your notes. Offline by default.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)

@app.callback()
def main_callback(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model for the chat.")] = None,
) -> None:
    """Open the chat when no command is given."""
    if version:
        typer.echo(f"companion {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        friendly(_open_chat)(model)


def _open_chat(model: str | None) -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the full-screen app keeps the default
    s = settings()
    if model:
        s.model = model
    from companion.ui.app import run_app

    run_app(s)


@app.command()
@friendly
def ask(
    message: Annotated[str, typer.Argument(help="What is on your mind (or '-' to read stdin).")],
    mode: Annotated[str, typer.Option("--mode", help=" | ".join(mode_names()))] = "socratic",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name (see `companion models`).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the structured result as JSON.")] = False,
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Retrieve from the corpus only.")] = False,
) -> None:
    """One reply to stdout, streamed; pipe-friendly."""
    if mode not in mode_names():
        raise fail(f"unknown mode {mode!r}; choose one of {', '.join(mode_names())}", 2)
    if message == "-":
        message = sys.stdin.read()
    if not message.strip():
        raise fail("nothing to ask: give a message", 2)
    from companion.coaching.commands import run_ask

    run_ask(settings(), message, mode=mode, model=model, as_json=as_json, include_notes=not no_notes)


@app.command()
@friendly
def models(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What models are available and where they live."""
    from companion.coaching.listening.tiers import tier_for
    from companion.llm import list_models

    current = settings()
    rows = list_models(current)
    for row in rows:  # the `tier` setting, when set, overrides what a model declares
        row["tier"] = tier_for(row["name"], current)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        mark = "*" if row.get("default") else " "
        tier = f"tier {row['tier']:<6}" if row.get("tier") else ""
        typer.echo(f"{mark} {row['name']:<16} {row['kind']:<9} {tier} {row['description']}")
        typer.echo(f"    {row['status']}")
        if row.get("assembled"):
            typer.echo(f"    assembled file: {row['assembled']}")
        files = row.get("files", [])
        if files:
            more = f" (+{len(files) - 1} parts)" if len(files) > 1 else ""
            typer.echo(f"    from: {files[0]}{more}")


@app.command()
@friendly
def doctor() -> None:
    """Check settings, model files, the index and endpoints; say how to fix what is wrong."""
    from companion.doctor import run_doctor

    raise typer.Exit(run_doctor())


def _register_extensions() -> None:
    # Each area adds its own commands; their modules import heavy libraries only inside commands.
    import importlib

    for module in ("companion.knowledge.cli", "companion.coaching.cli", "companion.evals.cli",
                   "companion.coaching.analyser.cli"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app)


_register_extensions()


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    import signal

    # SIGTERM (`kill`, a closed session, a service manager) ends a command like Ctrl-C does:
    # finally blocks run, locks are released, one line is printed instead of a silent death.
    signal.signal(signal.SIGTERM, _terminate)
    app()


if __name__ == "__main__":
    main()
