"""The OpenAI-compatible provider against real servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import pytest
from pydantic import BaseModel, SecretStr
from support.servers import LlamaServer, RecordingServer, free_port

from companion.llm.base import (
    AuthenticationFailed,
    BadResponse,
    ChatMessage,
    EndpointTimeout,
    EndpointUnreachable,
    ModelNotFound,
)
from companion.llm.local import LOCAL_MODELS, model_file
from companion.llm.openai_compat import OpenAICompatibleProvider
from companion.settings import Endpoint

MESSAGES = [ChatMessage(role="user", content="Say hello to a product manager.")]


class Greeting(BaseModel):
    greeting: str


@pytest.fixture(scope="module")
def llama_server():
    server = LlamaServer(str(model_file(LOCAL_MODELS["smollm2-135m"])), api_key="right-key")
    yield server
    server.stop()


def endpoint(base_url: str, **kw) -> Endpoint:
    return Endpoint(name="test", base_url=base_url, model=kw.pop("model", "tiny"), **kw)


@pytest.mark.server
def test_streamed_reply_from_real_server(llama_server):
    p = OpenAICompatibleProvider(endpoint(llama_server.base_url, api_key=SecretStr("right-key")))
    pieces = list(p.stream(MESSAGES, max_tokens=12))
    assert len(pieces) > 1 and "".join(pieces).strip()


@pytest.mark.server
def test_structured_reply_from_real_server(llama_server):
    p = OpenAICompatibleProvider(endpoint(llama_server.base_url, api_key=SecretStr("right-key"),
                                          structured_output="json_object"))
    reply = p.structured(MESSAGES, Greeting, max_tokens=40)
    assert isinstance(reply.greeting, str) and reply.greeting


@pytest.mark.server
def test_wrong_key_is_a_clear_auth_error(llama_server):
    p = OpenAICompatibleProvider(endpoint(llama_server.base_url, api_key=SecretStr("wrong-key"), max_retries=0))
    with pytest.raises(AuthenticationFailed, match="refused the API key") as err:
        list(p.stream(MESSAGES, max_tokens=4))
    assert "wrong-key" not in str(err.value)


def test_refused_connection_is_clear():
    p = OpenAICompatibleProvider(endpoint(f"http://127.0.0.1:{free_port()}/v1", max_retries=0))
    with pytest.raises(EndpointUnreachable, match="cannot reach"):
        list(p.stream(MESSAGES))


def test_timeout_is_clear():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never answers
    port = listener.getsockname()[1]
    try:
        p = OpenAICompatibleProvider(endpoint(f"http://127.0.0.1:{port}/v1", timeout_s=1, max_retries=0))
        with pytest.raises(EndpointTimeout, match="did not answer within 1 s"):
            list(p.stream(MESSAGES))
    finally:
        listener.close()


def test_custom_base_url_never_receives_environment_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-sentinel-env-key")
    server = RecordingServer()
    try:
        p = OpenAICompatibleProvider(endpoint(server.base_url))
        assert "".join(p.stream(MESSAGES)).strip()
        p.structured(MESSAGES, Greeting) if False else None
        headers = {k.lower(): v for k, v in server.requests[-1]["headers"].items()}
        assert "authorization" not in headers
        assert all("sk-sentinel-env-key" not in str(r) for r in server.requests)
        # With its own key, exactly that key is sent.
        p2 = OpenAICompatibleProvider(endpoint(server.base_url, api_key=SecretStr("own-key")))
        "".join(p2.stream(MESSAGES))
        headers = {k.lower(): v for k, v in server.requests[-1]["headers"].items()}
        assert headers["authorization"] == "Bearer own-key"
    finally:
        server.stop()


@pytest.mark.parametrize(("behaviour", "error", "text"), [
    (["404"], ModelNotFound, "has no model"),
    (["401"], AuthenticationFailed, "refused the API key"),
    (["half-stream"], BadResponse, "stopped halfway"),
])
def test_http_failures_are_clear(behaviour, error, text):
    server = RecordingServer(behaviour)
    try:
        p = OpenAICompatibleProvider(endpoint(server.base_url, max_retries=0))
        with pytest.raises(error, match=text):
            list(p.stream(MESSAGES))
    finally:
        server.stop()


def test_429_then_success_is_retried():
    server = RecordingServer(["429", "ok-stream"])
    try:
        p = OpenAICompatibleProvider(endpoint(server.base_url, max_retries=2))
        assert "".join(p.stream(MESSAGES)) == "What matters most here?"
        assert len([r for r in server.requests if r["path"].endswith("/chat/completions")]) == 2
    finally:
        server.stop()


def test_cancel_stops_remote_stream():
    server = RecordingServer(reply=" ".join(["word"] * 50))
    try:
        p = OpenAICompatibleProvider(endpoint(server.base_url))
        cancel = threading.Event()
        got = []
        with pytest.raises(Exception, match="cancelled"):
            for piece in p.stream(MESSAGES, cancel=cancel):
                got.append(piece)
                if len(got) == 2:
                    cancel.set()
        assert len(got) == 2
    finally:
        server.stop()
