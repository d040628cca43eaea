"""How requests reach the fake: one thin adapter per road, all around ``routes.handle``.

========================  ====================================================================================
road                      how it is answered
========================  ====================================================================================
``requests``              ``via_requests``: ``HTTPAdapter.send`` through a call-less ``responses`` mock
``httpx`` (sync, async)   ``via_httpx``: ``HTTPTransport.handle_request`` / ``AsyncHTTPTransport...``
``aiohttp``               ``via_aiohttp``: ``TCPConnector._create_connection`` gives an in-memory transport
SDK urllib / pycurl       ``via_stripe``: ``UrllibClient`` / ``PycurlClient`` ``request`` and ``request_stream``
the SDK, no library       ``sdk_client.CheckoutHTTPClient``: a ``stripe.HTTPClient`` that calls the handler
========================  ====================================================================================

``activation`` keeps the stack of active fakes and installs the adapters; ``hosts`` decides which URLs are a
fake's. ``CheckoutHTTPClient`` is loaded on first use, so importing this package does not import ``stripe``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_checkout.fake.transports.activation import RequestRefusedError
from pytest_checkout.fake.transports.hosts import ApiBase, matches_api_base

if TYPE_CHECKING:
    from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient

__all__ = ["ApiBase", "CheckoutHTTPClient", "RequestRefusedError", "matches_api_base"]


def __getattr__(name: str) -> Any:
    # Lazily, because defining the client imports stripe (about a quarter of a second).
    if name == "CheckoutHTTPClient":
        from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient

        return CheckoutHTTPClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
