"""The stateful in-process fake of Stripe Checkout Sessions.

``mock_checkout()`` routes the Checkout endpoints of ``https://api.stripe.com`` (or another ``api_base``) to a
``CheckoutFake`` for as long as it is active, for this package's client and the official ``stripe`` SDK alike.
"""

from __future__ import annotations

from pytest_checkout.fake.backend import Account, CheckoutFake, RecordedRequest
from pytest_checkout.fake.clock import Clock
from pytest_checkout.fake.events import EVENT_TYPES, Event, WebhookRequest, WebhookResponse, sign, webhook_request
from pytest_checkout.fake.mock import mock_checkout
from pytest_checkout.fake.routes import FakeResponse, StripeVersionWarning, handle

__all__ = [
    "EVENT_TYPES",
    "Account",
    "CheckoutFake",
    "Clock",
    "Event",
    "FakeResponse",
    "RecordedRequest",
    "StripeVersionWarning",
    "WebhookRequest",
    "WebhookResponse",
    "handle",
    "mock_checkout",
    "sign",
    "webhook_request",
]
