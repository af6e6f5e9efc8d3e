"""Replay scenarios through the coaching session the UI uses, score them, and summarise the run.

Per scenario:

1. an isolated temporary index: a copy of the bundled corpus index (embedded ONCE per run
   into a template folder) plus the scenario's `notes` folder, synced into it; nothing from the
   user's own index or notes is visible;
2. a fresh `CoachingSession` in the scenario's mode, sharing the run's ONE provider (wrapped in
   the output cache) and ONE embedding model; socratic turns go through `respond`, agenda /
   JTBD / mentor scenarios through `run_structured(mode, inputs)` (then any follow-up turns
   through `respond`, as in the app);
3. every check scored from the replies, the structured output and what the knowledge base
   held (action items) and returned (passages) during the run.

`fallbacks` (per scenario) counts the coach replies whose text the run-time guard supplied
instead of the model: a Socratic question taken from the question bank after the model's
attempts failed the analyser, advice points taken from the passages, or, for an agenda / guide /
mentor output (which counts as one reply), at least one model-written question replaced by the
bank. `guard` gives the detail: `replies`, `fallback_replies` (= `fallbacks`), `regenerations`
(Socratic re-asks of the model after a rejected question) and `fallback_slots` (model-written
questions of structured outputs that the bank replaced).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from companion.evals.checks import REGISTRY
from companion.evals.evidence import output_probes
from companion.evals.scenario import Scenario
from companion.evals.scorers import (
    CheckResult,
    Evidence,
    Judge,
    RetrievedSpan,
    UnknownCheckError,
    score_scenario,
)

SUMMARY_SCHEMA = 1
# The runner always indexes the bundled corpus; tests may switch it off to save embedding time.
DEFAULT_INCLUDE_CORPUS = True

Callback = Callable[[Scenario, dict[str, Any] | None], None]


class RecordingKnowledge:
    """A `KnowledgeBase` proxy that remembers every passage and action item it hands out, so
    `cites_sources` can tell a retrieved citation from an invented one."""

    def __init__(self, kb):
        self._kb = kb
        self._lock = threading.Lock()
        self.retrieved: list[RetrievedSpan] = []

    def search(self, *args, **kwargs):
        found = self._kb.search(*args, **kwargs)
        with_person = bool(kwargs.get("person"))
        with self._lock:
            self.retrieved += [
                RetrievedSpan(p.path, p.line_start, p.line_end, p.text,
                              personal=with_person and p.source == "notes")
                for p in found
            ]
        return found

    def action_items(self, *args, **kwargs):
        items = self._kb.action_items(*args, **kwargs)
        with_person = bool(kwargs.get("person") or (args[0] if args else None))
        with self._lock:
            self.retrieved += [RetrievedSpan(a.path, a.line, a.line, a.text, personal=with_person)
                               for a in items]
        return items

    def __getattr__(self, name: str):
        return getattr(self._kb, name)


def structured_inputs(scenario: Scenario) -> dict[str, Any]:
    """The mode inputs as the coaching schemas take them (unset inputs keep their defaults)."""
    inputs = scenario.inputs.model_dump(exclude_none=True)
    if scenario.mode == "agenda":
        inputs.setdefault("on_mind", "")
    return inputs


def check_scorers(scenarios: list[Scenario]) -> None:
    """Fail before any generation when a scenario uses a check without a scorer."""
    for s in scenarios:
        for check in s.checks:
            if check.check not in REGISTRY:
                where = f"{s.path}: " if s.path else ""
                raise UnknownCheckError(f"{where}unknown check {check.check!r} in scenario {s.id}")


def _reply_record(reply, *, role: str, user: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"role": role}
    if user is not None:
        record["user"] = user
    record.update(
        text=reply.text,
        questions=list(reply.questions),
        socratic_types=list(reply.socratic_types),
        cited=[c.model_dump() for c in reply.cited],
        advice=reply.advice,
        fallback=reply.fallback,
        regenerated=reply.regenerated,
        latency_s=reply.latency_s,
        tokens=reply.tokens,
    )
    if reply.structured is not None:
        record["structured"] = reply.structured
    return record


def _not_scored(scenario: Scenario, why: str) -> list[CheckResult]:
    return [
        CheckResult(name=c.check, passed=False, score=0.0, label=c.label, detail=f"not scored: {why}")
        for c in scenario.checks
    ]


def scenario_passed(checks: list[CheckResult], error: str | None = None) -> bool:
    """Every check that was not skipped passed (and the scenario ran)."""
    return error is None and all(c.passed for c in checks if not c.skipped)


def _close_store(kb) -> None:
    store = getattr(kb, "_store", None)
    client = getattr(store, "_client", None)
    close = getattr(client, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):  # freeing is best effort
            close()


class SuiteRunner:
    """Runs scenarios with one provider, one embedder and one corpus index template."""

    def __init__(
        self,
        settings,
        *,
        provider,
        judge: Judge | None = None,
        include_corpus: bool | None = None,
        embedder=None,
        work_dir: str | Path | None = None,
    ):
        # Evals never touch a team's Chroma server: every scenario gets a private local index.
        self.settings = settings.model_copy(update={"chroma_url": None})
        self.provider = provider
        self.judge = judge
        self.include_corpus = DEFAULT_INCLUDE_CORPUS if include_corpus is None else include_corpus
        self._embedder = embedder
        self._own_work_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="companion-eval-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._template: Path | None = None
        self._template_lock = threading.Lock()
        self._index_lock = threading.Lock()  # chromadb's client registry is not thread-safe
        self.template_s = 0.0

    # -- indexes ---------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from companion.knowledge.embeddings import embedder_for

            self._embedder = embedder_for(self.settings)
        return self._embedder

    def corpus_template(self) -> Path | None:
        """The corpus, embedded once into a folder that each scenario copies."""
        if not self.include_corpus:
            return None
        with self._template_lock:
            if self._template is None:
                from companion.knowledge.index import KnowledgeBase

                started = time.monotonic()
                folder = self.work_dir / "corpus-template"
                with self._index_lock:
                    kb = KnowledgeBase(self.settings, index_dir=folder, notes_dirs=[],
                                       include_corpus=True, embedder=self.embedder)
                    try:
                        kb.sync()
                    finally:
                        _close_store(kb)  # flush and release before the folder is copied
                self._template = folder
                self.template_s = round(time.monotonic() - started, 3)
            return self._template

    def _knowledge(self, scenario: Scenario, folder: Path):
        from companion.knowledge.index import KnowledgeBase

        template = self.corpus_template()
        with self._index_lock:
            if template is not None:
                shutil.copytree(template, folder, ignore=shutil.ignore_patterns("sync.lock"))
            kb = KnowledgeBase(
                self.settings, index_dir=folder,
                notes_dirs=[scenario.notes] if scenario.notes else [],
                include_corpus=self.include_corpus, embedder=self.embedder,
            )
            kb.sync()
        return kb

    # -- one scenario ----------------------------------------------------------------------
    def run_scenario(self, scenario: Scenario) -> dict[str, Any]:
        from companion.coaching.session import CoachingSession

        entry: dict[str, Any] = {
            "id": scenario.id,
            "mode": scenario.mode,
            "description": scenario.description,
            "tags": list(scenario.tags),
            "path": _display(scenario.path),
        }
        replies: list = []
        output = None
        error: str | None = None
        checks: list[CheckResult] = []
        index_s = latency_s = 0.0
        folder = Path(tempfile.mkdtemp(prefix="scenario-", dir=self.work_dir))
        kb = None
        try:
            started = time.monotonic()
            kb = self._knowledge(scenario, folder / "index")
            index_s = time.monotonic() - started
            recorder = RecordingKnowledge(kb)
            session = CoachingSession(self.settings, provider=self.provider, knowledge=recorder,
                                      mode=scenario.mode)
            session.prepare()
            started = time.monotonic()
            if scenario.mode != "socratic":
                output = session.run_structured(scenario.mode, structured_inputs(scenario))
            for turn in scenario.turns:
                replies.append(session.respond(turn.user))
            latency_s = time.monotonic() - started
            evidence = Evidence(
                mode=scenario.mode,
                turns=[t.user for t in scenario.turns],
                replies=replies,
                output=output,
                duration_minutes=scenario.inputs.duration_minutes,
                inputs=scenario.inputs.model_dump(exclude_none=True),
                action_items=kb.action_items(person=None, open_only=False),
                retrieved=list(recorder.retrieved),
            )
            checks = score_scenario(scenario.checks, evidence, judge=self.judge)
        except UnknownCheckError:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not stop the run
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}"
            checks = _not_scored(scenario, "the scenario failed to run")
        finally:
            if kb is not None:
                _close_store(kb)
            shutil.rmtree(folder, ignore_errors=True)

        all_replies = ([output] if output is not None else []) + replies
        outputs = ([_reply_record(output, role="output")] if output is not None else []) + [
            _reply_record(r, role="reply", user=t.user) for r, t in zip(replies, scenario.turns, strict=False)
        ]
        socratic = [r for r in all_replies if r.structured is None]
        miti = miti_of([t.user for t in scenario.turns[: len(replies)]], [r.text for r in replies])
        entry.update(
            passed=scenario_passed(checks, error),
            error=error,
            checks=[c.to_dict() for c in checks],
            outputs=outputs,
            latency_s=round(latency_s, 3),
            index_s=round(index_s, 3),
            tokens=sum(r.tokens for r in all_replies),
            fallbacks=sum(bool(r.fallback) for r in all_replies),
            guard={
                "replies": len(all_replies),
                "fallback_replies": sum(bool(r.fallback) for r in all_replies),
                "regenerations": sum(int(r.regenerated) for r in socratic),
                "fallback_slots": sum(int(r.regenerated) for r in all_replies if r.structured is not None),
            },
        )
        if miti is not None:
            entry["miti"] = miti
        if output is not None and output.structured:
            origins = [o for _, o in output_probes(scenario.mode, output.structured)]
            entry["probes"] = {"total": len(origins), "bank": origins.count("bank"),
                               "model": origins.count("model"), "program": origins.count("program")}
        return entry

    # -- a suite ---------------------------------------------------------------------------
    def run(
        self,
        scenarios: list[Scenario],
        *,
        jobs: int = 1,
        on_start: Callback | None = None,
        on_done: Callback | None = None,
    ) -> list[dict[str, Any]]:
        """Entries in the scenarios' order; `jobs` > 1 runs scenarios in parallel threads (the
        embedded model still answers one call at a time, behind its lock)."""
        check_scorers(scenarios)
        if scenarios:
            self.corpus_template()

        def one(s: Scenario) -> dict[str, Any]:
            if on_start:
                on_start(s, None)
            entry = self.run_scenario(s)
            if on_done:
                on_done(s, entry)
            return entry

        if jobs <= 1 or len(scenarios) <= 1:
            return [one(s) for s in scenarios]
        results: dict[int, dict[str, Any]] = {}
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="eval")
        try:
            futures = {pool.submit(one, s): i for i, s in enumerate(scenarios)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return [results[i] for i in range(len(scenarios))]

    def close(self) -> None:
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


def _display(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------ summary


def _rate(passed: int, total: int) -> float | None:
    return round(passed / total, 4) if total else None


# MITI 4 (Moyers et al. 2016) summary metrics of the coach's replies, coded by
# `companion.coaching.miti` (the learned coder, not the guard's checks).
def miti_thresholds_text() -> str:
    """The thresholds the ratings use (`companion.coaching.miti.THRESHOLDS`), as one label."""
    from companion.coaching.miti import THRESHOLDS

    (rf, rg), (cf, cg), (of, og) = (THRESHOLDS[k] for k in ("rq_ratio", "pct_complex", "pct_open"))
    return (f"MITI 4 thresholds: R:Q fair {rf:g}:1, good {rg:g}:1; complex reflections fair {cf:.0%}, "
            f"good {cg:.0%}; open questions fair {of:.0%}, good {og:.0%}")


def _miti_code(codes: dict[str, int]) -> Any:
    from companion.coaching.miti import CodedUtterance, SessionCode

    return SessionCode([CodedUtterance(0, "", c) for c, n in sorted(codes.items()) for _ in range(int(n))])  # type: ignore[arg-type]


def _miti_record(codes: dict[str, int]) -> dict[str, Any]:
    session = _miti_code(codes)
    return {"codes": dict(sorted(codes.items())), **session.summary(),
            "display": session.display().removeprefix("this session: ")}


def miti_of(users: list[str], replies: list[str]) -> dict[str, Any] | None:
    """The MITI summary of one run's replies to its user turns (None: no reply, or the coder failed)."""
    if not replies:
        return None
    try:
        from companion.coaching.miti import code_replies

        session = code_replies(users, replies)
    except Exception:  # noqa: BLE001 - the coding is a report, it must not fail a run
        return None
    codes: dict[str, int] = {}
    for u in session.utterances:
        codes[u.code] = codes.get(u.code, 0) + 1
    return _miti_record(codes)


