"""pytest-checkout: test applications that take payments through Stripe Checkout Sessions.

Models Stripe API version 2022-08-01. The public names are re-exported here; everything else is internal.
"""

from __future__ import annotations

from pytest_checkout.client import Client, LineItem, Session
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
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "Client",
    "IdempotencyError",
    "InvalidRequestError",
    "LineItem",
    "ListObject",
    "PermissionDeniedError",
    "Problem",
    "RateLimitError",
    "RuleContext",
    "Session",
    "StripeError",
    "check_create_params",
    "check_params",
    "decode",
    "encode",
    "encode_body",
    "validate_create_params",
    "validate_params",
]
