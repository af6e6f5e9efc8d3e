"""`companion eval run` and `companion eval compare` (heavy imports stay inside the commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _scenario_problem(exc) -> str:
    """One line: the first problem with its file:line, and how many more there are."""
    problems = list(getattr(exc, "problems", None) or [str(exc)])
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return problems[0] + more


def register(app: typer.Typer) -> None:
    from companion.clikit import fail, friendly, settings

    eval_app = typer.Typer(
        name="eval",
        help="Run the eval scenarios against the coach, and compare runs.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.add_typer(eval_app, name="eval")

    @eval_app.command("run")
    @friendly
    def run(
        scenarios: Annotated[Path | None, typer.Option("--scenarios", help="Scenario folder (default: evals/scenarios).")] = None,
        model: Annotated[str | None, typer.Option("--model", "-m", help="Model under test (default: the configured model).")] = None,
        judge: Annotated[str | None, typer.Option("--judge", help="Judge model for `judge` checks (default: the `judge` setting; none = skipped).")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Run folder (default: runs/<timestamp>).")] = None,
        jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=32, help="Scenarios run in parallel threads.")] = 1,
        fail_under: Annotated[float | None, typer.Option("--fail-under", min=0.0, max=1.0, help="Exit 1 when the pass rate (0-1) is below this.")] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Generate every output again (and refresh the cache).")] = False,
        tag: Annotated[list[str] | None, typer.Option("--tag", help="Only scenarios with this tag (repeatable; any matches).")] = None,
    ) -> None:
        """Replay every scenario through the coach, score it, write summary.json and report.html."""
        import datetime as dt

        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from companion import locations
        from companion.evals.report import print_table, write_report
        from companion.evals.runner import run_suite
        from companion.evals.scenario import ScenarioError, load_scenarios

        folder = scenarios or locations.evals_dir() / "scenarios"
        try:
            loaded = load_scenarios(folder)
        except ScenarioError as exc:
            raise fail(_scenario_problem(exc), 2) from None
        if tag:
            wanted = set(tag)
            loaded = [s for s in loaded if wanted & set(s.tags)]
        if not loaded:
            raise fail(f"no scenarios to run in {folder}" + (f" with tag {', '.join(tag)}" if tag else ""), 2)
        s = settings()
        out_dir = out or Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        console = Console(stderr=True)
        tally = {"passed": 0, "failed": 0}

        with Progress(
            TextColumn("[bold]eval[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=console, transient=False,
        ) as progress:
            task = progress.add_task("starting…", total=len(loaded))

            def on_start(scenario, _entry) -> None:
                progress.update(task, description=f"{scenario.id}")

            def on_done(scenario, entry) -> None:
                ok = bool(entry and entry["passed"])
                tally["passed" if ok else "failed"] += 1
                progress.update(task, advance=1,
                                description=f"{tally['passed']} passed, {tally['failed']} failed · last: {scenario.id}")
                if not console.is_terminal:  # logs (CI): one line per scenario instead of a live bar
                    done = tally["passed"] + tally["failed"]
                    seconds = entry.get("latency_s", 0.0) if entry else 0.0
                    console.print(f"[{done}/{len(loaded)}] {'pass' if ok else 'FAIL'} {scenario.id} ({seconds:.0f} s)",
                                  markup=False, highlight=False)

            summary = run_suite(
                loaded, s, model=model, judge=judge, jobs=jobs, use_cache=not no_cache,
                on_start=on_start, on_done=on_done, tag=tag,
            )
        summary["scenarios_dir"] = str(folder)
        summary_path, html_path = write_report(summary, out_dir)
        print_table(summary, Console())
        typer.echo(f"wrote {summary_path} and {html_path}")
        rate = summary.get("pass_rate") or 0.0
        if fail_under is not None and rate < fail_under:
            typer.echo(f"companion: pass rate {rate:.1%} is under --fail-under {fail_under:.1%}", err=True)
            raise typer.Exit(1)

    @eval_app.command("compare")
    @friendly
    def compare(
        run_a: Annotated[Path, typer.Argument(help="The baseline run (folder or summary.json).")],
        run_b: Annotated[Path, typer.Argument(help="The new run (folder or summary.json).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    ) -> None:
        """Per-check and per-mode deltas of RUN_B against RUN_A, newly failing scenarios first."""
        import json

        from companion.evals.compare import compare_runs, print_comparison
        from companion.evals.report import load_summary

        a, b = load_summary(run_a), load_summary(run_b)
        result = compare_runs(a, b)
        if as_json:
            typer.echo(json.dumps(result, indent=2))
            return
        from rich.console import Console

        print_comparison(result, str(run_a), str(run_b), Console())
