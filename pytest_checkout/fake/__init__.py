"""The stateful in-process fake of Stripe Checkout Sessions.

``mock_checkout()`` routes the Checkout endpoints of ``https://api.stripe.com`` (or another ``api_base``) to a
``CheckoutFake`` for as long as it is active, for this package's client and the official ``stripe`` SDK alike.

Where things are: ``backend`` (state and operations), ``models`` (stored state), ``builders`` (objects),
``render`` (expand, lists), ``pagination``, ``exceptions`` (messages), ``events`` and ``webhooks``; on the HTTP
side ``routes`` (the one handler), ``urls`` (routes as data), ``httpstate`` (idempotency, request log),
``mock`` and the transports (the roads in), ``server`` (over real HTTP).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_checkout.fake.backend import Account, CheckoutFake, RecordedRequest, Stub
from pytest_checkout.fake.clock import Clock
from pytest_checkout.fake.events import EVENT_TYPES, Event, sign
from pytest_checkout.fake.mock import mock_checkout
from pytest_checkout.fake.routes import FakeResponse, StripeVersionWarning, handle
from pytest_checkout.fake.transports import RequestRefusedError
from pytest_checkout.fake.webhooks import WebhookRequest, WebhookResponse, webhook_request

if TYPE_CHECKING:
    from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient

__all__ = [
    "EVENT_TYPES",
    "Account",
    "CheckoutFake",
    "CheckoutHTTPClient",
    "Clock",
    "Event",
    "FakeResponse",
    "RecordedRequest",
    "RequestRefusedError",
    "StripeVersionWarning",
    "Stub",
    "WebhookRequest",
    "WebhookResponse",
    "handle",
    "mock_checkout",
    "sign",
    "webhook_request",
]


def __getattr__(name: str) -> Any:
    # Lazily: defining the in-process SDK client imports stripe, which this package does not depend on.
    if name == "CheckoutHTTPClient":
        from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient

        return CheckoutHTTPClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
