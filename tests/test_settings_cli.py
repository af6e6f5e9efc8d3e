"""Settings, paths and the CLI shell: clear errors, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from companion import locations
from companion.cli import app
from companion.settings import SettingsError, load_settings, save_setting

runner = CliRunner()


def test_companion_home_moves_every_path(companion_home):
    for path in (locations.config_file(), locations.data_dir(), locations.cache_dir(),
                 locations.index_dir(), locations.sessions_db(), locations.models_dir()):
        assert str(path).startswith(str(companion_home))


def test_data_dir_is_user_only(companion_home):
    assert (locations.data_dir().stat().st_mode & 0o077) == 0


def test_defaults_env_and_file(companion_home, monkeypatch):
    s = load_settings()
    assert s.model == "qwen2.5-0.5b" and s.top_k == 4
    locations.config_file().parent.mkdir(parents=True, exist_ok=True)
    locations.config_file().write_text(
        'top_k = 6\n[[endpoints]]\nname = "ollama"\nbase_url = "http://127.0.0.1:11434/v1"\nmodel = "qwen2.5"\n'
    )
    s = load_settings()
    assert s.top_k == 6 and s.endpoint("ollama").model == "qwen2.5"
    monkeypatch.setenv("COMPANION_TOP_K", "3")  # the environment wins over the file
    assert load_settings().top_k == 3


def test_invalid_file_names_field_and_file(companion_home):
    locations.config_file().parent.mkdir(parents=True, exist_ok=True)
    locations.config_file().write_text("top_k = 999\n")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "top_k" in str(err.value) and str(locations.config_file()) in str(err.value)


def test_broken_toml_is_one_clear_error(companion_home):
    locations.config_file().parent.mkdir(parents=True, exist_ok=True)
    locations.config_file().write_text("top_k = = 3\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings()


def test_cli_invalid_settings_exit_2_without_traceback(companion_home):
    locations.config_file().parent.mkdir(parents=True, exist_ok=True)
    locations.config_file().write_text('model = 5\nunknown_field = "x"\n')
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 2
    assert "unknown_field" in result.output and "Traceback" not in result.output


def test_endpoint_names_unique(companion_home, monkeypatch):
    monkeypatch.setenv("COMPANION_ENDPOINTS", json.dumps([
        {"name": "a", "base_url": "http://127.0.0.1:1/v1", "model": "m"},
        {"name": "a", "base_url": "http://127.0.0.1:2/v1", "model": "m"},
    ]))
    with pytest.raises(SettingsError, match="unique"):
        load_settings()


def test_save_setting_keeps_other_keys(companion_home):
    locations.config_file().parent.mkdir(parents=True, exist_ok=True)
    locations.config_file().write_text("top_k = 5\n")
    save_setting("notes_dirs", ["/tmp/notes"])
    s = load_settings()
    assert s.top_k == 5 and [str(p) for p in s.notes_dirs] == ["/tmp/notes"]
    # The config file may hold endpoint keys: user-only, and no temporary file left behind.
    assert locations.config_file().stat().st_mode & 0o077 == 0
    assert [p.name for p in locations.config_file().parent.iterdir()] == ["config.toml"]


def test_help_imports_no_heavy_library():
    code = (
        "import sys, companion.cli\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(companion.cli.app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('llama_cpp', 'chromadb', 'langchain_core', 'langchain_openai', 'textual', 'onnxruntime', 'openai')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_models_lists_both_local_models(companion_home):
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    names = {r["name"] for r in rows}
    assert {"qwen2.5-0.5b", "smollm2-135m"} <= names
    assert next(r for r in rows if r["name"] == "qwen2.5-0.5b")["default"] is True
