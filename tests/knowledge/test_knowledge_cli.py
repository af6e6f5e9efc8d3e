"""The knowledge commands through typer's CliRunner (a tiny host app), and import lightness."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest
import typer
from typer.testing import CliRunner

from companion import locations
from companion.knowledge.cli import register


@pytest.fixture()
def app() -> typer.Typer:
    host = typer.Typer()

    @host.callback()
    def main() -> None:
        """Test host."""

    register(host)
    return host


@pytest.fixture()
def run(app):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def test_ingest_adds_the_folder_and_prints_a_summary(run, vault, small_corpus, embedder):
    result = run("ingest", str(vault))
    assert result.exit_code == 0, result.output
    assert "Added notes folder(s)" in result.output
    config = tomllib.loads(locations.config_file().read_text("utf-8"))
    assert config["notes_dirs"] == [str(vault.resolve())]
    assert "Added 10, updated 0, removed 0, unchanged 0, skipped 2 files" in result.output
    assert "skipped empty.md: empty file" in result.output
    assert "partly indexed latin1.md" in result.output

    again = run("ingest", str(vault))  # already known: not added twice, nothing re-embedded
    assert again.exit_code == 0, again.output
    assert "Added notes folder" not in again.output
    assert "embedded 0 chunks" in again.output
    assert tomllib.loads(locations.config_file().read_text("utf-8"))["notes_dirs"] == [
        str(vault.resolve())
    ]

    status = run("index", "status", "--json")
    assert status.exit_code == 0, status.output
    data = json.loads(status.stdout)
    assert (data["files"], data["corpus_files"], data["notes_files"]) == (10, 2, 8)
    assert data["embedding_model"] == "minilm-l6-int8" and data["action_items"] == 5
    human = run("index", "status")
    assert "Chunks:" in human.output and "minilm-l6-int8" in human.output

    found = run("search", "four forces of a switch", "--json", "--source", "corpus", "--k", "1")
    assert found.exit_code == 0, found.output
    (hit,) = json.loads(found.stdout)
    assert hit["path"] == "jtbd.md" and hit["citation"].startswith("jtbd.md:")
    plain = run("search", "tiered pricing", "--k", "2")
    assert "1-1 Dana.md:12-14" in plain.output

    acts = run("actions", "--person", "dana", "--open")
    assert acts.exit_code == 0, acts.output
    assert "[ ] Send Dana the roadmap draft" in acts.output and "1-1 Dana.md:17" in acts.output
    assert "Book the offsite" not in acts.output
    all_acts = run("actions", "--json")
    assert len(json.loads(all_acts.stdout)) == 5

    rebuilt = run("index", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Added 10" in rebuilt.output


def test_bad_settings_exit_2(run, companion_home):
    cfg = locations.config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("top_k = 'many'\n", "utf-8")
    result = run("index", "status")
    assert result.exit_code == 2
    assert "Settings error" in result.output and "top_k" in result.output


def test_ingest_rejects_a_missing_folder(run, tmp_path):
    result = run("ingest", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "not a folder" in result.output


def test_ctrl_c_says_how_to_resume(run, vault, small_corpus, monkeypatch):
    from companion.knowledge.index import KnowledgeBase

    def interrupted(self, progress=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(KnowledgeBase, "sync", interrupted)
    result = run("ingest", str(vault))
    assert result.exit_code == 130
    assert "run `companion ingest` again to resume" in result.output


def test_model_mismatch_is_a_clean_error(run, vault, small_corpus, embedder, monkeypatch):
    assert run("ingest", str(vault)).exit_code == 0
    from companion.knowledge import embeddings

    monkeypatch.setattr(embeddings.MiniLMEmbedding, "model_id", property(lambda self: "new-model"))
    result = run("search", "pricing")
    assert result.exit_code == 1
    assert "companion index rebuild" in result.output and "Traceback" not in result.output


def test_importing_the_cli_does_not_load_heavy_modules():
    code = (
        "import sys, companion.knowledge, companion.knowledge.cli, companion.knowledge.models\n"
        "heavy = ('chromadb', 'onnxruntime', 'langchain', 'langchain_core', 'langchain_openai',"
        " 'tokenizers', 'numpy')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
