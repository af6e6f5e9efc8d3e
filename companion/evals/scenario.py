"""Eval scenario files: the schema and a loader whose every error carries `file:line`.

One scenario per YAML file under `evals/scenarios/`. The format is a public interface,
documented in `evals/README.md`; keep the two in step. Validation happens in two layers:

1. pydantic models (strict, `extra="forbid"`), each check validated by the class its `check`
   names in the registry (`companion.evals.checks`), so a misspelt parameter is an error just
   like a misspelt check name;
2. cross-field rules that need the whole scenario (inputs a mode needs, checks that do not
   apply to a mode, ...), see `_scenario_rules`.

Errors of both layers are mapped back to lines through the YAML node tree (`yaml.compose`), so
`load_scenario` raises one `ScenarioError` listing every problem of the file, e.g.
`evals/scenarios/socratic/x.yaml:14: checks[2].min: Input should be less than or equal to 1`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    SerializeAsAny,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from companion.coaching.modes import all_modes, find_mode, get_mode, mode_names
from companion.evals.checks import REGISTRY, Text
from companion.evals.checks import Check as BaseCheck

__all__ = [
    "Check",
    "Inputs",
    "Scenario",
    "ScenarioError",
    "Turn",
    "load_scenario",
    "load_scenarios",
    "mode_inputs",
]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_FILE_BYTES = 256 * 1024  # scenario files are small; refuse anything absurd before parsing

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=120)]


class ScenarioError(ValueError):
    """One or more problems in scenario files; each problem is a `file:line: message` string."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------------------- checks
# The checks themselves live in `companion.evals.checks`; a scenario's `checks` list is
# validated against its registry at validation time, so a registered check is known here.


def _normalise_check(value: Any) -> dict[str, Any]:
    """A bare name becomes `{"check": name}`; unknown names fail with the list of known ones."""
    known = ", ".join(REGISTRY)
    if isinstance(value, str):
        name: Any = value.strip()
        value = {"check": name}
    elif isinstance(value, dict):
        if "check" not in value:
            keys = ", ".join(repr(str(k)) for k in value) or "none"
            raise PydanticCustomError(
                "check_missing",
                "a check mapping needs a 'check' key naming the check (got keys: {keys}); "
                "write e.g. '{example}'",
                {"keys": keys, "example": "{check: open_question_ratio, min: 0.8}"},
            )
        name = value["check"]
    else:
        raise PydanticCustomError(
            "check_type",
            "a check is a name or a mapping with a 'check' key, not {kind}",
            {"kind": type(value).__name__},
        )
    if not isinstance(name, str) or name not in REGISTRY:
        raise PydanticCustomError(
            "unknown_check",
            "unknown check {name}; known checks: {known}",
            {"name": repr(name), "known": known},
        )
    return value


def _validate_check(value: Any) -> BaseCheck:
    if isinstance(value, BaseCheck) and REGISTRY.get(value.check) is type(value):
        return value
    data = _normalise_check(value)
    # A ValidationError raised here is reported under this item's location (checks[i].min).
    return REGISTRY[data["check"]].model_validate(data)


Check = Annotated[SerializeAsAny[BaseCheck], PlainValidator(_validate_check)]


# ------------------------------------------------------------------------------------- scenario


def _known_mode(value: str) -> str:
    if find_mode(value) is None:
        raise PydanticCustomError(
            "unknown_mode",
            "Input should be one of {modes}",
            {"modes": ", ".join(repr(m) for m in mode_names())},
        )
    return value


Mode = Annotated[str, AfterValidator(_known_mode)]


def _scenario_field(info: Any) -> tuple[Any, Any]:
    """A mode input as a scenario takes it: optional, the mode's own limits, strings stripped
    and never empty."""
    extra: list[Any] = []
    if info.annotation is str:
        extra.append(StringConstraints(strip_whitespace=True, min_length=1))
    rules = (*info.metadata, *extra)
    kind = Annotated[(info.annotation, *rules)] if rules else info.annotation
    return kind | None, None


class _OpenInputs(BaseModel):
    # Inputs of modes registered after this module was imported (plug-ins, tests) are kept as
    # extras; `_input_rules` checks them against their mode's own input model.
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


def _inputs_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in all_modes():
        if spec.inputs is not None:
            for name, info in spec.inputs.model_fields.items():
                fields.setdefault(name, _scenario_field(info))
    model = create_model(
        "Inputs",
        __base__=_OpenInputs,
        __doc__="Mode inputs, typed as the modes' input models declare them; which ones a "
        "mode needs or accepts is `mode_inputs(mode)`.",
        **fields,
    )
    return model


