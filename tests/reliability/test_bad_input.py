"""Hostile notes, settings, scenario files and CLI arguments: refused or skipped with a reason."""

from __future__ import annotations

import itertools
import json
import string

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knowledge.kb_helpers import assert_consistent, planned_ids
from typer.testing import CliRunner

from companion import locations
from companion.cli import app
from companion.coaching.modes import mode_names
from companion.evals.scenario import ScenarioError, load_scenarios
from companion.knowledge.embeddings import shared_minilm
from companion.knowledge.index import KnowledgeBase
from companion.settings import Settings, SettingsError, load_settings

GOOD = "# Hiring loop\n\nDana wants a structured interview loop for the senior PM role.\n"
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_count = itertools.count()


def _hostile_vault(root):
    root.mkdir()
    files = {
        "random.md": bytes((i * 7919 + 13) % 256 for i in range(4096)),
        "invalid-utf8.md": b"# Caf\xe9\n\nNotes \xff\xfe about the r\xe9sum\xe9 review.\n",
        "nul.md": b"# Notes\n\nhidden \x00 binary\n",
        "huge.md": b"# Huge\n\n" + b"the same planning sentence again and again. " * 1_200_000,
        "front-matter-10k.md": ("---\n" + "".join(f"key{i}: value {i}\n" for i in range(10_000))
                                + "---\n\nBody after an enormous front matter block.\n").encode(),
        "nested-list.md": ("# Nested\n\n" + "".join("  " * i + f"- level {i}\n" for i in range(300))
                           ).encode(),
        "nested-yaml.md": ("---\ntags: " + "[" * 5000 + "]" * 5000 + "\n---\n\nDeep YAML.\n").encode(),
        "good.md": GOOD.encode(),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return files


def test_a_vault_of_hostile_files_is_ingested_with_a_reason_for_each(cli, tmp_path):
    vault = tmp_path / "vault"
    files = _hostile_vault(vault)
    assert len(files["huge.md"]) > 50_000_000
    write = cli.home / "config" / "config.toml"
    write.parent.mkdir(parents=True, exist_ok=True)
    write.write_text(f'notes_dirs = ["{vault}"]\nmax_note_bytes = 20000\n', "utf-8")
    proc = cli.run("ingest", timeout=180)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "skipped nul.md: binary file" in out
    assert "partly indexed invalid-utf8.md: invalid UTF-8" in out
    assert "partly indexed huge.md: truncated at" in out
    line = next(x for x in out.splitlines() if "front-matter-10k.md:" in x)
    assert "partly indexed" in line and "front matter" in line
    assert "partly indexed nested-yaml.md: malformed front matter" in out
    for name in files:  # every file is accounted for, by name
        assert name in out or name in ("good.md", "nested-list.md"), name
    found = json.loads(cli.run("search", "structured interview loop", "--source", "notes",
                               "--json", "--k", "1").stdout)
    assert found[0]["path"] == "good.md"
    kb = KnowledgeBase(load_settings(), embedder=shared_minilm(2))
    assert assert_consistent(kb) == planned_ids(kb)


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(blobs=st.lists(st.binary(min_size=0, max_size=1500), min_size=1, max_size=3))
def test_random_files_never_disturb_the_rest_of_the_index(tmp_path, blobs):
    root = tmp_path / f"vault{next(_count)}"
    root.mkdir()
    (root / "good.md").write_text(GOOD, "utf-8")
    for n, blob in enumerate(blobs):
        (root / f"blob{n}.md").write_bytes(blob)
    kb = KnowledgeBase(load_settings(), index_dir=root.with_name(root.name + "-index"),
                       notes_dirs=[root], include_corpus=False, embedder=shared_minilm(2))
    report = kb.sync()
    names = set(report.added) | {p.rsplit("/", 1)[-1] for p, _ in report.skipped}
    assert names >= {"good.md", *(f"blob{n}.md" for n in range(len(blobs)))}
    assert all(reason for _, reason in report.skipped + report.truncated)
    assert kb.search("structured interview loop", 1)[0].path == "good.md"
    assert assert_consistent(kb) == planned_ids(kb)


_FIELDS = [*Settings.model_fields, "endpoints", "keys", "unknown_field"]
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**9) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(string.ascii_lowercase,
                                                                          max_size=8), inner,
                                                                  max_size=3),
    max_leaves=8,
)


