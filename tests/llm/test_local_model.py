"""The embedded models, for real: assembled, verified, streamed and schema-constrained."""

from __future__ import annotations

import threading

import pytest
from pydantic import BaseModel

from companion.llm import get_provider
from companion.llm.base import Cancelled, ChatMessage
from companion.llm.local import LOCAL_MODELS, LocalModelSpec, ModelMissing, installed, model_file
from companion.settings import load_settings

pytestmark = pytest.mark.model

MESSAGES = [
    ChatMessage(role="system", content="You are a coach. Ask one open question."),
    ChatMessage(role="user", content="I have to decide whether to delay our launch."),
]


class Question(BaseModel):
    question: str


QUESTION_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string", "pattern": "^What might happen if [^\"?]{5,80}[?]$"}},
    "required": ["question"],
}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.skipif(
        spec.extra != "local" and not installed(name), reason=f"opt-in model {name} not installed"))
    for name, spec in LOCAL_MODELS.items()
])
def test_stream_and_structured(name, share_models):
    provider = get_provider(load_settings(), name)
    pieces = list(provider.stream(MESSAGES, max_tokens=16))
    assert len(pieces) > 1 and "".join(pieces).strip()
    reply = provider.structured(MESSAGES, Question, json_schema=QUESTION_SCHEMA, max_tokens=48)
    assert reply.question.startswith("What might happen if ") and reply.question.endswith("?")
    assert provider.count_tokens("How might your manager see this?") > 3


def test_assembled_once_and_verified(share_models):
    spec = LOCAL_MODELS["qwen2.5-0.5b"]
    path = model_file(spec)
    assert path.stat().st_size == spec.size
    assert path.parent == share_models
    assert model_file(spec) == path  # second call trusts the verified stamp


def test_cancel_stops_a_stream(share_models):
    provider = get_provider(load_settings(), "smollm2-135m")
    cancel = threading.Event()
    got = []
    with pytest.raises(Cancelled):
        for piece in provider.stream(MESSAGES, max_tokens=200, cancel=cancel):
            got.append(piece)
            if len(got) == 3:
                cancel.set()
    assert len(got) == 3
    # The model lock was released: the next call works at once.
    assert "".join(provider.stream(MESSAGES, max_tokens=4))


def test_tampered_model_is_refused(share_models, tmp_path):
    bad = tmp_path / "pkg"
    bad.mkdir()
    spec = LOCAL_MODELS["smollm2-135m"]
    fake = LocalModelSpec(name="tampered", description="", parts=spec.parts, size=spec.size,
                          sha256="0" * 64, upstream="", licence="")
    with pytest.raises(ModelMissing, match="sha256"):
        model_file(fake)


def test_missing_package_says_how_to_install():
    spec = LocalModelSpec(name="ghost", description="", parts=(("no_such_model_pkg", "x.gguf"),),
                          size=1, sha256="0" * 64, upstream="", licence="")
    with pytest.raises(ModelMissing, match=r"\.\[local\]"):
        model_file(spec)
