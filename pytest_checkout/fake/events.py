"""Checkout events as Stripe sends them to a webhook endpoint: the JSON body, its signature, and delivery.

- :class:`Event` is one event (``checkout.session.completed`` and the other three of :data:`EVENT_TYPES`) with
  a snapshot of the session; ``to_dict()`` has exactly the keys of Stripe's event object, ``payload()`` the bytes.
- :func:`sign` writes the ``Stripe-Signature`` header: ``t=<unix>,v1=<hex>``, where hex is HMAC-SHA256 keyed
  with the whole endpoint secret (``whsec_`` included) over ``"<t>.<body>"``. That is the scheme the official
  SDK's ``stripe.Webhook.construct_event`` checks, so an application verifying with it accepts our requests.
- Delivery to the application under test (``webhook_request``, ``WebhookRequest``) is in ``webhooks.py``.

The secret is only an argument of :func:`sign` and :func:`webhook_request`: no object here keeps it.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import re
import string
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_checkout.versions import API_VERSION

if TYPE_CHECKING:
    pass

__all__ = ["EVENT_TYPES", "Event", "new_event_id", "sign"]

T = TypeVar("T")

#: The event types of a Checkout Session the fake sends.
EVENT_TYPES: tuple[str, ...] = (
    "checkout.session.completed",
    "checkout.session.expired",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
)

#: The keys of an event object, in the order Stripe writes them (and ``to_dict`` / ``payload`` keep).
#: The API request being answered (its id and idempotency key), set by the HTTP layer around each request: an
#: event a request causes (an expire through the API) carries it; events of the customer or the clock carry nulls.
CAUSE: ContextVar[tuple[str | None, str | None]] = ContextVar("pytest_checkout_cause", default=(None, None))

_EVENT_KEYS = ("id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type")

_ALPHANUMERIC = string.ascii_letters + string.digits
#: Stripe's event ids: ``evt_`` and 24 letters or digits. Replayed events from long ago have shorter ids, so
#: only the alphabet is checked, not the length.
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9]+")

#: The characters the official SDK strips before deciding a secret is missing (``str.strip()`` would also strip
#: other Unicode spaces, which the SDK accepts as a secret).
_SDK_WHITESPACE = " \t\r\n\f\v"


def new_event_id(rng: random.Random) -> str:
    """A new event id, ``evt_`` and 24 letters or digits drawn from ``rng`` (the same ``rng`` state gives the same id).

    It draws as the fake's id factory does for ``evt``, so either may make the ids of one run.
    """
    return "evt_" + "".join(rng.choices(_ALPHANUMERIC, k=24))


def _dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, keys in the order given; refuses what JSON cannot carry (NaN, infinities).

    Raw UTF-8 rather than ``\\u`` escapes, as Stripe sends: an application that decodes the body wrongly shows it.
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _snapshot(data_object: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data_object`` through JSON, so the event holds exactly what its body will say."""
    if not isinstance(data_object, Mapping):
        raise TypeError(f"an event's data object must be a JSON object (a dict), not {type(data_object).__name__}")
    try:
        copied: dict[str, Any] = json.loads(_dumps(dict(data_object)))
    except TypeError as exc:  # a value JSON has no type for (a set, a datetime, ...)
        raise TypeError(f"an event's data object must be JSON: {exc}") from exc
    except ValueError as exc:  # NaN or an infinity, or a lone surrogate (UnicodeEncodeError)
        raise ValueError(f"an event's data object must be JSON: {exc}") from exc
    return copied


