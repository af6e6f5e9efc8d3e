"""What every command shares: one-line failures, the error-to-exit-code mapping, settings.

`companion.cli` and the area CLIs (`coaching/cli.py`, `evals/cli.py`, `knowledge/cli.py`) import
this module; it imports none of them, so the command tree depends downward only.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

if TYPE_CHECKING:
    from pydantic import ValidationError

    from companion.settings import Settings

_P = ParamSpec("_P")
_R = TypeVar("_R")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line to stderr and return the exit to raise."""
    from companion.llm.keys import redact

    typer.echo(f"companion: {redact(message)}", err=True)
    return typer.Exit(code)


def friendly(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn expected failures into one line and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        from companion.errors import CompanionError
        from companion.llm.base import LLMError
        from companion.settings import SettingsError

        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            raise fail(str(exc), 2) from None
        except LLMError as exc:
            raise fail(str(exc), 1) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except BrokenPipeError:  # `companion ask ... | head`
            sys.stderr.close()
            raise typer.Exit(0) from None
        except CompanionError as exc:
            raise fail(str(exc), exc.exit_code) from None

    return wrapper


def settings() -> Settings:
    from companion.settings import load_settings

    return load_settings()


def first_error(exc: ValidationError) -> str:
    """A pydantic `ValidationError` as one line: `field: message`."""
    err = exc.errors()[0]
    return f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
