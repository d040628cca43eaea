"""Stripe's errors: the exception hierarchy and the one place that writes and reads the error envelope.

Stripe answers an error with ``{"error": {"type", "code"?, "message", "param"?, "doc_url"?}}``; keys that do
not apply are left out rather than sent as null, and ``doc_url`` is present only with a ``code``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pytest_checkout.httputil import header

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "IdempotencyError",
    "InvalidRequestError",
    "PermissionDeniedError",
    "RateLimitError",
    "StripeError",
    "doc_url_for",
    "error_from_response",
]

DOC_URL_BASE = "https://stripe.com/docs/error-codes/"


def doc_url_for(code: str) -> str:
    """The documentation address Stripe attaches to an error ``code``."""
    return DOC_URL_BASE + code.replace("_", "-")


class StripeError(Exception):
    """An error answered by Stripe (or by the fake), or met on the way to it."""

    #: The ``type`` this class stands for in the envelope.
    error_type: str = "api_error"
    #: The status this class is answered with when none is given.
    default_status: int = 500

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        doc_url: str | None = None,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = self.default_status if http_status is None else http_status
        self.code = code
        self.param = param
        self.type = error_type or self.error_type
        self.doc_url = doc_url if doc_url is not None else (doc_url_for(code) if code else None)
        self.headers: dict[str, str] = dict(headers or {})
        self.json_body: dict[str, Any] | None = dict(json_body) if json_body is not None else None

    @property
    def request_id(self) -> str | None:
        """The ``Request-Id`` header of the answer, when there was one."""
        return header(self.headers, "Request-Id")

    def to_dict(self) -> dict[str, Any]:
        """The error envelope Stripe would answer with; absent keys are left out, never null."""
        error: dict[str, Any] = {"type": self.type}
        if self.code is not None:
            error["code"] = self.code
        if self.doc_url:
            error["doc_url"] = self.doc_url
        error["message"] = self.message
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}

    def __str__(self) -> str:
        where = f" (param: {self.param})" if self.param else ""
        return f"{self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, http_status={self.http_status}, "
            f"type={self.type!r}, code={self.code!r}, param={self.param!r})"
        )


class InvalidRequestError(StripeError):
    """400 or 404: the request was malformed or named something that does not exist."""

    error_type = "invalid_request_error"
    default_status = 400


class IdempotencyError(StripeError):
    """An ``Idempotency-Key`` reused with other parameters."""

    error_type = "idempotency_error"
    default_status = 400


class AuthenticationError(StripeError):
    """401: no API key, or one Stripe does not know."""

    error_type = "invalid_request_error"
    default_status = 401


class CardError(StripeError):
    """402: a card was declined."""

    error_type = "card_error"
    default_status = 402


class PermissionDeniedError(StripeError):
    """403: the key may not do this (a restricted key, say)."""

    error_type = "invalid_request_error"
    default_status = 403


class RateLimitError(StripeError):
    """429: too many requests."""

    error_type = "invalid_request_error"
    default_status = 429


class APIError(StripeError):
    """An error on Stripe's side (5xx), or an answer that fits no other class."""

    error_type = "api_error"
    default_status = 500


class APIConnectionError(StripeError):
    """Stripe could not be reached, or answered with something that is not Stripe's JSON."""

    error_type = "api_connection_error"
    default_status = 0


def _class_for(status: int, error_type: str | None) -> type[StripeError]:
    # The same mapping the official SDK applies, so code that catches its classes reads ours the same way.
    if error_type == "idempotency_error":
        return IdempotencyError
    if status in (400, 404):
        return InvalidRequestError
    if status == 401:
        return AuthenticationError
    if status == 402:
        return CardError
    if status == 403:
        return PermissionDeniedError
    if status == 429:
        return RateLimitError
    return APIError


def error_from_response(
    status: int, body: bytes | str, headers: Mapping[str, str] | None = None, *, url: str = ""
) -> StripeError:
    """Read an error answer into the exception it stands for.

    A body that is not Stripe's error envelope gives an ``APIConnectionError`` (for a body that is not JSON at
    all) or an ``APIError`` naming the status, never a ``KeyError`` or ``JSONDecodeError``.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    where = f" from {url}" if url else ""
    try:
        decoded = json.loads(text)
    except ValueError:
        return APIConnectionError(
            f"Invalid response body{where}: not JSON (HTTP {status}): {text[:200]!r}",
            http_status=status,
            headers=headers,
        )
    error = decoded.get("error") if isinstance(decoded, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message", ""), str):
        return APIError(
            f"Invalid error response{where} (HTTP {status}): {text[:200]!r}",
            http_status=status,
            headers=headers,
            json_body=decoded if isinstance(decoded, dict) else None,
        )
    cls = _class_for(status, error.get("type"))

    def text_or_none(key: str) -> str | None:
        value = error.get(key)
        return value if isinstance(value, str) else None

    return cls(
        text_or_none("message") or f"HTTP {status}",
        http_status=status,
        code=text_or_none("code"),
        param=text_or_none("param"),
        doc_url=text_or_none("doc_url") or "",
        error_type=text_or_none("type"),
        headers=headers,
        json_body=decoded,
    )
