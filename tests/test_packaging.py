"""A built wheel is complete: prompts and the library ship inside it and are found there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from companion import locations

ROOT = locations.PROJECT_DIR


def test_every_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "companion").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert {"companion.prompts", "companion.corpus"} <= listed


def test_shipped_data_resolves_in_the_checkout():
    assert (locations.prompts_dir() / "socratic-question.md").is_file()
    assert (locations.corpus_dir() / "question-bank.yaml").is_file()
    assert locations.prompts_dir() == ROOT / "prompts"


def _no_network_prefix() -> list[str]:
    # As root, `unshare -n` gives the command no network at all: proof that it runs offline.
    unshare = shutil.which("unshare")
    if unshare and os.geteuid() == 0:
        probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            return [unshare, "-n"]
    return []


@pytest.mark.model
def test_wheel_installs_and_runs_offline_outside_the_checkout(tmp_path, share_models, companion_home):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(ROOT)], capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(dist.glob("companion-*.whl"))

    # A fresh venv that reuses this one's installed dependencies (llama-cpp-python included,
    # no recompile, no download) but not its editable `companion`.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--target", site, str(wheel)], capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = os.environ | {"COMPANION_HOME": str(companion_home), "PYTHONPATH": ""}
    where = subprocess.run(
        [py, "-c", "import companion, companion.locations as l; "
                   "print(companion.__file__); print(l.prompts_dir()); print(l.corpus_dir())"],
        capture_output=True, text=True, cwd=elsewhere, env=env, check=True,
    ).stdout.split()
    assert all(line.startswith(site) for line in where), where
    # The assembled model of this test session is reused (its verified stamp lives there too).
    models = Path(companion_home) / "data" / "models"
    models.parent.mkdir(parents=True, exist_ok=True)
    if not models.exists():
        models.symlink_to(share_models, target_is_directory=True)

    offline = _no_network_prefix()
    companion = [*offline, str(py), "-m", "companion.cli"]
    search = subprocess.run([*companion, "search", "how to run a good 1:1", "--k", "2"],
                            capture_output=True, text=True, cwd=elsewhere, env=env, timeout=600)
    assert search.returncode == 0, search.stderr
    assert ".md" in search.stdout
    ask = subprocess.run([*companion, "ask", "--no-notes", "My manager wants me to cut scope."],
                         capture_output=True, text=True, cwd=elsewhere, env=env, timeout=600)
    assert ask.returncode == 0, ask.stderr
    assert "?" in ask.stdout
