"""Endpoint faults against a real HTTP server on 127.0.0.1, seen the way a user sees them."""

from __future__ import annotations

import json

import pytest
from relkit import QUESTION, endpoint_toml, write_config
from support.servers import RecordingServer, free_port
from ui.uikit import SIZE, UIKnowledge, ready, settle

from companion.llm.base import BadResponse, ChatMessage
from companion.llm.openai_compat import OpenAICompatibleProvider
from companion.settings import Endpoint, load_settings
from companion.ui.widgets.chat import AssistantMessage

pytestmark = pytest.mark.server

MESSAGE = "The launch is in two weeks and the team is not ready."
ASK = ("ask", MESSAGE, "--model", "stub", "--no-notes")


def _posts(server: RecordingServer) -> int:
    return sum(r["path"].endswith("/chat/completions") for r in server.requests)


@pytest.mark.parametrize(("behaviour", "retries", "expected"), [
    (["401"], 0, "refused the API key (HTTP 401)"),
    (["404"], 0, "has no model 'stub' (HTTP 404)"),
    (["500"], 0, "answered HTTP 500"),
    (["hang"], 0, "did not answer within 1 s"),
])
def test_a_failing_endpoint_is_one_line_and_exit_1(cli, stub, behaviour, retries, expected):
    server = stub(behaviour)
    write_config(cli.home, 'model = "stub"\n' + endpoint_toml("stub", server.base_url, timeout_s=1,
                                                            max_retries=retries))
    proc = cli.run(*ASK, timeout=60)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("companion: ") and expected in line
    # On an endpoint the model writes the whole turn, so nothing was shown before the failure;
    # whatever was shown is kept and marked, never passed off as a whole reply.
    assert proc.stdout == "" or "(reply incomplete" in proc.stdout


def test_connection_refused_says_what_to_do(cli):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    write_config(cli.home, endpoint_toml("stub", url))
    proc = cli.run(*ASK)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert f"cannot reach {url}" in line and "--model qwen2.5-0.5b" in line


def test_429_then_success_is_retried_with_backoff(cli, stub):
    server = stub(["429", "ok-stream"])
    write_config(cli.home, endpoint_toml("stub", server.base_url, max_retries=2))
    proc = cli.run(*ASK, "--json")
    assert proc.returncode == 0, proc.stderr
    reply = json.loads(proc.stdout)
    assert reply["questions"] == [QUESTION] and not reply["fallback"]
    assert _posts(server) == 2


@pytest.mark.parametrize("behaviour", ["half-stream", "bad-sse"])
def test_a_broken_or_malformed_answer_falls_back_to_a_marked_question(cli, stub, behaviour):
    # The coach asks for schema-shaped JSON; an answer cut off or malformed is rejected, re-asked
    # once, then replaced by a question from the bank, and the reply says so (`fallback`).
    server = stub([behaviour, behaviour])
    write_config(cli.home, endpoint_toml("stub", server.base_url))
    proc = cli.run(*ASK, "--json")
    assert proc.returncode == 0, proc.stderr
    reply = json.loads(proc.stdout)
    assert reply["fallback"] is True and len(reply["questions"]) == 1
    assert reply["questions"][0].endswith("?")
    assert _posts(server) == 2


def test_a_stream_cut_by_malformed_sse_keeps_the_partial_text():
    server = RecordingServer(["bad-sse"], reply="What would change if the launch moved a week?")
    try:
        provider = OpenAICompatibleProvider(Endpoint(name="stub", base_url=server.base_url,
                                                     model="stub", max_retries=0))
        got: list[str] = []
        with pytest.raises(BadResponse, match="partial reply is kept"):
            for piece in provider.stream([ChatMessage(role="user", content="hi")]):
                got.append(piece)
        assert "".join(got) == "What "
    finally:
        server.stop()


@pytest.mark.anyio
async def test_the_app_notifies_each_fault_and_stays_usable(stub, tmp_path):
    from companion.ui.app import make_app

    server = stub(["401", "500", "half-stream", "half-stream"])
    endpoint = Endpoint(name="stub", base_url=server.base_url, model="stub", max_retries=0)
    settings = load_settings(endpoints=[endpoint.model_dump()], model="stub")
    notes = tmp_path / "notes"
    notes.mkdir()
    app = make_app(settings, provider=OpenAICompatibleProvider(endpoint),
                   knowledge=UIKnowledge(notes))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        for expected in ("refused the key", "http 500"):
            chat.prompt.insert(MESSAGE)
            await pilot.press("enter")
            await settle(app, pilot)
            note = list(app._notifications)[-1]
            assert note.severity == "error"
            assert expected in (note.title + " " + note.message).lower()
            assert "Traceback" not in note.message and "\n" not in note.message
            assert chat.prompt.text == MESSAGE and not chat.busy  # nothing typed is lost
            chat.prompt.clear()
        # A cut-off answer: a marked fallback question, and the session goes on.
        chat.prompt.insert(MESSAGE)
        await pilot.press("enter")
        await settle(app, pilot)
        first = chat.query(AssistantMessage).last()
        assert "?**" in first.body.source  # one bold question
        chat.prompt.insert("The design team also disagrees with the plan.")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "?**" in chat.query(AssistantMessage).last().body.source
        assert _posts(server) >= 5 and not chat.busy  # the model was asked again and answered
        turns = app.store.turns(chat.session_id)
        assert [t.role for t in turns] == ["user", "assistant"] * 2
        assert turns[1].meta["fallback"] is True
