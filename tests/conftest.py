"""Test isolation: a private COMPANION_HOME per test, and no network beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(address) -> bool:
    if isinstance(address, str):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkBlocked(OSError):
    pass


def _guarded_connect(self, address):
    if not _loopback(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}: only loopback is allowed")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _loopback(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}: only loopback is allowed")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(autouse=True)
def companion_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COMPANION_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("COMPANION_") and name != "COMPANION_HOME":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return home


@pytest.fixture(scope="session")
def shared_models_dir(tmp_path_factory):
    """One place where split models are assembled once per test session."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def share_models(shared_models_dir, monkeypatch):
    """Point the models folder at the session-wide one so the 477 MB model is assembled once."""
    from companion import locations

    monkeypatch.setattr(locations, "models_dir", lambda: shared_models_dir)
    return shared_models_dir
