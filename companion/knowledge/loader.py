"""Read the corpus and note folders into `Note`s: text, metadata, wikilinks and action items.

Never raises on bad input: a file that cannot be used becomes a `Skipped` with a reason, a file
used in part carries its reasons in `Note.reasons`. Line numbers always refer to the file as it
is on disk (1-based), so citations point at the right lines.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import yaml

from companion.knowledge.models import CLOSED_STATES, TASK_STATES, ActionItem

NOTE_SUFFIXES = (".md", ".markdown", ".txt")
CORPUS_SUFFIXES = (".md",)
FRONT_MATTER_MAX_LINES = 300
FRONT_MATTER_MAX_CHARS = 32_000
_LIST_CAP = 50  # at most this many tags / people from one note
_STR_CAP = 200  # longest tag / person / title / date string kept

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_WIKILINK = re.compile(r"!?\[\[([^\[\]\n|#]*)(#[^\[\]\n|]*)?(?:\|([^\[\]\n]*))?\]\]")
_TASK = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+\[([^\[\]\n])\]\s+(\S.*?)\s*$")
# `@dana`, `@Dana Lee` (a run of capitalised words), `@[[Dana Lee]]`.
_MENTION = re.compile(
    r"(?<![\w@.])@(?:\[\[([^\[\]|#\n]+)(?:[|#][^\[\]\n]*)?\]\]"
    r"|([A-Za-z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)*))"
)
_TASK_DATE = re.compile(r"([📅⏳🛫➕✅❌])\uFE0F?\s*(\d{4}-\d{2}-\d{2})")
_TASK_RECUR = re.compile(r"🔁\uFE0F?[^📅⏳🛫➕✅❌🔺⏫🔼🔽⏬#]*")
_PRIORITY = {"🔺": "highest", "⏫": "high", "🔼": "medium", "🔽": "low", "⏬": "lowest"}
_PRIORITY_RX = re.compile("[" + "".join(_PRIORITY) + "]\uFE0F?")
_INLINE_TAG = re.compile(r"(?<![\w&/#])#([A-Za-z][\w/-]*)")
_TRAILING_TAGS = re.compile(r"(?:\s+#[A-Za-z][\w/-]*)+\s*$")
PEOPLE_KEYS = ("person", "with", "people", "participants", "attendees")
"""Front matter fields that name who a note is with (lists, strings or [[wikilinks]])."""
PEOPLE_FOLDERS = ("people", "persons", "contacts", "team")
"""A folder of this name holds one folder or note per person: `People/<Name>/...`."""
DEFAULT_ME = ("Myself", "me", "I")
"""Names that mean the vault owner when no `vault_owner` setting is given."""
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


# libyaml's parser when PyYAML was built with it: front matter parsing was most of the time of
# re-syncing an unchanged vault with the pure-Python one.
if TYPE_CHECKING:  # the C loader has the same interface; mypy needs one class to subclass
    _SafeBase = yaml.SafeLoader
else:
    _SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FrontMatterLoader(_SafeBase):
    """SafeLoader that keeps dates as strings (an invalid date must not sink the whole block)."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Skipped:
    """A file that was not indexed, and why."""

    path: Path
    relpath: str
    reason: str


@dataclass
class Note:
    """One loaded file. `lines` holds every line of the file (front matter included)."""

    source: str
    root: Path
    path: Path
    relpath: str
    size: int
    digest: str
    """sha256 of the bytes read (the first `max_bytes` for a truncated file)."""
    lines: list[str]
    body_start: int = 0
    """0-based index of the first line after the front matter."""
    title: str = ""
    date: str | None = None
    person: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    """Wikilink targets, as written (`folder/Note`, `Note`)."""
    reasons: list[str] = field(default_factory=list)
    """Why the file was read in part or repaired (truncated, bad UTF-8, bad front matter)."""
    truncated: bool = False

    @property
    def key(self) -> str:
        return f"{self.source}:{self.path}"