def _toml(data: dict) -> str:
    def clean(v):  # TOML has no null
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [clean(x) for x in v if x is not None]
        return v
    try:
        return tomli_w.dumps(clean(data))
    except (TypeError, ValueError):
        return "bad = [\n"


@FUZZ
@given(config=st.one_of(
    st.dictionaries(st.sampled_from(_FIELDS), _values, max_size=4).map(_toml),
    st.text(max_size=200),
    st.binary(max_size=200),
))
def test_any_config_file_loads_or_is_one_line_naming_the_file(config):
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(config, bytes):
        path.write_bytes(config)
    else:
        path.write_text(config, "utf-8", errors="surrogatepass")
    try:
        load_settings()
    except SettingsError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc) or "environment" in str(exc)
    result = CliRunner().invoke(app, ["models", "--json"])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


_SCENARIO_KEYS = ["id", "mode", "description", "notes", "tags", "inputs", "turns", "checks", "x"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.dictionaries(st.sampled_from(_SCENARIO_KEYS), _values, max_size=6).map(
        lambda d: json.dumps(d, default=str)),  # JSON is YAML
    st.text(max_size=300),
))
def test_any_scenario_file_is_refused_with_file_and_line(tmp_path_factory, body):
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "fuzz.yaml").write_text(body, "utf-8", errors="surrogatepass")
    try:
        load_scenarios(folder)
    except ScenarioError as exc:
        assert exc.problems and all("fuzz.yaml:" in p or "scenario" in p for p in exc.problems)
    # A file that happens to be valid stops at the unknown model, before any generation.
    result = CliRunner().invoke(app, ["eval", "run", "--scenarios", str(folder), "--model", "nope",
                                      "--out", str(folder / "run")])
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = [x for x in result.output.splitlines() if x.startswith("companion:")]
    assert "fuzz.yaml" in line or "unknown model" in line or "no scenarios" in line


_text = st.text(max_size=40)
_commands = [c.name for c in app.registered_commands] + ["index", "eval"]
_argv = st.one_of(
    st.tuples(st.just("ask"), _text, st.just("--mode"),
              _text.filter(lambda m: m not in mode_names())).map(list),
    st.tuples(st.just("ask"), st.text(" \t\n", max_size=5)).map(list),
    st.tuples(st.just("agenda"), st.just("--person"), _text, st.just("--minutes"),
              st.integers().filter(lambda m: not 10 <= m <= 120).map(str)).map(list),
    st.tuples(st.just("search"), _text, st.just("--source"),
              _text.filter(lambda s: s not in ("corpus", "notes"))).map(list),
    st.tuples(st.just("search"), _text, st.just("--k"),
              st.integers().filter(lambda k: not 1 <= k <= 50).map(str)).map(list),
    st.tuples(st.just("eval"), st.just("run"), st.just("--scenarios"),
              st.text(string.ascii_letters, min_size=1, max_size=12).map(lambda s: f"/nonexistent/{s}")
              ).map(list),
    st.lists(_text.filter(lambda w: w not in _commands and not w.startswith("-")),
             min_size=1, max_size=3),
)


@FUZZ
@given(argv=_argv)
def test_bad_cli_arguments_are_refused_with_one_line(argv):
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, (argv, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), argv
    assert "Traceback" not in result.output


def test_bad_arguments_in_a_real_process_exit_2_without_traceback(cli):
    for argv in (["ask", "hello", "--mode", "rm -rf"], ["search", "x", "--k", "0"],
                 ["agenda", "--person", "Dana", "--minutes", "1000"], ["no-such-command"]):
        proc = cli.run(*argv)
        assert proc.returncode == 2, (argv, proc.stderr)
        assert proc.stderr.strip(), argv


pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