if TYPE_CHECKING:
    # The real class is built from the registered modes at import; to mypy it is any inputs.
    class Inputs(_OpenInputs):
        def __getattr__(self, name: str) -> Any: ...
else:
    Inputs = _inputs_model()


def mode_inputs(mode: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) inputs of a mode's scenarios; any other input is an error there."""
    spec = get_mode(mode)
    required = spec.scenario_required
    return required, tuple(n for n in spec.input_names() if n not in required)


class Turn(_Strict):
    user: Text


class Scenario(_Strict):
    id: Slug
    mode: Mode
    description: Text
    notes: Annotated[Path | None, Field(strict=False)] = None  # str -> absolute Path
    inputs: Inputs = Field(default_factory=Inputs)
    turns: list[Turn] = Field(default_factory=list)
    checks: Annotated[list[Check], Field(min_length=1)]
    tags: list[Slug] = Field(default_factory=list)

    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file the scenario was loaded from (None when built in code)."""
        return self._path

    @field_validator("notes", mode="before")
    @classmethod
    def _resolve_notes(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        if not isinstance(value, str | Path) or not str(value).strip():
            raise PydanticCustomError(
                "notes_type", "notes must be a folder path relative to the scenario file"
            )
        relative = Path(str(value).strip())
        base_dir = (info.context or {}).get("base_dir")
        # In a scenario file the folder must be relative (portable); in code, or when a dumped
        # scenario is validated again, the absolute path it was resolved to is fine.
        if relative.is_absolute() and base_dir is not None:
            raise PydanticCustomError(
                "notes_absolute", "notes must be relative to the scenario file, not absolute"
            )
        base = Path(base_dir or Path.cwd())
        folder = (base / relative).resolve()
        if not folder.is_dir():
            raise PydanticCustomError(
                "notes_missing", "notes folder not found: {folder}", {"folder": str(folder)}
            )
        return str(folder)

    def checks_named(self, name: str) -> list[BaseCheck]:
        return [c for c in self.checks if c.check == name]


def _input_rules(s: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Inputs the mode needs, inputs it does not use, and values its input model refuses."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    required, optional = mode_inputs(s.mode)
    given = {
        name: value
        for name, value in s.inputs.model_dump(exclude_none=True).items()
        if name in s.inputs.model_fields_set or name in (s.inputs.model_extra or {})
    }
    for name in required:
        if name not in given:
            problems.append((("inputs", name), f"{s.mode} mode needs inputs.{name}"))
    accepted = set(required) | set(optional)
    declared = {n for spec in all_modes() for n in spec.input_names()}
    for name in given:
        if name not in declared:
            problems.append((("inputs", name), f"unknown field {name!r}"))
        elif name not in accepted:
            uses = ", ".join(required + optional) or "no inputs"
            problems.append(
                (("inputs", name), f"inputs.{name} is not used in {s.mode} mode (it uses: {uses})")
            )
    model = get_mode(s.mode).inputs
    if model is not None:
        try:
            model.model_validate({n: v for n, v in given.items() if n in accepted}, strict=True)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                if error.get("type") != "missing":
                    loc = ("inputs", *(error.get("loc") or ()))
                    problems.append((loc, _message(error)))
    return problems


def _scenario_rules(s: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that need the whole scenario. Returns (loc, message) pairs."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if s.mode == "socratic" and not s.turns:
        problems.append((("turns",), "socratic scenarios need at least one user turn"))

    problems += _input_rules(s)
    for i, check in enumerate(s.checks):
        loc: tuple[str | int, ...] = ("checks", i)
        modes = check.modes
        if modes is not None and s.mode not in modes:
            problems.append(
                (
                    loc,
                    f"check {check.check!r} does not apply to {s.mode} mode "
                    f"(it applies to: {', '.join(m for m in mode_names() if m in modes)})",
                )
            )
        problems.extend(((*loc, *where), message) for where, message in check.rules(s))

    seen: set[str] = set()
    for i, tag in enumerate(s.tags):
        if tag in seen:
            problems.append((("tags", i), f"duplicate tag {tag!r}"))
        seen.add(tag)
    return problems


# -------------------------------------------------------------------------------------- loading


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _locate(root: yaml.Node, loc: Iterable[str | int]) -> int:
    """The 1-based line of the YAML node a pydantic `loc` points at (or of its nearest parent).

    Parts that match nothing (a discriminator tag, a missing key) leave us on the current node,
    so a missing field reports the line of the mapping that should hold it.
    """
    node = root
    line = root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    node, line = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
        else:
            break
    return line


def _loc_text(loc: Sequence[str | int]) -> str:
    parts = list(loc)
    # Discriminated unions put the check's name into the loc: checks.2.mentions.any
    if (
        len(parts) > 2
        and parts[0] == "checks"
        and isinstance(parts[1], int)
        and parts[2] in REGISTRY
    ):
        del parts[2]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: Any) -> str:
    kind = error.get("type")
    loc = error.get("loc") or ()
    if kind == "extra_forbidden" and loc:
        return f"unknown field {str(loc[-1])!r}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        return "must be a lowercase slug: letters, digits and single hyphens (e.g. 'launch-date-fight')"
    return str(error.get("msg", "invalid value"))


def _duplicate_keys(node: yaml.Node, problems: list[tuple[int, str]], depth: int = 0) -> None:
    if depth > 100:
        return
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    problems.append((key.start_mark.line + 1, f"duplicate key {key.value!r}"))
                seen.add(key.value)
            _duplicate_keys(value, problems, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(item, problems, depth + 1)


def _parse(path: Path, where: str) -> tuple[yaml.Node, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{where}:1: cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{where}:1: file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"{where}:{line}: not valid UTF-8 ({exc.reason})") from None

    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # the reader already rejects unprintable characters
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise ScenarioError(f"{where}:{line}: YAML syntax error: {what}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ScenarioError(f"{where}:{line}: YAML syntax error: {exc.reason}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where}:1: YAML syntax error: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{where}:1: YAML is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()

    if node is None:
        raise ScenarioError(f"{where}:1: empty file; a scenario is a mapping with id, mode, ...")
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{where}:{node.start_mark.line + 1}: a scenario must be a YAML mapping "
            f"(id, mode, description, ...), not {type(data).__name__}"
        )
    return node, data


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one scenario file; raise `ScenarioError` listing all its problems."""
    path = Path(path)
    where = _display(path)
    node, data = _parse(path, where)

    problems: list[tuple[int, str]] = []
    _duplicate_keys(node, problems)
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": path.resolve().parent})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = error.get("loc") or ()
            text = _loc_text(loc)
            prefix = f"{text}: " if text else ""
            problems.append((_locate(node, loc), prefix + _message(error)))
    except RecursionError:
        problems.append((1, "data is nested too deeply"))
    if scenario is not None:
        for loc, message in _scenario_rules(scenario):
            problems.append((_locate(node, loc), f"{_loc_text(loc)}: {message}"))
    if problems:
        problems.sort(key=lambda p: p[0])
        raise ScenarioError([f"{where}:{line}: {message}" for line, message in problems])

    assert scenario is not None
    scenario._path = path.resolve()
    return scenario