# --------------------------------------------------------------------------- discovery


def is_excluded(relpath: str, patterns: Iterable[str]) -> bool:
    """True if a POSIX relative path matches a user glob (the file, or one of its folders)."""
    parts = relpath.split("/")
    candidates = [relpath, parts[-1]] + ["/".join(parts[:i]) for i in range(1, len(parts))]
    for raw in patterns:
        pattern = raw.strip().rstrip("/")
        while pattern.startswith("./"):
            pattern = pattern[2:]
        if not pattern:
            continue
        variants = {pattern}
        while pattern.startswith("**/"):
            pattern = pattern[3:]
            variants.add(pattern)
        if pattern.endswith("/**"):
            variants.add(pattern[:-3])
        if any(fnmatchcase(c, v) for v in variants for c in candidates if v):
            return True
    return False


def iter_files(
    root: Path, *, suffixes: tuple[str, ...] = NOTE_SUFFIXES, exclude: Iterable[str] = ()
) -> Iterator[Path]:
    """Note files under `root`, sorted, skipping hidden files/folders (`.obsidian/`) and globs."""
    patterns = list(exclude)
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not is_excluded(rel_dir + d, patterns)
        )
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(suffixes):
                continue
            if is_excluded(rel_dir + name, patterns):
                continue
            yield here / name


# --------------------------------------------------------------------------- reading


