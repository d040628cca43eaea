"""The fake's backend: Stripe's Checkout Sessions as an in-process model (moto's ``models.py``).

``CheckoutFake`` holds one ``Account`` per API key (separate keys see separate data, as separate Stripe
accounts do), a clock the test controls, and the events each change emits. Its operations are named after the
API's (``create_session``, ``retrieve_session``, ``list_sessions``, ``list_line_items``, ``expire_session``),
take params already decoded by the codec and return objects; ``routes.py`` turns HTTP into these calls and
their answers into JSON. What only a customer can do (pay, let an async payment settle) are test helpers:
``complete`` and ``settle_async_payment``.

Where the pieces are: the stored state in ``models``, the objects built in ``builders``, ``expand`` and the
list envelope in ``render``, cursors in ``pagination``, error messages in ``exceptions``, events in ``events``.
Behaviour follows Stripe's as the docs describe it; where it is a guess, the code says so.
"""

from __future__ import annotations

import copy
import heapq
import re
import threading
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_checkout import rules
from pytest_checkout.fake import exceptions, models, pagination, render
from pytest_checkout.fake.builders import DEFAULT_ADDRESS, DEFAULT_CUSTOMER, Builder
from pytest_checkout.fake.clock import Clock
from pytest_checkout.fake.events import Event
from pytest_checkout.fake.httpstate import IdempotencyStore, RecordedRequest
from pytest_checkout.fake.ids import IdFactory
from pytest_checkout.fake.models import Account, SessionsView, StoredSession
from pytest_checkout.fake.shapes import shape
from pytest_checkout.fake.webhooks import WebhookRequest, webhook_request
from pytest_checkout.httputil import is_live_key, mask_key
from pytest_checkout.validation import validate_params
from pytest_checkout.versions import API_VERSION, DEFAULT

__all__ = ["ASYNC_PAYMENT_METHODS", "Account", "CheckoutFake", "RecordedRequest", "Stub", "mask_key"]

COMPONENTS = DEFAULT.components

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


