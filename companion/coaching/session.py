"""The coaching session the UI, `companion ask` and the eval runner all use."""

from __future__ import annotations

import datetime as dt
import itertools
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from companion.coaching import socratic
from companion.coaching.events import Done, Event, Status, Token
from companion.coaching.listening.state import ConversationState
from companion.coaching.miti import SessionCode, code_session, code_turn
from companion.coaching.modes import get_mode, mode_names
from companion.coaching.rules import analyse
from companion.coaching.schemas import Reply, SourceRef
from companion.errors import CompanionError
from companion.fileutil import front_matter, unique_path
from companion.llm.base import Provider

if TYPE_CHECKING:
    from pydantic import BaseModel

    from companion.knowledge.models import Knowledge, Passage
    from companion.settings import Settings

__all__ = ["CoachingSession", "Done", "Event", "Status", "Token", "commit_action", "save_note"]


def _ref(p: Passage) -> SourceRef:
    return SourceRef(label=p.label, path=p.path, line_start=p.line_start, line_end=p.line_end)


class CoachingSession:
    """Mode, turn history, retrieval, the provider, and the guard around every reply."""

    def __init__(
        self,
        settings: Settings,
        *,
        provider: Provider | None = None,
        knowledge: Knowledge | None = None,
        mode: str = "socratic",
        include_notes: bool = True,
    ):
        get_mode(mode)  # an unknown mode fails here, naming the known ones
        self.settings = settings
        self.provider = provider
        self.knowledge = knowledge
        self.mode: str = mode
        self.include_notes = include_notes
        self.history: list[dict[str, str]] = []
        self.covered: list[str] = []
        self.asked: list[str] = []
        self.knowledge_error: str | None = None
        self.state = ConversationState()
        """What the listening layer read from the PM's messages so far (the coverage panel)."""
        self.offered_advice = False
        self.miti: SessionCode | None = SessionCode()
        """MITI 4 coding of the coach's replies so far (shown in the coverage panel)."""
        self._prepared = False
        self._prepare_lock = threading.Lock()

    # -- set-up -----------------------------------------------------------------------------

    def prepare(self, progress: Callable[[str], None] | None = None) -> None:
        """Load the model and the index (slow: the app calls this in a worker)."""
        with self._prepare_lock:
            if self._prepared:
                return
            say = progress or (lambda _text: None)
            with ThreadPoolExecutor(max_workers=2) as pool:
                model_job = pool.submit(self._prepare_model)
                index_job = pool.submit(self._prepare_index, say)
                model_job.result()  # model errors are fatal: nothing can answer
                index_job.result()
            self._prepared = True

    def _prepare_model(self) -> None:
        if self.provider is None:
            from companion.llm import get_provider

            self.provider = get_provider(self.settings)
        prepare = getattr(self.provider, "prepare", None)
        if prepare:
            prepare()

    def _prepare_index(self, say: Callable[[str], None]) -> None:
        try:
            if self.knowledge is None:
                from companion.knowledge.index import KnowledgeBase

                self.knowledge = KnowledgeBase(self.settings)
                say("indexing the bundled articles…")
                self.knowledge.ensure_corpus()
        except Exception as exc:  # noqa: BLE001 - the coach still works without retrieval
            self.knowledge_error = (
                f"the index is unavailable ({exc}); replies will not cite sources"
            )
            self.knowledge = None
            say(self.knowledge_error)

    @property
    def model_name(self) -> str:
        return self.provider.name if self.provider else self.settings.model

    @property
    def model_where(self) -> str:
        if self.provider:
            return self.provider.where
        endpoint = self.settings.endpoint(self.settings.model)  # a plain lookup
        return "local" if endpoint is None else endpoint.base_url

    @property
    def tier(self) -> str:
        """The capability tier of the current model (`tiny`, `small`, `large`)."""
        from companion.coaching.listening.tiers import tier_for

        return tier_for(self.model_name, self.settings)

    @property
    def covered_types(self) -> set[str]:
        return set(self.covered)

    def index_status(self) -> dict[str, Any] | None:
        if self.knowledge is None:
            return None
        try:
            return self.knowledge.status().model_dump()
        except Exception:  # noqa: BLE001
            return None

    def load_history(self, turns: list[dict[str, str]]) -> None:
        """Resume a saved conversation (and the Socratic types it covered)."""
        self.history = [dict(t) for t in turns]
        self.covered, self.asked = [], []
        self.miti = None  # coded again on the next reply, in the worker (the coder loads ~2 s)
        if self.mode == "socratic":
            from companion.coaching.listening.state import replay

            self.state = replay([t["content"] for t in self.history if t.get("role") == "user"])
        for turn in self.history:
            if turn.get("role") == "assistant":
                for q in _bold_questions(turn.get("content", "")):
                    self.asked.append(q)
                    t = analyse(q).socratic_type
                    if t and t != "other":
                        self.covered.append(t)

    # -- retrieval --------------------------------------------------------------------------

    def retrieve(self, query: str, k: int | None = None, **filters: Any) -> list[Passage]:
        if self.knowledge is None:
            return []
        if not self.include_notes:
            filters.setdefault("source", "corpus")
        try:
            return self.knowledge.search(query, k or self.settings.top_k, **filters)
        except Exception as exc:  # noqa: BLE001 - a broken index degrades, it does not stop the coach
            self.knowledge_error = f"search failed ({exc}); try `companion index rebuild`"
            return []

    def _history_block(self) -> str:
        budget = self.settings.history_tokens
        if not self.history or budget <= 0:
            return ""
        count = self.provider.count_tokens if self.provider else (lambda t: len(t) // 4)
        lines: list[str] = []
        used = 0
        for turn in reversed(self.history[-8:]):
            who = "They said" if turn["role"] == "user" else "You asked"
            text = (
                turn["content"]
                if turn["role"] == "user"
                else " ".join(_bold_questions(turn["content"])) or turn["content"]
            )
            line = f"{who}: {' '.join(text.split())[:300]}"
            cost = count(line)
            if used + cost > budget:
                break
            lines.insert(0, line)
            used += cost
        return ("Earlier in this conversation:\n" + "\n".join(lines) + "\n") if lines else ""

    # -- a chat turn ------------------------------------------------------------------------

    def send(self, text: str, cancel: threading.Event | None = None) -> Iterator[Event]:
        """One turn in the current mode: status lines, reply pieces, then the checked reply."""
        from companion.llm.keys import redact

        # A key pasted by mistake goes to no model (nor into the history).
        text = redact(text.strip(), *(e.api_key for e in self.settings.endpoints if e.api_key))
        if not text:
            raise CompanionError("nothing to answer: the message is empty")
        if text.startswith("/mode"):
            yield Done(self._switch_mode(text))
            return
        if not self._prepared:
            yield Status("loading the model and the index…")
            self.prepare()
        spec = get_mode(self.mode)
        if not spec.structured:
            yield from self._socratic_turn(text, cancel)
        elif spec.from_text is None:
            raise CompanionError(f"{spec.label} needs its form: use `companion {spec.command}`")
        else:
            yield Status(f"building the {self.mode} result…")
            reply = None
            for event in self.stream_structured(self.mode, spec.from_text(text), cancel):
                if isinstance(event, Done):
                    reply = event.reply
                else:
                    yield event
            assert reply is not None
            self._remember(text, reply)
            yield Done(reply)

    def respond(self, text: str) -> Reply:
        """The final reply of a turn (for callers that do not stream)."""
        reply = None
        for event in self.send(text):
            if isinstance(event, Done):
                reply = event.reply
        assert reply is not None
        return reply

    def _switch_mode(self, text: str) -> Reply:
        wanted = text.split(maxsplit=1)[1].strip().lower() if len(text.split()) > 1 else ""
        if wanted not in mode_names():
            return Reply(
                mode=self.mode, text=f"Modes: {', '.join(mode_names())}. Type `/mode NAME`."
            )
        self.mode = wanted
        return Reply(mode=self.mode, text=f"Switched to {wanted} mode.")

    def _socratic_turn(self, text: str, cancel: threading.Event | None) -> Iterator[Event]:
        yield from socratic.socratic_turn(self, text, cancel)

    def _cancelled(self, partial: str, passages: list[Passage], started: float) -> Reply:
        reply = Reply(
            mode=self.mode,
            text=(partial + "\n\n*(reply cancelled)*").strip(),
            cancelled=True,
            sources=[_ref(p) for p in passages],
            latency_s=round(time.monotonic() - started, 3),
            model=self.model_name,
        )
        return reply

    def _remember(self, text: str, reply: Reply) -> None:
        if reply.listening is not None:
            previous = next((t["content"] for t in reversed(self.history)
                             if t.get("role") == "assistant"), "")
            # MITI 4 coding of the conversation so far, by the learned analyser (the evals'
            # coder, not the guard's rules), one reply at a time: "this session: R:Q 1.2, ...".
            if self.miti is None:  # a resumed conversation: code what came before once
                pairs = [(u["content"], c["content"])
                         for u, c in itertools.pairwise(self.history)
                         if u.get("role") == "user" and c.get("role") == "assistant"]
                self.miti = code_session(pairs)
            turn = len(self.history) // 2
            self.miti.utterances += code_turn(turn, text, reply.text, previous_coach=previous)
            reply.listening["miti"] = self.miti.display()
            reply.listening["miti_summary"] = self.miti.summary()
        self.history.append({"role": "user", "content": text})
        self.history.append({"role": "assistant", "content": reply.text})

    def _count(self, text: str) -> int:
        try:
            return self.provider.count_tokens(text) if self.provider else len(text) // 4
        except Exception:  # noqa: BLE001
            return len(text) // 4

    # -- structured modes -------------------------------------------------------------------

    def stream_structured(
        self, mode: str, inputs: BaseModel | dict[str, Any], cancel: threading.Event | None = None
    ) -> Iterator[Event]:
        """`run_structured` in a worker thread: each section as a `Token` when it is built,
        then `Done` (the final text replaces what was streamed). When `cancel` is set the
        sections so far end the turn as a cancelled reply; the build finishes unseen."""
        started = time.monotonic()
        parts: queue.Queue[str | None] = queue.Queue()
        outcome: list[Reply | BaseException] = []

        def work() -> None:
            try:
                outcome.append(self.run_structured(mode, inputs, on_part=parts.put))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                outcome.append(exc)
            finally:
                parts.put(None)

        worker = threading.Thread(target=work, name=f"build-{mode}", daemon=True)
        worker.start()
        streamed: list[str] = []
        while True:
            try:
                part = parts.get(timeout=0.2)
            except queue.Empty:
                if cancel is not None and cancel.is_set():
                    yield Done(self._cancelled("".join(streamed), [], started))
                    return
                continue
            if part is None:
                break
            streamed.append(part)
            yield Token(part)
        worker.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        yield Done(outcome[0])

    def run_structured(
        self,
        mode: str,
        inputs: BaseModel | dict[str, Any],
        on_part: Callable[[str], None] | None = None,
    ) -> Reply:
        """An agenda, interview guide or mentor prompts, as a checked, rendered reply;
        `on_part` receives each section's Markdown as it is built."""
        spec = get_mode(mode)
        if spec.build is None or spec.inputs is None:
            raise CompanionError(f"mode {mode!r} has no structured result")
        if not self._prepared:
            self.prepare()
        started = time.monotonic()
        built = spec.build(
            spec.inputs.model_validate(inputs),
            provider=self.provider,
            knowledge=self.knowledge,
            temperature=self.settings.temperature,
            tier=self.tier,
            on_part=on_part,
        )
        result, fallbacks = built.result, built.fallbacks
        questions = spec.questions(result.model_dump(mode="json"))
        text = result.to_markdown()
        return Reply(
            mode=mode,
            text=text,
            questions=questions,
            socratic_types=sorted({t for q in questions if (t := analyse(q).socratic_type)}),
            sources=list(result.sources),
            cited=list(result.sources),
            fallback=fallbacks > 0,
            regenerated=fallbacks,
            structured=result.model_dump(mode="json"),
            latency_s=round(time.monotonic() - started, 3),
            tokens=self._count(text),
            model=self.model_name,
        )

    # -- notes ------------------------------------------------------------------------------

    def notes_folder(self) -> Path:
        from companion import locations

        if self.settings.notes_dirs:
            return Path(self.settings.notes_dirs[0]).expanduser()
        return locations.data_dir() / "notes"

    def save_to_notes(self, reply: Reply) -> Path:
        """Write a structured result into the notes folder as a dated Markdown note."""
        return save_note(self.notes_folder(), reply)

    def read_source(self, ref: SourceRef) -> str:
        from companion import locations

        roots = [locations.corpus_dir(), *(Path(d).expanduser() for d in self.settings.notes_dirs)]
        if self.knowledge is not None:
            roots += list(getattr(self.knowledge, "notes_dirs", []))
        for root in roots:
            path = (Path(root) / ref.path).resolve()
            if path.is_file() and Path(root).resolve() in path.parents:
                return path.read_text("utf-8", errors="replace")
        raise CompanionError(f"cannot find {ref.path} in the corpus or your notes folders")


def _bold_questions(text: str) -> list[str]:
    return [q.strip() for q in re.findall(r"\*\*([^*]+\?)\*\*", text)]


def _sources_footer(cited: list[SourceRef]) -> str:
    if not cited:
        return ""
    refs = "; ".join(f"[{i}] {c.cite()}" for i, c in enumerate(cited, 1))
    return f"\n\n*Drawing on:* {refs}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "note"


def save_note(folder: Path, reply: Reply, *, today: dt.date | None = None) -> Path:
    """A new note `YYYY-MM-DD-<mode>-<who>.md` (never overwriting one that exists)."""
    folder.mkdir(parents=True, exist_ok=True)
    day = (today or dt.date.today()).isoformat()
    data = reply.structured or {}
    who = data.get("person") or data.get("mentee") or data.get("product") or ""
    meta: dict[str, object] = {"date": dt.date.fromisoformat(day), "tags": [reply.mode, "companion"]}
    if data.get("person"):
        meta["person"] = str(data["person"])
    base = f"{day}-{reply.mode}" + (f"-{_slug(who)}" if who else "")
    path = unique_path(folder, base, ".md")
    path.write_text(front_matter(meta) + "\n" + reply.text, "utf-8")
    return path


def commit_action(folder: Path, person: str, text: str, *, today: dt.date | None = None) -> Path:
    """Write an agreed commitment back as a `- [ ]` line in today's agenda note with `person`."""
    day = (today or dt.date.today()).isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day}-agenda-{_slug(person)}.md"
    line = f"- [ ] {' '.join(text.split())}"
    if not path.exists():
        path.write_text(
            front_matter(
                {"date": dt.date.fromisoformat(day), "person": person, "tags": ["agenda", "companion"]}
            )
            + f"\n# 1:1 with {' '.join(person.split())}\n\n## Next steps\n\n{line}\n",
            "utf-8",
        )
        return path
    content = path.read_text("utf-8")
    if "## Next steps" not in content:
        content = content.rstrip() + "\n\n## Next steps\n"
    head, _, tail = content.partition("## Next steps")
    lines = tail.split("\n")
    # Insert after the last list line of the Next steps section.
    insert_at = 1
    for i, existing in enumerate(lines[1:], 1):
        if existing.startswith("## "):
            break
        if existing.strip():
            insert_at = i + 1
    lines.insert(insert_at, line)
    path.write_text(head + "## Next steps" + "\n".join(lines).rstrip() + "\n", "utf-8")
    return path
