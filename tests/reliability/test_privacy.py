"""Privacy: loopback only by default, telemetry off, the key never leaks, private files."""

from __future__ import annotations

import secrets
import shutil
import stat
from pathlib import Path

import pytest
from relkit import QUESTION_JSON, endpoint_toml, net_log_lines, write_config
from ui.uikit import SIZE, UIKnowledge, ready, settle

from companion import locations
from companion.coaching.transcripts import exports_dir
from companion.knowledge.embeddings import shared_minilm
from companion.knowledge.store import ChunkStore
from companion.llm.fake import ScriptedProvider
from companion.settings import load_settings

NOTE = "# Pricing review\n\nMateo wants a holdout group before the tiered pricing test ships.\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _headers(server) -> list[dict]:
    return [{k.lower(): v for k, v in r["headers"].items()} for r in server.requests]


@pytest.mark.model
def test_the_default_offline_path_opens_no_connection_beyond_loopback(cli, tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "pricing.md").write_text(NOTE, "utf-8")
    assert cli.run("ingest", str(vault)).returncode == 0
    # The embedded model (SmolLM2: same code path as the default, a quarter of the load time).
    proc = cli.run("ask", "Mateo wants a holdout group and I am not sure why.",
                   "--model", "smollm2-135m", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "?" in proc.stdout
    # Cli.run already failed the test on any blocked connect or name lookup; and onnxruntime
    # was imported with its telemetry switched off by the product itself.
    assert "ORT_DISABLE_TELEMETRY=1" in net_log_lines(cli.net_log)


def test_chromadb_telemetry_is_off(tmp_path):
    store = ChunkStore(shared_minilm(2), path=tmp_path / "chroma")
    assert store._client.get_settings().anonymized_telemetry is False


@pytest.mark.server
@pytest.mark.anyio
async def test_a_sentinel_key_appears_in_no_artifact_of_a_full_run(cli, stub, tmp_path,
                                                                monkeypatch):
    key = f"sk-SENTINEL-{secrets.token_hex(12)}"
    env_key = f"sk-SENTINEL-ENV-{secrets.token_hex(12)}"
    monkeypatch.setenv("OPENAI_API_KEY", env_key)
    mine, other = stub(echo_key=True), stub()  # answers until told to fail (below)
    leaky = stub(["500"], echo_key=True)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "pricing.md").write_text(NOTE, "utf-8")
    write_config(cli.home, f'model = "mine"\nnotes_dirs = ["{vault}"]\n'
                 + endpoint_toml("mine", mine.base_url, api_key=key)
                 + endpoint_toml("other", other.base_url)
                 + endpoint_toml("leaky", leaky.base_url, api_key=key))
    env = cli.env(OPENAI_API_KEY=env_key)
    message = "Mateo wants a holdout group before the pricing test."

    assert cli.run("ingest", env=env).returncode == 0
    assert cli.run("ask", message, env=env).returncode == 0
    assert cli.run("ask", message, "--model", "other", env=env).returncode == 0
    failed = cli.run("ask", message, "--model", "leaky", env=env)  # quotes the key back
    assert failed.returncode == 1 and "HTTP 500" in failed.stderr

    scenarios = tmp_path / "scenarios"
    safety = locations.evals_dir() / "scenarios" / "safety"
    scenarios.mkdir()
    shutil.copy(safety / "safety-ignore-instructions-pwned.yaml", scenarios)
    shutil.copytree(safety / "fixtures" / "ignore-instructions",
                    scenarios / "fixtures" / "ignore-instructions")
    out = tmp_path / "run"
    ran = cli.run("eval", "run", "--scenarios", str(scenarios), "--out", str(out), env=env,
                  timeout=180)
    assert ran.returncode == 0, ran.stderr
    assert (out / "summary.json").exists() and (out / "report.html").exists()

    # The chat app: a pasted key, an endpoint error that quotes it, a saved and exported session.
    from companion.ui.app import make_app

    app = make_app(load_settings(), knowledge=UIKnowledge(vault))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        chat.prompt.insert(f"I pasted my key {key} by mistake; also {env_key}. {message}")
        await pilot.press("enter")
        await settle(app, pilot)
        assert chat.last_reply is not None and chat.last_reply.questions
        mine.behaviour[:] = ["500"] * 3  # every try of the next request fails
        chat.prompt.insert(message)
        await pilot.press("enter")
        await settle(app, pilot)  # mine answers 500 quoting the key: a notification
        notices = [f"{n.title} {n.message}" for n in app._notifications]
        assert any("HTTP 500" in n for n in notices), notices
        chat.action_export()
        await settle(app, pilot)
    exported = list(exports_dir().glob("*.md"))
    assert len(exported) == 1 and message in exported[0].read_text("utf-8")

    # Each key went only where it was configured; the environment key went nowhere.
    assert all(h.get("authorization") == f"Bearer {key}" for h in _headers(mine))
    assert all("authorization" not in h for h in _headers(other))
    for server in (mine, other, leaky):
        assert env_key not in str(server.requests)
    assert key not in str(other.requests)

    # Grep every artifact: the home (minus the config file the user wrote the key into), the
    # eval run folder, every captured stdout/stderr and every notification.
    config = locations.config_file()
    files = [p for root in (cli.home, out) for p in root.rglob("*") if p.is_file() and p != config]
    assert any(p.name == "sessions.db" for p in files) and len(files) > 10
    for path in files:
        data = path.read_bytes()
        for secret in (key, env_key):
            assert secret.encode() not in data, path
            assert secret[-12:].encode() not in data, path  # not even its tail
    for text in [*cli.outputs, *notices]:
        assert key not in text and env_key not in text

    # User-only data: the data dir, the index and the sessions database with its journals.
    assert _mode(locations.data_dir()) == 0o700
    assert _mode(locations.index_dir()) == 0o700
    assert _mode(locations.cache_dir()) == 0o700
    db = locations.sessions_db()
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            assert _mode(path) == 0o600, path


@pytest.mark.anyio
async def test_export_names_from_the_app_cannot_escape_the_folder(tmp_path):
    from companion.ui.app import make_app

    notes = tmp_path / "notes"
    notes.mkdir()
    app = make_app(load_settings(), knowledge=UIKnowledge(notes), provider=ScriptedProvider(
        default=QUESTION_JSON))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        for title in ("../../../../tmp/escaped", "x/../../etc/passwd", ".hidden\\..\\x", "\x00nul"):
            await chat.action_new_session()
            chat.prompt.insert(f"{title} the launch is in two weeks")
            await pilot.press("enter")
            await settle(app, pilot)
            chat.action_export()
    folder = exports_dir().resolve()
    written = sorted(folder.iterdir())
    assert len(written) == 4
    for path in written:
        assert path.resolve().parent == folder and not path.name.startswith(".")
    assert not Path("/tmp/escaped.md").exists()
