"""pytest-checkout: test applications that take payments through Stripe Checkout Sessions.

Models Stripe API version 2022-08-01 (``Session``) and today's, 2026-10-28.endive (``TodaySession``). The public
names are re-exported here; everything else is internal.
"""

from __future__ import annotations

from pytest_checkout.client import Client, LineItem, Session, TodayLineItem, TodaySession, today_client
from pytest_checkout.codec import decode, encode, encode_body
from pytest_checkout.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    PermissionDeniedError,
    RateLimitError,
    StripeError,
)
from pytest_checkout.fake import (
    EVENT_TYPES,
    CheckoutFake,
    Clock,
    Event,
    RecordedRequest,
    RequestRefusedError,
    StripeVersionWarning,
    Stub,
    WebhookRequest,
    WebhookResponse,
    mock_checkout,
    webhook_request,
)
from pytest_checkout.objects import ListObject
from pytest_checkout.rules import RuleContext
from pytest_checkout.validation import (
    Problem,
    check_create_params,
    check_params,
    validate_create_params,
    validate_params,
)
from pytest_checkout.versions import API_VERSION

__all__ = [
    "API_VERSION",
    "EVENT_TYPES",
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "CheckoutFake",
    "Client",
    "Clock",
    "Event",
    "IdempotencyError",
    "InvalidRequestError",
    "LineItem",
    "ListObject",
    "PermissionDeniedError",
    "Problem",
    "RateLimitError",
    "RecordedRequest",
    "RequestRefusedError",
    "RuleContext",
    "Session",
    "StripeError",
    "StripeVersionWarning",
    "Stub",
    "TodayLineItem",
    "TodaySession",
    "WebhookRequest",
    "WebhookResponse",
    "check_create_params",
    "check_params",
    "decode",
    "encode",
    "encode_body",
    "mock_checkout",
    "today_client",
    "validate_create_params",
    "validate_params",
    "webhook_request",
]
