"""HTTP in, HTTP out: ``handle``, the one place where a request becomes an answer (moto's ``responses.py``).

Every road into the fake (``responses`` for requests, the httpx and aiohttp adapters, the in-process SDK client,
the WSGI server) calls ``handle``. It parses the request once (route, API key, version, form parameters), runs
the route's handler against the backend, keeps the idempotency records and the request log, and writes the
answer: Stripe's JSON, a ``Request-Id`` header and, for errors, Stripe's envelope. The behaviour of Stripe's
objects is the backend's; the routes are in ``urls.py``; the messages in ``exceptions.py``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import json.encoder
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_checkout import codec, versions
from pytest_checkout.errors import APIError, StripeError
from pytest_checkout.fake import exceptions, urls
from pytest_checkout.fake.backend import CheckoutFake, Stub
from pytest_checkout.fake.events import CAUSE
from pytest_checkout.fake.httpstate import RecordedRequest, fingerprint
from pytest_checkout.httputil import API_KEY, escape_controls, lowered_headers, mask_key, parse_form
from pytest_checkout.schema.nodes import Node

__all__ = ["MAX_BODY", "MAX_DEPTH", "MAX_FIELDS", "FakeResponse", "StripeVersionWarning", "handle"]

#: At most this many form fields in one request; more is refused rather than parsed (a guess at Stripe's cap).
MAX_FIELDS = 10_000
#: At most this many bytes of body.
MAX_BODY = 1_000_000
#: At most this many levels of brackets in a parameter name (``a[b][c]`` has two); a deeper name is refused. The
#: deepest of Stripe's own parameters has about six (``line_items[0][price_data][product_data][metadata][k]``
#: has five), so the limit only stops names that would nest the decoded params (and their decoding) without end.
MAX_DEPTH = 100


class StripeVersionWarning(UserWarning):
    """A client pinned a ``Stripe-Version`` the fake does not model; it answers in a modelled version's shape."""


@dataclass
class FakeResponse:
    """What the fake answers: status, headers, JSON body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The decoded body."""
        return json.loads(self.body)


# Made once: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