@dataclass(frozen=True)
class Stub:
    """A test's own answer for an endpoint the fake does not model: status and JSON body, or a callable.

    ``answer`` is a JSON-ready dict, or a function of the decoded params returning one; the fake adds Stripe's
    headers. Registered with ``CheckoutFake.stub``.
    """

    status: int
    answer: Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]


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
        self.build = Builder(self.ids, self.clock, self._product_names)
        self.events: list[Event] = []
        # What the HTTP layer remembers (routes.handle writes both; the operations here never read them).
        self.requests: list[RecordedRequest] = []
        self.idempotency = IdempotencyStore()
        self.warned_versions: set[str] = set()
        # Answers a test registered for endpoints the fake does not model (see ``stub``).
        self.stubs: dict[tuple[str, str], Stub] = {}

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
                account = Account(masked_key=mask_key(api_key), livemode=is_live_key(api_key))
                self._accounts[api_key] = account
            return account

    @property
    def sessions(self) -> Mapping[str, dict[str, Any]]:
        """Every session of every account by id, as its answer would show it.

        A live, read-only view: each lookup gives a fresh copy of that session, so a test may change what it got
        without changing the fake, and looking up one session does not copy the others.
        """
        return SessionsView(self._owner, self._lock)

    def _find(self, session_id: str) -> tuple[Account, StoredSession]:
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
            price = self.build.price(
                price_id,
                product=product,
                currency=currency.lower(),
                unit_amount=unit_amount,
                unit_amount_decimal=unit_amount_decimal,
                recurring=recurring,
                active=True,
                livemode=is_live_key(api_key),
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
                        "livemode": is_live_key(api_key),
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
            livemode = is_live_key(api_key)
            customer = self.build.customer(
                id or self.ids.new("cus"), email=email, name=name, livemode=livemode, **fields
            )
            (self.account(api_key).customers if api_key else self._shared_customers)[customer["id"]] = customer
            return customer

    def stub(
        self,
        method: str,
        path: str,
        answer: Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]],
        *,
        status: int = 200,
    ) -> None:
        """Answer ``method path`` with ``answer``: for Stripe endpoints the fake does not model.

        Without a stub such a path gets Stripe's 404, as any path Stripe does not have. ``path`` is exact
        (``/v1/billing_portal/sessions``) or a template (``/v1/customers/{customer}``); ``answer`` is a JSON-ready
        dict, or a function of the request's decoded params returning one. The request is still authenticated
        and logged like any other. A path the fake models can not be stubbed: its answer is the fake's.
        """
        method = method.upper()
        if not path.startswith("/v"):
            raise ValueError(f"a stubbed path is an API path such as '/v1/billing_portal/sessions', got {path!r}")
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status (100-599), got {status}")
        example = re.sub(r"\{\w+\}", "x", path)
        for name, operation in DEFAULT.operations.items():
            if operation.match(method, example) is not None:
                raise ValueError(f"{method} {path} is the fake's own {name!r} endpoint; it can not be stubbed")
        with self._lock:
            self.stubs[(method, path)] = Stub(status, answer)

    # -- the API's operations --------------------------------------------------------------------------------------

    def create_session(self, account: Account, params: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/checkout/sessions``: validate as Stripe does, then store a new open session."""
        with self._lock:
            context = rules.RuleContext(
                now=self.clock.now(),
                prices=self._prices_for(account),
                customers=self._customers_for(account),
                coupons=self._coupons_for(account),
                promotion_codes=self._promotion_codes_for(account),
            )
            validate_params("create", params, context=context, normalized=True)
            expand = render.expand_paths(params)
            render.check_session_expand(expand, DEFAULT)
            data, line_items = self.build.session(account, params, context)
            if data["mode"] == "setup":
                intent = self.build.intent("setup_intent", "seti", {**params, "livemode": account.livemode}, None)
                account.objects[intent["id"]] = intent
                data["setup_intent"] = intent["id"]
            self._sequence += 1
            stored = StoredSession(data, line_items, self._sequence)
            session_id = account.add_session(stored)
            self._owner[session_id] = account
            heapq.heappush(self._expiry, (stored.get("expires_at"), stored.sequence, session_id))
            return self._render(account, stored, expand)

    def retrieve_session(self, account: Account, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/checkout/sessions/{session}``."""
        with self._lock:
            validate_params("retrieve", params, normalized=True)
            expand = render.expand_paths(params)
            render.check_session_expand(expand, DEFAULT)
            return self._render(account, self._get(account, session_id), expand)

    def expire_session(self, account: Account, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/checkout/sessions/{session}/expire``: only an open session can be expired."""
        with self._lock:
            validate_params("expire", params, normalized=True)
            expand = render.expand_paths(params)
            render.check_session_expand(expand, DEFAULT)
            stored = self._get(account, session_id)
            status = stored.get("status")
            if status != "open":
                raise exceptions.not_expirable(status)
            self._expire(account, stored, self.clock.now())
            return self._render(account, stored, expand)

    def list_sessions(self, account: Account, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/checkout/sessions``: newest first, filtered, one page."""
        with self._lock:
            validate_params("list", params, normalized=True)
            inner = render.list_expand(render.expand_paths(params), DEFAULT)
            filters = {
                name: value
                for name, value in models.filter_values(
                    lambda key: params.get(key) if key != "customer_details" else params.get("customer_details")
                ).items()
            }
            if filters:
                page, has_more = pagination.page(account.filtered(filters), params, str, "checkout.session")
            else:
                page, has_more = pagination.newest_first(account.order, account.position, params)
            data = [self._render(account, account.sessions[i], inner) for i in page]
            return render.list_object(data, has_more, "/v1/checkout/sessions")

    def list_line_items(self, account: Account, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/checkout/sessions/{session}/line_items``: the session's items in order, one page."""
        with self._lock:
            validate_params("list_line_items", params, normalized=True)
            for path in render.expand_paths(params):
                if path != "data.price":
                    # data.price is already whole; other expansions of items need objects the fake lacks.
                    raise exceptions.fake_cannot_expand(path, "line items (only data.price)")
            stored = self._get(account, session_id)
            page, has_more = pagination.page(stored.line_items, params, lambda i: i["id"], "item")
            return render.list_object(page, has_more, f"/v1/checkout/sessions/{session_id}/line_items")

    # -- what the API's answers read ------------------------------------------------------------------------------

    def _get(self, account: Account, session_id: str) -> StoredSession:
        stored = account.sessions.get(session_id)
        if stored is None:
            raise exceptions.no_such_session(session_id)
        return stored

    def _render(self, account: Account, stored: StoredSession, expand: list[str]) -> dict[str, Any]:
        def lookup(field: str, object_id: str) -> dict[str, Any] | None:
            if field == "customer":
                return self._customers_for(account).get(object_id)
            return account.objects.get(object_id)

        return render.expand_session(stored.data, expand, line_items=lambda: stored.line_items, lookup=lookup)

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
            email = email or data["customer_email"] or DEFAULT_CUSTOMER["email"]
            customer_id = data["customer"]
            if customer_id is None and (mode != "payment" or data["customer_creation"] == "always"):
                customer = self.build.customer(
                    self.ids.new("cus"), email=email, name=name or DEFAULT_CUSTOMER["name"], livemode=data["livemode"]
                )
                account.customers[customer["id"]] = customer
                customer_id = customer["id"]
            if mode == "setup":
                # "Only the customer's email is present on Sessions in setup mode."
                details = {"address": None, "email": email, "name": None, "phone": None}
            else:
                details = {
                    "address": {**DEFAULT_ADDRESS, **(address or {})},
                    "email": email,
                    "name": name or DEFAULT_CUSTOMER["name"],
                    "phone": phone,
                }
            details.update({"tax_exempt": "none", "tax_ids": []})
            updates: dict[str, Any] = {
                "status": "complete",
                "url": None,
                "customer": customer_id,
                "customer_details": details,
                **self.build.shipping_choice(data, shipping_rate, details),
            }
            # The objects made below (a payment intent's amount) see the totals with shipping in them.
            data = {**data, **updates}
            if mode == "payment":
                intent = self.build.intent("payment_intent", "pi", data, customer_id, method, async_payment)
                account.objects[intent["id"]] = intent
                updates["payment_intent"] = intent["id"]
                updates["payment_status"] = "unpaid" if async_payment else "paid"
            elif mode == "subscription":
                subscription = self.build.subscription(data, stored.line_items, customer_id, async_payment)
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
            account.save(stored, {**data, **updates})
            stored.async_pending = async_payment
            self._emit(account, "checkout.session.completed", stored)
            return copy.deepcopy(stored.data)

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
                account.save(stored, {**stored.data, "payment_status": "paid"})
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

    # -- internals ------------------------------------------------------------------------------------------------

    def _expire(self, account: Account, stored: StoredSession, at: int) -> None:
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
        account.save(stored, {**data, **updates})
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

    def _emit(self, account: Account, event_type: str, stored: StoredSession, at: int | None = None) -> Event:
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
