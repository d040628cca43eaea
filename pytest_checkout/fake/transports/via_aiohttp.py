"""The ``aiohttp`` road: a connection to the fake's host is an in-memory transport that the fake answers.

``aiohttp.TCPConnector._create_connection`` is where aiohttp resolves the host and opens the socket. For a URL
an active fake answers, the patch hands aiohttp an in-memory transport instead: aiohttp writes its HTTP/1.1
request to it as it would to a socket, the transport reads the request, asks the fake, and feeds the answer
back to aiohttp's own response parser. Everything above the socket (headers, bodies, cookies, redirects,
timeouts) stays aiohttp's, across every aiohttp version that has this method. Each connection serves one
request (``Connection: close``), so none lingers in a pool after the fake stops. Other URLs go to the
original method.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from pytest_checkout.fake.transports import activation
from pytest_checkout.httputil import reason_phrase

__all__ = ["install"]

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _Request:
    """One HTTP/1.1 request read from bytes: a head, then a body by Content-Length or chunked encoding."""

    def __init__(self, data: bytes) -> None:
        head_end = data.find(b"\r\n\r\n")
        if head_end < 0:
            raise _IncompleteError
        lines = data[:head_end].decode("latin-1").split("\r\n")
        self.method, self.target, _ = lines[0].split(" ", 2)
        self.headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip()] = value.strip()
        self._lower = {k.lower(): v for k, v in self.headers.items()}
        self.body_start = head_end + 4
        self.wants_continue = self._lower.get("expect", "").lower() == "100-continue"

    def body(self, data: bytes) -> bytes:
        """The whole body, or ``_IncompleteError`` while some of it is still to come."""
        rest = data[self.body_start :]
        if "chunked" in self._lower.get("transfer-encoding", "").lower():
            return _unchunk(rest)
        length = int(self._lower.get("content-length", "0") or 0)
        if len(rest) < length:
            raise _IncompleteError
        return rest[:length]


class _IncompleteError(Exception):
    """More bytes are needed."""


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    position = 0
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            raise _IncompleteError
        size = int(data[position:line_end].split(b";", 1)[0], 16)
        start = line_end + 2
        if size == 0:
            return bytes(out)
        if len(data) < start + size + 2:
            raise _IncompleteError
        out += data[start : start + size]
        position = start + size + 2


class _FakeTransport(asyncio.Transport):
    """What aiohttp writes its request to, in place of a socket; answers through the activation stack."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol, origin: str) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._origin = origin
        self._buffer = bytearray()
        self._closing = False
        self._answered = False
        self._continued = False
        self._reading = True

    # -- writing: the request ------------------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing or self._answered:
            return
        self._buffer += data
        self._try_answer()

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in list_of_data:
            self.write(data)

    def _try_answer(self) -> None:
        data = bytes(self._buffer)
        try:
            request = _Request(data)
            try:
                body = request.body(data)
            except _IncompleteError:
                if request.wants_continue and not self._continued:
                    self._continued = True
                    self._feed(_CONTINUE)
                raise
        except _IncompleteError:
            return
        self._answered = True
        url = request.target if "://" in request.target else self._origin + request.target
        try:
            hit = activation.lookup(url)
            if hit is None:
                raise activation.RequestRefusedError(
                    f"pytest-checkout: no active fake answers {url!r} any more (it stopped during the request)"
                )
            result = activation.answer(hit, request.method, request.headers, body)
        except BaseException as error:
            self._loop.call_soon(self._lose, error)
            return
        head = [f"HTTP/1.1 {result.status} {reason_phrase(result.status)}"]
        head += [f"{name}: {value}" for name, value in result.headers.items()]
        if not any(name.lower() == "content-length" for name in result.headers):
            head.append(f"Content-Length: {len(result.body)}")  # a HEAD's answer has the GET's length already
        head += ["Connection: close", "", ""]
        self._feed("\r\n".join(head).encode("latin-1") + result.body)

    def _feed(self, data: bytes) -> None:
        # Later, from the loop: aiohttp must not be called back from inside its own write.
        self._loop.call_soon(self._deliver, data)

    def _deliver(self, data: bytes) -> None:
        if not self._closing:
            self._protocol.data_received(data)

    def _lose(self, error: BaseException | None) -> None:
        self._closing = True
        self._protocol.connection_lost(error if isinstance(error, Exception) else None)

    # -- the rest of a transport ---------------------------------------------------------------------------------

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (0, 0)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        return None

    def is_reading(self) -> bool:
        return self._reading

    def pause_reading(self) -> None:
        self._reading = False

    def resume_reading(self) -> None:
        self._reading = True


def install() -> Callable[[], None] | None:
    """Patch ``aiohttp.TCPConnector._create_connection``; None when aiohttp is not installed."""
    try:
        import aiohttp
        from aiohttp.client_proto import ResponseHandler
    except ImportError:  # not installed: no application can use it, so there is nothing to answer
        return None

    original = aiohttp.TCPConnector._create_connection

    async def _create_connection(self: aiohttp.TCPConnector, req: Any, traces: Any, timeout: Any) -> Any:
        url = req.url
        if activation.lookup(str(url)) is None:
            return await original(self, req, traces, timeout)
        loop = asyncio.get_running_loop()
        protocol = ResponseHandler(loop)
        protocol.connection_made(_FakeTransport(loop, protocol, str(url.origin())))
        return protocol

    return activation.patch_attribute(aiohttp.TCPConnector, "_create_connection", _create_connection)
