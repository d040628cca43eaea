"""What never reaches a cassette: secrets (always) and personal data (on request), scrubbed from both sides.

vcrpy calls ``before_record_request`` on every request, the live ones it matches against a cassette as well as
the ones it records, so a live request is scrubbed exactly as its recording was and the two still match. Both
scrubbers return a scrubbed copy and never change what they are given: the request that goes to Stripe, and
the response the application reads, are the real ones.

Requests (``scrub_request``):

- ``Authorization`` keeps its scheme word: ``Bearer sk_test_REDACTED``, or for Basic the base64 of
  ``sk_test_REDACTED:`` (the placeholder key, as Stripe's Basic form carries a key). ``Stripe-Account`` becomes
  ``acct_REDACTED``.
- ``X-Stripe-Client-User-Agent`` and ``X-Stripe-Client-Telemetry`` are removed: they describe the machine (host
  name, OS, Python build) and the previous request (its id and timing), so they differ on every run and there
  is nothing in them to match on. ``User-Agent`` is kept but its value replaced by ``USER_AGENT_PLACEHOLDER``: a
  request keeps the shape its client sent, while the SDK version and ``app_info`` in it (which can name the
  application) no longer change the cassette on every upgrade. ``Cookie`` is removed.
- In the URI, the body and every other header, each match of ``SECRET_PATTERNS`` becomes its placeholder.

Responses (``scrub_response``, on vcrpy's response dict):

- ``Set-Cookie`` is removed, ``Stripe-Account`` becomes ``acct_REDACTED``, and secrets in the other headers
  become placeholders.
- A compressed body (``Content-Encoding: gzip``, ...) is decompressed first, with vcrpy's own
  ``decode_response``: a secret inside gzip would pass any scrub of the text. An encoding vcrpy cannot decode
  raises ``ValueError`` rather than write a body nobody could scrub.
- Every match of ``SECRET_PATTERNS`` in the body becomes its placeholder, and in a JSON body every
  ``client_secret`` field, at any depth, too (``CLIENT_SECRET_PLACEHOLDER`` when it is not shaped
  ``<id>_secret_<secret>``). The body keeps its type (bytes stay bytes) and stays valid JSON; its formatting is
  kept where only the text changed, and ``Content-Length`` follows the new length.

Personal data (``pii=True``, the plugin's ``checkout_scrub_pii`` ini value):

- Every email address in a request's URI and body (``customer_email=jenny%40...`` included) and in a response
  body becomes ``PII_EMAIL``.
- In a JSON response, in Checkout Sessions (``customer_email``, ``customer_details``, ``shipping_details``,
  ``shipping``) and customers (``email``, ``name``, ``phone``, ``address``, ``shipping``): emails, names, phones
  and addresses become the fixed placeholders ``PII_EMAIL``, ``PII_NAME``, ``PII_PHONE`` and ``PII_ADDRESS``,
  wherever they are nested (a list, an event's ``data.object``, an expanded customer). JSON types are kept: a
  ``null`` stays ``null``, a string becomes a string. An address keeps its ``country``, since tests often
  assert on it (tax, shipping rates, payment methods offered). Names and phones in request bodies are not
  touched: the same keys (``name``) carry product names there, which tests assert on.

The patterns live in one table, ``SECRET_PATTERNS``, which ``scan`` uses as well, so what the scrubber writes
and what the scan accepts never drift apart: no placeholder matches any pattern (a key's placeholder tail,
``REDACTED``, is shorter than a real key's; a bearer placeholder has no digit), and the scan skips a match that
is its own placeholder all the same.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vcr.request import Request

__all__ = [
    "AUTHORIZATION_PLACEHOLDERS",
    "CLIENT_SECRET_PLACEHOLDER",
    "EMAIL",
    "PII_ADDRESS",
    "PII_EMAIL",
    "PII_NAME",
    "PII_PHONE",
    "SECRET_PATTERNS",
    "STRIPE_ACCOUNT_PLACEHOLDER",
    "USER_AGENT_PLACEHOLDER",
    "SecretPattern",
    "make_scrubbers",
    "scrub_request",
    "scrub_response",
    "scrub_text",
]


@dataclass(frozen=True)
class SecretPattern:
    """One kind of secret: how it is found, and the placeholder (a ``re`` template) that replaces it.

    ``regex`` has a group ``secret``, the part a report masks, and may have a group ``label``, shown as it is
    (the scheme word of a bearer token).
    """

    kind: str
    regex: re.Pattern[str]
    template: str

    def placeholder(self, match: re.Match[str]) -> str:
        """What ``match`` is replaced with."""
        return match.expand(self.template)

    def is_placeholder(self, match: re.Match[str]) -> bool:
        """Whether ``match`` is already a placeholder (scrubbing it would change nothing)."""
        return self.placeholder(match) == match.group(0)


# A Stripe secret is at least this many characters after its prefix; real ones have 24 to about 100. Shorter
# strings (``sk_test_123`` in a test) are not keys Stripe issues, and the placeholders (``REDACTED``, 8) are
# shorter, so a scrubbed file never matches.
_MIN = 10
_TAIL = rf"[0-9A-Za-z]{{{_MIN},}}"

#: The one table of what counts as a secret, for the scrubber (which replaces each match by its placeholder)
#: and the scan (which reports each match that is not a placeholder). Ordered from the most specific: where two
#: matches overlap, the first one's kind is reported.
SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern(
        "secret key", re.compile(rf"(?P<secret>(?P<prefix>sk_(?:test|live)_){_TAIL})"), r"\g<prefix>REDACTED"
    ),
    SecretPattern(
        "restricted key", re.compile(rf"(?P<secret>(?P<prefix>rk_(?:test|live)_){_TAIL})"), r"\g<prefix>REDACTED"
    ),
    SecretPattern("webhook secret", re.compile(rf"(?P<secret>whsec_{_TAIL})"), "whsec_REDACTED"),
    # A Checkout Session's, a PaymentIntent's or a SetupIntent's: ``<object id>_secret_<secret>``. The id is
    # kept (it is no secret, and it ties the value to its object); the left guard keeps ``api_...`` out.
    SecretPattern(
        "client secret",
        re.compile(rf"(?<![0-9A-Za-z])(?P<secret>(?P<id>(?:cs_(?:test|live)|pi|seti)_{_TAIL})_secret_{_TAIL})"),
        r"\g<id>_secret_REDACTED",
    ),
    # Any other credential in an Authorization-style ``Bearer <token>`` (another API's, an OAuth token). A token
    # is at least 20 characters and has a digit, so that prose ("Bearer instruments") is not one.
    SecretPattern(
        "bearer token",
        re.compile(r"(?P<label>(?i:\bbearer))\s+(?P<secret>(?=[A-Za-z._~+/-]*[0-9])[0-9A-Za-z._~+/-]{20,}=*)"),
        r"\g<label> sk_test_REDACTED",
    ),
)

#: What the ``Authorization`` header becomes, by scheme (lower case); any other scheme becomes ``REDACTED``.
AUTHORIZATION_PLACEHOLDERS = {
    "bearer": "Bearer sk_test_REDACTED",
    "basic": "Basic " + base64.b64encode(b"sk_test_REDACTED:").decode("ascii"),
}
STRIPE_ACCOUNT_PLACEHOLDER = "acct_REDACTED"
USER_AGENT_PLACEHOLDER = "pytest-checkout (scrubbed)"
_REDACTED = "REDACTED"
#: A ``client_secret`` field whose value is not shaped ``<id>_secret_<secret>``.
CLIENT_SECRET_PLACEHOLDER = _REDACTED

PII_EMAIL = "jenny.rosen@example.com"
PII_NAME = "Jenny Rosen"
PII_PHONE = "+15555550100"
#: An address's fields; ``country`` is kept, and a field that is ``null`` stays ``null``.
PII_ADDRESS = {
    "line1": "510 Townsend St",
    "line2": "Suite 100",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94103",
}
#: An email address, with ``@`` as it is or percent-encoded (``%40``), as in a form body or a query.
#: Bounded (64 is the longest local part there is) so that a long run of letters costs linear time.
EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]{1,64}(?P<at>@|%40)"  # the local part, and the at sign
    r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}"  # the domain
)

_REMOVED_REQUEST_HEADERS = frozenset({"x-stripe-client-user-agent", "x-stripe-client-telemetry", "cookie"})
_IDENTITY = frozenset({"", "identity"})
_CLIENT_SECRET_SHAPE = re.compile(r"^(?P<id>[a-z]+_[0-9A-Za-z_]*?)_secret_")


# -- text ---------------------------------------------------------------------------------------------------------


def scrub_text(text: str, *, pii: bool = False) -> str:
    """``text`` with every secret replaced by its placeholder (and, with ``pii``, every email address)."""
    for pattern in SECRET_PATTERNS:
        text = pattern.regex.sub(pattern.template, text)
    if pii:
        text = EMAIL.sub(_email_placeholder, text)
    return text


def _email_placeholder(match: re.Match[str]) -> str:
    return PII_EMAIL.replace("@", match.group("at"))


def _scrub_bytes(data: bytes, *, pii: bool) -> bytes:
    # surrogateescape: bytes that are not UTF-8 (a binary upload) go through unchanged, byte for byte.
    return scrub_text(data.decode("utf-8", "surrogateescape"), pii=pii).encode("utf-8", "surrogateescape")


def _scrub_value(value: Any, *, pii: bool) -> Any:
    if isinstance(value, str):
        return scrub_text(value, pii=pii)
    if isinstance(value, (bytes, bytearray)):
        return _scrub_bytes(bytes(value), pii=pii)
    if isinstance(value, dict):
        return {_scrub_value(k, pii=pii): _scrub_value(v, pii=pii) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_value(item, pii=pii) for item in value)
    return value


# -- requests -----------------------------------------------------------------------------------------------------


def scrub_request(request: Request, *, pii: bool = False) -> Request:
    """A scrubbed copy of a vcrpy request (see the module's docstring); ``request`` itself is left as it is."""
    from vcr.request import Request

    body = request.body
    raw: bytes | None = None
    if hasattr(body, "read"):  # a file body: vcrpy hands out a fresh BytesIO of its bytes on each access
        raw = body.read()
        new_body: Any = BytesIO(_scrub_bytes(raw, pii=pii))
        new_raw = new_body.getvalue()
    elif body is not None and not isinstance(body, (bytes, bytearray, str, dict)) and hasattr(body, "__next__"):
        # An iterator body (a fresh iterator too), joined: a secret may straddle two chunks.
        raw = b"".join(c if isinstance(c, bytes) else str(c).encode("utf-8") for c in body)
        new_raw = _scrub_bytes(raw, pii=pii)
        new_body = iter([new_raw])
    else:
        new_body = new_raw = _scrub_value(body, pii=pii)
        raw = bytes(body) if isinstance(body, (bytes, bytearray)) else None
    headers = _scrub_request_headers(request.headers, pii=pii)
    if raw is not None and len(new_raw) != len(raw):
        _set_content_length(headers, len(new_raw))
    return Request(request.method, scrub_text(request.uri, pii=pii), new_body, headers)


def _scrub_request_headers(headers: Any, *, pii: bool) -> dict[str, Any]:
    scrubbed: dict[str, Any] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _REMOVED_REQUEST_HEADERS:
            continue
        if lowered == "authorization":
            scrubbed[name] = _authorization_placeholder(value)
        elif lowered == "stripe-account":
            scrubbed[name] = STRIPE_ACCOUNT_PLACEHOLDER
        elif lowered == "user-agent":
            scrubbed[name] = USER_AGENT_PLACEHOLDER
        else:
            scrubbed[name] = _scrub_value(value, pii=pii)
    return scrubbed


def _authorization_placeholder(value: Any) -> str:
    text = value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)
    scheme = text.strip().split(" ", 1)[0].lower()
    return AUTHORIZATION_PLACEHOLDERS.get(scheme, _REDACTED)


