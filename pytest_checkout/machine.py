"""``CheckoutMachine``: a Hypothesis state machine that drives a ``CheckoutFake`` through the official SDK.

Each run gets a fresh fake and a ``stripe.StripeClient`` bound to it in process (``CheckoutHTTPClient``). The
rules create, retrieve, list, expire and complete sessions, settle delayed payments, move the clock and deliver
the webhook events; the invariants check the fake against a small model of what Stripe promises (amounts,
statuses, list order, signed and well-formed events). An application subclasses it to point the deliveries at
its own webhook endpoint and to add invariants of its own::

    class ShopMachine(CheckoutMachine):
        def __init__(self) -> None:
            super().__init__()
            self.shop = make_shop(self.client, self.webhook_secret)

        def webhook_target(self) -> object:
            return self.shop.wsgi_app

        @invariant()
        def paid_sessions_are_fulfilled_once(self) -> None:
            ...

    TestShop = ShopMachine.TestCase

See ``docs/state-machine.md``. The machine needs the ``stripe`` package (a test extra of this project).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.customer import ASYNC_PAYMENT_METHODS
from pytest_checkout.fake.events import EVENT_TYPES, Event
from pytest_checkout.fake.webhooks import Delivery, WebhookResponse
from pytest_checkout.versions import API_VERSION

try:
    import stripe
except ImportError as error:  # pragma: no cover - the project's tests always have stripe
    raise ImportError(
        "pytest_checkout.machine drives the fake through the official Stripe SDK: pip install stripe "
        "(or pytest-checkout[test])"
    ) from error

__all__ = ["CheckoutMachine", "ExpectedSession", "fallback_create_params"]

#: What a session's ``status`` may become, from what it was (Stripe's documented life of a session).
ALLOWED_TRANSITIONS = frozenset({("open", "complete"), ("open", "expired")})

_EVENT_KEYS = ("id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type")
_DAY = 24 * 3600
_SHARED_CUSTOMER = "cus_strategies"  # strategies.REFERENCES["customer"]
_MIN_EXPIRY = 30 * 60


@dataclass
class ExpectedSession:
    """What the machine expects of one session, kept alongside the fake."""

    id: str
    mode: str
    expires_at: int
    status: str = "open"
    payment_status: str = "unpaid"
    async_pending: bool = False
    #: The types of the events this session should have caused so far, in order.
    events: list[str] = field(default_factory=list)


# -- create params ------------------------------------------------------------------------------------------------


def _line_item(recurring: bool) -> st.SearchStrategy[dict[str, Any]]:
    price: dict[str, st.SearchStrategy[Any]] = {
        "currency": st.just("usd"),
        "product_data": st.fixed_dictionaries({"name": st.sampled_from(["T-shirt", "Mug", "Plan", "Sticker"])}),
        "unit_amount": st.integers(50, 50_000),  # Stripe's minimum charge is $0.50
    }
    if recurring:
        price["recurring"] = st.just({"interval": "month"})
    return st.fixed_dictionaries({"price_data": st.fixed_dictionaries(price), "quantity": st.integers(1, 5)})


def fallback_create_params() -> st.SearchStrategy[dict[str, Any]]:
    """Valid create params in the three modes, with ``price_data`` line items in usd.

    The machine's own small strategy, used when ``pytest_checkout.strategies.create_params`` is not there.
    """
    methods = st.sampled_from([["card"], ["card", "us_bank_account"], ["us_bank_account", "card"]])
    common = {"success_url": st.just("https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}")}
    optional = {
        "cancel_url": st.just("https://shop.example/cart"),
        "client_reference_id": st.sampled_from(["o1", "o2"]),
    }
    payment = st.fixed_dictionaries(
        {**common, "mode": st.just("payment"), "line_items": st.lists(_line_item(False), min_size=1, max_size=3)},
        optional={**optional, "payment_method_types": methods},
    )
    subscription = st.fixed_dictionaries(
        {**common, "mode": st.just("subscription"), "line_items": st.lists(_line_item(True), min_size=1, max_size=2)},
        optional={**optional, "payment_method_types": methods},
    )
    setup = st.fixed_dictionaries(
        {**common, "mode": st.just("setup"), "payment_method_types": st.just(["card"])}, optional=optional
    )
    return st.one_of(payment, subscription, setup)


def _strategies() -> Any:
    """``pytest_checkout.strategies`` when it imports and its ``create_params()`` makes a strategy, else None."""
    try:
        from pytest_checkout import strategies

        if not isinstance(strategies.create_params(), st.SearchStrategy):
            return None
    except Exception:  # a missing or broken module: the machine runs on its own params
        return None
    return strategies


def default_create_params() -> st.SearchStrategy[dict[str, Any]]:
    """``pytest_checkout.strategies.create_params()`` when it can be had, else :func:`fallback_create_params`."""
    module = _strategies()
    if module is None:
        return fallback_create_params()
    strategy: st.SearchStrategy[dict[str, Any]] = module.create_params()
    return strategy


# -- the machine --------------------------------------------------------------------------------------------------


class CheckoutMachine(RuleBasedStateMachine):
    """Drive a fresh ``CheckoutFake`` per run through ``stripe.StripeClient`` and check it stays Stripe-like.

    Override points:

    - :meth:`webhook_target`: where deliveries go (a WSGI app, a test client or ``handler(body, headers)``);
      ``None``, the default, collects the signed requests in :attr:`received`.
    - :attr:`webhook_path`, :attr:`webhook_secret`, :attr:`api_key`, :attr:`seed`, :attr:`start_time`, and
      :attr:`activate` for an application that calls Stripe with a client of its own.
    - :meth:`create_params`: the strategy of create params.
    - :meth:`check_delivery`: what each delivery's answer must be (default: a 2xx when it has a status).
    - invariants: plain ``@invariant()`` methods in the subclass; :attr:`fake`, :attr:`client`,
      :attr:`expected`, :attr:`deliveries` and :meth:`pending_events` are there to read.
    """

    api_key: str = "sk_test_checkoutmachine"
    webhook_secret: str = "whsec_checkoutmachine"
    webhook_path: str = "/webhook"
    seed: int | str = 0
    #: The fake's clock at the start of each run (Unix seconds); fixed, so runs replay exactly.
    start_time: int = 1_700_000_000
    #: Activate each run's fake on every road into Stripe (as ``mock_checkout`` does), so that application code
    #: calling Stripe with a client of its own reaches it; deactivated at the run's teardown.
    activate: bool = False

    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        from pytest_checkout.fake.mock import mock_checkout
        from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient

        self._mock: mock_checkout | None = None
        self.fake: CheckoutFake
        if self.activate:
            self._mock = mock_checkout(seed=self.seed, now=self.start_time)
            self.fake = self._mock.start()
        else:
            self.fake = CheckoutFake(seed=self.seed, now=self.start_time)
        self.client = stripe.StripeClient(
            self.api_key,
            http_client=CheckoutHTTPClient(self.fake),
            stripe_version=API_VERSION,
            max_network_retries=0,
        )
        module = _strategies()
        if module is not None and hasattr(module, "register_references"):
            # The customer, coupon and promotion code the shared strategies name.
            module.register_references(self.fake)
        #: Every session created, by id, with what the machine expects of it.
        self.expected: dict[str, ExpectedSession] = {}
        #: Session ids in the order they were created.
        self.created: list[str] = []
        #: Every delivery made (event, the target's answer).
        self.deliveries: list[Delivery] = []
        #: The verified events a run without a webhook target received, in delivery order.
        self.received: list[stripe.Event] = []
        self._target: object | None = None
        self._target_resolved = False
        self._checked_events = 0
        self._last_status: dict[str, str] = {}

    # -- override points ------------------------------------------------------------------------------------------

    def webhook_target(self) -> object | None:
        """The application deliveries go to, at :attr:`webhook_path`; ``None`` collects them in memory.

        Called once per run, at the first delivery, so a subclass may build its application in ``__init__``.
        """
        return None

    def create_params(self) -> st.SearchStrategy[dict[str, Any]]:
        """The create params the ``create`` rule draws (valid ones: the fake must accept each)."""
        return _DEFAULT_PARAMS

    def check_delivery(self, delivery: Delivery) -> None:
        """Check the target's answer to one delivery: by default a 2xx, when the answer has a status code."""
        status = _status_code(delivery.response)
        if status is not None:
            assert 200 <= status < 300, f"the webhook endpoint answered {status} to {delivery.event.type}"

    # -- helpers for subclasses -----------------------------------------------------------------------------------

    def pending_events(self) -> list[Event]:
        """The events not delivered yet (the next ``deliver`` posts them)."""
        delivered = {d.event.id for d in self.deliveries}
        return [e for e in self.fake.events if e.id not in delivered]

    def session(self, session_id: str) -> dict[str, Any]:
        """The fake's copy of a session, as a plain dict."""
        return self.fake.sessions[session_id].to_dict()

    # -- rules ----------------------------------------------------------------------------------------------------

    @rule(target=sessions, data=st.data(), expiry=st.one_of(st.none(), st.integers(_MIN_EXPIRY + 60, _DAY)))
    def create(self, data: st.DataObject, expiry: int | None) -> str:
        params = dict(data.draw(self.create_params(), label="params"))
        # Strategies draw times from the real clock; the fake's has its own time. The machine sets expires_at,
        # and moves the other times by the difference.
        params.pop("expires_at", None)
        if params.get("customer") == _SHARED_CUSTOMER:
            # One customer for every session of a run would tie them to one currency (Stripe's rule once a
            # subscription is paid), which drawn params know nothing of: leave the customer out.
            params.pop("customer")
            params.pop("customer_update", None)
        _shift_times(params, self.fake.clock.now() - int(time.time()))
        if expiry is not None:
            params["expires_at"] = self.fake.clock.now() + expiry
        session = self.client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        assert session.status == "open"
        assert session.created == self.fake.clock.now()
        expected_expiry = params.get("expires_at", session.created + _DAY)
        assert session.expires_at == expected_expiry, (session.expires_at, expected_expiry)
        mode = params["mode"]
        assert session.mode == mode
        return self.track(session)

    def track(self, session: Any) -> str:
        """Take a session the application created (through :attr:`client`) into the machine's model; returns its
        id. A subclass's rule that starts a checkout the application's way returns this, with
        ``target=CheckoutMachine.sessions``, so the other rules (complete, expire, deliver...) reach it."""
        mode = session["mode"]
        payment_status = "no_payment_required" if mode == "setup" else "unpaid"
        assert session["status"] == "open"
        assert session["payment_status"] == payment_status
        assert session["id"] not in self.expected, f"the fake gave an id twice: {session['id']}"
        self.expected[session["id"]] = ExpectedSession(
            session["id"], mode, session["expires_at"], payment_status=payment_status
        )
        self.created.append(session["id"])
        self._check_line_items(session["id"])
        return str(session["id"])

    @rule(session_id=sessions)
    def retrieve(self, session_id: str) -> None:
        session = self.client.v1.checkout.sessions.retrieve(session_id)
        want = self.expected[session_id]
        assert (session.id, session.status, session.payment_status) == (session_id, want.status, want.payment_status)
        assert (session.url is None) == (want.status != "open")

    @rule(limit=st.integers(1, 10))
    def list_all(self, limit: int) -> None:
        """Page through every session with ``starting_after``, then back with ``ending_before``."""
        newest_first = self.created[::-1]
        pages: list[list[str]] = []
        params: dict[str, Any] = {"limit": limit}
        while True:
            page = self.client.v1.checkout.sessions.list(params=params)  # type: ignore[arg-type]
            ids = [s.id for s in page.data]
            assert len(ids) <= limit
            pages.append(ids)
            if not page.has_more:
                break
            assert ids, "has_more with an empty page"
            params = {"limit": limit, "starting_after": ids[-1]}
        seen = [i for p in pages for i in p]
        assert len(seen) == len(set(seen)), "a session listed twice across pages"
        assert seen == newest_first, "the list is not every session, newest first"
        # And back: ending_before the oldest session gives the pages before it, newest first within each.
        if len(seen) > 1:
            back = self.client.v1.checkout.sessions.list(params={"limit": limit, "ending_before": seen[-1]})
            want = seen[max(0, len(seen) - 1 - limit) : len(seen) - 1]
            assert [s.id for s in back.data] == want
            assert back.has_more == (len(seen) - 1 > limit)

    @rule(session_id=sessions)
    def expire(self, session_id: str) -> None:
        want = self.expected[session_id]
        if want.status != "open":
            error = _raises(stripe.InvalidRequestError, lambda: self.client.v1.checkout.sessions.expire(session_id))
            assert f"has a status of `{want.status}`" in str(error.user_message), error.user_message
            assert error.http_status == 400
            return
        session = self.client.v1.checkout.sessions.expire(session_id)
        assert (session.status, session.url) == ("expired", None)
        want.status = "expired"
        want.events.append("checkout.session.expired")

    @rule(session_id=sessions, data=st.data())
    def complete(self, session_id: str, data: st.DataObject) -> None:
        want = self.expected[session_id]
        if want.status != "open":
            assert want.status in str(_raises(ValueError, lambda: self.fake.complete(session_id)))
            return
        methods = self.session(session_id)["payment_method_types"]
        method = data.draw(st.sampled_from(methods), label="payment_method_type")
        delayed = method in ASYNC_PAYMENT_METHODS and want.mode != "setup" and data.draw(st.booleans(), label="async")
        done = self.fake.complete(session_id, payment_method_type=method, async_payment=delayed)
        want.status = "complete"
        want.async_pending = delayed
        if want.mode != "setup":
            want.payment_status = "unpaid" if delayed else "paid"
        want.events.append("checkout.session.completed")
        assert (done["status"], done["payment_status"]) == ("complete", want.payment_status)
        self._check_line_items(session_id)

    @rule(session_id=sessions, succeeded=st.booleans())
    def settle(self, session_id: str, succeeded: bool) -> None:
        want = self.expected[session_id]
        if not want.async_pending:
            error = _raises(ValueError, lambda: self.fake.settle_async_payment(session_id, succeeded=succeeded))
            assert "no pending async payment" in str(error)
            return
        self.fake.settle_async_payment(session_id, succeeded=succeeded)
        want.async_pending = False
        if succeeded:
            want.payment_status = "paid"
            want.events.append("checkout.session.async_payment_succeeded")
        else:
            want.events.append("checkout.session.async_payment_failed")

    @rule(seconds=st.one_of(st.integers(0, 3600), st.sampled_from([_DAY - 1, _DAY, _DAY + 1, 2 * _DAY])))
    def advance_clock(self, seconds: int) -> None:
        now = self.fake.clock.advance(seconds)
        for want in sorted(self.expected.values(), key=lambda w: w.expires_at):
            if want.status == "open" and want.expires_at <= now:
                want.status = "expired"
                want.events.append("checkout.session.expired")

    @precondition(lambda self: bool(self.fake.events))
    @rule(how=st.sampled_from(["in order", "twice", "twice completed", "shuffled", "twice shuffled"]))
    def deliver(self, how: str) -> None:
        if not self._target_resolved:
            self._target = self.webhook_target()
            self._target_resolved = True
        target = self._target if self._target is not None else self._collect
        twice: bool | tuple[str, ...] = False
        if how == "twice completed":
            twice = ("checkout.session.completed",)
        elif how.startswith("twice"):
            twice = True
        shuffle: bool | int = len(self.deliveries) + 1 if "shuffled" in how else False
        pending = self.pending_events()
        done = self.fake.deliver(
            target, secret=self.webhook_secret, path=self.webhook_path, twice=twice, shuffle=shuffle
        )
        assert sorted({d.event.id for d in done}) == sorted(e.id for e in pending), "deliver skipped or added events"
        if not shuffle:
            copies = [2 if twice is True or e.type in (twice or ()) else 1 for e in pending]
            want = [e.id for e, n in zip(pending, copies, strict=True) for _ in range(n)]
            assert [d.event.id for d in done] == want, "deliver changed the order of the events"
        for delivery in done:
            self.check_delivery(delivery)
        self.deliveries.extend(done)

    def _collect(self, body: bytes, headers: dict[str, str]) -> WebhookResponse:
        event = stripe.Webhook.construct_event(body.decode("utf-8"), headers["Stripe-Signature"], self.webhook_secret)
        self.received.append(event)
        return WebhookResponse(200, {}, b"{}")

    # -- invariants -----------------------------------------------------------------------------------------------

    @invariant()
    def statuses_follow_the_model(self) -> None:
        for session_id, want in self.expected.items():
            got = self.fake.sessions[session_id]
            status = got["status"]
            before = self._last_status.get(session_id, "open")
            assert status == before or (before, status) in ALLOWED_TRANSITIONS, f"{session_id}: {before} -> {status}"
            self._last_status[session_id] = status
            assert (status, got["payment_status"]) == (want.status, want.payment_status), (session_id, want)
            if want.mode == "setup":
                assert got["payment_status"] == "no_payment_required"

    @invariant()
    def amounts_add_up(self) -> None:
        for session_id in self.expected:
            _check_totals(self.session(session_id))

    @invariant()
    def events_are_signed_and_well_formed(self) -> None:
        events = self.fake.events
        assert len({e.id for e in events}) == len(events), "an event id given twice"
        for event in events[self._checked_events :]:
            body = event.to_dict()
            assert tuple(k for k in body if k != "account") == _EVENT_KEYS, list(body)
            assert body["type"] in EVENT_TYPES
            assert body["api_version"] == API_VERSION
            assert body["data"]["object"]["object"] == "checkout.session"
            assert body["data"]["object"]["id"] in self.expected
            assert body["created"] <= self.fake.clock.now()
            request = self.fake.webhook_request(event, self.webhook_secret)
            verified = stripe.Webhook.construct_event(
                request.body.decode("utf-8"), request.signature, self.webhook_secret
            )
            assert (verified.id, verified.type) == (event.id, event.type)
        created = [e.created for e in events]
        assert created == sorted(created), "events out of time order"
        self._checked_events = len(events)

    @invariant()
    def events_match_the_model(self) -> None:
        caused: dict[str, list[str]] = {}
        for event in self.fake.events:
            caused.setdefault(event.data_object["id"], []).append(event.type)
        for session_id, want in self.expected.items():
            assert caused.get(session_id, []) == want.events, (session_id, caused.get(session_id), want.events)

    def teardown(self) -> None:
        note(f"{len(self.created)} sessions, {len(self.fake.events)} events, {len(self.deliveries)} deliveries")
        if self._mock is not None:
            self._mock.stop()

    # -- internals ------------------------------------------------------------------------------------------------

    def _check_line_items(self, session_id: str) -> None:
        session = self.session(session_id)
        if session["mode"] == "setup":
            return
        items = self.client.v1.checkout.sessions.line_items.list(session_id, params={"limit": 100})
        assert not items.has_more
        subtotal = total = 0
        for item in items.data:
            assert item.amount_total == item.amount_subtotal - item.amount_discount + item.amount_tax
            if item.price is not None and item.price.unit_amount is not None:
                assert item.amount_subtotal == item.price.unit_amount * (item.quantity or 0)
            subtotal += item.amount_subtotal
            total += item.amount_total
        details = session["total_details"]
        assert subtotal == session["amount_subtotal"], (subtotal, session["amount_subtotal"])
        assert total == session["amount_total"] - details["amount_shipping"], (total, session["amount_total"])


