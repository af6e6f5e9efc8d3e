"""One `Settings` object: defaults < config file (TOML) < `COMPANION_*` environment."""

from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from companion import locations

LOCAL_MODELS = ("qwen2.5-0.5b", "smollm2-135m")
DEFAULT_MODEL = "qwen2.5-0.5b"


class Endpoint(BaseModel):
    """An OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server)."""

    model_config = {"extra": "forbid"}

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    """The name you pick it by (`--model NAME`)."""
    base_url: str = Field(pattern=r"^https?://")
    """The server's `/v1` URL, e.g. `http://127.0.0.1:11434/v1`."""
    model: str
    """The model name the server expects."""
    api_key: SecretStr | None = None
    """This endpoint's own key. Never borrowed from `OPENAI_API_KEY` unless the host is OpenAI's."""
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    """Seconds to wait for a response before giving up."""
    max_retries: int = Field(default=2, ge=0, le=10)
    """Retries (with backoff) on 429 and 5xx answers and dropped connections."""
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """How the server expects the reply-length limit (llama.cpp server ignores the newer name)."""
    structured_output: Literal["json_schema", "json_object"] = "json_schema"
    """How to ask for schema-shaped JSON: OpenAI/vLLM/Ollama take `json_schema`; llama.cpp's
    Python server takes `json_object` with a `schema`."""


class Keys(BaseModel):
    """Key bindings in the chat app."""

    model_config = {"extra": "forbid"}

    cancel: str = "escape"
    """Stop the reply being written (the partial reply is kept)."""
    new_session: str = "ctrl+n"
    """Start a new session."""
    sessions: str = "ctrl+o"
    """Open the sessions list."""
    toggle_sources: str = "ctrl+s"
    """Show or hide the sources panel."""
    switch_mode: str = "ctrl+t"
    """Open the mode picker."""
    quit: str = "ctrl+q"
    """Leave the app."""


class Settings(BaseSettings):
    """All user settings. Env vars use the `COMPANION_` prefix (nested with `__`)."""

    model_config = SettingsConfigDict(
        env_prefix="COMPANION_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    model: str = DEFAULT_MODEL
    """Chat model: an embedded model (`qwen2.5-0.5b`, `smollm2-135m`) or an endpoint's name."""
    endpoints: list[Endpoint] = Field(default_factory=list)
    """OpenAI-compatible endpoints you may switch to (`[[endpoints]]` tables in the config file)."""
    embedding_endpoint: str | None = None
    """Name of an endpoint whose `/embeddings` replaces the embedded MiniLM model (re-embeds)."""
    embedding_model: str = "text-embedding-3-small"
    """Embedding model name on `embedding_endpoint`."""
    chroma_url: str | None = Field(default=None, pattern=r"^https?://[^/]+(:\d+)?/?$")
    """A Chroma server (`http://host:port`) instead of the local index, for teams."""
    notes_dirs: list[Path] = Field(default_factory=list)
    """Folders of your Markdown notes (an Obsidian vault works as it is)."""
    exclude: list[str] = Field(default_factory=list)
    """Glob patterns of note files to skip (hidden folders and `.obsidian/` always are)."""
    top_k: int = Field(default=4, ge=1, le=20)
    """Passages retrieved for each reply."""
    history_tokens: int = Field(default=600, ge=0, le=100_000)
    """How many tokens of earlier turns each prompt carries."""
    threads: int = Field(default=2, ge=1, le=256)
    """CPU threads for the embedded model."""
    context_tokens: int = Field(default=2048, ge=512, le=32768)
    """Context window of the embedded model."""
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    """Sampling temperature for replies."""
    seed: int = 7
    """Sampling seed for the embedded model (repeatable answers and evals)."""
    tier: Literal["auto", "tiny", "small", "large"] = "auto"
    """How much of a Socratic turn the model writes: `tiny` (narrow slots), `small` (reflections
    and whole questions), `large` (the whole turn); `auto` picks from the model."""
    judge: str | None = None
    """Model used by the eval `judge` check (a local model or an endpoint's name); unset = skipped."""
    max_note_bytes: int = Field(default=2_000_000, ge=1_000, le=200_000_000)
    """Notes larger than this are truncated at this size while indexing."""
    max_note_chunks: int = Field(default=100, ge=0, le=1_000_000)
    """At most this many chunks of one note are embedded (0: no limit); the rest stay
    searchable by keyword. A huge or generated note never holds up the others."""
    vault_owner: list[str] = Field(default_factory=list)
    """Your own name(s) as they appear in task owners (`@Alex Kim`); `@Myself`, `@me` and
    `@I` always mean you. Decides whose an action item is (yours or theirs)."""
    keys: Keys = Field(default_factory=Keys)
    """Key bindings of the chat app."""

    @field_validator("endpoints")
    @classmethod
    def _unique_names(cls, endpoints: list[Endpoint]) -> list[Endpoint]:
        names = [e.name for e in endpoints]
        clash = {n for n in names if names.count(n) > 1 or n in LOCAL_MODELS}
        if clash:
            raise ValueError(f"endpoint names must be unique and not a local model name: {sorted(clash)}")
        return endpoints

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=locations.config_file())
        return (init_settings, env_settings, toml)

    def endpoint(self, name: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.name == name), None)

    def model_names(self) -> list[str]:
        return [*LOCAL_MODELS, *(e.name for e in self.endpoints)]


class SettingsError(Exception):
    """Settings could not be loaded; the message names the field and where it came from."""


def load_settings(**overrides) -> Settings:
    """Load settings, turning every failure into one readable `SettingsError`."""
    path = locations.config_file()
    try:
        return Settings(**overrides)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(settings)"
            env = "COMPANION_" + "__".join(str(p) for p in err["loc"] if not isinstance(p, int)).upper()
            problems.append(f"{field}: {err['msg']}")
        where = f"{path}" if path.exists() else "the environment"
        raise SettingsError(
            f"invalid settings in {where} (or ${env}): " + "; ".join(problems)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the config file ({exc})") from None


def save_setting(key: str, value) -> Path:
    """Write one top-level key into the config file, keeping the others."""
    import tomli_w

    path = locations.config_file()
    data = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A name of our own (two processes may save at once), user-only (the file may hold keys),
    # then an atomic rename: a reader sees the old file or the whole new one.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(tomli_w.dumps(data))
    tmp.replace(path)
    return path