def _set_content_length(headers: dict[str, Any], length: int) -> None:
    for name, value in headers.items():
        if name.lower() == "content-length":
            headers[name] = [str(length)] if isinstance(value, list) else str(length)


# -- responses ----------------------------------------------------------------------------------------------------


def scrub_response(response: dict[str, Any], *, pii: bool = False) -> dict[str, Any]:
    """A scrubbed copy of vcrpy's response dict (see the module's docstring); ``response`` is left as it is."""
    scrubbed = copy.deepcopy(response)
    headers, body = scrubbed.get("headers"), scrubbed.get("body")
    has_body = isinstance(body, dict) and body.get("string") is not None
    if has_body and isinstance(headers, dict) and _content_encoding(headers):
        from vcr.filters import decode_response

        scrubbed = decode_response(scrubbed)
        encoding = _content_encoding(scrubbed["headers"])
        if encoding:
            raise ValueError(
                f"pytest-checkout cannot scrub a response body in Content-Encoding {encoding!r}, so it is not "
                "recorded; install the decoder vcrpy needs for it (brotli for br) or ask for another encoding"
            )
    if isinstance(scrubbed.get("headers"), dict):
        scrubbed["headers"] = _scrub_response_headers(scrubbed["headers"], pii=pii)
    body = scrubbed.get("body")
    if isinstance(body, dict) and isinstance(body.get("string"), (bytes, bytearray, str)):
        original = body["string"]
        if isinstance(original, str):
            body["string"] = _scrub_body_text(original, pii=pii)
        else:
            text = bytes(original).decode("utf-8", "surrogateescape")
            body["string"] = _scrub_body_text(text, pii=pii).encode("utf-8", "surrogateescape")
        if isinstance(scrubbed.get("headers"), dict) and _length(body["string"]) != _length(original):
            _set_content_length(scrubbed["headers"], _length(body["string"]))
    return scrubbed


