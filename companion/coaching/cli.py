"""`companion agenda`, `jtbd`, `prompts` and `commit` (imports stay inside the commands).

The structured commands are built from the modes' `ModeSpec`s: one command per mode with a
`command` name, one option (or argument) per form field, defaults and limits from the mode's
input model.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from companion.clikit import fail, first_error, friendly, settings
from companion.coaching.modes import FormField, ModeSpec, all_modes, bounds


def _help(spec: ModeSpec, f: FormField) -> str | None:
    text = f.help
    if f.kind == "select":
        text = text or " | ".join(value for _label, value in f.options)
    if f.kind == "int":
        assert spec.inputs is not None
        lo, hi, _ = bounds(spec.inputs, f.name)
        if lo is not None and hi is not None:
            text = f"{text} ({lo}-{hi})."
    return text or None


def _parameter(spec: ModeSpec, f: FormField) -> inspect.Parameter:
    kind: Any = int if f.kind == "int" else str
    names = [f.cli_flag, *([f.short] if f.short else [])]
    info = (
        typer.Argument(help=_help(spec, f))
        if f.argument
        else typer.Option(*names, help=_help(spec, f))
    )
    default = spec.default(f.name)
    return inspect.Parameter(
        f.name,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation=Annotated[kind, info],
        default=inspect.Parameter.empty if default is None else default,
    )


_COMMON = [
    inspect.Parameter(
        "model", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[str | None, typer.Option("--model", "-m")],
    ),
    inspect.Parameter(
        "as_json", inspect.Parameter.KEYWORD_ONLY, default=False,
        annotation=Annotated[bool, typer.Option("--json")],
    ),
    inspect.Parameter(
        "save", inspect.Parameter.KEYWORD_ONLY, default=False,
        annotation=Annotated[
            bool, typer.Option("--save", help="Write the result into your notes folder.")
        ],
    ),
]


def structured_command(spec: ModeSpec) -> Callable[..., None]:
    """The command function typer registers for a structured mode."""

    def command(**values: Any) -> None:
        from pydantic import ValidationError

        from companion.coaching.commands import run_structured

        model, as_json, save = values.pop("model"), values.pop("as_json"), values.pop("save")
        assert spec.inputs is not None
        try:
            inputs = spec.inputs(**values)
        except ValidationError as exc:
            raise fail(first_error(exc), 2) from None
        run_structured(settings(), spec.name, inputs, model=model, as_json=as_json, save=save)

    params = [_parameter(spec, f) for f in spec.fields]
    # Required options first: a Python signature cannot put a default before a non-default.
    params.sort(key=lambda p: p.default is not inspect.Parameter.empty)
    command.__signature__ = inspect.Signature([*params, *_COMMON])  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in (*params, *_COMMON)}
    command.__doc__ = spec.command_help
    command.__name__ = spec.command or spec.name
    return friendly(command)


def register(app: typer.Typer) -> None:
    for spec in all_modes():
        if spec.command:
            app.command(spec.command)(structured_command(spec))

    @app.command()
    @friendly
    def commit(
        text: Annotated[str, typer.Argument(help="The commitment agreed in the 1:1.")],
        person: Annotated[str, typer.Option("--person", "-p")],
    ) -> None:
        """Write a commitment back into today's agenda note as a `- [ ]` action item."""
        from companion.coaching.session import CoachingSession, commit_action

        path = commit_action(CoachingSession(settings()).notes_folder(), person, text)
        typer.echo(f"added to {path}")
