"""The test's side of a served fake over HTTP: play the customer, move the clock, read the events.

``CheckoutFake`` gives a Python test ``complete()``, ``clock.advance()``, ``events`` and the like. A test written
in another language talks to ``python -m pytest_checkout serve`` over HTTP only, so the server also answers these
helpers, under ``/_pytest_checkout/``. Stripe's own paths all start with ``/v1/`` or ``/v2/``, so no Stripe path
can ever land here, and nothing here is ever sent to ``routes.handle``:

========  ==============================================  ====================================================
method    path                                            does
========  ==============================================  ====================================================
GET       /_pytest_checkout                               lists these endpoints
POST      /_pytest_checkout/sessions/{id}/complete        ``fake.complete(id, ...)``: the customer pays
POST      /_pytest_checkout/sessions/{id}/settle          ``fake.settle_async_payment(id, succeeded=...)``
GET       /_pytest_checkout/clock                         the fake's time
POST      /_pytest_checkout/clock/advance                 ``fake.clock.advance(seconds)``; due sessions expire
GET       /_pytest_checkout/events                        the events as Stripe sends them, oldest first
POST      /_pytest_checkout/prices                        ``fake.add_price(...)``
POST      /_pytest_checkout/customers                     ``fake.add_customer(...)``
POST      /_pytest_checkout/reset                         ``fake.reset(clock=...)``
POST      /_pytest_checkout/signed_webhook                an event's webhook body and ``Stripe-Signature``
========  ==============================================  ====================================================

Inputs come as JSON (``Content-Type: application/json``) or as a form (Stripe's bracket encoding,
``address[city]=Berlin``), in the body of a POST; a GET takes only its query string. Answers are JSON. Bad input
gets a 4xx with Stripe's error envelope, ``{"error": {"type": "invalid_request_error", "message": ...}}``.

No API key is needed: these are the test's calls, not the application's. None of them answers anything an API key
could be read from, and the ``secret`` of ``signed_webhook`` is only passed through to the signing function.
Helper calls are not recorded in ``fake.requests`` (that log is of Stripe API requests).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pytest_checkout import codec
from pytest_checkout.errors import StripeError
from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.events import EVENT_TYPES
from pytest_checkout.fake.render import list_object
from pytest_checkout.fake.routes import MAX_BODY, FakeResponse
from pytest_checkout.httputil import header, parse_form

__all__ = ["ENDPOINTS", "PREFIX", "Endpoint", "answer"]

#: Every helper path starts with this; Stripe's start with /v1/ or /v2/.
PREFIX = "/_pytest_checkout"

# A form with more fields than this is refused rather than parsed (the helpers take a dozen at most).
_MAX_FIELDS = 1_000
# Integers as text: enough digits for any Unix time or amount, few enough that int() is never slow.
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,12})?")
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
_INTERVALS = ("day", "week", "month", "year")
_TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
_JSON_TYPES = ("application/json",)
_FORM_TYPES = ("application/x-www-form-urlencoded",)


class _RefusalError(Exception):
    """A helper request that cannot be answered as asked: becomes a 4xx in Stripe's error envelope."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.extra = dict(extra or {})


def _invalid(message: str, param: str | None = None) -> _RefusalError:
    return _RefusalError(400, message, param=param)


# --------------------------------------------------------------------------------------------- reading inputs

# A converter turns one decoded input value into what the fake's helper takes; ``name`` is the parameter in
# Stripe's bracket form, for messages.
_Converter = Callable[[str, Any], Any]


