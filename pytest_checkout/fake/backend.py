"""The fake's state and operations: Stripe's Checkout Sessions as an in-process model.

``CheckoutFake`` holds one ``Account`` per API key (separate keys see separate data, as separate Stripe
accounts do), a clock the test controls, the events each change emits and a log of the requests it answered.
Its operations are named after the API's (``create_session``, ``retrieve_session``, ``list_sessions``,
``list_line_items``, ``expire_session``) and take params already decoded by the codec; ``routes.py`` turns
HTTP into these calls. What only a customer can do (pay, let an async payment settle) are test helpers:
``complete`` and ``settle_async_payment``.

Behaviour follows RULES.md; where it notes a guess, the code says so.
"""

from __future__ import annotations

import copy
import heapq
import threading
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pytest_checkout import rules
from pytest_checkout.errors import IdempotencyError, InvalidRequestError, StripeError
from pytest_checkout.fake.clock import Clock
from pytest_checkout.fake.events import Event, WebhookRequest, webhook_request
from pytest_checkout.fake.ids import IdFactory
from pytest_checkout.fake.shapes import Packer, blank, present_keys, shape
from pytest_checkout.schema import nodes
from pytest_checkout.validation import validate_params
from pytest_checkout.versions import API_VERSION, DEFAULT

__all__ = ["Account", "CheckoutFake", "RecordedRequest"]

CHECKOUT_SESSION, COMPONENTS, ITEM, PRICE, RESOURCES = (
    DEFAULT.checkout_session,
    DEFAULT.components,
    DEFAULT.item,
    DEFAULT.price,
    DEFAULT.resources,
)

CHECKOUT_BASE_URL = "https://checkout.stripe.com/c/pay/"
#: Payment methods whose payment settles later, after the session completes (Stripe's docs list these as
#: delayed-notification methods).
ASYNC_PAYMENT_METHODS = frozenset(
    {
        "acss_debit",
        "au_becs_debit",
        "bacs_debit",
        "boleto",
        "customer_balance",
        "konbini",
        "oxxo",
        "sepa_debit",
        "sofort",
        "us_bank_account",
    }
)
#: How many line items an expanded ``line_items`` holds before ``has_more`` (a guess: Stripe's default page).
EXPANDED_LINE_ITEMS = 10
#: Idempotency keys are forgotten after this long (Stripe's docs: 24 hours).
IDEMPOTENCY_WINDOW = 24 * 60 * 60

SESSION_EXPANDABLE = DEFAULT.session_expandable - {"line_items"}
_DEFAULT_CUSTOMER = {"email": "jenny.rosen@example.com", "name": "Jenny Rosen", "phone": None}
_DEFAULT_ADDRESS = {
    "city": "South San Francisco",
    "country": "US",
    "line1": "354 Oyster Point Blvd",
    "line2": None,
    "postal_code": "94080",
    "state": "CA",
}


def _object_node(name: str) -> nodes.Object:
    node = CHECKOUT_SESSION.properties[name]
    assert isinstance(node, nodes.Object), name
    return node


def no_such_session(session_id: str) -> InvalidRequestError:
    """Stripe's 404 for a session id the account does not have."""
    return InvalidRequestError(
        f"No such checkout.session: '{session_id}'", http_status=404, code="resource_missing", param="session"
    )


@dataclass
class RecordedRequest:
    """A request the fake answered, decoded. ``api_key`` is masked: the log never holds a usable key."""

    method: str
    path: str
    params: dict[str, Any] | None
    status: int
    api_key: str | None
    idempotency_key: str | None
    stripe_version: str | None
    request_id: str


@dataclass
class _Idempotent:
    fingerprint: tuple[str, str, Mapping[str, Any]]
    created: int
    status: int = 0
    body: bytes | None = None
    request_id: str = ""


_SESSION = Packer(["id", "object", *sorted(set(CHECKOUT_SESSION.properties) - {"id", "object", "line_items"})])
_ITEM = Packer(present_keys(ITEM))
_PRICE = Packer(present_keys(PRICE))
#: Fields whose values repeat from one session (or price) to the next: stored once and shared (shapes.shared).
_SHARED_FIELDS = frozenset(
    {
        "after_expiration", "automatic_tax", "cancel_url", "consent_collection", "currency", "customer_details",
        "locale", "mode", "payment_method_options", "payment_method_types", "phone_number_collection",
        "shipping_address_collection", "shipping_options", "success_url", "tax_id_collection", "total_details",
    }
)  # fmt: skip
_SHARED_ITEM_FIELDS = frozenset({"currency", "description"})
_SHARED_PRICE_FIELDS = frozenset({"currency", "metadata", "recurring", "tax_behavior", "billing_scheme", "type"})
#: Every field of a session or price, each with its value when the fake has nothing else for it.
_SESSION_BLANK = {k: blank(CHECKOUT_SESSION.properties[k]) for k in _SESSION.keys}
_PRICE_BLANK = {k: blank(PRICE.properties[k]) for k in _PRICE.keys}


class _StoredSession:
    """A session as the fake keeps it: packed values (see ``shapes.Packer``), line items, helper state.

    ``data`` and ``line_items`` rebuild the dicts on each read and pack what is assigned: a hundred thousand
    sessions must fit in memory, and a dict per session and per item does not.
    """

    __slots__ = ("_items", "_values", "async_pending", "sequence")

    def __init__(self, data: Mapping[str, Any], line_items: list[dict[str, Any]], sequence: int) -> None:
        self.data = data
        self.line_items = line_items
        self.sequence = sequence
        self.async_pending = False

    @property
    def data(self) -> dict[str, Any]:
        return _SESSION.unpack(self._values)

    @data.setter
    def data(self, value: Mapping[str, Any]) -> None:
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
            if set(price) == set(_PRICE.keys):
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
    sessions: dict[str, _StoredSession] = field(default_factory=dict)
    #: Session ids in creation order, and each one's place in it (lists are newest first: read backwards).
    order: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    promotion_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, _Idempotent] = field(default_factory=dict)


