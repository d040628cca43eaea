"""The ``httpx`` road, sync and async: the default transports answer the fake's URLs themselves.

``httpx.HTTPTransport.handle_request`` and ``httpx.AsyncHTTPTransport.handle_async_request`` are the last step
before httpcore opens a connection, so patching them (as pytest_httpx does) catches stripe's ``HTTPXClient``
(the SDK's default async client) and any ``httpx.Client`` / ``AsyncClient`` an application makes, while an
outer respx mock (which sits lower, on httpcore) or a custom transport still answers every other URL.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_checkout.fake.routes import FakeResponse
from pytest_checkout.fake.transports import activation

__all__ = ["install"]


def install() -> Callable[[], None] | None:
    """Patch httpx's two default transports; None when httpx is not installed."""
    try:
        import httpx
    except ImportError:  # not installed: no application can use it, so there is nothing to answer
        return None

    sync_original = httpx.HTTPTransport.handle_request
    async_original = httpx.AsyncHTTPTransport.handle_async_request

    def to_response(result: FakeResponse, request: httpx.Request) -> httpx.Response:
        return httpx.Response(result.status, headers=result.headers, content=result.body, request=request)

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        hit = activation.lookup(str(request.url))
        if hit is None:
            return sync_original(self, request)
        body = request.read()
        return to_response(activation.answer(hit, request.method, request.headers, body), request)

    async def handle_async_request(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        hit = activation.lookup(str(request.url))
        if hit is None:
            return await async_original(self, request)
        body = await request.aread()
        return to_response(activation.answer(hit, request.method, request.headers, body), request)

    undo_sync = activation.patch_attribute(httpx.HTTPTransport, "handle_request", handle_request)
    undo_async = activation.patch_attribute(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)

    def undo() -> None:
        undo_async()
        undo_sync()

    return undo