def _string(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _invalid(f"Invalid {name}: expected a string.", name)


def _secret(name: str, value: Any) -> str:
    # As _string, but a message never shows what was sent: it may be a real signing secret.
    if isinstance(value, str):
        return value
    raise _invalid(f"Invalid {name}: expected a string.", name)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _invalid(f"Invalid {name}: expected an integer, got {json.dumps(value)}.", name)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return int(value)  # 60.0 from a JSON library that writes every number as a float
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise _invalid(f"Invalid {name}: expected an integer, got {_shown(value)}.", name)


def _non_negative(name: str, value: Any) -> int:
    number = _integer(name, value)
    if number < 0:
        raise _invalid(f"Invalid {name}: must be 0 or more, got {number}.", name)
    return number


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # A form carries every value as text; "true"/"false" is how Stripe's own API reads booleans.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(f"Invalid {name}: expected true or false, got {_shown(value)}.", name)


def _one_of(choices: tuple[str, ...]) -> _Converter:
    def convert(name: str, value: Any) -> str:
        text = _string(name, value)
        if text not in choices:
            raise _invalid(f"Invalid {name}: must be one of {', '.join(choices)}, got {_shown(text)}.", name)
        return text

    return convert


def _object(name: str, value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise _invalid(f"Invalid {name}: expected an object (in a form, {name}[key]=value).", name)


def _address(name: str, value: Any) -> dict[str, str | None]:
    given = _object(name, value)
    address: dict[str, str | None] = {}
    for key, item in given.items():
        param = f"{name}[{key}]"
        if key not in _ADDRESS_KEYS:
            raise _invalid(f"Received unknown parameter: {param}. An address has {', '.join(_ADDRESS_KEYS)}.", param)
        address[key] = None if item is None else _string(param, item)
    return address


def _recurring(name: str, value: Any) -> dict[str, Any]:
    given = dict(_object(name, value))
    unknown = sorted(set(given) - {"interval", "interval_count"})
    if unknown:
        raise _invalid(f"Received unknown parameter: {name}[{unknown[0]}].", f"{name}[{unknown[0]}]")
    if given.get("interval") is None:
        raise _invalid(f"Missing required param: {name}[interval].", f"{name}[interval]")
    recurring: dict[str, Any] = {"interval": _one_of(_INTERVALS)(f"{name}[interval]", given["interval"])}
    if given.get("interval_count") is not None:
        count = _integer(f"{name}[interval_count]", given["interval_count"])
        if count < 1:
            raise _invalid(f"Invalid {name}[interval_count]: must be 1 or more.", f"{name}[interval_count]")
        recurring["interval_count"] = count
    return recurring


def _metadata(name: str, value: Any) -> dict[str, str]:
    return {str(key): _string(f"{name}[{key}]", item) for key, item in _object(name, value).items()}


def _decimal(name: str, value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, int | float) else None
    if text is None or isinstance(value, bool) or not _DECIMAL.fullmatch(text):
        # Checked here: the fake reads it with Decimal(), whose error for "abc" is not a ValueError.
        raise _invalid(f"Invalid {name}: expected a decimal number such as 12.5, got {_shown(value)}.", name)
    return text


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class _Call:
    """One helper request: the ``{id}`` from the path, and the parameters of a POST's body or a GET's query."""

    path_params: dict[str, str]
    body: dict[str, Any] | None = None
    query: list[tuple[str, str]] = field(default_factory=list)

    @property
    def params(self) -> dict[str, Any]:
        """The parameters decoded: the body's, or the query's read like a form (decoded only when asked for, so
        a helper that reads its query pairs itself is not held to the bracket rules)."""
        return self.body if self.body is not None else _decode(self.query)

    def take(self, fields: Mapping[str, _Converter], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
        """The parameters converted, by name; an unknown or missing one is refused, naming it."""
        params = self.params
        unknown = [name for name in params if name not in fields]
        if unknown:
            raise _invalid(
                f"Received unknown parameter: {unknown[0]}. This endpoint takes: {', '.join(fields) or 'nothing'}.",
                unknown[0],
            )
        taken: dict[str, Any] = {}
        for name, convert in fields.items():
            value = params.get(name)
            if value is None:  # absent, or JSON null: the helper's default
                if name in required:
                    raise _invalid(f"Missing required param: {name}.", name)
                continue
            taken[name] = convert(name, value)
        return taken


def _media_type(headers: Mapping[str, str]) -> str:
    return (header(headers, "Content-Type") or "").partition(";")[0].strip().lower()


def _body_params(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    if len(body) > MAX_BODY:
        raise _RefusalError(413, f"Request body too large: more than {MAX_BODY} bytes.")
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("Invalid request: the body is not valid UTF-8.") from None
    media = _media_type(headers)
    # With no Content-Type at all, a body that opens like a JSON object is read as one (curl --data '{...}'
    # without -H sends form's type, so that case is the only guess made).
    if media in _JSON_TYPES or (not media and text.lstrip().startswith("{")):
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise _invalid(f"Invalid JSON body: {error}.") from None
        if not isinstance(decoded, dict):
            raise _invalid('Invalid JSON body: expected an object of parameters, such as {"seconds": 60}.')
        return decoded
    if media and media not in _FORM_TYPES:
        raise _RefusalError(
            415, f"Unsupported Content-Type {media!r}: send application/json or application/x-www-form-urlencoded."
        )
    return _decode(_pairs(text))


def _pairs(text: str) -> list[tuple[str, str]]:
    try:
        return parse_form(text, _MAX_FIELDS)
    except ValueError:
        raise _invalid(f"Invalid request: more than {_MAX_FIELDS} parameters.") from None


def _decode(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    try:
        # Without a schema the codec keeps every value a string; the converters above give them their types.
        return codec.decode(pairs)
    except StripeError as error:
        raise _invalid(error.message, error.param) from None


# --------------------------------------------------------------------------------------------- the helpers


def _clock(fake: CheckoutFake) -> dict[str, Any]:
    return {"object": "clock", "now": fake.clock.now()}


def _session_id(fake: CheckoutFake, call: _Call) -> str:
    session_id = call.path_params["id"]
    if session_id not in fake.sessions:
        raise _no_such_session(session_id)
    return session_id


def _no_such_session(session_id: str) -> _RefusalError:
    return _RefusalError(404, f"No such checkout.session: {session_id!r}", param="id")


def _complete(fake: CheckoutFake, call: _Call) -> Any:
    options = call.take(
        {
            "email": _string,
            "name": _string,
            "phone": _string,
            "address": _address,
            "payment_method_type": _string,
            "async_payment": _boolean,
            "shipping_rate": _string,
            "shipping_name": _string,
            "promotion_code": _string,
        }
    )
    session_id = _session_id(fake, call)
    try:
        return fake.complete(session_id, **options)
    except KeyError:  # gone between the check and the call (a concurrent reset)
        raise _no_such_session(session_id) from None


def _settle(fake: CheckoutFake, call: _Call) -> Any:
    options = call.take({"succeeded": _boolean})
    session_id = _session_id(fake, call)
    try:
        return fake.settle_async_payment(session_id, **options)
    except KeyError:
        raise _no_such_session(session_id) from None


def _get_clock(fake: CheckoutFake, call: _Call) -> Any:
    call.take({})
    return _clock(fake)


def _advance(fake: CheckoutFake, call: _Call) -> Any:
    # Negative seconds are the clock's own ValueError ("only moves forward"), answered as a 400 below.
    options = call.take({"seconds": _integer}, required=("seconds",))
    fake.clock.advance(options["seconds"])
    return _clock(fake)


def _events(fake: CheckoutFake, call: _Call) -> Any:
    wanted: list[str] = []
    for name, value in call.query:
        # type=a&type=b, or type[]=a&type[]=b as Stripe's clients write lists: either asks for any of them.
        if name not in ("type", "type[]"):
            raise _invalid(f"Received unknown parameter: {name}. This endpoint takes: type.", name)
        if value not in EVENT_TYPES:
            raise _invalid(f"Invalid type: must be one of {', '.join(EVENT_TYPES)}, got {_shown(value)}.", "type")
        wanted.append(value)
    events = [event.to_dict() for event in list(fake.events) if not wanted or event.type in wanted]
    return list_object(events, False, f"{PREFIX}/events")


def _add_price(fake: CheckoutFake, call: _Call) -> Any:
    options = call.take(
        {
            "unit_amount": _non_negative,
            "unit_amount_decimal": _decimal,
            "currency": _string,
            "recurring": _recurring,
            "product_name": _string,
            "id": _string,
            "nickname": _string,
            "lookup_key": _string,
            "metadata": _metadata,
            "tax_behavior": _one_of(_TAX_BEHAVIORS),
        }
    )
    if "currency" in options:
        options["currency"] = options["currency"].lower()
        if not re.fullmatch(r"[a-z]{3}", options["currency"]):
            raise _invalid(f"Invalid currency: {options['currency']!r} is not a 3-letter ISO code.", "currency")
    return fake.add_price(**options)


def _add_customer(fake: CheckoutFake, call: _Call) -> Any:
    options = call.take(
        {
            "email": _string,
            "name": _string,
            "id": _string,
            "phone": _string,
            "description": _string,
            "metadata": _metadata,
        }
    )
    return fake.add_customer(**options)


def _reset(fake: CheckoutFake, call: _Call) -> Any:
    options = call.take({"clock": _boolean})
    fake.reset(**options)
    return {"object": "reset", "now": fake.clock.now()}


def _signed_webhook(fake: CheckoutFake, call: _Call) -> Any:
    options = call.take({"event": _string, "secret": _secret, "timestamp": _integer}, required=("event", "secret"))
    event_id, secret = options["event"], options["secret"]
    event = next((e for e in list(fake.events) if e.id == event_id), None)
    if event is None:
        raise _RefusalError(404, f"No such event: {event_id!r}", param="event")
    try:
        request = fake.webhook_request(event, secret, timestamp=options.get("timestamp"))
    except (TypeError, ValueError) as error:
        message = str(error)
        # The signing function's messages do not show the secret; this keeps it so if they ever change.
        if secret.strip() and secret in message:
            message = "the webhook secret cannot be used to sign"
        raise _invalid(f"Invalid secret: {message}.", "secret") from None
    return {
        "object": "webhook_request",
        "event": event.id,
        "type": event.type,
        # The exact bytes that were signed, as UTF-8 text: send them unchanged or the signature will not match.
        "body": request.body.decode("utf-8"),
        "headers": dict(request.headers),
    }


@dataclass(frozen=True)
class Endpoint:
    """One helper: its method, its path (``{id}`` for a path parameter) and what it does."""

    method: str
    path: str
    summary: str
    run: Callable[[CheckoutFake, _Call], Any] = field(repr=False, compare=False)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regular expression; ``{id}`` matches one path segment."""
        return re.compile("^" + re.escape(self.path).replace(r"\{id\}", "(?P<id>[^/]+)") + "$")


#: The helper endpoints, in the order the index and the 404's message list them.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", PREFIX, "these endpoints", lambda fake, call: _index()),
    Endpoint(
        "POST",
        f"{PREFIX}/sessions/{{id}}/complete",
        "the customer pays: email, name, phone, address, payment_method_type, async_payment, shipping_rate",
        _complete,
    ),
    Endpoint(
        "POST", f"{PREFIX}/sessions/{{id}}/settle", "a delayed payment settles: succeeded (default true)", _settle
    ),
    Endpoint("GET", f"{PREFIX}/clock", "the fake's time, in Unix seconds", _get_clock),
    Endpoint("POST", f"{PREFIX}/clock/advance", "move time on by seconds; due sessions expire", _advance),
    Endpoint("GET", f"{PREFIX}/events", "the events, oldest first; ?type= filters", _events),
    Endpoint(
        "POST",
        f"{PREFIX}/prices",
        "register a price: unit_amount or unit_amount_decimal, currency, recurring[interval], product_name, id",
        _add_price,
    ),
    Endpoint("POST", f"{PREFIX}/customers", "register a customer: email, name, id", _add_customer),
    Endpoint("POST", f"{PREFIX}/reset", "forget everything; clock=true also puts the clock back", _reset),
    Endpoint("POST", f"{PREFIX}/signed_webhook", "an event's webhook body and headers: event, secret", _signed_webhook),
)
_PATTERNS = tuple((endpoint, endpoint.pattern) for endpoint in ENDPOINTS)


def _listing() -> list[str]:
    return [f"{endpoint.method} {endpoint.path}" for endpoint in ENDPOINTS]


def _index() -> dict[str, Any]:
    return list_object([{"method": e.method, "path": e.path, "summary": e.summary} for e in ENDPOINTS], False, PREFIX)


# --------------------------------------------------------------------------------------------- the answer


def _json(status: int, value: Any, headers: Mapping[str, str] | None = None) -> FakeResponse:
    # Indented: these answers are read by people at a terminal (curl) as often as by programs.
    body = (json.dumps(value, indent=2) + "\n").encode()
    return FakeResponse(status, {"Content-Type": "application/json", **(headers or {})}, body)


def _error(refusal: _RefusalError, headers: Mapping[str, str] | None = None) -> FakeResponse:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": refusal.message}
    if refusal.param is not None:
        error["param"] = refusal.param
    error.update(refusal.extra)
    return _json(refusal.status, {"error": error}, headers)


def _route(method: str, path: str) -> tuple[Endpoint, dict[str, str]]:
    allowed: list[str] = []
    for endpoint, pattern in _PATTERNS:
        found = pattern.match(path)
        if found is None:
            continue
        if endpoint.method == method or (endpoint.method == "GET" and method == "HEAD"):
            return endpoint, {name: unquote(value) for name, value in found.groupdict().items()}
        allowed.append(endpoint.method)
    if allowed:
        raise _RefusalError(
            405,
            f"{method} is not allowed on {path}; use {' or '.join(allowed)}.",
            extra={"allow": allowed},
        )
    raise _RefusalError(
        404,
        f"Unrecognized helper URL ({method}: {path}). The helper endpoints are: {'; '.join(_listing())}.",
        extra={"endpoints": _listing()},
    )


def answer(
    fake: CheckoutFake, method: str, path: str, query: str, body: bytes, headers: Mapping[str, str]
) -> FakeResponse | None:
    """Answer a helper request, or ``None`` when ``path`` is not under ``/_pytest_checkout``.

    ``path`` is the request's path as sent (percent-encoded), ``query`` its query string without the ``?``,
    ``body`` its bytes. Never raises for anything a client can send: bad input is a 4xx in Stripe's error
    envelope, and a failure of the fake itself a 500 ``api_error`` that names it (no traceback).
    """
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None
    method = (method or "").upper()
    try:
        endpoint, path_params = _route(method, path)
        if method in ("GET", "HEAD"):
            request = _Call(path_params, query=_pairs(query))
        elif query:
            # A URL ends up in access logs and shell history; a webhook secret must not.
            raise _invalid("Send a helper's parameters in the request body, not in the URL.")
        else:
            request = _Call(path_params, body=_body_params(body, headers))
        result = endpoint.run(fake, request)
    except _RefusalError as refusal:
        extra_headers = {"Allow": ", ".join(refusal.extra["allow"])} if refusal.status == 405 else None
        return _error(refusal, extra_headers)
    except StripeError as error:
        return _error(_RefusalError(error.http_status or 400, error.message, param=error.param))
    except (ValueError, TypeError) as error:
        # The fake's own checks ("only an open one can be completed", "the clock only moves forward", ...).
        return _error(_invalid(str(error)))
    except Exception as error:
        return _json(
            500,
            {
                "error": {
                    "type": "api_error",
                    "message": f"pytest-checkout's fake failed on this helper: {type(error).__name__}: {error}",
                }
            },
        )
    return _json(200, result)