def mask_key(api_key: str) -> str:
    """``sk_test_...1234``: enough to tell keys apart in a log or message, not enough to use one."""
    parts = api_key.split("_")
    prefix = "_".join(parts[:2]) + "_" if len(parts) >= 3 else ""
    return f"{prefix}...{api_key[-4:]}" if len(api_key) > 12 else f"{prefix}..."


class CheckoutFake:
    """Stripe Checkout Sessions in memory. Thread-safe: every operation runs under one lock.

    ``seed`` makes ids repeatable; ``now`` starts the clock (default: the real time, then frozen);
    ``api_base`` is where the fake answers when activated by ``mock_checkout``.
    """

    def __init__(
        self, *, seed: int | str = 0, now: int | float | None = None, api_base: str = "https://api.stripe.com"
    ):
        self.seed = seed
        self.start_time = now
        self.api_base = api_base.rstrip("/")
        self._lock = threading.RLock()
        self.clock = Clock(now)
        self.clock.on_advance(self._expire_due)
        self._reset_state()

    # -- state ---------------------------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.ids = IdFactory(self.seed)
        self._accounts: dict[str, Account] = {}
        self._shared_prices: dict[str, dict[str, Any]] = {}
        self._shared_customers: dict[str, dict[str, Any]] = {}
        self._shared_coupons: dict[str, dict[str, Any]] = {}
        self._shared_promotion_codes: dict[str, dict[str, Any]] = {}
        self._product_names: dict[str, str] = {}
        self._expiry: list[tuple[int, int, str]] = []
        self._owner: dict[str, Account] = {}
        self._sequence = 0
        self.events: list[Event] = []
        self.requests: list[RecordedRequest] = []
        self.warned_versions: set[str] = set()

    def reset(self, *, clock: bool = False) -> None:
        """Forget every session, price, customer, event and request.

        The clock keeps its time unless ``clock=True``, which puts it back where it started (``now``, or the real
        time when the fake was made without one).
        """
        with self._lock:
            self._reset_state()
            if clock:
                self.clock.reset(self.start_time)

    def account(self, api_key: str) -> Account:
        """The account an API key stands for (made on first use, as if the key were valid)."""
        with self._lock:
            account = self._accounts.get(api_key)
            if account is None:
                account = Account(masked_key=mask_key(api_key), livemode="_live_" in api_key)
                self._accounts[api_key] = account
            return account

    @property
    def sessions(self) -> Mapping[str, dict[str, Any]]:
        """Every session of every account by id, as its answer would show it.

        A live, read-only view: each lookup gives a fresh copy of that session, so a test may change what it got
        without changing the fake, and looking up one session does not copy the others.
        """
        return _SessionsView(self)

    def _find(self, session_id: str) -> tuple[Account, _StoredSession]:
        account = self._owner.get(session_id)
        if account is None:
            raise KeyError(f"the fake has no Checkout Session {session_id!r}")
        return account, account.sessions[session_id]

    # Views, not copies: customers accumulate as sessions complete, and a create must not copy them all.
    def _prices_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return ChainMap(account.prices, self._shared_prices)

    def _customers_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return ChainMap(account.customers, self._shared_customers)

    def _coupons_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return ChainMap(account.coupons, self._shared_coupons)

    def _promotion_codes_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return ChainMap(account.promotion_codes, self._shared_promotion_codes)

    def new_id(self, prefix: str) -> str:
        """A fresh id of the given kind (``req``, ``evt``, ...), drawn under the lock so runs repeat."""
        with self._lock:
            return self.ids.new(prefix)

    def expire_due(self) -> None:
        """Expire the open sessions whose ``expires_at`` has come by the clock's current time."""
        self._expire_due(self.clock.now())

    # -- test set-up -----------------------------------------------------------------------------------------------

    def add_price(
        self,
        *,
        unit_amount: int | None = None,
        currency: str = "usd",
        recurring: Mapping[str, Any] | None = None,
        product_name: str = "Product",
        unit_amount_decimal: str | None = None,
        id: str | None = None,
        api_key: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Register a price that line items can name by id; returns the price object.

        Without ``api_key`` every key sees it (as if each test account had made it). ``recurring`` as in
        Stripe: ``{"interval": "month"}``.
        """
        if (unit_amount is None) == (unit_amount_decimal is None):
            raise ValueError("add_price needs exactly one of unit_amount and unit_amount_decimal")
        with self._lock:
            price_id = id or self.ids.new("price")
            product = fields.pop("product", None) or self.ids.new("prod")
            self._product_names[product] = product_name
            price = self._price_object(
                price_id,
                product=product,
                currency=currency.lower(),
                unit_amount=unit_amount,
                unit_amount_decimal=unit_amount_decimal,
                recurring=recurring,
                active=True,
                livemode=bool(api_key and "_live_" in api_key),
                **fields,
            )
            (self.account(api_key).prices if api_key else self._shared_prices)[price_id] = price
            return price

    def add_coupon(
        self,
        *,
        percent_off: float | None = None,
        amount_off: int | None = None,
        currency: str | None = None,
        duration: str = "once",
        name: str | None = None,
        id: str | None = None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Register a coupon that ``discounts=[{"coupon": id}]`` may name; returns the coupon object.

        Exactly one of ``percent_off`` and ``amount_off`` (which needs ``currency``), as in Stripe.
        """
        if (percent_off is None) == (amount_off is None):
            raise ValueError("add_coupon needs exactly one of percent_off and amount_off")
        if amount_off is not None and not currency:
            raise ValueError("a coupon with amount_off needs a currency")
        if percent_off is not None and not 0 < percent_off <= 100:
            raise ValueError(f"percent_off must be more than 0 and at most 100, got {percent_off}")
        with self._lock:
            coupon = dict(
                shape(
                    COMPONENTS["coupon"],
                    {
                        "id": id or self.ids.opaque(8),
                        "object": "coupon",
                        "amount_off": amount_off,
                        "created": self.clock.now(),
                        "currency": currency.lower() if currency else None,
                        "duration": duration,
                        "livemode": bool(api_key and "_live_" in api_key),
                        "metadata": {},
                        "name": name,
                        "percent_off": percent_off,
                        "times_redeemed": 0,
                        "valid": True,
                    },
                )
            )
            (self.account(api_key).coupons if api_key else self._shared_coupons)[coupon["id"]] = coupon
            return coupon

    def add_promotion_code(
        self, code: str, *, coupon: str, id: str | None = None, api_key: str | None = None
    ) -> dict[str, Any]:
        """Register a promotion code (the customer-facing ``code``) for a registered coupon; returns it."""
        with self._lock:
            found = (self.account(api_key).coupons if api_key else {}).get(coupon) or self._shared_coupons.get(coupon)
            if found is None:
                raise ValueError(f"no coupon {coupon!r} is registered; add it with add_coupon first")
            # The fake keeps only what a session needs of a promotion code (its schema is not generated).
            promotion_id = id or self.ids.new("promo")
            promotion = {"id": promotion_id, "object": "promotion_code", "code": code, "coupon": found}
            target = self.account(api_key).promotion_codes if api_key else self._shared_promotion_codes
            target[promotion_id] = promotion
            return promotion

    def add_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        id: str | None = None,
        api_key: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Register a customer that ``customer=`` may name; returns the customer object."""
        with self._lock:
            livemode = bool(api_key and "_live_" in api_key)
            customer = self._customer_object(
                id or self.ids.new("cus"), email=email, name=name, livemode=livemode, **fields
            )
            (self.account(api_key).customers if api_key else self._shared_customers)[customer["id"]] = customer
            return customer

    # -- the API's operations --------------------------------------------------------------------------------------

    def create_session(self, account: Account, params: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/checkout/sessions``: validate as Stripe does, then store a new open session."""
        with self._lock:
            now = self.clock.now()
            prices = self._prices_for(account)
            context = rules.RuleContext(
                now=now,
                prices=prices,
                customers=self._customers_for(account),
                coupons=self._coupons_for(account),
                promotion_codes=self._promotion_codes_for(account),
            )
            validate_params("create", params, context=context, normalized=True)
            expand = self._expand_list(params)
            self._check_session_expand(expand)
            stored = self._build_session(account, params, now, prices)
            session_id = stored.get("id")
            account.sessions[session_id] = stored
            account.position[session_id] = len(account.order)
            account.order.append(session_id)
            self._owner[session_id] = account
            heapq.heappush(self._expiry, (stored.get("expires_at"), stored.sequence, session_id))
            return self._render(account, stored, expand)

    def retrieve_session(self, account: Account, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/checkout/sessions/{session}``."""
        with self._lock:
            validate_params("retrieve", params, normalized=True)
            expand = self._expand_list(params)
            self._check_session_expand(expand)
            return self._render(account, self._get(account, session_id), expand)

    def expire_session(self, account: Account, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/checkout/sessions/{session}/expire``: only an open session can be expired."""
        with self._lock:
            validate_params("expire", params, normalized=True)
            expand = self._expand_list(params)
            self._check_session_expand(expand)
            stored = self._get(account, session_id)
            status = stored.get("status")
            if status != "open":
                raise InvalidRequestError(
                    'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a '
                    f"status of `{status}`."
                )
            self._expire(account, stored, self.clock.now())
            return self._render(account, stored, expand)

    def list_sessions(self, account: Account, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/checkout/sessions``: newest first, filtered, one page."""
        with self._lock:
            validate_params("list", params, normalized=True)
            expand = self._expand_list(params)
            inner = []
            for path in expand:
                if not path.startswith("data."):
                    raise self._cannot_expand(path)
                inner.append(path[len("data.") :])
            self._check_session_expand(inner)
            if any(params.get(k) for k in ("customer", "customer_details", "payment_intent", "subscription")):
                # Filtered: walk every session (newest first); the clock never runs backwards, so creation order
                # is the order of ``created``.
                ids = [i for i in reversed(account.order) if self._matches(account.sessions[i], params)]
                page, has_more = self._page(ids, params, str, "checkout.session")
            else:
                page, has_more = self._newest_first(account, params)
            return {
                "object": "list",
                "data": [self._render(account, account.sessions[i], inner) for i in page],
                "has_more": has_more,
                "url": "/v1/checkout/sessions",
            }

    def list_line_items(self, account: Account, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/checkout/sessions/{session}/line_items``: the session's items in order, one page."""
        with self._lock:
            validate_params("list_line_items", params, normalized=True)
            for path in self._expand_list(params):
                if path != "data.price":
                    # data.price is already whole; other expansions of items need objects the fake lacks.
                    raise InvalidRequestError(
                        f"pytest-checkout's fake cannot expand {path} on line items (only data.price).",
                        param="expand",
                    )
            stored = self._get(account, session_id)
            page, has_more = self._page(stored.line_items, params, lambda i: i["id"], "item")
            return {
                "object": "list",
                "data": list(page),
                "has_more": has_more,
                "url": f"/v1/checkout/sessions/{session_id}/line_items",
            }

    # -- what only a customer can do ---------------------------------------------------------------------------------

    def complete(
        self,
        session_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        address: Mapping[str, Any] | None = None,
        payment_method_type: str | None = None,
        async_payment: bool = False,
        shipping_rate: str | None = None,
    ) -> dict[str, Any]:
        """Play the customer paying: the session becomes ``complete`` and ``checkout.session.completed`` is emitted.

        With ``shipping_options`` the customer picks ``shipping_rate`` (default: the first option): it becomes the
        ``shipping_cost`` and is added to the totals. With ``shipping_address_collection`` the ``address`` and
        ``name`` become the ``shipping_details``.

        Per mode, as live captures show: payment mode sets ``payment_intent`` (and ``customer`` only when one was
        given or ``customer_creation`` is ``always``); subscription mode sets ``customer`` and ``subscription``;
        setup mode sets ``customer`` and keeps its ``setup_intent``. ``async_payment`` (a delayed-notification
        method such as sepa_debit) leaves ``payment_status`` ``unpaid`` until ``settle_async_payment``.
        """
        with self._lock:
            account, stored = self._find(session_id)
            data = stored.data
            if data["status"] != "open":
                raise ValueError(
                    f"Checkout Session {session_id} is {data['status']}; only an open one can be completed"
                )
            method = payment_method_type or data["payment_method_types"][0]
            if method not in data["payment_method_types"]:
                raise ValueError(
                    f"{method!r} is not among this session's payment_method_types {data['payment_method_types']}"
                )
            if async_payment and method not in ASYNC_PAYMENT_METHODS:
                raise ValueError(
                    f"{method} payments are not asynchronous; async_payment=True needs one of "
                    f"{', '.join(sorted(ASYNC_PAYMENT_METHODS))}"
                )
            mode = data["mode"]
            email = email or data["customer_email"] or _DEFAULT_CUSTOMER["email"]
            customer_id = data["customer"]
            if customer_id is None and (mode != "payment" or data["customer_creation"] == "always"):
                customer = self._customer_object(
                    self.ids.new("cus"), email=email, name=name or _DEFAULT_CUSTOMER["name"], livemode=data["livemode"]
                )
                account.customers[customer["id"]] = customer
                customer_id = customer["id"]
            if mode == "setup":
                # "Only the customer's email is present on Sessions in setup mode."
                details = {"address": None, "email": email, "name": None, "phone": None}
            else:
                details = {
                    "address": {**_DEFAULT_ADDRESS, **(address or {})},
                    "email": email,
                    "name": name or _DEFAULT_CUSTOMER["name"],
                    "phone": phone,
                }
            details.update({"tax_exempt": "none", "tax_ids": []})
            updates: dict[str, Any] = {
                "status": "complete",
                "url": None,
                "customer": customer_id,
                "customer_details": details,
                **self._shipping_choice(data, shipping_rate, details),
            }
            # The objects made below (a payment intent's amount) see the totals with shipping in them.
            data = {**data, **updates}
            if mode == "payment":
                intent = self._intent("payment_intent", "pi", data, customer_id, method, async_payment)
                account.objects[intent["id"]] = intent
                updates["payment_intent"] = intent["id"]
                updates["payment_status"] = "unpaid" if async_payment else "paid"
            elif mode == "subscription":
                subscription = self._subscription(data, stored.line_items, customer_id, async_payment)
                account.objects[subscription["id"]] = subscription
                updates["subscription"] = subscription["id"]
                updates["payment_status"] = "unpaid" if async_payment else "paid"
            else:
                setup_intent = account.objects.get(data["setup_intent"])
                if setup_intent is not None:
                    account.objects[setup_intent["id"]] = {
                        **setup_intent,
                        "status": "succeeded",
                        "customer": customer_id,
                    }
            if data.get("consent_collection"):
                collection = data["consent_collection"]
                updates["consent"] = {
                    "promotions": "opt_in" if collection.get("promotions") == "auto" else None,
                    "terms_of_service": "accepted" if collection.get("terms_of_service") == "required" else None,
                }
            stored.data = {**data, **updates}
            stored.async_pending = async_payment
            self._emit(account, "checkout.session.completed", stored)
            return copy.deepcopy(stored.data)

    @staticmethod
    def _shipping_choice(
        data: Mapping[str, Any], shipping_rate: str | None, details: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The fields the customer's shipping choices set: shipping cost and totals, shipping details.

        Unverified: that the shipping amount joins the totals only once the customer has chosen (at completion),
        and that the collected address is the one the customer details show.
        """
        updates: dict[str, Any] = {}
        options = data.get("shipping_options") or []
        if shipping_rate is not None and shipping_rate not in [o["shipping_rate"] for o in options]:
            raise ValueError(
                f"{shipping_rate!r} is not among this session's shipping options "
                f"{[o['shipping_rate'] for o in options]}"
            )
        if options:
            chosen = next(o for o in options if shipping_rate in (None, o["shipping_rate"]))
            amount = chosen["shipping_amount"]
            updates["shipping_cost"] = {
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "shipping_rate": chosen["shipping_rate"],
            }
            if data.get("total_details") is not None:
                updates["total_details"] = {**data["total_details"], "amount_shipping": amount}
                updates["amount_total"] = (data.get("amount_total") or 0) + amount
        if data.get("shipping_address_collection") and details.get("address"):
            updates["shipping_details"] = {
                "address": details["address"],
                "carrier": None,
                "name": details.get("name") or _DEFAULT_CUSTOMER["name"],
                "phone": None,
                "tracking_number": None,
            }
        return updates

    def settle_async_payment(self, session_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        """Let a completed session's delayed payment succeed (``paid``) or fail, with its event."""
        with self._lock:
            account, stored = self._find(session_id)
            if not stored.async_pending:
                raise ValueError(
                    f"Checkout Session {session_id} has no pending async payment; complete it with async_payment=True"
                )
            stored.async_pending = False
            self._settle_objects(account, stored.data, succeeded)
            if succeeded:
                stored.data = {**stored.data, "payment_status": "paid"}
                self._emit(account, "checkout.session.async_payment_succeeded", stored)
            else:
                self._emit(account, "checkout.session.async_payment_failed", stored)
            return copy.deepcopy(stored.data)

    def _settle_objects(self, account: Account, data: Mapping[str, Any], succeeded: bool) -> None:
        # The objects behind the session follow its payment: a payment intent succeeds or goes back to needing a
        # payment method (Stripe's lifecycle for a failed delayed payment); a subscription becomes active.
        intent = account.objects.get(data.get("payment_intent") or "")
        if intent is not None:
            if succeeded:
                updates = {"status": "succeeded", "amount_received": intent["amount"]}
            else:
                updates = {"status": "requires_payment_method", "amount_received": 0}
            account.objects[intent["id"]] = {**intent, **updates}
        subscription = account.objects.get(data.get("subscription") or "")
        if subscription is not None:
            # Unverified: what a subscription whose first payment failed shows; "incomplete" stays until it expires.
            status = "active" if succeeded else "incomplete"
            account.objects[subscription["id"]] = {**subscription, "status": status}

    # -- webhooks -------------------------------------------------------------------------------------------------

    def webhook_request(self, event: Event, secret: str, *, timestamp: int | None = None) -> WebhookRequest:
        """The body and ``Stripe-Signature`` header Stripe would post for ``event``, signed with ``secret``.

        Deliver it with ``.post_to(app_or_test_client)``; ``stripe.Webhook.construct_event`` accepts it.
        """
        return webhook_request(event, secret, timestamp=timestamp)

    def events_of(self, event_type: str) -> list[Event]:
        """The events of one type, oldest first."""
        return [e for e in self.events if e.type == event_type]

    # -- idempotency ----------------------------------------------------------------------------------------------

    def idempotent(
        self,
        account: Account,
        key: str,
        fingerprint: tuple[str, str, Mapping[str, Any]],
        request_id: str,
        run: Callable[[], tuple[int, bytes]],
    ) -> tuple[int, bytes, bool, str]:
        """Run a POST once per ``Idempotency-Key``: (status, body, replayed, request id of the first answer).

        The key is reserved before the operation runs and released if the operation fails validation (Stripe
        saves no result for a request that did not start executing), so a concurrent second use meets 409.
        """
        now = self.clock.now()
        with self._lock:
            record = account.idempotency.get(key)
            if record is not None and now - record.created > IDEMPOTENCY_WINDOW:
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise IdempotencyError(
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request."
                    )
                if record.body is None:
                    raise IdempotencyError(
                        "There is currently another in-progress request using this Stripe token (probably the same "
                        "idempotency key). Please try again later.",
                        http_status=409,
                        code="idempotency_key_in_use",
                    )
                return record.status, record.body, True, record.request_id
            record = _Idempotent(fingerprint=fingerprint, created=now, request_id=request_id)
            account.idempotency[key] = record
        try:
            status, body = run()
        except StripeError:
            with self._lock:
                account.idempotency.pop(key, None)
            raise
        with self._lock:
            record.status, record.body = status, body
        return status, body, False, request_id

    # -- internals ------------------------------------------------------------------------------------------------

    def _get(self, account: Account, session_id: str) -> _StoredSession:
        stored = account.sessions.get(session_id)
        if stored is None:
            raise no_such_session(session_id)
        return stored

    @staticmethod
    def _expand_list(params: Mapping[str, Any]) -> list[str]:
        expand = params.get("expand") or []
        return [e for e in expand if isinstance(e, str) and e]

    @staticmethod
    def _cannot_expand(path: str) -> InvalidRequestError:
        return InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")

    def _check_session_expand(self, paths: Iterable[str]) -> None:
        for path in paths:
            if path != "line_items" and path not in SESSION_EXPANDABLE:
                raise self._cannot_expand(path)

    def _render(self, account: Account, stored: _StoredSession, expand: Iterable[str]) -> dict[str, Any]:
        out = stored.data
        for path in expand:
            if path == "line_items":
                items = stored.line_items[: EXPANDED_LINE_ITEMS + 1]
                out["line_items"] = {
                    "object": "list",
                    "data": items[:EXPANDED_LINE_ITEMS],
                    "has_more": len(items) > EXPANDED_LINE_ITEMS,
                    "url": f"/v1/checkout/sessions/{out['id']}/line_items",
                }
                continue
            value = out.get(path)
            if isinstance(value, str):
                found = self._customers_for(account).get(value) if path == "customer" else account.objects.get(value)
                if found is not None:
                    out[path] = found
        return out

    @staticmethod
    def _matches(stored: _StoredSession, params: Mapping[str, Any]) -> bool:
        for key in ("customer", "payment_intent", "subscription"):
            wanted = params.get(key)
            if wanted and stored.get(key) != wanted:
                return False
        email = (params.get("customer_details") or {}).get("email")
        if email:
            details = stored.get("customer_details") or {}
            if details.get("email") != email:
                return False
        return True

    def _newest_first(self, account: Account, params: Mapping[str, Any]) -> tuple[list[str], bool]:
        """One page of the unfiltered list, read straight off the creation order (no sort, no scan)."""
        order, position = account.order, account.position
        limit = params.get("limit") or rules.DEFAULT_LIST_LIMIT
        after, before = params.get("starting_after"), params.get("ending_before")
        if after:
            end = self._cursor(position, after, "starting_after")
            start = max(0, end - limit)
            return order[start:end][::-1], start > 0
        if before:
            start = self._cursor(position, before, "ending_before") + 1
            end = min(len(order), start + limit)
            return order[start:end][::-1], end < len(order)
        start = max(0, len(order) - limit)
        return order[start:][::-1], start > 0

    @staticmethod
    def _cursor(position: Mapping[str, int], session_id: str, param: str) -> int:
        if session_id not in position:
            # Unverified: Stripe's exact answer to a cursor it does not know.
            raise InvalidRequestError(f"No such checkout.session: '{session_id}'", code="resource_missing", param=param)
        return position[session_id]

    def _page(
        self, ordered: list[Any], params: Mapping[str, Any], key: Callable[[Any], str], what: str
    ) -> tuple[list[Any], bool]:
        limit = params.get("limit") or rules.DEFAULT_LIST_LIMIT
        after, before = params.get("starting_after"), params.get("ending_before")
        ids = [key(x) for x in ordered]
        if after:
            if after not in ids:
                # Unverified: Stripe's exact answer to a cursor it does not know.
                raise InvalidRequestError(f"No such {what}: '{after}'", code="resource_missing", param="starting_after")
            start = ids.index(after) + 1
            page = ordered[start : start + limit]
            return page, start + limit < len(ordered)
        if before:
            if before not in ids:
                raise InvalidRequestError(f"No such {what}: '{before}'", code="resource_missing", param="ending_before")
            end = ids.index(before)
            begin = max(0, end - limit)
            return ordered[begin:end], begin > 0
        return ordered[:limit], len(ordered) > limit

    def _build_session(
        self, account: Account, params: Mapping[str, Any], now: int, prices: Mapping[str, dict[str, Any]]
    ) -> _StoredSession:
        mode = params["mode"]
        livemode = account.livemode
        session_id = self.ids.session(livemode)
        line_items = [self._line_item(item, now, prices, livemode) for item in params.get("line_items") or []]
        if mode == "setup":
            currency = params.get("currency")
            subtotal: int | None = None
            discount = 0
            total_details = None
        else:
            currency = line_items[0]["currency"] if line_items else params.get("currency")
            subtotal = sum(item["amount_subtotal"] for item in line_items)
            discount = self._apply_discount(account, params, line_items, subtotal)
            total_details = {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0}
        shipping_options = [self._shipping_option(o) for o in params.get("shipping_options") or []]
        setup_intent = None
        if mode == "setup":
            intent = self._intent("setup_intent", "seti", {**params, "livemode": livemode, "created": now}, None)
            account.objects[intent["id"]] = intent
            setup_intent = intent["id"]
        automatic_tax = bool((params.get("automatic_tax") or {}).get("enabled"))
        metadata = {k: v for k, v in (params.get("metadata") or {}).items() if v != ""}
        data = {
            "id": session_id,
            "object": "checkout.session",
            "after_expiration": self._after_expiration(params.get("after_expiration")),
            "allow_promotion_codes": params.get("allow_promotion_codes"),
            "amount_subtotal": subtotal,
            "amount_total": None if subtotal is None else subtotal - discount,
            # Unverified: the status Stripe shows for automatic tax before the customer gives an address.
            "automatic_tax": {
                "enabled": automatic_tax,
                "status": "requires_location_inputs" if automatic_tax else None,
            },
            "billing_address_collection": params.get("billing_address_collection"),
            "cancel_url": params["cancel_url"],
            "client_reference_id": params.get("client_reference_id"),
            "consent": None,
            "consent_collection": params.get("consent_collection"),
            "created": now,
            "currency": currency,
            "customer": params.get("customer"),
            "customer_creation": params.get("customer_creation") or ("if_required" if mode == "payment" else None),
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": params.get("expires_at") or now + rules.DEFAULT_EXPIRY_SECONDS,
            "livemode": livemode,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_link": None,
            # Unverified: Stripe's default for payment_method_collection outside subscription mode.
            "payment_method_collection": params.get("payment_method_collection") or "always",
            "payment_method_options": params.get("payment_method_options") or {},
            "payment_method_types": list(params.get("payment_method_types") or ["card"]),
            "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
            "phone_number_collection": {"enabled": bool((params.get("phone_number_collection") or {}).get("enabled"))},
            "recovered_from": None,
            "setup_intent": setup_intent,
            "shipping_address_collection": params.get("shipping_address_collection"),
            "shipping_cost": None,
            "shipping_details": None,
            "shipping_options": shipping_options,
            "status": "open",
            "submit_type": params.get("submit_type"),
            "subscription": None,
            "success_url": params["success_url"],
            "tax_id_collection": {"enabled": bool((params.get("tax_id_collection") or {}).get("enabled"))},
            "total_details": total_details,
            "url": f"{CHECKOUT_BASE_URL}{session_id}#{self.ids.opaque(64)}",
        }
        # Objects taken from the params are fitted to the answer's schema (the params have keys the answer
        # does not, and the answer has nullable keys the params left out); the rest is built to fit already.
        for key in ("consent_collection", "payment_method_options", "shipping_address_collection"):
            if data[key] is not None:
                data[key] = shape(CHECKOUT_SESSION.properties[key], data[key])
        self._sequence += 1
        return _StoredSession({**_SESSION_BLANK, **data}, line_items, self._sequence)

    def _apply_discount(
        self, account: Account, params: Mapping[str, Any], line_items: list[dict[str, Any]], subtotal: int
    ) -> int:
        """The session's discount from its coupon or promotion code, spread over the line items.

        Percentages are rounded half to even; an amount off is capped at the subtotal. Each item carries its
        share (by its subtotal; the last takes what rounding leaves), as Stripe's line items show theirs.
        """
        discounts = params.get("discounts") or []
        if not discounts or subtotal <= 0:
            return 0
        first = discounts[0]
        coupon_id = first.get("coupon")
        if not coupon_id and first.get("promotion_code"):
            coupon_id = self._promotion_codes_for(account)[first["promotion_code"]]["coupon"]["id"]
        coupon = self._coupons_for(account)[coupon_id]
        if coupon["percent_off"] is not None:
            share = Decimal(str(coupon["percent_off"])) / 100 * subtotal
            discount = int(share.to_integral_value(rounding=ROUND_HALF_EVEN))
        else:
            discount = min(int(coupon["amount_off"]), subtotal)
        left = discount
        for index, item in enumerate(line_items):
            part = left if index == len(line_items) - 1 else discount * item["amount_subtotal"] // subtotal
            left -= part
            item["amount_discount"] = part
            item["amount_total"] = item["amount_subtotal"] - part
        return discount

    def _after_expiration(self, given: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not given or not isinstance(given.get("recovery"), Mapping):
            return None
        recovery = given["recovery"]
        return {
            "recovery": {
                "allow_promotion_codes": bool(recovery.get("allow_promotion_codes")),
                "enabled": bool(recovery.get("enabled")),
                "expires_at": None,
                "url": None,
            }
        }

    def _shipping_option(self, option: Mapping[str, Any]) -> dict[str, Any]:
        rate = option.get("shipping_rate")
        data = option.get("shipping_rate_data") or {}
        amount = (data.get("fixed_amount") or {}).get("amount") or 0
        return {"shipping_amount": amount, "shipping_rate": rate or self.ids.new("shr")}

    def _line_item(
        self, item: Mapping[str, Any], now: int, prices: Mapping[str, dict[str, Any]], livemode: bool
    ) -> dict[str, Any]:
        quantity = item["quantity"]
        if item.get("price"):
            price = prices[item["price"]]
        else:
            data = item["price_data"]
            product = data.get("product") or self.ids.new("prod")
            if data.get("product_data"):
                self._product_names[product] = data["product_data"]["name"]
            price = self._price_object(
                self.ids.new("price"),
                product=product,
                currency=data["currency"].lower(),
                unit_amount=data.get("unit_amount"),
                unit_amount_decimal=data.get("unit_amount_decimal"),
                recurring=data.get("recurring"),
                tax_behavior=data.get("tax_behavior") or "unspecified",
                # Prices made from price_data are not reusable: Stripe marks them inactive.
                active=False,
                livemode=livemode,
                created=now,
            )
        unit = Decimal(price["unit_amount_decimal"])
        subtotal = int((unit * quantity).to_integral_value(rounding=ROUND_HALF_EVEN))
        return {
            "id": self.ids.new("li"),
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": subtotal,
            "amount_tax": 0,
            "amount_total": subtotal,
            "currency": price["currency"],
            "description": self._product_names.get(price["product"], ""),
            "price": price,
            "quantity": quantity,
        }

    def _price_object(
        self,
        price_id: str,
        *,
        product: str,
        currency: str,
        unit_amount: int | None,
        unit_amount_decimal: str | None,
        recurring: Mapping[str, Any] | None,
        active: bool,
        livemode: bool,
        created: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        decimal = str(unit_amount) if unit_amount is not None else str(Decimal(str(unit_amount_decimal)))
        if unit_amount is None and Decimal(decimal) == Decimal(decimal).to_integral_value():
            unit_amount = int(Decimal(decimal))
        recurring_object = None
        if recurring:
            recurring_object = {
                "aggregate_usage": None,
                "interval": recurring["interval"],
                "interval_count": recurring.get("interval_count") or 1,
                "usage_type": "licensed",
            }
        if recurring_object is not None:
            recurring_object = shape(PRICE.properties["recurring"], recurring_object)
        return {
            **_PRICE_BLANK,
            **{
                "id": price_id,
                "object": "price",
                "active": active,
                "billing_scheme": "per_unit",
                "created": created if created is not None else self.clock.now(),
                "currency": currency,
                "livemode": livemode,
                "metadata": {},
                "product": product,
                "recurring": recurring_object,
                "tax_behavior": fields.pop("tax_behavior", "unspecified"),
                "type": "recurring" if recurring_object else "one_time",
                "unit_amount": unit_amount,
                "unit_amount_decimal": decimal,
                **fields,
            },
        }

    def _customer_object(
        self, customer_id: str, *, email: str | None, name: str | None, livemode: bool, **fields: Any
    ) -> dict[str, Any]:
        return dict(
            shape(
                RESOURCES["customer"],
                {
                    "id": customer_id,
                    "object": "customer",
                    "created": self.clock.now(),
                    "email": email,
                    "name": name,
                    "livemode": livemode,
                    "metadata": {},
                    "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
                    **fields,
                },
            )
        )

    def _intent(
        self,
        kind: str,
        prefix: str,
        session: Mapping[str, Any],
        customer: str | None,
        method: str | None = None,
        processing: bool = False,
    ) -> dict[str, Any]:
        intent_id = self.ids.new(prefix)
        values: dict[str, Any] = {
            "id": intent_id,
            "object": kind,
            "created": self.clock.now(),
            "livemode": bool(session.get("livemode")),
            "customer": customer,
            "metadata": {},
            "payment_method_types": list(session.get("payment_method_types") or ["card"]),
            "client_secret": None,
        }
        if kind == "payment_intent":
            amount = session.get("amount_total") or 0
            values.update(
                {
                    "amount": amount,
                    "amount_received": 0 if processing else amount,
                    "capture_method": "automatic",
                    "confirmation_method": "automatic",
                    "currency": session.get("currency") or "usd",
                    "status": "processing" if processing else "succeeded",
                }
            )
        else:
            values.update({"status": "requires_payment_method", "usage": "off_session"})
        return dict(shape(RESOURCES[kind], values))

    def _subscription(
        self, session: Mapping[str, Any], line_items: list[dict[str, Any]], customer: str | None, processing: bool
    ) -> dict[str, Any]:
        now = self.clock.now()
        subscription_id = self.ids.new("sub")
        items = [
            {"id": self.ids.new("si"), "object": "subscription_item", "price": i["price"], "quantity": i["quantity"]}
            for i in line_items
            if i["price"].get("recurring")
        ]
        return dict(
            shape(
                RESOURCES["subscription"],
                {
                    "id": subscription_id,
                    "object": "subscription",
                    "automatic_tax": {"enabled": False},
                    "billing_cycle_anchor": now,
                    "cancel_at_period_end": False,
                    "collection_method": "charge_automatically",
                    "created": now,
                    "currency": session.get("currency") or "usd",
                    "current_period_start": now,
                    # Unverified: one month as 30 days; the fake does not model calendar months.
                    "current_period_end": now + 30 * 24 * 3600,
                    "customer": customer,
                    "items": {
                        "object": "list",
                        "data": items,
                        "has_more": False,
                        "url": f"/v1/subscription_items?subscription={subscription_id}",
                    },
                    "livemode": bool(session.get("livemode")),
                    "metadata": {},
                    "start_date": now,
                    "status": "incomplete" if processing else "active",
                },
            )
        )

    def _expire(self, account: Account, stored: _StoredSession, at: int) -> None:
        data = stored.data
        updates: dict[str, Any] = {"status": "expired", "url": None}
        recovery = (data.get("after_expiration") or {}).get("recovery")
        if recovery and recovery.get("enabled"):
            # Unverified: the recovery URL's form and its 30-day life.
            updates["after_expiration"] = {
                "recovery": {
                    **recovery,
                    "expires_at": at + 30 * 24 * 3600,
                    "url": f"https://buy.stripe.com/r/live_{self.ids.opaque(40)}",
                }
            }
        stored.data = {**data, **updates}
        self._emit(account, "checkout.session.expired", stored, at)

    def _expire_due(self, now: int) -> None:
        """Expire every open session whose ``expires_at`` has come (called as the clock moves)."""
        with self._lock:
            while self._expiry and self._expiry[0][0] <= now:
                expires_at, _, session_id = heapq.heappop(self._expiry)
                try:
                    account, stored = self._find(session_id)
                except KeyError:
                    continue
                # A jump of the clock past several expiries expires each at its own time, in order.
                if stored.get("status") == "open" and stored.get("expires_at") == expires_at:
                    self._expire(account, stored, expires_at)

    def _emit(self, account: Account, event_type: str, stored: _StoredSession, at: int | None = None) -> Event:
        # The customer (or time) caused these, not an API call: request id and idempotency key are null.
        event = Event(
            id=self.ids.new("evt"),
            type=event_type,
            created=self.clock.now() if at is None else at,
            data_object=stored.data,
            livemode=account.livemode,
            api_version=API_VERSION,
        )
        self.events.append(event)
        return event


class _SessionsView(Mapping[str, dict[str, Any]]):
    """``CheckoutFake.sessions``: the sessions of all accounts, copied one at a time as they are read."""

    def __init__(self, fake: CheckoutFake) -> None:
        self._fake = fake

    def __getitem__(self, session_id: str) -> dict[str, Any]:
        with self._fake._lock:
            account = self._fake._owner.get(session_id)
            if account is None:
                raise KeyError(session_id)
            return copy.deepcopy(account.sessions[session_id].data)

    def __iter__(self) -> Iterator[str]:
        with self._fake._lock:
            return iter(list(self._fake._owner))

    def __len__(self) -> int:
        return len(self._fake._owner)

    def __repr__(self) -> str:
        return f"<sessions of the fake: {len(self)}>"


def fingerprint(method: str, path: str, params: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    """What an idempotency key is bound to: the endpoint and the decoded parameters.

    Compared with ``==`` when a key comes back, so the order parameters were sent in does not matter, and nothing
    is serialized for the (usual) first use of a key.
    """
    return (method, path, params)


# Sanity checks against the generated schema, so a regenerated schema that moves these fields fails loudly.
assert isinstance(ITEM, nodes.Object)
assert blank(CHECKOUT_SESSION.properties["url"]) is None
assert _object_node("automatic_tax").properties
