"""Shared helpers of the project's own tests."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
SPEC = REFERENCE / "stripe-openapi-2022-08-01" / "spec3.yaml"
SEED = REFERENCE / "seed" / "000_6cb91e6d0036ba34.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The seed document: the Stripe.Checkout.Session page the client is built from."""
    return SEED.read_text()


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "0.0.0.0", b"127.0.0.1", b"localhost"})


def _is_loopback(address: object) -> bool:
    if isinstance(address, str | bytes):  # a Unix socket path
        return True
    return isinstance(address, tuple) and len(address) >= 2 and address[0] in _LOOPBACK


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: a connection or DNS look-up beyond loopback is a failure, never a silent trip to the network.

    Loopback stays open for the served fake's own tests (servers they start on 127.0.0.1).
    """
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def refuse(what: str, target: object) -> OSError:
        return OSError(f"test guard: {what} {target!r} refused; tests of the fake never leave loopback")

    def connect(sock: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise refuse("connect to", address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise refuse("connect_ex to", address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK and host is not None:
            raise socket.gaierror(f"test guard: look-up of {host!r} refused; tests of the fake never leave loopback")
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
