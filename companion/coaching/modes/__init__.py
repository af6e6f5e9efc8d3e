"""The coaching modes, each declared once as a `ModeSpec`.

Every module in this package declares one mode as `MODE = ModeSpec(...)`; the package finds
them on first use. The session, the CLI (`ask --mode`, the structured commands), the UI (mode
labels, pickers, forms, placeholders) and the eval scenario schema (mode names, inputs)
all read this registry, so adding a mode means adding one module here and its prompt files.

Input limits live in the mode's pydantic input model and nowhere else: the CLI help, the form
and the scenario schema take them from there.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from companion.errors import CompanionError

if TYPE_CHECKING:
    from companion.coaching.schemas import SourceRef
    from companion.knowledge.models import Knowledge
    from companion.llm.base import Provider

FieldKind = Literal["input", "text", "int", "select"]


@dataclass(frozen=True)
class FormField:
    """One input of a structured mode, as the form and the CLI command ask for it.

    The default and the limits come from the mode's input model (`ModeSpec.inputs`)."""

    name: str
    label: str
    kind: FieldKind = "input"
    placeholder: str = ""
    options: tuple[tuple[str, str], ...] = ()
    """(label, value) pairs of a `select`."""
    main: bool = False
    """Receives the text typed in the prompt before the form opened."""
    flag: str = ""
    """The CLI option (`--minutes`); empty: `--<name>` with dashes."""
    short: str = ""
    help: str = ""
    argument: bool = False
    """A positional CLI argument rather than an option."""

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")


class StructuredResult(Protocol):
    """What a structured mode builds (`Agenda`, `InterviewGuide`, `MentorPrompts`): a pydantic
    model with the passages it cites and a Markdown rendering."""

    sources: list[SourceRef]

    def to_markdown(self) -> str: ...

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]: ...


@dataclass(frozen=True)
class Build:
    """What a structured mode's builder returns: the result and how many slots fell back."""

    result: StructuredResult
    fallbacks: int


def builder(target: str) -> Callable[..., Build]:
    """A `ModeSpec.build` that imports `"module:function"` only when a result is built (the
    registry is read by `--help` and the first frame, which must not load a mode's logic);
    the function returns `(result, fallbacks)`.

    `tier` is the model's capability tier (how much of each question it may write) and
    `on_part` receives each finished section's Markdown as it is built, so the user watches
    the result arrive section by section."""

    def build(
        inputs: BaseModel,
        *,
        provider: Provider | None,
        knowledge: Knowledge | None,
        temperature: float,
        tier: str = "tiny",
        on_part: Callable[[str], None] | None = None,
    ) -> Build:
        module, _, name = target.partition(":")
        function = getattr(importlib.import_module(module), name)
        result, fallbacks = function(
            inputs,
            provider=provider,
            knowledge=knowledge,
            temperature=temperature,
            tier=tier,
            on_part=on_part,
        )
        return Build(result, fallbacks)

    return build


