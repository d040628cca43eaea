"""The fake's state: accounts, and sessions as they are stored.

An ``Account`` is what one API key sees. Sessions are kept packed (``shapes.Packer``): a hundred thousand must
fit in memory, and a dict per session and per line item does not. Each account keeps its sessions in creation
order (lists read it backwards, newest first) and an index per list filter, so a filtered list costs the size
of its answer, not the number of sessions.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_checkout.codec import MAPPINGS
from pytest_checkout.fake.fakeobject import FakeObject, fake_object
from pytest_checkout.fake.shapes import Packer, blank, present_keys
from pytest_checkout.versions import CANONICAL_ITEM, CANONICAL_SESSION, DEFAULT

__all__ = ["FILTERS", "Account", "SessionsView", "StoredSession", "filter_values"]

# A session and its line items are stored with every field any version answers with (versions.CANONICAL_SESSION,
# CANONICAL_ITEM); each answer shows the fields of the request's version (render.session_for, items_for).
CHECKOUT_SESSION, ITEM, PRICE = CANONICAL_SESSION, CANONICAL_ITEM, DEFAULT.price

_SESSION = Packer(["id", "object", *sorted(set(CHECKOUT_SESSION.properties) - {"id", "object", "line_items"})])
_ITEM = Packer(present_keys(ITEM))
_PRICE = Packer(present_keys(PRICE))
_PRICE_KEYS = frozenset(_PRICE.keys)
#: Fields whose values repeat from one session (or price) to the next: stored once and shared (shapes.shared).
_SHARED_FIELDS = frozenset(
    {
        "after_expiration", "automatic_tax", "cancel_url", "consent_collection", "currency", "customer_details",
        "locale", "mode", "payment_method_options", "payment_method_types", "phone_number_collection",
        "shipping_address_collection", "shipping_options", "success_url", "tax_id_collection", "total_details",
        # Today's fields (2026-10-28.endive) are shared as built: their defaults are one object (builders).
        "return_url",
    }
)  # fmt: skip
_SHARED_ITEM_FIELDS = frozenset({"adjustable_quantity", "currency", "description", "metadata"})
_SHARED_PRICE_FIELDS = frozenset({"currency", "metadata", "recurring", "tax_behavior", "billing_scheme", "type"})
#: Optional fields of the session that live Stripe leaves out, rather than sends as null, when they have no value
#: (seen: ``tax_id_collection`` is absent unless the request gave it). Stored as None, answered absent.
ABSENT_WHEN_NULL = dict.fromkeys(k for k in ("tax_id_collection",) if k not in CHECKOUT_SESSION.required)
#: Every field of a session or price, each with its value when the fake has nothing else for it.
SESSION_BLANK = {k: blank(CHECKOUT_SESSION.properties[k]) for k in _SESSION.keys}
PRICE_BLANK = {k: blank(PRICE.properties[k]) for k in _PRICE.keys}

#: The list filters of ``GET /v1/checkout/sessions``, each indexed: filter name -> how to read it off a session.
FILTERS: tuple[str, ...] = ("customer", "payment_intent", "subscription", "customer_details.email")


def filter_values(get: Any) -> dict[str, str]:
    """The filterable values a session has now (``get(field)`` reads one field), for the indexes."""
    out = {}
    for name in ("customer", "payment_intent", "subscription"):
        value = get(name)
        if isinstance(value, str) and value:
            out[name] = value
    details = get("customer_details") or {}
    email = details.get("email") if isinstance(details, MAPPINGS) else None
    if isinstance(email, str) and email:
        out["customer_details.email"] = email
    return out


class StoredSession:
    """A session as the fake keeps it: packed values, line items, and the helper state of its payment.

    ``data`` and ``line_items`` rebuild the dicts on each read and pack what is assigned.
    """

    __slots__ = ("_items", "_values", "async_pending", "sequence")

    def __init__(self, data: Mapping[str, Any], line_items: list[dict[str, Any]], sequence: int) -> None:
        self.data = data
        self.line_items = line_items
        self.sequence = sequence
        self.async_pending = False

    @property
    def data(self) -> dict[str, Any]:
        data = _SESSION.unpack(self._values)
        for key in ABSENT_WHEN_NULL:
            if data[key] is None:
                del data[key]
        return data

    @data.setter
    def data(self, value: Mapping[str, Any]) -> None:
        if not ABSENT_WHEN_NULL.keys() <= value.keys():
            value = {**dict.fromkeys(ABSENT_WHEN_NULL), **value}
        self._values = _SESSION.pack(value, share=_SHARED_FIELDS)

    def get(self, key: str) -> Any:
        """One field without rebuilding the session."""
        return self._values[_SESSION.index[key]]

    @property
    def line_items(self) -> list[dict[str, Any]]:
        items = []
        for packed in self._items:
            item = _ITEM.unpack(packed)
            if isinstance(item["price"], tuple):
                item["price"] = _PRICE.unpack(item["price"])
            items.append(item)
        return items

    @line_items.setter
    def line_items(self, items: list[dict[str, Any]]) -> None:
        packed = []
        for item in items:
            price = item["price"]
            if price.keys() == _PRICE_KEYS:
                price = _PRICE.pack(price, share=_SHARED_PRICE_FIELDS)
            packed.append(_ITEM.pack({**item, "price": price}, share=_SHARED_ITEM_FIELDS))
        self._items = tuple(packed)

    def item_count(self) -> int:
        return len(self._items)


@dataclass
class Account:
    """What one API key sees: its sessions, prices, customers and the objects completions created."""

    masked_key: str
    livemode: bool
    #: The connected account (``acct_...``) the key acts on with ``Stripe-Account``, or None for its own.
    stripe_account: str | None = None
    sessions: dict[str, StoredSession] = field(default_factory=dict)
    #: Session ids in creation order, and each one's place in it (lists are newest first: read backwards).
    order: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    #: (filter, value) -> positions of the sessions that have it, ascending.
    index: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    promotion_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The account's objects seen with those every account shares (``CheckoutFake._view``), made once.
    views: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The rules' context of each API version on this account (``CheckoutFake._context``), made once.
    contexts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def add_session(self, stored: StoredSession) -> str:
        """Store a new session, last in creation order; returns its id."""
        session_id: str = stored.get("id")
        position = len(self.order)
        self.sessions[session_id] = stored
        self.position[session_id] = position
        self.order.append(session_id)
        for item in filter_values(stored.get).items():
            self.index.setdefault(item, []).append(position)
        return session_id

    def save(self, stored: StoredSession, data: Mapping[str, Any]) -> None:
        """Replace a session's fields, keeping the list indexes true."""
        before = filter_values(stored.get)
        stored.data = data
        after = filter_values(stored.get)
        if before == after:
            return
        position = self.position[stored.get("id")]
        for item in before.items() - after.items():
            positions = self.index[item]
            del positions[bisect.bisect_left(positions, position)]
        for item in after.items() - before.items():
            bisect.insort(self.index.setdefault(item, []), position)

    def filtered(self, filters: Mapping[str, str]) -> list[str]:
        """Ids of the sessions matching every filter, newest first.

        Walks the smallest of the filters' indexes and checks the other filters on each session it holds, so the
        cost follows the answer, not the number of sessions.
        """
        smallest = min(filters.items(), key=lambda item: len(self.index.get(item, ())))
        out = []
        for position in reversed(self.index.get(smallest, [])):
            session_id = self.order[position]
            values = filter_values(self.sessions[session_id].get)
            if all(values.get(name) == wanted for name, wanted in filters.items()):
                out.append(session_id)
        return out


class SessionsView(Mapping[str, FakeObject]):
    """``CheckoutFake.sessions``: the sessions of all accounts, copied one at a time as they are read."""

    def __init__(
        self, owner: Mapping[str, Account], lock: threading.RLock, show: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> None:
        self._owner = owner
        self._lock = lock
        self._show = show

    def __getitem__(self, session_id: str) -> FakeObject:
        with self._lock:
            account = self._owner.get(session_id)
            if account is None:
                raise KeyError(session_id)
            return fake_object(self._show(account.sessions[session_id].data))

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._owner))

    def __len__(self) -> int:
        return len(self._owner)

    def __repr__(self) -> str:
        return f"<sessions of the fake: {len(self)}>"
