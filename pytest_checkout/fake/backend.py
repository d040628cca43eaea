"""The fake's backend: Stripe's Checkout Sessions as an in-process model (moto's ``models.py``).

``CheckoutFake`` holds one ``Account`` per API key (separate keys see separate data, as separate Stripe
accounts do), a clock the test controls, and the events each change emits. Its operations are named after the
API's (``create_session``, ``retrieve_session``, ``list_sessions``, ``list_line_items``, ``expire_session``),
take params already decoded by the codec and return objects; ``routes.py`` turns HTTP into these calls and
their answers into JSON. What only a customer can do (pay, let an async payment settle) are test helpers:
``complete`` and ``settle_async_payment``.

Where the pieces are: what a test registers (``add_price``, ``stub``, ...) in ``setup``, the customer's
helpers in ``customer``, the stored state in ``models``, the objects built in ``builders``, ``expand`` and the
list envelope in ``render``, cursors in ``pagination``, error messages in ``exceptions``, events in ``events``.
Behaviour follows Stripe's as the docs describe it; where it is a guess, the code says so.
"""

from __future__ import annotations

import heapq
import operator
import threading
from collections import ChainMap
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

from pytest_checkout import rules, versions
from pytest_checkout.fake import exceptions, models, pagination, render, resources, today
from pytest_checkout.fake.builders import Builder
from pytest_checkout.fake.clock import Clock
from pytest_checkout.fake.customer import ASYNC_PAYMENT_METHODS, CustomerActions
from pytest_checkout.fake.events import CAUSE, Event
from pytest_checkout.fake.fakeobject import FakeObject
from pytest_checkout.fake.httpstate import MAX_RECORDED_REQUESTS, IdempotencyStore, RecordedRequest, RequestLog
from pytest_checkout.fake.ids import IdFactory
from pytest_checkout.fake.models import Account, SessionsView, StoredSession
from pytest_checkout.fake.setup import Stub, TestSetup
from pytest_checkout.fake.webhooks import Delivery, WebhookRequest, deliver, webhook_request
from pytest_checkout.httputil import is_live_key, mask_key
from pytest_checkout.validation import validate_params
from pytest_checkout.versions import API_VERSION, ApiVersion

__all__ = ["ASYNC_PAYMENT_METHODS", "Account", "CheckoutFake", "RecordedRequest", "Stub", "mask_key"]


def _status_and_created(params: Mapping[str, Any]) -> Callable[[StoredSession], bool] | None:
    """The ``status`` and ``created`` list filters of today's API as one test of a session; None if neither."""
    status = params.get("status")
    created = params.get("created")
    if not status and created is None:
        return None
    bounds: dict[str, int] = {}
    if isinstance(created, int):
        bounds = {"gte": created, "lte": created}
    elif isinstance(created, Mapping):
        bounds = {k: v for k, v in created.items() if k in _COMPARISONS and isinstance(v, int)}

    def keep(stored: StoredSession) -> bool:
        if status and stored.get("status") != status:
            return False
        when = stored.get("created")
        return all(_COMPARISONS[op](when, bound) for op, bound in bounds.items())

    return keep


_COMPARISONS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


