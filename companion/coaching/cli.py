"""`companion agenda`, `jtbd`, `prompts` and `commit` (imports stay inside the commands)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    from companion.cli import friendly, settings

    @app.command()
    @friendly
    def agenda(
        person: Annotated[str, typer.Option("--person", "-p", help="Who the 1:1 is with.")],
        relationship: Annotated[
            str, typer.Option(help="my_manager | my_report | mentor | mentee")
        ] = "my_report",
        minutes: Annotated[int, typer.Option("--minutes", help="Meeting length (10-120).")] = 30,
        on_mind: Annotated[str, typer.Option("--on-mind", help="What is on your mind.")] = "",
        model: Annotated[str | None, typer.Option("--model", "-m")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
        save: Annotated[
            bool, typer.Option("--save", help="Write the agenda into your notes folder.")
        ] = False,
    ) -> None:
        """Draft a 1:1 agenda that carries forward every open action item with PERSON."""
        from pydantic import ValidationError

        from companion.cli import fail
        from companion.coaching.commands import run_structured
        from companion.coaching.schemas import AgendaInputs

        try:
            inputs = AgendaInputs(
                person=person, relationship=relationship, duration_minutes=minutes, on_mind=on_mind
            )
        except ValidationError as exc:
            raise fail(_first_error(exc), 2) from None
        run_structured(settings(), "agenda", inputs, model=model, as_json=as_json, save=save)

    @app.command()
    @friendly
    def jtbd(
        product: Annotated[
            str, typer.Option("--product", help="The product whose switch you study.")
        ],
        switch: Annotated[str, typer.Option("--switch", help="What customers hired / fired.")] = "",
        interviewee: Annotated[
            str, typer.Option("--interviewee")
        ] = "a customer who switched recently",
        model: Annotated[str | None, typer.Option("--model", "-m")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
        save: Annotated[bool, typer.Option("--save")] = False,
    ) -> None:
        """Draft a jobs-to-be-done switch interview guide."""
        from pydantic import ValidationError

        from companion.cli import fail
        from companion.coaching.commands import run_structured
        from companion.coaching.schemas import JTBDInputs

        try:
            inputs = JTBDInputs(product=product, switch=switch, interviewee=interviewee)
        except ValidationError as exc:
            raise fail(_first_error(exc), 2) from None
        run_structured(settings(), "jtbd", inputs, model=model, as_json=as_json, save=save)

    @app.command("prompts")
    @friendly
    def mentor_prompts(
        situation: Annotated[str, typer.Argument(help="The mentee's situation, in your words.")],
        mentee: Annotated[str, typer.Option("--mentee")] = "your mentee",
        model: Annotated[str | None, typer.Option("--model", "-m")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
        save: Annotated[bool, typer.Option("--save")] = False,
    ) -> None:
        """Discussion prompts for a mentor preparing a session with a mentee."""
        from pydantic import ValidationError

        from companion.cli import fail
        from companion.coaching.commands import run_structured
        from companion.coaching.schemas import MentorInputs

        try:
            inputs = MentorInputs(situation=situation, mentee=mentee)
        except ValidationError as exc:
            raise fail(_first_error(exc), 2) from None
        run_structured(settings(), "mentor", inputs, model=model, as_json=as_json, save=save)

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


def _first_error(exc) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
