"""The key-leak rule: a key goes only to the endpoint it was configured for."""

from __future__ import annotations

from pydantic import SecretStr

from companion.llm.keys import api_key_for, redact


def test_openai_host_may_use_environment_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-123456")
    assert api_key_for("https://api.openai.com/v1", None).get_secret_value() == "sk-env-123456"


def test_custom_base_url_never_gets_environment_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-123456")
    for url in ("http://127.0.0.1:8080/v1", "https://api.openai.com.evil.example/v1",
                "https://evil.example/v1?host=api.openai.com"):
        assert api_key_for(url, None) is None


def test_configured_key_goes_to_its_endpoint(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-123456")
    key = api_key_for("http://127.0.0.1:8080/v1", SecretStr("local-key"))
    assert key.get_secret_value() == "local-key"


def test_redact_removes_keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-123456")
    assert "sk-env-123456" not in redact("bad key sk-env-123456 and other-secret", SecretStr("other-secret"))
    assert "other-secret" not in redact("bad key other-secret", SecretStr("other-secret"))