def summarise(entries: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    """`{"model", "pass_rate", "scenarios", ...}` plus per-mode and per-check rates."""
    total = len(entries)
    passed = sum(bool(e["passed"]) for e in entries)
    by_mode: dict[str, dict[str, Any]] = {}
    for e in entries:
        m = by_mode.setdefault(e["mode"], {"scenarios": 0, "passed": 0, "replies": 0, "fallbacks": 0,
                                           "regenerations": 0, "fallback_slots": 0,
                                           "latency_s": 0.0, "tokens": 0})
        m["scenarios"] += 1
        m["passed"] += bool(e["passed"])
        guard = e.get("guard", {})
        m["replies"] += guard.get("replies", 0)
        m["fallbacks"] += e.get("fallbacks", 0)
        m["regenerations"] += guard.get("regenerations", 0)
        m["fallback_slots"] += guard.get("fallback_slots", 0)
        m["latency_s"] = round(m["latency_s"] + e.get("latency_s", 0.0), 3)
        m["tokens"] += e.get("tokens", 0)
        if e.get("probes"):
            m["probes"] = m.get("probes", 0) + e["probes"]["total"]
            for origin in ("bank", "model", "program"):
                key = f"{origin}_probes"
                m[key] = m.get(key, 0) + e["probes"].get(origin, 0)
        for code, n in ((e.get("miti") or {}).get("codes") or {}).items():
            codes = m.setdefault("_miti_codes", {})
            codes[code] = codes.get(code, 0) + n
    for m in by_mode.values():
        m["pass_rate"] = _rate(m["passed"], m["scenarios"])
        m["fallback_share"] = _rate(m["fallbacks"], m["replies"])
        if m.get("probes"):
            # Who wrote the questions the model was asked for: the bank share the issue sets a
            # ceiling on, and the model's own share beside it (the program composes the rest).
            m["probe_bank_share"] = _rate(m["bank_probes"], m["probes"])
            m["probe_model_share"] = _rate(m["model_probes"], m["probes"])
        codes = m.pop("_miti_codes", None)
        m["miti"] = _miti_record(codes) if codes else None
    by_check: dict[str, dict[str, Any]] = {}
    for e in entries:
        for c in e["checks"]:
            s = by_check.setdefault(c["name"], {"runs": 0, "passed": 0, "failed": 0, "skipped": 0})
            s["runs"] += 1
            if c.get("skipped"):
                s["skipped"] += 1
            elif c["passed"]:
                s["passed"] += 1
            else:
                s["failed"] += 1
    for s in by_check.values():
        s["pass_rate"] = _rate(s["passed"], s["passed"] + s["failed"])
    replies = sum(m["replies"] for m in by_mode.values())
    fallbacks = sum(m["fallbacks"] for m in by_mode.values())
    summary: dict[str, Any] = {"schema": SUMMARY_SCHEMA}
    summary.update(meta)
    summary.update(
        pass_rate=_rate(passed, total),
        passed=passed,
        total=total,
        errors=sum(1 for e in entries if e.get("error")),
        skipped_checks=sum(s["skipped"] for s in by_check.values()),
        fallback_share=_rate(fallbacks, replies),
        miti_thresholds=miti_thresholds_text(),
        by_mode=dict(sorted(by_mode.items(), key=lambda kv: _mode_order().get(kv[0], 99))),
        by_check=dict(sorted(by_check.items())),
        scenarios=entries,
    )
    return summary


def _mode_order() -> dict[str, int]:
    from companion.coaching.modes import mode_names

    return {name: i for i, name in enumerate(mode_names())}


def run_suite(
    scenarios: list[Scenario],
    settings,
    *,
    model: str | None = None,
    judge: str | None = None,
    jobs: int = 1,
    use_cache: bool = True,
    provider=None,
    judge_provider=None,
    include_corpus: bool | None = None,
    on_start: Callback | None = None,
    on_done: Callback | None = None,
    tag: list[str] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Run `scenarios` and return the summary (see `summarise`). `provider` / `judge_provider`
    replace the configured models (tests pass a scripted one); both get the output cache."""
    from companion import __version__, locations
    from companion.evals.cache import CachingProvider

    model = model or settings.model
    judge = judge or getattr(settings, "judge", None)
    cache_dir = Path(cache_dir or locations.eval_cache_dir())
    if provider is None:
        from companion.llm import get_provider

        provider = get_provider(settings, model)
    cached = CachingProvider(provider, cache_dir, read=use_cache)
    judge_obj: Judge | None = None
    judge_cached = None
    if judge_provider is not None or judge:
        if judge_provider is None and judge == model:
            judge_cached = cached
        else:
            if judge_provider is None:
                from companion.llm import get_provider

                judge_provider = get_provider(settings, judge)
            judge_cached = CachingProvider(judge_provider, cache_dir, read=use_cache)
        judge_obj = Judge(judge_cached)
    calibration = None
    if judge_obj is not None:
        from companion.evals.calibration import calibrate_judge

        # Before any scenario: a judge that disagrees with the gold replies may not gate.
        calibration = calibrate_judge(judge_obj.rate).summary()
        judge_obj.gates = bool(calibration["gates"])
        judge_obj.calibration = str(calibration["display"])

    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    started = time.monotonic()
    runner = SuiteRunner(settings.model_copy(update={"model": model}), provider=cached, judge=judge_obj,
                         include_corpus=include_corpus)
    try:
        entries = runner.run(scenarios, jobs=jobs, on_start=on_start, on_done=on_done)
    finally:
        runner.close()
    cache_stats = cached.stats()
    if judge_cached is not None and judge_cached is not cached:
        cache_stats["judge"] = judge_cached.stats()
    return summarise(
        entries,
        model=cached.name,
        judge=judge_obj.name if judge_obj else None,
        judge_calibration=calibration,
        started=started_at.isoformat(),
        wall_s=round(time.monotonic() - started, 2),
        corpus_index_s=runner.template_s,
        jobs=jobs,
        tags=list(tag or []),
        cache=cache_stats,
        settings={"temperature": settings.temperature, "seed": settings.seed, "top_k": settings.top_k,
                  "context_tokens": settings.context_tokens, "threads": settings.threads},
        environment={"companion": __version__, "python": platform.python_version(),
                     "platform": platform.platform(terse=True), "cpus": _cpus()},
    )


def _cpus() -> int | None:
    import os

    return os.cpu_count()