def _is_int(value: object) -> bool:
    # bool is an int subclass, but ``true`` is not a timestamp or a count in JSON.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Event:
    """One Checkout event: ``type`` happened to the session ``data_object`` at ``created``.

    ``data_object`` is copied (through JSON) when the event is made, as Stripe snapshots the object into the
    event: changing the session afterwards does not change an event already made. ``request_id`` and
    ``idempotency_key`` are the API request that caused the event; both are ``None`` for ``completed`` and
    ``expired``, which the customer (or the passing of time) causes.
    """

    id: str
    type: str
    created: int
    data_object: dict[str, Any] = field(repr=False, hash=False)
    livemode: bool
    api_version: str = API_VERSION
    pending_webhooks: int = 1
    request_id: str | None = None
    idempotency_key: str | None = None
    #: The connected account the event happened on (Connect); the ``account`` key is absent when None.
    account: str | None = None
    #: What changed, for an update event (Stripe's ``data.previous_attributes``); absent when None.
    previous_attributes: dict[str, Any] | None = field(default=None, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown Checkout event type {self.type!r}; one of {', '.join(EVENT_TYPES)}")
        if not isinstance(self.id, str) or not _EVENT_ID.fullmatch(self.id):
            raise ValueError(f"an event id is 'evt_' and letters or digits, got {self.id!r}")
        if not _is_int(self.created):
            raise TypeError(f"created must be an int (Unix seconds), got {type(self.created).__name__}")
        if not isinstance(self.livemode, bool):
            raise TypeError(f"livemode must be a bool, got {type(self.livemode).__name__}")
        if not isinstance(self.api_version, str):
            raise TypeError(f"api_version must be a str, got {type(self.api_version).__name__}")
        if not _is_int(self.pending_webhooks) or self.pending_webhooks < 0:
            raise ValueError(f"pending_webhooks must be an int >= 0, got {self.pending_webhooks!r}")
        for name in ("request_id", "idempotency_key", "account"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, got {type(value).__name__}")
        # Frozen: the snapshot replaces the caller's mapping through object.__setattr__.
        object.__setattr__(self, "data_object", _snapshot(self.data_object))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Read an event object (a decoded webhook body, say); it must have exactly the keys ``to_dict`` gives."""
        if not isinstance(data, Mapping):
            raise TypeError(f"an event is a JSON object, not {type(data).__name__}")
        _exact_keys("an event", data, (*_EVENT_KEYS, "account") if "account" in data else _EVENT_KEYS)
        if data["object"] != "event":
            raise ValueError(f"an event has object 'event', got {data['object']!r}")
        inner = data["data"]
        if not isinstance(inner, Mapping):
            raise TypeError(f"an event's data is a JSON object, not {type(inner).__name__}")
        data_keys = ("object", "previous_attributes") if "previous_attributes" in inner else ("object",)
        _exact_keys("an event's data", inner, data_keys)
        previous = inner.get("previous_attributes")
        if previous is not None and not isinstance(previous, Mapping):
            raise TypeError(f"an event's previous_attributes is a JSON object, not {type(previous).__name__}")
        request = data["request"]
        if not isinstance(request, Mapping):
            raise TypeError(f"an event's request is a JSON object, not {type(request).__name__}")
        _exact_keys("an event's request", request, ("id", "idempotency_key"))
        return cls(
            id=data["id"],
            type=data["type"],
            created=data["created"],
            data_object=inner["object"],
            livemode=data["livemode"],
            api_version=data["api_version"],
            pending_webhooks=data["pending_webhooks"],
            request_id=request["id"],
            idempotency_key=request["idempotency_key"],
            previous_attributes=dict(previous) if previous is not None else None,
            account=data.get("account"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The event object as Stripe sends it: exactly its nine keys, in Stripe's order (a fresh copy); a
        connected account's event has a tenth, ``account``, after ``object`` (docs)."""
        account = {"account": self.account} if self.account is not None else {}
        return {
            "id": self.id,
            "object": "event",
            **account,
            "api_version": self.api_version,
            "created": self.created,
            "data": self._data(),
            "livemode": self.livemode,
            "pending_webhooks": self.pending_webhooks,
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": self.type,
        }

    def _data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"object": copy.deepcopy(self.data_object)}
        if self.previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(self.previous_attributes)
        return data

    def payload(self) -> bytes:
        """The webhook body: ``to_dict()`` as compact UTF-8 JSON, in the same key order every time."""
        return _dumps(self.to_dict())


def _exact_keys(what: str, data: Mapping[str, Any], expected: tuple[str, ...]) -> None:
    missing = [k for k in expected if k not in data]
    extra = [k for k in data if k not in expected]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(map(repr, missing))}")
        if extra:
            problems.append(f"unexpected {', '.join(map(repr, extra))}")
        raise ValueError(f"{what} has exactly the keys {', '.join(expected)}: {'; '.join(problems)}")


def sign(payload: bytes | str, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` sent at ``timestamp``: ``t=<timestamp>,v1=<hex>``.

    ``hex`` is HMAC-SHA256 keyed with the whole ``secret`` string (``whsec_`` prefix included, as Stripe does)
    over ``"<timestamp>.<payload>"``; a ``str`` payload is signed as its UTF-8 bytes. A secret without the
    ``whsec_`` prefix is signed with all the same: a test may use any secret its application is configured with.
    """
    if not isinstance(secret, str):
        raise TypeError(f"the webhook secret must be a str, got {type(secret).__name__}")
    if secret.strip(_SDK_WHITESPACE) == "":
        # The SDK refuses to verify with such a secret, so a signature made with it could never be checked.
        raise ValueError("the webhook secret is empty; pass the endpoint's signing secret ('whsec_...')")
    if not _is_int(timestamp):
        raise TypeError(f"the timestamp must be an int (Unix seconds), got {type(timestamp).__name__}")
    body = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    # Signed over bytes, as Stripe signs what it sends; the SDK decodes the body as UTF-8 and re-encodes it,
    # which gives the same bytes for any UTF-8 body.
    signed = f"{timestamp}.".encode("ascii") + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