@dataclass(frozen=True)
class ModeSpec:
    """Everything the rest of the program needs to know about one coaching mode."""

    name: str
    label: str
    """Short title: "1:1 agenda"."""
    help: str
    """One line saying what the mode does."""
    placeholder: str
    """The chat prompt's placeholder in this mode."""
    order: int = 100
    aliases: tuple[str, ...] = ()
    """Other words `/mode` accepts."""
    prompts: tuple[str, ...] = ()
    """Prompt files (`prompts/<name>.md`) the mode renders."""
    bank: str | None = None
    """Its section of the corpus's question bank, if it falls back on one."""
    inputs: type[BaseModel] | None = None
    """The structured inputs; None for a conversational mode (socratic)."""
    output: type[BaseModel] | None = None
    """The structured result's schema."""
    fields: tuple[FormField, ...] = ()
    intro: str = ""
    """The form's first line."""
    scenario_required: tuple[str, ...] = ()
    """Inputs an eval scenario must pin, even where the input model has a default."""
    command: str | None = None
    """The CLI command that builds the result (`companion agenda`)."""
    command_help: str = ""
    build: Callable[..., Build] | None = None
    """`build(inputs, *, provider, knowledge, temperature, tier, on_part) -> Build`."""
    questions: Callable[[dict[str, Any]], list[str]] = field(default=lambda _data: [])
    """The questions in a result (its JSON form), for the guard's analysis and the evals."""
    probes: Callable[[dict[str, Any]], list[tuple[str, str]]] = field(default=lambda _data: [])
    """(text, origin) of each question the model is asked to write in a result (its JSON
    form): what the evals' bank share, personalisation and presupposition checks read."""
    from_text: Callable[[str], BaseModel] | None = None
    """Inputs from a chat message typed in this mode (chat and `companion ask`)."""
    summary: Callable[[Any], str] | None = None
    """One line for the transcript saying what was asked (it gets this mode's `inputs`)."""

    @property
    def structured(self) -> bool:
        return self.inputs is not None

    def input_names(self) -> tuple[str, ...]:
        return tuple(self.inputs.model_fields) if self.inputs is not None else ()

    def input_field(self, name: str) -> FieldInfo:
        assert self.inputs is not None
        return self.inputs.model_fields[name]

    def default(self, name: str) -> Any:
        """The input model's default for `name` (None when the input is required)."""
        info = self.input_field(name)
        return None if info.is_required() else info.get_default(call_default_factory=True)

    def describe(self, inputs: BaseModel) -> str:
        return self.summary(inputs) if self.summary else str(inputs.model_dump())


_REGISTRY: dict[str, ModeSpec] = {}
_lock = threading.Lock()
_loaded = False


def bounds(model: type[BaseModel], name: str) -> tuple[Any, Any, int | None]:
    """(ge, le, max_length) of an input field, each None where the model sets none."""
    ge = le = max_length = None
    for rule in model.model_fields[name].metadata:
        ge = getattr(rule, "ge", ge)
        le = getattr(rule, "le", le)
        max_length = getattr(rule, "max_length", max_length)
    return ge, le, max_length


def _load_builtin() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{__name__}.{info.name}")
            spec = getattr(module, "MODE", None)
            if isinstance(spec, ModeSpec):
                _REGISTRY.setdefault(spec.name, spec)
        _loaded = True


def register(spec: ModeSpec) -> ModeSpec:
    """Add a mode (a plug-in, or a test's toy mode); its name must be new."""
    _load_builtin()
    with _lock:
        if spec.name in _REGISTRY:
            raise CompanionError(f"a mode named {spec.name!r} is already registered")
        _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    _load_builtin()
    with _lock:
        _REGISTRY.pop(name, None)


def all_modes() -> tuple[ModeSpec, ...]:
    """Every mode, in menu order."""
    _load_builtin()
    return tuple(sorted(_REGISTRY.values(), key=lambda s: (s.order, s.name)))


def mode_names() -> tuple[str, ...]:
    return tuple(s.name for s in all_modes())


def structured_modes() -> tuple[str, ...]:
    return tuple(s.name for s in all_modes() if s.structured)


def find_mode(name: str) -> ModeSpec | None:
    _load_builtin()
    return _REGISTRY.get(name)


def get_mode(name: str) -> ModeSpec:
    """The mode called `name`, or an error listing the known ones."""
    spec = find_mode(name)
    if spec is None:
        raise CompanionError(f"unknown mode {name!r}; choose one of {', '.join(mode_names())}")
    return spec


def label_of(name: str) -> str:
    """A mode's label, or the name itself for a mode no longer registered (old sessions)."""
    spec = find_mode(name)
    return spec.label if spec else name


def resolve_alias(word: str) -> str | None:
    """The mode a word names (`1:1` -> agenda), or None."""
    word = word.strip().casefold()
    for spec in all_modes():
        if word == spec.name or word in spec.aliases:
            return spec.name
    return None