def _relpath(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _decode(data: bytes, truncated: bool, reasons: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(data) - 3:
            # The size limit cut a multi-byte character in half: drop the partial tail.
            try:
                return data[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
        reasons.append("invalid UTF-8: undecodable bytes replaced with U+FFFD")
        return data.decode("utf-8", errors="replace")


def _as_str(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float, _dt.date)):
        text = str(value).strip()
        return text[:_STR_CAP] if text else None
    return None


def _as_list(value: object, *, split: bool) -> list[str]:
    if isinstance(value, (list, tuple)):
        # `with: [[Dana Lee]]` without quotes is YAML for a nested list, and `- [[Dana Lee]]`
        # in a block list for a list in a list: flatten up to three levels.
        flat: list[object] = list(value[:_LIST_CAP])
        for _ in range(3):
            if not any(isinstance(v, (list, tuple)) for v in flat):
                break
            nested: list[object] = []
            for v in flat:
                nested.extend(v[:_LIST_CAP] if isinstance(v, (list, tuple)) else [v])
            flat = nested[: _LIST_CAP * 2]
        items = [_as_str(v) for v in flat[:_LIST_CAP]]
    else:
        one = _as_str(value)
        if one is None:
            return []
        items = re.split(r"[,;]", one) if split else [one]
    out: list[str] = []
    for item in items:
        if not item:
            continue
        item = _strip_wikilink(item.strip())
        if item and item not in out:
            out.append(item)
    return out[:_LIST_CAP]


def _strip_wikilink(text: str) -> str:
    m = _WIKILINK.fullmatch(text)
    if m:
        return (m.group(3) or m.group(1) or "").strip()
    return text


def _valid_date(text: str | None) -> str | None:
    if not text:
        return None
    head = text.strip()[:10]
    try:
        return _dt.date.fromisoformat(head).isoformat()
    except ValueError:
        return None


_YAMLISH = re.compile(r"^(\s|-(\s|$)|#|[^\s:][^:]*:(\s|$))")


def _looks_like_yaml(block: list[str]) -> bool:
    """A leading `---` may be a horizontal rule: only YAML-looking blocks are front matter."""
    sample = [line for line in block[:200] if line.strip()][:20]
    return bool(sample) and sum(bool(_YAMLISH.match(x)) for x in sample) >= 0.8 * len(sample)


def _parse_front_matter(lines: list[str], reasons: list[str]) -> tuple[dict[str, Any], int]:
    """(metadata, body_start). Malformed front matter is left in the body, with a reason."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    end = None
    chars = 0
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            end = i
            break
        chars += len(lines[i]) + 1
        if i > FRONT_MATTER_MAX_LINES or chars > FRONT_MATTER_MAX_CHARS:
            break
    if end is None:
        if chars > FRONT_MATTER_MAX_CHARS or len(lines) > FRONT_MATTER_MAX_LINES + 1:
            # Find where it ends, if anywhere, without parsing it.
            closing = next(
                (j for j in range(1, len(lines)) if lines[j].strip() in ("---", "...")), None
            )
            if closing is not None and _looks_like_yaml(lines[1:closing]):
                reasons.append(
                    f"front matter too large ({closing - 1} lines): ignored, not indexed"
                )
                return {}, closing + 1
        reasons.append("front matter is not closed by '---': read as text")
        return {}, 0
    block = "\n".join(lines[1:end])
    try:
        data = yaml.load(block, Loader=_FrontMatterLoader) if block.strip() else {}
    except Exception as exc:  # YAMLError, RecursionError, ValueError: never crash on a note
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reasons.append(f"malformed front matter ({first[:80]}): read as text")
        return {}, 0
    if data is None:
        data = {}
    if not isinstance(data, dict):
        reasons.append("front matter is not a key: value mapping: read as text")
        return {}, 0
    return data, end + 1


def _in_fence_flags(lines: list[str], start: int) -> list[bool]:
    """For each line from `start`: True if it is inside (or delimits) a fenced code block."""
    flags = [False] * len(lines)
    fence: str | None = None
    for i in range(start, len(lines)):
        m = _FENCE.match(lines[i])
        if fence is None:
            if m:
                fence = m.group(1)
                flags[i] = True
        else:
            flags[i] = True
            if (
                m
                and m.group(1)[0] == fence[0]
                and len(m.group(1)) >= len(fence)
                and not lines[i].strip()[len(m.group(1)) :].strip()
            ):
                fence = None
    return flags


def heading_of(line: str) -> tuple[int, str] | None:
    m = _HEADING.match(line)
    if not m:
        return None
    return len(m.group(1)), m.group(2).strip()


def person_of_path(relpath: str) -> str | None:
    """`People/Dana Lee/1-1 with Dana Lee.md` or `People/Dana Lee.md` -> `Dana Lee`."""
    parts = relpath.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.casefold() in PEOPLE_FOLDERS:
            name = parts[i + 1]
            if i + 1 == len(parts) - 1:  # a note directly in the people folder
                name = name.rsplit(".", 1)[0]
            name = " ".join(name.split())[:_STR_CAP]
            return name or None
    return None


def load_note(
    path: Path,
    root: Path,
    *,
    source: str = "notes",
    max_bytes: int = 2_000_000,
) -> Note | Skipped:
    """Load one file. Returns `Skipped` (with a reason) instead of raising."""
    path = Path(path)
    relpath = _relpath(path, root)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return Skipped(path, relpath, f"unreadable ({exc.strerror or type(exc).__name__})")
    if not data:
        return Skipped(path, relpath, "empty file")
    reasons: list[str] = []
    truncated = len(data) > max_bytes
    if truncated:
        data = data[:max_bytes]
        cut = data.rfind(b"\n", max(0, max_bytes - 65536))
        if cut > 0:
            data = data[: cut + 1]
        reasons.append(f"truncated at {len(data):,} bytes (file is {max(size, len(data)):,} bytes)")
    if b"\x00" in data:
        return Skipped(path, relpath, "binary file (contains NUL bytes)")
    digest = hashlib.sha256(data).hexdigest()
    text = _decode(data, truncated, reasons)
    text = text.replace("\r\n", "\n")
    if not text.strip():
        return Skipped(path, relpath, "empty file (only whitespace)")
    lines = text.split("\n")
    meta, body_start = _parse_front_matter(lines, reasons)
    if not any(line.strip() for line in lines[body_start:]):
        return Skipped(path, relpath, "no text after the front matter")

    fences = _in_fence_flags(lines, body_start)
    title = _as_str(meta.get("title"))
    if not title:
        for i in range(body_start, len(lines)):
            if fences[i]:
                continue
            h = heading_of(lines[i])
            if h and h[0] == 1 and h[1]:
                title = h[1][:_STR_CAP]
                break
    if not title:
        title = path.stem
    date = _valid_date(_as_str(meta.get("date")))
    if date is None:
        m = _DATE_IN_NAME.search(path.stem)
        date = _valid_date(m.group(1)) if m else None
    person: list[str] = []
    for key in PEOPLE_KEYS:
        for name in _as_list(meta.get(key), split=True):
            if name not in person:
                person.append(name)
    folder_person = person_of_path(relpath)
    if folder_person and folder_person not in person:
        person.append(folder_person)
    tags = [t.lstrip("#") for t in _as_list(meta.get("tags", meta.get("tag")), split=True)]
    tags = [t for t in tags if t]
    links: list[str] = []
    for i in range(body_start, len(lines)):
        if "[[" in lines[i]:
            for m in _WIKILINK.finditer(lines[i]):
                target = m.group(1).strip()
                if target and target not in links:
                    links.append(target)
    return Note(
        source=source,
        root=Path(root),
        path=path,
        relpath=relpath,
        size=size,
        digest=digest,
        lines=lines,
        body_start=body_start,
        title=title,
        date=date,
        person=person[:_LIST_CAP],
        tags=tags[:_LIST_CAP],
        links=links,
        reasons=reasons,
        truncated=truncated,
    )


# --------------------------------------------------------------------------- wikilinks


def _link_keys(target: str) -> list[str]:
    t = target.strip().replace("\\", "/").casefold()
    for suffix in NOTE_SUFFIXES:
        if t.endswith(suffix):
            t = t[: -len(suffix)]
            break
    return [t, t.rsplit("/", 1)[-1]]


def title_index(notes: Iterable[Note]) -> dict[str, str]:
    """Lookup table for wikilinks: note path without suffix, and file stem -> title."""
    titles: dict[str, str] = {}
    for note in notes:
        rel = note.relpath.casefold()
        for suffix in NOTE_SUFFIXES:
            if rel.endswith(suffix):
                rel = rel[: -len(suffix)]
                break
        titles[rel] = note.title
        titles.setdefault(rel.rsplit("/", 1)[-1], note.title)
    return titles


def link_title(target: str, titles: dict[str, str]) -> str:
    """The title a wikilink target resolves to (its own last segment if unknown)."""
    for k in _link_keys(target):
        if k in titles:
            return titles[k]
    stem = target.strip().replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in NOTE_SUFFIXES:
        if stem.lower().endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def resolve_links(line: str, titles: dict[str, str]) -> str:
    """Replace `[[target]]` by the target note's title and `[[target|alias]]` by the alias."""
    if "[[" not in line:
        return line

    def repl(m: re.Match[str]) -> str:
        alias = m.group(3)
        if alias and alias.strip():
            return alias.strip()
        target = m.group(1).strip()
        if not target:
            return (m.group(2) or "").lstrip("#").strip()
        return link_title(target, titles)

    return _WIKILINK.sub(repl, line)


def resolved_lines(note: Note, titles: dict[str, str]) -> list[str]:
    """All lines of the note (same numbering) with wikilinks resolved in the body."""
    lines = list(note.lines)
    for i in range(note.body_start, len(lines)):
        if "[[" in lines[i]:
            lines[i] = resolve_links(lines[i], titles)
    return lines


def link_signature(note: Note, titles: dict[str, str]) -> str:
    """What the note's wikilinks resolve to now (a change of a target's title re-indexes it)."""
    if not note.links:
        return ""
    resolved = "\x1f".join(f"{t}\x1e{link_title(t, titles)}" for t in note.links)
    return hashlib.sha256(resolved.encode("utf-8", "replace")).hexdigest()[:16]


# --------------------------------------------------------------------------- action items


def _name_key(name: str) -> str:
    return " ".join(name.strip().lstrip("@").casefold().split())


def is_me(name: str | None, me: Iterable[str] = DEFAULT_ME) -> bool:
    """True if `name` is one of the vault owner's names (case-insensitive)."""
    return bool(name and _name_key(name) in {_name_key(m) for m in me})


def _owner_name(raw: str, after: str, known: dict[str, str], me: Iterable[str]) -> str:
    """The name an `@Capitalised Run` means: the longest known person or alias it starts with
    (`@Dana Lee Monday` -> `Dana Lee`); else the whole run (up to three words) when it ends the
    text or a clause (`@Dana Lee 📅 ...`, `@Dana Lee: ...`); else its first word
    (`@Sam Send the deck` -> `Sam`)."""
    words = raw.split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        if _name_key(candidate) in known or is_me(candidate, me):
            return candidate
    rest = after.lstrip()
    if len(words) > 1 and (not rest or not (rest[0].isalnum() or rest[0] in "[(")):
        return " ".join(words[:3])
    return words[0]


class TaskFields(TypedDict):
    """What `parse_task` reads from one task line."""

    text: str
    owner: str | None
    mentions: list[str]
    due: str | None
    scheduled: str | None
    start: str | None
    priority: str | None
    tags: list[str]


Whose = Literal["you", "them"]


def parse_task(
    body: str, *, known: dict[str, str] | None = None, me: Iterable[str] = DEFAULT_ME
) -> TaskFields:
    """Obsidian Tasks fields of one task line's text: owner, other @people, dates, priority,
    tags, and the text without the plugin's emoji fields."""
    known = known or {}
    me = tuple(me)
    dates: dict[str, str] = {}
    for m in _TASK_DATE.finditer(body):
        iso = _valid_date(m.group(2))
        if iso:
            dates.setdefault(m.group(1), iso)
    priority = next((_PRIORITY[m.group(0)[0]] for m in _PRIORITY_RX.finditer(body)), None)
    tags: list[str] = []
    for m in _INLINE_TAG.finditer(body):
        if m.group(1) not in tags:
            tags.append(m.group(1))
    names: list[str] = []
    for m in _MENTION.finditer(body):
        name = (m.group(1) or "").strip() or _owner_name(m.group(2), body[m.end() :], known, me)
        if name and name not in names:
            names.append(name)
    text = _TASK_DATE.sub("", body)
    text = _TASK_RECUR.sub("", text)
    text = _PRIORITY_RX.sub("", text)
    text = _TRAILING_TAGS.sub("", text)
    text = " ".join(text.split()) or body.strip()
    return {
        "text": text,
        "owner": names[0] if names else None,
        "mentions": names[1:],
        "due": dates.get("📅"),
        "scheduled": dates.get("⏳"),
        "start": dates.get("🛫"),
        "priority": priority,
        "tags": tags[:_LIST_CAP],
    }


_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I'll|I've|I'd|I’ll|I’m)\b|\b(?:me|my|myself|mine)\b", re.I)


def implied_owner(
    text: str, people: Iterable[str], me: Iterable[str] = DEFAULT_ME
) -> tuple[Whose | None, str | None]:
    """(whose, owner) of a task line that names no `@owner`, read from its words: "Dana to send
    the deck" is Dana's; "I'll send the deck", "Ask my manager ..." and an imperative that
    names one of the note's people after its first word ("Send Dana the deck", "Review Dana's
    draft") are yours (you write your own to-dos that way); anything else is nobody's."""
    me = tuple(me)
    names = [p for p in people if p and not is_me(p, me)]
    words = text.split()
    if not words:
        return None, None
    for name in names:
        for form in dict.fromkeys([name, name.split()[0]]):
            n = len(form.split())
            head = " ".join(words[:n]).rstrip(":,")
            rest = words[n : n + 1]
            if head.casefold() == form.casefold() and (
                words[n - 1].endswith(":") or rest and rest[0].lower() in {"to", "will", "should"}
            ):
                return "them", name
    if _FIRST_PERSON.search(text.replace("’", "'")):
        return "you", None
    later = " ".join(words[1:])
    if any(re.search(rf"\b{re.escape(n.split()[0])}\b", later) for n in names):
        return "you", None
    return None, None


def people_lookup(names: Iterable[str]) -> dict[str, str]:
    """casefolded name -> the name as written, for trimming `@Full Name` runs."""
    out: dict[str, str] = {}
    for name in names:
        key = _name_key(name)
        if key:
            out.setdefault(key, name.strip())
    return out


def action_items(
    note: Note,
    lines: list[str] | None = None,
    *,
    me: Iterable[str] = DEFAULT_ME,
    known: dict[str, str] | None = None,
) -> list[ActionItem]:
    """Task lines (`- [ ]`, `* [x]`, `1. [/]`, any one-character status; outside code blocks)
    as `ActionItem`s with the Obsidian Tasks conventions read (owner, dates, priority, tags).

    `me` are the vault owner's names; `known` (from `people_lookup`) trims `@Full Name` runs.
    """
    lines = note.lines if lines is None else lines
    me = tuple(me)
    known = dict(known or {})
    for name in note.person:
        known.setdefault(_name_key(name), name)
    fences = _in_fence_flags(lines, note.body_start)
    items: list[ActionItem] = []
    note_people = [p for p in note.person if not is_me(p, me)]
    for i in range(note.body_start, len(lines)):
        line = lines[i]
        if "[" not in line or fences[i]:
            continue
        m = _TASK.match(line)
        if not m:
            continue
        status = m.group(1)
        fields = parse_task(m.group(2).strip(), known=known, me=me)
        owner = fields["owner"]
        whose: Whose | None = None if owner is None else ("you" if is_me(owner, me) else "them")
        if owner is None:
            whose, owner = implied_owner(fields["text"], note.person, me)
        # "them" always comes with the owner's name (parse_task, implied_owner).
        with_people = [owner] if whose == "them" and owner is not None else list(note_people)
        for name in fields["mentions"]:
            if not is_me(name, me) and name not in with_people:
                with_people.append(name)
        state = TASK_STATES.get(status, "other")
        items.append(
            ActionItem(
                text=fields["text"][:1000],
                done=state in CLOSED_STATES,
                person=", ".join(with_people)[:1000] or None,
                date=note.date,
                path=note.relpath,
                line=i + 1,
                status=status,
                state=state,
                owner=owner[:_STR_CAP] if owner else None,
                whose=whose,
                due=fields["due"],
                scheduled=fields["scheduled"],
                start=fields["start"],
                priority=fields["priority"],
                tags=fields["tags"],
            )
        )
    return items


def person_keys(people: list[str]) -> list[str]:
    """Lower-cased full names and their parts: `Dana Lee` -> dana lee, dana, lee (the keyword
    index stores these; `person_matches` compares them)."""
    keys: list[str] = []
    for name in people:
        n = " ".join(name.strip().lstrip("@").casefold().split())
        if not n:
            continue
        for k in (n, *n.split()):
            if k not in keys:
                keys.append(k)
    return keys


def person_matches(person: str | None, query: str) -> bool:
    """Case-insensitive: `dana` matches `Dana`, `Dana Lee`, `@dana`, and `Sam, Dana`."""
    q = person_keys([query])
    if not q or not person:
        return False
    for name in person.split(","):
        n = person_keys([name])
        # the query is the name or one of its parts, or the name is one of the query's parts
        if n and (q[0] in n or n[0] in q):
            return True
    return False
