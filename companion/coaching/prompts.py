"""Prompt files: text in `prompts/`, front matter validated, loaded by name, rendered strictly."""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from companion import locations
from companion.errors import CompanionError


class PromptError(CompanionError):
    """A prompt file is missing, malformed, or rendered without a variable it needs."""


class PromptMeta(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    version: int = Field(ge=1)
    description: str
    variables: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    """Structured material that belongs with the prompt (question stems, examples)."""


_SECTION = re.compile(r"^=== (system|user) ===\s*$", re.MULTILINE)


class PromptTemplate(BaseModel):
    meta: PromptMeta
    system: str
    user: str
    path: str

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def version(self) -> int:
        return self.meta.version

    def render(self, **values: Any) -> tuple[str, str]:
        """(system, user) with every `$variable` filled; a missing one is a named error."""
        missing = [v for v in self.meta.variables if v not in values]
        if missing:
            raise PromptError(f"prompt {self.name!r} needs variable(s): {', '.join(missing)}")
        out = []
        for part in (self.system, self.user):
            try:
                out.append(string.Template(part).substitute({k: str(v) for k, v in values.items()}))
            except KeyError as exc:  # a $name in the text that the front matter did not declare
                raise PromptError(
                    f"prompt {self.name!r} uses undeclared variable {exc.args[0]!r}"
                ) from None
        return out[0].strip(), out[1].strip()


def _variables(text: str) -> set[str]:
    return {
        m.group("named") or m.group("braced")
        for m in string.Template.pattern.finditer(text)
        if m.group("named") or m.group("braced")
    }


def parse_prompt(text: str, path: str = "<string>") -> PromptTemplate:
    if not text.startswith("---"):
        raise PromptError(f"{path}: a prompt file starts with front matter (---)")
    try:
        _, front, body = text.split("---", 2)
        meta = PromptMeta.model_validate(yaml.safe_load(front) or {})
    except (ValueError, yaml.YAMLError) as exc:
        raise PromptError(f"{path}: front matter is not valid YAML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PromptError(
            f"{path}: front matter field {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None
    parts = _SECTION.split(body)
    # ['', 'system', text, 'user', text]
    sections = dict(zip(parts[1::2], parts[2::2], strict=False))
    if "user" not in sections:
        raise PromptError(f"{path}: needs a '=== user ===' section")
    declared = set(meta.variables)
    used = _variables(body)
    if used - declared:
        raise PromptError(f"{path}: uses undeclared variable(s) {sorted(used - declared)}")
    in_system = _variables(sections.get("system", ""))
    if in_system:
        # The system section is the fixed prefix llama.cpp reuses (and caches on disk, so it
        # must never hold user text): variables belong in the user section.
        raise PromptError(
            f"{path}: the system section must be fixed text; move {sorted(in_system)} "
            "to the user section"
        )
    return PromptTemplate(
        meta=meta, system=sections.get("system", ""), user=sections["user"], path=path
    )


@functools.cache
def load_prompt(name: str, folder: Path | None = None) -> PromptTemplate:
    """The prompt file `prompts/<name>.md`."""
    path = (folder or locations.prompts_dir()) / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt named {name!r} (looked for {path})")
    prompt = parse_prompt(path.read_text("utf-8"), str(path))
    if prompt.name != name:
        raise PromptError(f"{path}: front matter name {prompt.name!r} does not match the file name")
    return prompt


def all_prompts(folder: Path | None = None) -> list[PromptTemplate]:
    folder = folder or locations.prompts_dir()
    return [
        load_prompt(p.stem, folder) for p in sorted(folder.glob("*.md")) if p.name != "README.md"
    ]
