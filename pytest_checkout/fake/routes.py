"""HTTP in, HTTP out: the one handler shared by the ``responses`` adapter and the WSGI server.

``handle`` parses a request (route, API key, form parameters) and calls the backend; it answers every request
with Stripe's JSON, a ``Request-Id`` header and, for errors, Stripe's envelope. Parsing only: the behaviour is
in ``backend.py``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pytest_checkout import codec
from pytest_checkout.errors import APIError, AuthenticationError, InvalidRequestError, StripeError
from pytest_checkout.fake.backend import Account, CheckoutFake, RecordedRequest, fingerprint, mask_key
from pytest_checkout.versions import API_VERSION, DEFAULT

OPERATIONS = DEFAULT.operations

__all__ = ["ROUTES", "FakeResponse", "StripeVersionWarning", "handle"]

#: At most this many form fields in one request; more is refused rather than parsed (a guess at Stripe's cap).
MAX_FIELDS = 10_000
#: At most this many bytes of body.
MAX_BODY = 1_000_000

_KEY = re.compile(r"^(sk|rk)_(test|live)_[0-9A-Za-z]{1,255}$")
_SUPPORT = "Please see https://stripe.com/docs or we can help at https://support.stripe.com/."


class StripeVersionWarning(UserWarning):
    """A client pinned a ``Stripe-Version`` other than the one the fake models (answers keep 2022-08-01's shape)."""


@dataclass(frozen=True)
class Route:
    """One endpoint: method, a pattern for its path, and the operation it runs."""

    method: str
    pattern: re.Pattern[str]
    operation: str


def _route(method: str, template: str, operation: str) -> Route:
    # Path templates come from the generated schema: /v1/checkout/sessions/{session}/expire and so on.
    pattern = re.escape(template).replace(r"\{session\}", r"(?P<session>[^/]+)")
    return Route(method, re.compile(f"^{pattern}$"), operation)


#: The routes, derived from the schema's operations (one source for methods and paths).
ROUTES: tuple[Route, ...] = tuple(_route(op.method, op.path, name) for name, op in OPERATIONS.items())


@dataclass
class FakeResponse:
    """What the fake answers: status, headers, JSON body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The decoded body."""
        return json.loads(self.body)


def _dump(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _api_key(headers: Mapping[str, str]) -> str:
    """The key from ``Authorization`` (Bearer, or Basic with the key as user name), or a 401."""
    value = (_header(headers, "Authorization") or "").strip()
    scheme, _, credential = value.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credential.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credential.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    if not value or not key:
        raise AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using "
            "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
            "https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
        )
    if key.startswith("pk_"):
        raise AuthenticationError(
            "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a "
            "list of your API keys at https://dashboard.stripe.com/account/apikeys."
        )
    if not _KEY.match(key):
        shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
        raise AuthenticationError(f"Invalid API Key provided: {shown}")
    return key


def _params(method: str, query: str, body: bytes) -> list[tuple[str, str]]:
    text = query if method == "GET" else body
    if isinstance(text, bytes):
        if len(text) > MAX_BODY:
            raise InvalidRequestError(f"Request body too large: more than {MAX_BODY} bytes.", http_status=413)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            # Unverified wording: a body that is not UTF-8.
            raise InvalidRequestError("Invalid request: the body is not valid UTF-8.") from None
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise InvalidRequestError(f"Invalid request: more than {MAX_FIELDS} parameters.") from None


def _unrecognized(method: str, path: str) -> InvalidRequestError:
    if path.endswith("/") and path != "/":
        return InvalidRequestError(
            f"Unrecognized request URL ({method}: {path}). If you are trying to list objects, remove the trailing "
            "slash. If you are trying to retrieve an object, make sure you passed a valid (non-empty) identifier in "
            f"your code. {_SUPPORT}",
            http_status=404,
        )
    return InvalidRequestError(f"Unrecognized request URL ({method}: {path}). {_SUPPORT}", http_status=404)


def _warn_version(fake: CheckoutFake, version: str | None) -> None:
    if not version or version == API_VERSION or version in fake.warned_versions:
        return
    fake.warned_versions.add(version)
    # Warnings turned into errors must not turn an answer into a crash inside the HTTP stack.
    with contextlib.suppress(Warning):
        warnings.warn(
            f"A client sent Stripe-Version {version}; pytest-checkout's fake models {API_VERSION} and answers in "
            "that version's shape.",
            StripeVersionWarning,
            stacklevel=2,
        )


def _run(
    fake: CheckoutFake, account: Account, operation: str, session_id: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    if operation == "create":
        return fake.create_session(account, params)
    if operation == "list":
        return fake.list_sessions(account, params)
    assert session_id is not None
    if operation == "retrieve":
        return fake.retrieve_session(account, session_id, params)
    if operation == "expire":
        return fake.expire_session(account, session_id, params)
    return fake.list_line_items(account, session_id, params)


def handle(
    fake: CheckoutFake, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None
) -> FakeResponse:
    """Answer one HTTP request as Stripe would; never raises for anything a client can send."""
    method = (method or "").upper()
    if url.startswith("/"):
        # A path with its query (the WSGI server's case): urlsplit would read a leading "//x" as a host name.
        raw_path, _, query = url.partition("?")
        path = raw_path.partition("#")[0] or "/"
    else:
        split = urlsplit(url)
        path, query = split.path or "/", split.query
    body_bytes = body.encode() if isinstance(body, str) else (body or b"")
    request_id = fake.new_id("req")
    response_headers = {"Content-Type": "application/json", "Request-Id": request_id, "Stripe-Version": API_VERSION}
    idempotency_key = _header(headers, "Idempotency-Key")
    version = _header(headers, "Stripe-Version")
    api_key: str | None = None
    params: dict[str, Any] | None = None
    fake.expire_due()
    try:
        api_key = _api_key(headers)
        _warn_version(fake, version)
        route, match = None, None
        for candidate in ROUTES:
            found = candidate.pattern.match(path)
            if found and candidate.method == method:
                route, match = candidate, found
                break
        if route is None or match is None:
            raise _unrecognized(method, path)
        session_id = unquote(match.group("session")) if "session" in match.groupdict() else None
        pairs = _params(method, query, body_bytes)
        params = codec.decode(pairs, OPERATIONS[route.operation].params)
        account = fake.account(api_key)
        if method == "POST":
            if idempotency_key is not None:
                response_headers["Idempotency-Key"] = idempotency_key

            def run() -> tuple[int, bytes]:
                return 200, _dump(_run(fake, account, route.operation, session_id, params or {}))

            if idempotency_key:
                status, payload, replayed, first_id = fake.idempotent(
                    account, idempotency_key, fingerprint(method, path, params), request_id, run
                )
                if replayed:
                    response_headers["Idempotent-Replayed"] = "true"
                    response_headers["Original-Request"] = first_id
            else:
                status, payload = run()
        else:
            status, payload = 200, _dump(_run(fake, account, route.operation, session_id, params))
        response = FakeResponse(status, response_headers, payload)
    except StripeError as error:
        response = _error_response(error, response_headers)
    except Exception as error:
        response = _error_response(
            APIError(f"pytest-checkout's fake failed on this request: {type(error).__name__}: {error}"),
            response_headers,
        )
    fake.requests.append(
        RecordedRequest(
            method=method,
            path=path,
            params=params,
            status=response.status,
            api_key=mask_key(api_key) if api_key else None,
            idempotency_key=idempotency_key,
            stripe_version=version,
            request_id=request_id,
        )
    )
    return response


def _error_response(error: StripeError, headers: dict[str, str]) -> FakeResponse:
    status = error.http_status or 500
    out = dict(headers)
    # Tell clients not to retry what would only get the same answer (the official SDK honours this).
    if 400 <= status < 500 and status not in (409, 429):
        out["Stripe-Should-Retry"] = "false"
    return FakeResponse(status, out, _dump(error.to_dict()))