def _id_line(path: Path) -> int:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 1
    return _locate(node, ("id",)) if node is not None else 1


def load_scenarios(directory: str | Path) -> list[Scenario]:
    """Load every `**/*.yaml` under `directory` (sorted), skipping `fixtures/` folders and hidden
    folders. Problems of all files are collected into one `ScenarioError`; duplicate ids are an
    error naming both files."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ScenarioError(f"{_display(directory)}:1: scenario folder not found")

    def skipped(p: Path) -> bool:
        parts = p.relative_to(directory).parts[:-1]
        return any(part == "fixtures" or part.startswith(".") for part in parts)

    problems: list[str] = []
    for stray in sorted(directory.rglob("*.yml")):
        if not skipped(stray):
            problems.append(f"{_display(stray)}:1: scenario files must end in .yaml, not .yml")

    scenarios: list[Scenario] = []
    first_seen: dict[str, Scenario] = {}
    for path in sorted(p for p in directory.rglob("*.yaml") if not skipped(p)):
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        earlier = first_seen.get(scenario.id)
        if earlier is not None:
            assert earlier.path is not None
            problems.append(
                f"{_display(path)}:{_id_line(path)}: duplicate id {scenario.id!r} "
                f"(also in {_display(earlier.path)}:{_id_line(earlier.path)})"
            )
            continue
        first_seen[scenario.id] = scenario
        scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenarios
