"""The process-wide stack of active fakes, and the patches that route requests to them.

``push`` puts a fake on the stack; ``remove`` takes that one off, wherever it is. The first push installs every
adapter whose library is installed (requests, httpx, aiohttp, the SDK's urllib and pycurl clients); the last
remove takes every patch off again, putting back exactly what was there. In between, the adapters are fixed and
ask ``lookup(url)`` on each request which fake answers it: the innermost active fake whose ``api_base`` the URL
is under. The stack is shared by every thread, so a server thread the test started reaches the test's fake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.routes import FakeResponse, handle
from pytest_checkout.fake.transports.hosts import ApiBase

__all__ = [
    "LOCK",
    "Entry",
    "Hit",
    "RequestRefusedError",
    "active",
    "answer",
    "body_bytes",
    "lookup",
    "patch_attribute",
    "push",
    "remove",
]

#: An adapter: installs its patches and returns the function that takes them off, or None when its library
#: is not installed.
Installer = Callable[[], "Callable[[], None] | None"]


class RequestRefusedError(RuntimeError):
    """pytest-checkout stopped a request that would otherwise have gone to the network with the API key in it."""


@dataclass(frozen=True, eq=False)
class Entry:
    """One activation on the stack: a fake and the base it answers."""

    fake: CheckoutFake
    base: ApiBase


@dataclass(frozen=True)
class Hit:
    """The answer of ``lookup``: the fake to ask, and the URL to give its handler."""

    fake: CheckoutFake
    url: str


#: Held while the stack changes; ``mock_checkout`` holds it too, so its depth count and the stack move together.
#: Reentrant, because ``mock_checkout.start`` holds it while calling ``push``.
LOCK = threading.RLock()
# A tuple, replaced whole under the lock: requests read it without locking and always see a consistent stack.
_STACK: tuple[Entry, ...] = ()
_UNDO: list[Callable[[], None]] = []


def _installers() -> list[Installer]:
    # Imported on the first activation; httpx, aiohttp and stripe are imported (if installed) only then.
    from pytest_checkout.fake.transports import via_aiohttp, via_httpx, via_requests, via_stripe

    return [via_requests.install, via_httpx.install, via_aiohttp.install, via_stripe.install]


def push(fake: CheckoutFake, base: ApiBase) -> Entry:
    """Make ``fake`` the innermost active fake for ``base``; the first push installs the adapters."""
    global _STACK
    entry = Entry(fake, base)
    with LOCK:
        if not _STACK:
            _install()
        _STACK = (*_STACK, entry)
    return entry


def remove(entry: Entry) -> None:
    """Take ``entry`` off the stack, wherever it is; the last one off removes every patch."""
    global _STACK
    with LOCK:
        if entry not in _STACK:
            return
        _STACK = tuple(e for e in _STACK if e is not entry)
        if not _STACK:
            _uninstall()


def active() -> tuple[Entry, ...]:
    """The active entries, outermost first."""
    return _STACK


def _install() -> None:
    try:
        for installer in _installers():
            undo = installer()
            if undo is not None:
                _UNDO.append(undo)
    except BaseException:
        _uninstall()
        raise


def _uninstall() -> None:
    # Last patched, first restored: a patch taken off in reverse order puts back exactly the original. Every
    # undo runs even if one fails, so one broken library cannot leave the others patched.
    undos = list(reversed(_UNDO))
    _UNDO.clear()
    errors: list[BaseException] = []
    for undo in undos:
        try:
            undo()
        except BaseException as error:
            errors.append(error)
    if errors:
        raise errors[0]


_MISSING = object()


def patch_attribute(owner: Any, name: str, new: object) -> Callable[[], None]:
    """Set ``owner.name = new``; returns the function that puts back exactly what was there.

    An attribute ``owner`` only inherited is deleted again rather than copied onto ``owner``, so the class
    looks afterwards exactly as it did before.
    """
    own = vars(owner).get(name, _MISSING)
    setattr(owner, name, new)

    def undo() -> None:
        if own is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, own)

    return undo


def lookup(url: str) -> Hit | None:
    """Which active fake answers ``url`` (the innermost whose base it is under), or None for every other URL.

    Raises ``RequestRefusedError`` for a plain-HTTP URL to the host of an active HTTPS base: answering it would
    hide a bug that real Stripe refuses, and sending it would put the API key on the wire in clear.
    """
    stack = _STACK
    for entry in reversed(stack):
        target = entry.base.target(url)
        if target is not None:
            # A base with a path: the handler gets the path under it, as Stripe would see it.
            return Hit(entry.fake, url if not entry.base.path else target)
    for entry in stack:
        if entry.base.same_host_other_scheme(url):
            raise RequestRefusedError(
                f"pytest-checkout refused {url!r}: it is plain HTTP to {entry.base.origin.host}, whose fake answers "
                f"{entry.base.url!r}. Stripe's API is HTTPS only; use {entry.base.url!r} as the base address, or "
                "start mock_checkout(api_base=...) with the http:// address if that is what you mean to test."
            )
    return None


def answer(hit: Hit, method: str, headers: Mapping[str, str], body: object) -> FakeResponse:
    """Ask the fake of ``hit`` through the one handler (``routes.handle``).

    The answer to a HEAD is the GET's without its body, as HTTP has it: its ``Content-Length`` header says how
    long the body would have been, and an adapter keeps that header rather than count the empty body.
    """
    result = handle(hit.fake, method, hit.url, headers, body_bytes(body))
    if method.upper() == "HEAD":
        return FakeResponse(result.status, {**result.headers, "Content-Length": str(len(result.body))}, b"")
    return result


def body_bytes(body: object) -> bytes | str | None:
    """A request body as the handler takes it: bytes or str as they are; a file or an iterable of chunks read."""
    if body is None or isinstance(body, (bytes, str)):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    read = getattr(body, "read", None)
    if callable(read):
        data: Any = read()
        return data if isinstance(data, (bytes, str)) else bytes(data)
    if isinstance(body, Iterable):
        chunks = [c.encode() if isinstance(c, str) else bytes(c) for c in body]
        return b"".join(chunks)
    raise TypeError(f"pytest-checkout cannot read a request body of type {type(body).__name__}")
