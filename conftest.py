"""The whole repository's test set-up: the project's tests (``tests/``) and the example shop's (``examples/``).

Every test runs with the network guarded: a connection or DNS look-up beyond loopback fails the test, so a
request the fake does not answer can never reach Stripe (or anywhere) silently.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

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