def _length(body: str | bytes | bytearray) -> int:
    return len(body.encode("utf-8", "surrogateescape")) if isinstance(body, str) else len(body)


def _content_encoding(headers: dict[str, Any]) -> str:
    """The first encoding that is not identity, or ``""``."""
    for name, values in headers.items():
        if name.lower() == "content-encoding":
            for value in values if isinstance(values, list) else [values]:
                for part in str(value).split(","):
                    if part.strip().lower() not in _IDENTITY:
                        return part.strip()
    return ""


def _scrub_response_headers(headers: dict[str, Any], *, pii: bool) -> dict[str, Any]:
    scrubbed: dict[str, Any] = {}
    for name, values in headers.items():
        lowered = name.lower()
        if lowered == "set-cookie":
            continue
        if lowered == "stripe-account":
            scrubbed[name] = [STRIPE_ACCOUNT_PLACEHOLDER] if isinstance(values, list) else STRIPE_ACCOUNT_PLACEHOLDER
        else:
            scrubbed[name] = _scrub_value(values, pii=pii)
    return scrubbed


def _scrub_body_text(text: str, *, pii: bool) -> str:
    """The secrets replaced in the text (which keeps its formatting), then the JSON rules, if it is JSON."""
    text = scrub_text(text, pii=pii)
    if not text.lstrip().startswith(("{", "[")):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    cleaned = _scrub_json(data, pii=pii)
    if cleaned == data:
        return text
    if "\n" in text.strip():  # Stripe's answers are indented by two spaces
        return json.dumps(cleaned, indent=2, ensure_ascii=False)
    return json.dumps(cleaned, separators=(",", ":"), ensure_ascii=False)