class CheckoutFake(TestSetup, CustomerActions):
    """Stripe Checkout Sessions in memory. Thread-safe: every operation runs under one lock.

    ``seed`` makes ids repeatable; ``now`` starts the clock (default: the real time, then frozen);
    ``api_base`` is where the fake answers when activated by ``mock_checkout``. ``api_version`` is the account's
    default API version, the one a request without ``Stripe-Version`` gets (2022-08-01, the seed's, unless
    given); ``strict_versions`` answers a pinned version between the modelled ones as the newest modelled
    snapshot before it, instead of by Stripe's policy (``versions.resolve``).
    """

    def __init__(
        self,
        *,
        seed: int | str = 0,
        now: int | float | None = None,
        api_base: str = "https://api.stripe.com",
        max_recorded_requests: int | None = MAX_RECORDED_REQUESTS,
        api_version: str = API_VERSION,
        strict_versions: bool = False,
    ):
        #: The account's default API version (``versions.get`` refuses one the fake does not model).
        self.default_version: ApiVersion = versions.get(api_version)
        self.api_version = api_version
        self.strict_versions = strict_versions
        # How many requests ``self.requests`` keeps, the latest ones (None: every one); checked by RequestLog.
        self._max_recorded_requests = max_recorded_requests
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
        self._accounts: dict[tuple[str, str | None], Account] = {}
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
        self._event_objects: dict[str, dict[str, Any]] = {}
        self._delivered: set[str] = set()
        # What the HTTP layer remembers (routes.handle writes both; the operations here never read them).
        self.requests: RequestLog = RequestLog(self._max_recorded_requests)
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

    def account(self, api_key: str, stripe_account: str | None = None) -> Account:
        """The account an API key stands for, or the connected account it acts on with ``Stripe-Account``.

        Made on first use, as if the key were valid and the platform connected to every ``acct_`` id. A
        connected account's sessions belong to the key and that account together: the platform without the
        header, and any other account, can not see them (docs).
        """
        with self._lock:
            account = self._accounts.get((api_key, stripe_account))
            if account is None:
                account = Account(
                    masked_key=mask_key(api_key), livemode=is_live_key(api_key), stripe_account=stripe_account
                )
                self._accounts[(api_key, stripe_account)] = account
            return account

    @property
    def sessions(self) -> Mapping[str, FakeObject]:
        """Every session of every account by id, as its answer would show it.

        A live, read-only view: each lookup gives a fresh copy of that session, so a test may change what it got
        without changing the fake, and looking up one session does not copy the others.
        """
        return SessionsView(self._owner, self._lock, self._shown)

    def _find(self, session_id: str) -> tuple[Account, StoredSession]:
        account = self._owner.get(session_id)
        if account is None:
            raise KeyError(f"the fake has no Checkout Session {session_id!r}")
        return account, account.sessions[session_id]

    # Views, not copies: customers accumulate as sessions complete, and a create must not copy them all. Each
    # view is made once per account: the dicts under it are changed in place, never replaced.
    def _prices_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return self._view(account, "prices", account.prices, self._shared_prices)

    def _customers_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return self._view(account, "customers", account.customers, self._shared_customers)

    def _coupons_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return self._view(account, "coupons", account.coupons, self._shared_coupons)

    def _promotion_codes_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        return self._view(account, "promotion_codes", account.promotion_codes, self._shared_promotion_codes)

    @staticmethod
    def _view(
        account: Account, kind: str, own: dict[str, dict[str, Any]], shared: dict[str, dict[str, Any]]
    ) -> Mapping[str, dict[str, Any]]:
        found = account.views.get(kind)
        if found is None:
            found = account.views[kind] = ChainMap(own, shared)
        return found

    def _context(self, account: Account, version: ApiVersion) -> rules.RuleContext:
        """What the rules of a request on ``account`` may know beyond its params: the account's objects.

        One per account and version, made once: what it holds are views that follow the account's objects as
        they change, and only its time is set for each request. Asked under the fake's lock, as each request
        runs its rules under it.
        """
        context: rules.RuleContext | None = account.contexts.get(version.name)
        if context is None:
            context = account.contexts[version.name] = rules.RuleContext(
                stripe_account=account.stripe_account,
                prices=self._prices_for(account),
                customers=self._customers_for(account),
                objects=account.objects,
                coupons=self._coupons_for(account),
                promotion_codes=self._promotion_codes_for(account),
                version=version,
            )
        context.now = self.clock.now()
        return context

    def new_id(self, prefix: str) -> str:
        """A fresh id of the given kind (``req``, ``evt``, ...), drawn under the lock so runs repeat."""
        with self._lock:
            return self.ids.new(prefix)

    def expire_due(self) -> None:
        """Expire the open sessions whose ``expires_at`` has come by the clock's current time."""
        self._expire_due(self.clock.now())

    # -- the API's operations --------------------------------------------------------------------------------------

    def create_session(
        self, account: Account, params: Mapping[str, Any], *, version: ApiVersion | None = None
    ) -> dict[str, Any]:
        """``POST /v1/checkout/sessions``: validate as Stripe does, then store a new open session.

        ``version``: the API version the request is answered in (default: the account's).
        """
        version = version or self.default_version
        with self._lock:
            context = self._context(account, version)
            validate_params("create", params, context=context, normalized=True, version=version)
            expand = render.expand_paths(params)
            render.check_session_expand(expand, version)
            data, line_items = self.build.session(account, render.canonical_params(params, version), context)
            if data["mode"] == "setup":
                intent = self.build.intent("setup_intent", "seti", {**params, "livemode": account.livemode}, None)
                account.objects[intent["id"]] = intent
                data["setup_intent"] = intent["id"]
            self._sequence += 1
            stored = StoredSession(data, line_items, self._sequence)
            session_id = account.add_session(stored)
            self._owner[session_id] = account
            heapq.heappush(self._expiry, (stored.get("expires_at"), stored.sequence, session_id))
            # Answered from the fields just built, which hold what was stored: not unpacked again.
            return self._render_fields(account, data, lambda: stored.line_items, expand, version)

    def retrieve_session(
        self, account: Account, session_id: str, params: Mapping[str, Any], *, version: ApiVersion | None = None
    ) -> dict[str, Any]:
        """``GET /v1/checkout/sessions/{session}``."""
        version = version or self.default_version
        with self._lock:
            validate_params("retrieve", params, normalized=True, version=version)
            expand = render.expand_paths(params)
            render.check_session_expand(expand, version)
            return self._render(account, self._get(account, session_id), expand, version)

    def update_session(
        self, account: Account, session_id: str, params: Mapping[str, Any], *, version: ApiVersion | None = None
    ) -> dict[str, Any]:
        """``POST /v1/checkout/sessions/{session}``: change an open session (today's API; not in 2022-08-01)."""
        version = version or self.default_version
        with self._lock:
            context = self._context(account, version)
            validate_params("update", params, context=context, normalized=True, version=version)
            expand = render.expand_paths(params)
            render.check_session_expand(expand, version)
            stored = self._get(account, session_id)
            status = stored.get("status")
            if status != "open":
                raise exceptions.not_updatable(status)
            data = stored.data
            updates = today.update(data, params)
            items = None
            if "line_items" in params:
                items = self._updated_line_items(account, stored, params["line_items"], context)
                updates.update(self.build.totals(data, items, context))
            if "shipping_options" in params:
                updates["shipping_options"] = [self.build.shipping_option(o) for o in params["shipping_options"] or []]
            if items is not None:
                stored.line_items = items
            if updates:
                account.save(stored, {**data, **updates})
            return self._render(account, stored, expand, version)

    def _updated_line_items(
        self, account: Account, stored: StoredSession, given: list[dict[str, Any]], context: rules.RuleContext
    ) -> list[dict[str, Any]]:
        """The update endpoint's retransmitted line items: each kept, changed or added, in the order given.

        Everything that can refuse the request is checked before anything is built (new items draw ids).
        """
        if stored.get("mode") == "setup":
            raise exceptions.line_items_in_setup_mode()
        currency = stored.get("currency")
        current = {item["id"]: item for item in stored.line_items}
        for index, entry in enumerate(given):
            item_id = entry.get("id")
            if item_id and item_id not in current:
                raise exceptions.no_such_line_item(item_id, f"line_items[{index}][id]")
            facts = None if item_id else rules.price_facts(entry, context)
            if facts is not None and facts.currency not in (None, currency):
                raise exceptions.line_item_currency(index, facts.currency, currency)
        now = self.clock.now()
        prices = self._prices_for(account)
        return [
            self.build.changed_line_item(current[entry["id"]], entry)
            if entry.get("id")
            else self.build.line_item(entry, now, prices, account.livemode)
            for entry in given
        ]

    def expire_session(
        self, account: Account, session_id: str, params: Mapping[str, Any], *, version: ApiVersion | None = None
    ) -> dict[str, Any]:
        """``POST /v1/checkout/sessions/{session}/expire``: only an open session can be expired."""
        version = version or self.default_version
        with self._lock:
            validate_params("expire", params, normalized=True, version=version)
            expand = render.expand_paths(params)
            render.check_session_expand(expand, version)
            stored = self._get(account, session_id)
            status = stored.get("status")
            if status != "open":
                raise exceptions.not_expirable(status)
            self._expire(account, stored, self.clock.now())
            return self._render(account, stored, expand, version)

    def list_sessions(
        self, account: Account, params: Mapping[str, Any], *, version: ApiVersion | None = None
    ) -> dict[str, Any]:
        """``GET /v1/checkout/sessions``: newest first, filtered, one page."""
        version = version or self.default_version
        with self._lock:
            validate_params("list", params, normalized=True, version=version)
            inner = render.list_expand(render.expand_paths(params), version)
            filters = {
                name: value
                for name, value in models.filter_values(
                    lambda key: params.get(key) if key != "customer_details" else params.get("customer_details")
                ).items()
            }
            narrowed = _status_and_created(params)
            if filters or narrowed is not None:
                ids = account.filtered(filters) if filters else list(reversed(account.order))
                if narrowed is not None:
                    # Today's filters (not in 2022-08-01): a walk of the candidates, newest first.
                    ids = [i for i in ids if narrowed(account.sessions[i])]
                page, has_more = pagination.page(ids, params, str, "checkout.session")
            else:
                page, has_more = pagination.newest_first(account.order, account.position, params)
            data = [self._render(account, account.sessions[i], inner, version) for i in page]
            return render.list_object(data, has_more, "/v1/checkout/sessions")

    def list_line_items(
        self, account: Account, session_id: str, params: Mapping[str, Any], *, version: ApiVersion | None = None
    ) -> dict[str, Any]:
        """``GET /v1/checkout/sessions/{session}/line_items``: the session's items in order, one page."""
        version = version or self.default_version
        with self._lock:
            validate_params("list_line_items", params, normalized=True, version=version)
            expand = render.expand_paths(params)
            for path in expand:
                if path not in ("data.price", "data.price.product"):
                    # data.price is already whole, and its product the fake knows; other expansions of items need
                    # objects the fake lacks.
                    raise exceptions.fake_cannot_expand(path, "line items (only data.price and data.price.product)")
            stored = self._get(account, session_id)
            page, has_more = pagination.page(stored.line_items, params, lambda i: i["id"], "item")
            page = render.items_for(page, version)
            if "data.price.product" in expand:
                page = resources.Resources(self, account).expand_line_items(page)
            return render.list_object(page, has_more, f"/v1/checkout/sessions/{session_id}/line_items")

    # -- what the API's answers read ------------------------------------------------------------------------------

    def _get(self, account: Account, session_id: str) -> StoredSession:
        stored = account.sessions.get(session_id)
        if stored is None:
            raise exceptions.no_such_session(session_id)
        return stored

    def _shown(self, data: dict[str, Any]) -> dict[str, Any]:
        """A stored session's fields as the account's default version shows them (helpers, events, views)."""
        return render.session_for(data, self.default_version)

    def _render(
        self, account: Account, stored: StoredSession, expand: list[str], version: ApiVersion
    ) -> dict[str, Any]:
        return self._render_fields(account, stored.data, lambda: stored.line_items, expand, version)

    def _render_fields(
        self,
        account: Account,
        data: dict[str, Any],
        line_items: Callable[[], list[dict[str, Any]]],
        expand: list[str],
        version: ApiVersion,
    ) -> dict[str, Any]:
        shown = render.session_for(data, version)
        if not expand:
            return shown

        def lookup(field: str, object_id: str) -> dict[str, Any] | None:
            if field == "customer":
                return self._customers_for(account).get(object_id)
            return account.objects.get(object_id)

        return render.expand_session(
            shown, expand, line_items=lambda: render.items_for(line_items(), version), lookup=lookup
        )

    # -- webhooks -------------------------------------------------------------------------------------------------

    def webhook_request(
        self, event: Event, secret: str, *, timestamp: int | None = None, api_version: str | None = None
    ) -> WebhookRequest:
        """The body and ``Stripe-Signature`` header Stripe would post for ``event``, signed with ``secret``.

        Deliver it with ``.post_to(app_or_test_client)``; ``stripe.Webhook.construct_event`` accepts it.
        ``api_version`` is the version of the webhook endpoint (default: the account's): Stripe renders an
        event's object in its endpoint's version, and the event says which (``api_version``).
        """
        return webhook_request(self.event_in(event, api_version), secret, timestamp=timestamp)

    def event_in(self, event: Event, api_version: str | None) -> Event:
        """``event`` as an endpoint pinned to ``api_version`` gets it (itself when None or the account's).

        Raises ``ValueError`` for a version the fake can not place, and for an event the fake did not emit.
        """
        if api_version is None or api_version == event.api_version:
            return event
        resolved = versions.resolve(api_version, strict=self.strict_versions)
        if not resolved.exact:
            known = ", ".join(v.name for v in versions.all_versions())
            raise ValueError(f"the fake can not answer API version {api_version!r}; it models {known} and between")
        stored = self._event_objects.get(event.id)
        if stored is None:
            raise ValueError(f"{event.id} was not emitted by this fake: its object can not be shown in another version")
        return replace(event, data_object=render.session_for(stored, resolved.version), api_version=api_version)

    def deliver(
        self,
        to: object,
        *,
        secret: str,
        path: str = "/webhook",
        twice: bool | Collection[str] = False,
        shuffle: bool | int = False,
        api_version: str | None = None,
    ) -> list[Delivery]:
        """Post every event not delivered yet to the application ``to``, signed with ``secret``, in order.

        ``to`` is what ``WebhookRequest.post_to`` takes (a WSGI app such as Flask's, a test client, or a
        ``handler(body, headers)``), at ``path`` (default ``/webhook``). ``twice`` and ``shuffle`` make the
        duplicates and disorder real Stripe may give (see ``webhooks.deliver``). ``api_version``: the version of
        the endpoint (default: the account's), in whose shape each event comes. Returns one ``Delivery`` (event,
        the app's response) per post; an event is delivered by one call only.
        """
        with self._lock:
            pending = [self.event_in(e, api_version) for e in self.events if e.id not in self._delivered]
            self._delivered.update(e.id for e in pending)
        return deliver(pending, to, secret=secret, path=path, twice=twice, shuffle=shuffle, seed=self.seed)

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
        # The request being answered, if one caused this (events.CAUSE); the customer or time: nulls.
        request_id, idempotency_key = CAUSE.get()
        data = stored.data  # a fresh dict of the stored fields; nested values are replaced, never changed
        event = Event(
            id=self.ids.new("evt"),
            type=event_type,
            created=self.clock.now() if at is None else at,
            data_object=self._shown(data),
            livemode=account.livemode,
            api_version=self.default_version.name,
            account=account.stripe_account,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        self.events.append(event)
        # Kept to show the event to an endpoint of another version (``event_in``).
        self._event_objects[event.id] = data
        return event