# The C encoder JSONEncoder.encode makes anew on every call, made once. Without the circular-reference check
# (markers None): the fake's answers are built of fresh dicts and lists (a test's stubbed answer, which may hold
# anything, goes through _ENCODER).
_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # absent from typeshed and from some Pythons
_C_ENCODE: Any = (
    _MAKE_ENCODER(None, _ENCODER.default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
    if _MAKE_ENCODER is not None
    else None
)


def _dump(body: Mapping[str, Any]) -> bytes:
    if _C_ENCODE is not None:
        return "".join(_C_ENCODE(body, 0)).encode()
    return _ENCODER.encode(body).encode()


def _api_key(headers: Mapping[str, str]) -> str:
    """The key from ``Authorization`` (Bearer, or Basic with the key as user name), or a 401.

    ``headers`` by lower-case name (``httputil.lowered_headers``), as every reader here takes them.
    """
    return _key_of(headers.get("authorization") or "")


@functools.lru_cache(maxsize=256)
def _key_of(authorization: str) -> str:
    # Kept per header value (a client sends the same one on every request); a refusal raises, and is not kept.
    value = authorization.strip()
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
        raise exceptions.no_api_key()
    if key.startswith("pk_"):
        raise exceptions.publishable_key()
    if not API_KEY.match(key):
        raise exceptions.invalid_api_key(key)
    return key


def _stripe_account(headers: Mapping[str, str], api_key: str) -> str | None:
    """The connected account of ``Stripe-Account`` (Connect), or None; a value that is no account id is a 403."""
    value = headers.get("stripe-account")
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _ACCOUNT_ID.fullmatch(value):
        raise exceptions.no_access_to_account(mask_key(api_key), value)
    return value


_ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{1,64}")


def _form_text(method: str, query: str, body: bytes) -> str:
    """The form-encoded parameters: the query of a GET (or a HEAD), the body otherwise."""
    if method in _QUERY_METHODS:
        return query
    if len(body) > MAX_BODY:
        raise exceptions.body_too_large(MAX_BODY)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise exceptions.body_not_utf8() from None


_QUERY_METHODS = ("GET", "HEAD")


def _pairs(text: str, method: str) -> list[tuple[str, str]]:
    """The form fields of ``text`` (from ``_form_text``), refused as a whole if any cannot be read.

    A percent-escape that is not UTF-8 (``%ff``) is refused as a body that is not UTF-8 is (rather than read as
    U+FFFD and kept), and so is a name nested deeper than ``MAX_DEPTH``.
    """
    try:
        pairs = parse_form(text, MAX_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise (exceptions.query_not_utf8() if method in _QUERY_METHODS else exceptions.body_not_utf8()) from None
    except ValueError:
        raise exceptions.too_many_parameters(MAX_FIELDS) from None
    # Only a text with that many brackets in all can hold a name too deep: most requests skip the loop.
    if text.count("[") + text.count("%5B") + text.count("%5b") > MAX_DEPTH:
        for name, _ in pairs:
            if name.count("[") > MAX_DEPTH:
                raise exceptions.too_deeply_nested(name, MAX_DEPTH)
    return pairs


def _warn_version(fake: CheckoutFake, asked: str | None, resolved: versions.Resolved) -> None:
    if not asked or resolved.exact or asked in fake.warned_versions:
        return
    fake.warned_versions.add(asked)
    # Warnings turned into errors must not turn an answer into a crash inside the HTTP stack.
    with contextlib.suppress(Warning):
        warnings.warn(
            f"A client sent Stripe-Version {escape_controls(asked)}, which pytest-checkout's fake can not place "
            f"(it models {', '.join(v.name for v in versions.all_versions())} and the dated versions between); "
            f"it answers in {resolved.version.name}'s shape. Pin the client to a version the fake models "
            "(stripe_version=...) or filter pytest_checkout.fake.StripeVersionWarning.",
            StripeVersionWarning,
            stacklevel=2,
        )


def _split(url: str) -> tuple[str, str]:
    if url.startswith("/"):
        # A path with its query (the WSGI server's case): urlsplit would read a leading "//x" as a host name.
        raw_path, _, query = url.partition("?")
        return raw_path.partition("#")[0] or "/", query
    split = urlsplit(url)
    return split.path or "/", split.query


def _stub_answer(stub: Stub, params: dict[str, Any]) -> tuple[int, bytes]:
    answer = stub.answer(params) if callable(stub.answer) else stub.answer
    try:
        # The test's own answer may hold anything: encoded with the circular-reference check.
        return stub.status, _ENCODER.encode(answer).encode()
    except (TypeError, ValueError) as error:
        raise APIError(f"the test's stubbed answer is not JSON: {error}") from None


def handle(
    fake: CheckoutFake, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None
) -> FakeResponse:
    """Answer one HTTP request as Stripe would; never raises for anything a client can send."""
    method = (method or "").upper()
    path, query = _split(url)
    # A str body with lone surrogates keeps them, so that it is refused below as Stripe refuses bad UTF-8.
    body_bytes = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else (body or b"")
    request_id = fake.new_id("req")
    headers = lowered_headers(headers)
    asked = headers.get("stripe-version")
    resolved = versions.resolve(asked, default=fake.api_version, strict=fake.strict_versions)
    version = resolved.version
    response_headers = {
        "Content-Type": "application/json",
        "Request-Id": request_id,
        "Stripe-Version": resolved.version.name,
    }
    idempotency_key = headers.get("idempotency-key")
    api_key: str | None = None
    # What the log decodes when it is read: the form text and its schema, once the request got that far.
    source: tuple[str, Node | None] | None = None
    fake.expire_due()
    try:
        api_key = _api_key(headers)
        _warn_version(fake, asked, resolved)
        # HEAD is answered as the GET of the same URL (RFC 9110, 9.3.2), body included: each transport drops the
        # body and keeps its length. Unverified: Stripe's own answer to a HEAD is not known.
        route_method = "GET" if method == "HEAD" else method
        found = urls.match(route_method, path)
        if found is None:
            stub = urls.match_stub(fake.stubs, route_method, path)
            if stub is None:
                raise exceptions.unrecognized_url(method, path)
            text = _form_text(method, query, body_bytes)
            params = codec.decode(_pairs(text, method))
            source = (text, None)
            status, payload = _stub_answer(stub, params)
        else:
            route, parts = found
            operation = version.operations.get(route.operation.name)
            if operation is None:
                # An endpoint newer than the version the request pins (the update endpoint on 2022-08-01).
                raise exceptions.unrecognized_url(method, path)
            if parts:  # a create has none
                parts = {name: unquote(value) for name, value in parts.items()}
            text = _form_text(method, query, body_bytes)
            pairs = _pairs(text, method)
            params = codec.decode(pairs, operation.params)
            source = (text, operation.params)
            stripe_account = _stripe_account(headers, api_key)
            account = fake.account(api_key, stripe_account)

            def answer() -> tuple[int, bytes]:
                # Events this request causes carry its id and idempotency key (events.CAUSE).
                token = CAUSE.set((request_id, idempotency_key))
                try:
                    return 200, _dump(route.run(fake, account, parts, params, version))
                finally:
                    CAUSE.reset(token)

            if method == "POST" and idempotency_key is not None:
                response_headers["Idempotency-Key"] = idempotency_key
            if method == "POST" and idempotency_key:
                status, payload, replay = fake.idempotency.run(
                    api_key if stripe_account is None else f"{api_key}/{stripe_account}",
                    idempotency_key,
                    fingerprint(method, path, pairs),
                    fake.clock.now(),
                    request_id,
                    answer,
                )
                if replay is not None:
                    response_headers["Idempotent-Replayed"] = "true"
                    response_headers["Original-Request"] = replay.request_id
            else:
                status, payload = answer()
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
            status=response.status,
            api_key=mask_key(api_key) if api_key else None,
            idempotency_key=idempotency_key,
            stripe_version=asked,
            request_id=request_id,
            api_version=resolved.version.name,
            source=source,
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