def _scrub_json(value: Any, *, pii: bool) -> Any:
    """A copy of decoded JSON with each ``client_secret`` replaced (and with ``pii``, personal data)."""
    if isinstance(value, list):
        return [_scrub_json(item, pii=pii) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "client_secret" and isinstance(item, str) and item:
            out[key] = _client_secret_placeholder(item)
        else:
            out[key] = _scrub_json(item, pii=pii)
    if pii:
        kind = out.get("object")
        if kind == "checkout.session":
            _replace_person(out, ("customer_email",))
            for field in ("customer_details", "shipping_details", "shipping"):
                if isinstance(out.get(field), dict):
                    out[field] = dict(out[field])
                    _replace_person(out[field], ("email",))
        elif kind == "customer":
            _replace_person(out, ("email",))
            if isinstance(out.get("shipping"), dict):
                out["shipping"] = dict(out["shipping"])
                _replace_person(out["shipping"], ("email",))
    return out


def _client_secret_placeholder(value: str) -> str:
    shape = _CLIENT_SECRET_SHAPE.match(value)
    return f"{shape.group('id')}_secret_REDACTED" if shape else CLIENT_SECRET_PLACEHOLDER


def _replace_person(obj: dict[str, Any], email_fields: tuple[str, ...]) -> None:
    """In place, on a copy: each of ``email_fields``, ``name``, ``phone`` and ``address`` that is set."""
    for field in email_fields:
        if isinstance(obj.get(field), str):
            obj[field] = PII_EMAIL
    if isinstance(obj.get("name"), str):
        obj["name"] = PII_NAME
    if isinstance(obj.get("phone"), str):
        obj["phone"] = PII_PHONE
    address = obj.get("address")
    if isinstance(address, dict):
        obj["address"] = {
            key: part if key == "country" or not isinstance(part, str) else PII_ADDRESS.get(key, _REDACTED)
            for key, part in address.items()
        }


# -- for vcrpy ----------------------------------------------------------------------------------------------------


def make_scrubbers(
    *, pii: bool = False
) -> tuple[Callable[[Request], Request], Callable[[dict[str, Any]], dict[str, Any]]]:
    """``(before_record_request, before_record_response)`` for vcrpy, scrubbing as the module's docstring says.

    With ``pii=True`` emails, names, phones and addresses are replaced too; an address keeps its ``country``,
    which tests often assert on.
    """

    def before_record_request(request: Request) -> Request:
        return scrub_request(request, pii=pii)

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        return scrub_response(response, pii=pii)

    return before_record_request, before_record_response
