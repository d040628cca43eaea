"""``CheckoutHTTPClient``: an HTTP client for the official ``stripe`` SDK that asks the fake directly.

No HTTP library sits between the SDK and the fake: ``request`` and its async and streaming siblings call
``routes.handle`` and hand the SDK its answer. Give it a fake to talk to that fake whatever the URL, or none
to talk to the innermost active fake for the URL (``mock_checkout``); with neither, it refuses rather than
send anything anywhere. It is defined only when ``stripe`` is installed (``stripe`` is not a dependency of
this package); without it, making one raises an ``ImportError`` that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from io import BytesIO
from typing import TYPE_CHECKING, Any

from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.routes import FakeResponse
from pytest_checkout.fake.transports import activation
from pytest_checkout.fake.transports.hosts import ApiBase

__all__ = ["CheckoutHTTPClient", "Headers"]

try:
    import stripe as _stripe_module  # noqa: F401 - only asks whether the SDK is there

    _HAS_STRIPE = True
except ImportError:
    _HAS_STRIPE = False


class Headers(Mapping[str, str]):
    """Response headers that keep their spelling and are looked up without case, as the SDK expects.

    (The SDK reads ``rheaders["Request-Id"]`` and tests ``"stripe-should-retry" in rheaders``.)
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        # The fake's answer makes its headers afresh for each response and never changes them after: kept as they
        # are, not copied.
        self._items = headers
        self._lower = {name.lower(): value for name, value in headers.items()}

    def __getitem__(self, name: str) -> str:
        return self._lower[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lower

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


def _answer(
    fake: CheckoutFake | None, base: ApiBase | None, method: str, url: str, headers: Mapping[str, str] | None, body: Any
) -> FakeResponse:
    if fake is not None:
        # A bound fake answers every URL the SDK sends here; one under a base with a path gets the path below it.
        target = base.target(url) if base is not None and base.path else None
        hit = activation.Hit(fake, target if target is not None else url)
    else:
        found = activation.lookup(url)
        if found is None:
            raise activation.RequestRefusedError(
                f"pytest-checkout's CheckoutHTTPClient has no fake for {url!r}: no active mock_checkout answers "
                "that address, and this client never goes to the network. Start mock_checkout(api_base=...) for "
                "it, or make the client with CheckoutHTTPClient(fake)."
            )
        hit = found
    return activation.answer(hit, method, headers or {}, body)


if TYPE_CHECKING or _HAS_STRIPE:
    import stripe

    class CheckoutHTTPClient(stripe.HTTPClient):
        """A ``stripe.HTTPClient`` answered in process by a ``CheckoutFake``, sync and async.

        ::

            client = stripe.StripeClient("sk_test_...", http_client=CheckoutHTTPClient())   # the active fake
            stripe.default_http_client = CheckoutHTTPClient(fake)                           # module style

        ``verify_ssl_certs`` and ``proxy`` are accepted for the SDK's sake and mean nothing: no connection is
        made. A request no fake answers raises ``stripe.APIConnectionError`` (not retried).
        """

        name = "pytest-checkout"

        def __init__(
            self,
            fake: CheckoutFake | None = None,
            *,
            verify_ssl_certs: bool = True,
            proxy: str | stripe.HTTPClient._Proxy | None = None,
        ) -> None:
            if fake is not None and not isinstance(fake, CheckoutFake):
                raise TypeError(f"CheckoutHTTPClient takes a CheckoutFake or None, got {type(fake).__name__}")
            super().__init__(verify_ssl_certs=verify_ssl_certs, proxy=proxy)
            self._fake = fake
            # Parsed once, as the bound path runs on every request. A fake made with an odd api_base still
            # answers; it only cannot have a path stripped.
            self._base: ApiBase | None = None
            if fake is not None:
                with contextlib.suppress(ValueError, TypeError):
                    self._base = ApiBase.parse(fake.api_base)

        @property
        def fake(self) -> CheckoutFake | None:
            """The fake this client is bound to, or None: the innermost active fake for each URL."""
            return self._fake

        def _call(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any) -> FakeResponse:
            try:
                return _answer(self._fake, self._base, method, url, headers, post_data)
            except activation.RequestRefusedError as error:
                # The SDK's own error type, so the application sees what it would for a failed connection.
                connection_error: Any = stripe.APIConnectionError
                raise connection_error(str(error), should_retry=False) from error

        # The base class annotates ``request`` as returning text, but the SDK takes bytes as well, and bytes are
        # what RequestsClient and HTTPXClient return: the body exactly as the fake wrote it.
        def request(  # type: ignore[override]
            self,
            method: str,
            url: str,
            headers: Mapping[str, str] | None,
            post_data: Any = None,
            *,
            _usage: list[str] | None = None,
        ) -> tuple[bytes, int, Mapping[str, str]]:
            """Answer one request from the fake."""
            result = self._call(method, url, headers, post_data)
            return result.body, result.status, Headers(result.headers)

        def request_stream(
            self,
            method: str,
            url: str,
            headers: Mapping[str, str] | None,
            post_data: Any = None,
            *,
            _usage: list[str] | None = None,
        ) -> tuple[BytesIO, int, Mapping[str, str]]:
            """Answer one request from the fake, the body as a stream."""
            result = self._call(method, url, headers, post_data)
            return BytesIO(result.body), result.status, Headers(result.headers)

        async def request_async(
            self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
        ) -> tuple[bytes, int, Mapping[str, str]]:
            """Answer one request from the fake (it never waits on anything, so nothing is awaited)."""
            result = self._call(method, url, headers, post_data)
            return result.body, result.status, Headers(result.headers)

        async def request_stream_async(
            self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
        ) -> tuple[AsyncIterator[bytes], int, Mapping[str, str]]:
            """Answer one request from the fake, the body as an async stream of one chunk."""
            result = self._call(method, url, headers, post_data)

            async def chunks() -> AsyncIterator[bytes]:
                yield result.body

            return chunks(), result.status, Headers(result.headers)

        def close(self) -> None:
            """Nothing to close: no connection is ever opened."""

        async def close_async(self) -> None:
            """Nothing to close: no connection is ever opened."""

        def sleep_async(self, secs: float) -> Awaitable[None]:
            """The SDK's back-off between retries: anyio's sleep where anyio is installed (it runs on trio too)."""
            try:
                import anyio
            except ImportError:
                return asyncio.sleep(secs)
            return anyio.sleep(secs)

else:

    class CheckoutHTTPClient:
        """Stands in for the in-process SDK client when ``stripe`` is not installed: making one says so."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError("CheckoutHTTPClient is an HTTP client for the official SDK: pip install stripe")