def _check_totals(session: dict[str, Any]) -> None:
    if session["mode"] == "setup":
        assert session["amount_total"] is None, session["id"]
        assert session["amount_subtotal"] is None, session["id"]
        return
    details = session["total_details"]
    parts = (details["amount_discount"], details["amount_shipping"], details["amount_tax"])
    assert all(isinstance(p, int) and p >= 0 for p in parts), details
    want = session["amount_subtotal"] - details["amount_discount"] + details["amount_shipping"] + details["amount_tax"]
    assert session["amount_total"] == want, (session["id"], session["amount_total"], want)
    assert session["amount_total"] >= 0


def _shift_times(params: dict[str, Any], shift: int) -> None:
    subscription = params.get("subscription_data")
    if isinstance(subscription, dict) and isinstance(subscription.get("trial_end"), int):
        params["subscription_data"] = {**subscription, "trial_end": subscription["trial_end"] + shift}


E = TypeVar("E", bound=BaseException)


def _raises(kind: type[E], call: Callable[[], object]) -> E:
    """The error ``call`` raises, which must be a ``kind``."""
    try:
        call()
    except kind as error:
        return error
    raise AssertionError(f"expected {kind.__name__}, nothing was raised")


def _status_code(response: object) -> int | None:
    for name in ("status_code", "status"):
        value = getattr(response, name, None)
        if isinstance(value, int):
            return value
    return None


_DEFAULT_PARAMS = st.deferred(default_create_params)
