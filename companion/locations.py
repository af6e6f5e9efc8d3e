"""Every path the app reads or writes, in one place.

`COMPANION_HOME` moves all user paths under one folder (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "companion"
HOME_ENV = "COMPANION_HOME"

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository root of a checkout; evals/ and benchmarks/ exist only there.
PROJECT_DIR = PACKAGE_DIR.parent


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def _ensure(path: Path) -> Path:
    # User-only: notes, transcripts and the index are private.
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    home = _home()
    if home:
        return home / "config"
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = _home()
    if home:
        return _ensure(home / "data")
    from platformdirs import user_data_dir

    return _ensure(Path(user_data_dir(APP_NAME, appauthor=False)))


def cache_dir() -> Path:
    home = _home()
    if home:
        return _ensure(home / "cache")
    from platformdirs import user_cache_dir

    return _ensure(Path(user_cache_dir(APP_NAME, appauthor=False)))


def config_file() -> Path:
    return config_dir() / "config.toml"


def models_dir() -> Path:
    """Where split model files are assembled once."""
    return _ensure(data_dir() / "models")


def index_dir() -> Path:
    """The persistent chromadb index and its sync manifest."""
    return _ensure(data_dir() / "index")


def sessions_db() -> Path:
    return data_dir() / "sessions.db"


def eval_cache_dir() -> Path:
    return _ensure(cache_dir() / "eval-outputs")


def prefix_cache_dir() -> Path:
    """Saved llama.cpp states of the fixed system prompts (no user text)."""
    return _ensure(cache_dir() / "prefix-kv")


def log_file() -> Path:
    return _ensure(data_dir() / "logs") / "companion.log"


def _shipped(package: str) -> Path:
    """Data that ships inside the package: found by import, in a checkout and a wheel alike.

    pyproject.toml maps the repository's prompts/ and corpus/ to these packages, so an
    editable install resolves them to the checkout and a wheel to site-packages.
    """
    from importlib.resources import files

    return Path(str(files(package)))


def prompts_dir() -> Path:
    return _shipped("companion.prompts")


def corpus_dir() -> Path:
    return _shipped("companion.corpus")


def evals_dir() -> Path:
    return PROJECT_DIR / "evals"
