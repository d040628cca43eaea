"""The fake, as an application sees it: the official ``stripe`` SDK (16.x) talking to ``mock_checkout``.

Every test goes through the SDK exactly as an application would (module style or ``stripe.StripeClient``), so
what passes here is what an application using the fake gets. Expectations come from RULES.md (how Stripe
behaves, API version 2022-08-01), so every client here pins 2022-08-01 (``stripe_version``, or
``stripe.api_version`` module style): an unpinned stripe 16 sends 2026-10-28.endive, answered in today's shape
(tests/test_fake_today.py). The fake's own test helpers (``complete``, ``settle_async_payment``,
``clock``, ``add_price``, ...) only play the parts no API call can (the customer, the passing of time).

Secrets (webhook secrets, live-mode keys) are made at run time; none is written here.
"""

from __future__ import annotations

import re
import secrets
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import stripe

from pytest_checkout.fake import CheckoutFake, StripeVersionWarning, mock_checkout
from pytest_checkout.fake.shapes import present_keys
from pytest_checkout.schema.v2022_08_01 import API_VERSION, CHECKOUT_SESSION, ITEM, RESOURCES

NOW = 1_700_000_000
DAY = 24 * 60 * 60
API_BASE = "https://api.stripe.com"
API_KEY = "sk_test_51FakeCheckoutKeyAccountOne000001"
OTHER_KEY = "sk_test_51FakeCheckoutKeyAccountTwo000002"
SUCCESS_URL = "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://shop.example/cart"

#: The 44 fields of the spec's checkout.session, less ``line_items`` (only there when expanded) and
#: ``tax_id_collection`` (live leaves it out unless the request gave it; tests/test_fidelity.py).
SESSION_KEYS = frozenset(CHECKOUT_SESSION.properties) - {"line_items", "tax_id_collection"}
ITEM_KEYS = frozenset(present_keys(ITEM))
EVENT_KEYS = ["id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type"]
CUSTOMER_DETAILS_KEYS = {"address", "email", "name", "phone", "tax_exempt", "tax_ids"}
ADDRESS_KEYS = {"city", "country", "line1", "line2", "postal_code", "state"}

TEST_SESSION_ID = re.compile(r"cs_test_a1[A-Za-z0-9]{56}")
LIVE_SESSION_ID = re.compile(r"cs_live_a1[A-Za-z0-9]{56}")
LINE_ITEM_ID = re.compile(r"li_[A-Za-z0-9]{24}")
EVENT_ID = re.compile(r"evt_[A-Za-z0-9]{24}")
REQUEST_ID = re.compile(r"req_[A-Za-z0-9]{14}")
PAYMENT_INTENT_ID = re.compile(r"pi_[A-Za-z0-9]{24}")
SETUP_INTENT_ID = re.compile(r"seti_[A-Za-z0-9]{24}")
SUBSCRIPTION_ID = re.compile(r"sub_[A-Za-z0-9]{24}")
CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{14}")

UNRECOGNIZED = (
    "Unrecognized request URL (GET: /v1/customers). Please see https://stripe.com/docs or we can help at "
    "https://support.stripe.com/."
)
TRAILING_SLASH = (
    "Unrecognized request URL (GET: /v1/checkout/sessions/). If you are trying to list objects, remove the "
    "trailing slash. If you are trying to retrieve an object, make sure you passed a valid (non-empty) "
    "identifier in your code. Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
)


def live_key() -> str:
    """A live-mode secret key made now (never written in a file)."""
    return "sk_" + "live_" + secrets.token_hex(16)


def webhook_secret() -> str:
    return "whsec_" + secrets.token_hex(16)


# --- params ---------------------------------------------------------------------------------------------------


def item(
    unit_amount: int | None = 1000,
    quantity: int = 1,
    *,
    currency: str = "usd",
    name: str = "T-shirt",
    recurring: dict[str, Any] | None = None,
    unit_amount_decimal: str | None = None,
) -> dict[str, Any]:
    price_data: dict[str, Any] = {"currency": currency, "product_data": {"name": name}}
    if unit_amount_decimal is not None:
        price_data["unit_amount_decimal"] = unit_amount_decimal
    else:
        price_data["unit_amount"] = unit_amount
    if recurring is not None:
        price_data["recurring"] = recurring
    return {"price_data": price_data, "quantity": quantity}


def payment(**extra: Any) -> Any:  # Any: the SDK's TypedDicts accept it
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "line_items": [item(2000, 2), item(500, 1, name="Socks")],
    }
    params.update(extra)
    return params


def subscription(**extra: Any) -> Any:  # Any: the SDK's TypedDicts accept it
    params: dict[str, Any] = {
        "mode": "subscription",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "line_items": [item(900, 1, name="Monthly box", recurring={"interval": "month"})],
    }
    params.update(extra)
    return params


def setup(**extra: Any) -> Any:  # Any: the SDK's TypedDicts accept it
    params: dict[str, Any] = {
        "mode": "setup",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "payment_method_types": ["card"],
    }
    params.update(extra)
    return params


def without(params: dict[str, Any], key: str) -> Any:
    return {k: v for k, v in params.items() if k != key}


# --- fixtures and small helpers -------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[CheckoutFake]:
    with mock_checkout(now=NOW) as checkout_fake:
        yield checkout_fake


@pytest.fixture
def client(fake: CheckoutFake) -> stripe.StripeClient:
    return new_client(API_KEY)


@pytest.fixture
def module_key(fake: CheckoutFake, monkeypatch: pytest.MonkeyPatch) -> str:
    """Module-style SDK use: ``stripe.api_key`` (and the version) set for this test only (monkeypatch restores)."""
    monkeypatch.setattr(stripe, "api_key", API_KEY)
    monkeypatch.setattr(stripe, "api_version", API_VERSION)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    return API_KEY


def new_client(api_key: str, **options: Any) -> stripe.StripeClient:
    """A client pinned to 2022-08-01 (the version these tests are about) unless ``stripe_version`` says else."""
    options.setdefault("stripe_version", API_VERSION)
    return stripe.StripeClient(api_key, max_network_retries=0, **options)


def create(client: stripe.StripeClient, params: Any) -> dict[str, Any]:
    return client.v1.checkout.sessions.create(params=params).to_dict()


def retrieve(client: stripe.StripeClient, session_id: str, **params: Any) -> dict[str, Any]:
    as_sent: Any = params
    return client.v1.checkout.sessions.retrieve(session_id, params=as_sent).to_dict()


def raises(error_type: type[stripe.StripeError], call: Callable[[], Any]) -> Any:
    with pytest.raises(error_type) as caught:
        call()
    return caught.value


def header(error_or_response: Any, name: str) -> str | None:
    headers = error_or_response.headers or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def event_types(fake: CheckoutFake) -> list[str]:
    return [e.type for e in fake.events]


# ==============================================================================================================
# Activation, nesting, decorator
# ==============================================================================================================


class TestActivation:
    def test_the_context_manager_yields_the_fake_that_answers_the_sdk(self) -> None:
        with mock_checkout(now=NOW) as fake:
            assert isinstance(fake, CheckoutFake)
            session = create(new_client(API_KEY), payment())
            assert list(fake.sessions) == [session["id"]]
            assert fake.sessions[session["id"]]["amount_total"] == 4500

    def test_state_resets_when_the_activation_ends(self) -> None:
        with mock_checkout(now=NOW) as fake:
            client = new_client(API_KEY)
            session = create(client, payment())
            client.v1.checkout.sessions.expire(session["id"])
            assert len(fake.events) == 1
            assert len(fake.requests) == 2
        assert fake.sessions == {}
        assert fake.events == []
        assert fake.requests == []

    def test_requests_adapter_is_restored_after_exit(self) -> None:
        before = requests.adapters.HTTPAdapter.send
        with mock_checkout(now=NOW):
            assert requests.adapters.HTTPAdapter.send is not before
        assert requests.adapters.HTTPAdapter.send is before

    def test_a_nested_fake_for_the_same_base_shadows_the_outer_one_until_it_ends(self) -> None:
        client = new_client(API_KEY)
        with mock_checkout(now=NOW) as outer:
            first = create(client, payment())
            with mock_checkout(now=NOW, seed=1) as inner:
                assert inner is not outer
                error = raises(stripe.InvalidRequestError, lambda: retrieve(client, first["id"]))
                assert error.http_status == 404
                second = create(client, payment())
                assert list(inner.sessions) == [second["id"]]
            assert retrieve(client, first["id"])["id"] == first["id"]
            assert list(outer.sessions) == [first["id"]]
            error = raises(stripe.InvalidRequestError, lambda: retrieve(client, second["id"]))
            assert error.http_status == 404

    def test_reentering_the_same_mock_keeps_its_state_until_the_outermost_exit(self) -> None:
        client = new_client(API_KEY)
        mock = mock_checkout(now=NOW)
        with mock as outer:
            session = create(client, payment())
            with mock as inner:
                assert inner is outer
                assert retrieve(client, session["id"])["id"] == session["id"]
            # Still active after the inner exit, with the same state.
            assert retrieve(client, session["id"])["id"] == session["id"]
            assert list(outer.sessions) == [session["id"]]
        assert outer.sessions == {}

    def test_a_nested_fake_for_another_base_lets_the_outer_one_answer_its_own(self) -> None:
        local_base = "http://localhost:12111"
        default_client = new_client(API_KEY)
        local_client = new_client(API_KEY, base_addresses={"api": local_base})
        with mock_checkout(now=NOW) as outer, mock_checkout(now=NOW, seed=5, api_base=local_base) as inner:
            at_stripe = create(default_client, payment())
            at_local = create(local_client, setup())
            assert list(outer.sessions) == [at_stripe["id"]]
            assert list(inner.sessions) == [at_local["id"]]
            assert [r.path for r in outer.requests] == ["/v1/checkout/sessions"]
            assert [r.path for r in inner.requests] == ["/v1/checkout/sessions"]

    def test_the_decorator_passes_the_fake_as_checkout_fake(self) -> None:
        client = new_client(API_KEY)

        @mock_checkout(now=NOW, seed=3)
        def run(checkout_fake: Any = None) -> tuple[Any, str, list[str]]:
            session = create(client, payment())
            return checkout_fake, session["id"], list(checkout_fake.sessions)

        fake, session_id, inside = run()
        assert isinstance(fake, CheckoutFake)
        assert inside == [session_id]
        assert fake.sessions == {}  # reset on exit

    def test_the_decorator_works_on_a_function_without_the_parameter(self) -> None:
        client = new_client(API_KEY)

        @mock_checkout(now=NOW)
        def run() -> dict[str, Any]:
            return create(client, payment())

        session = run()
        assert TEST_SESSION_ID.fullmatch(session["id"])
        assert session["created"] == NOW

    def test_each_call_of_a_decorated_function_starts_from_a_fresh_fake(self) -> None:
        client = new_client(API_KEY)

        @mock_checkout(now=NOW, seed=11)
        def run(checkout_fake: Any = None) -> tuple[str, int]:
            session = create(client, payment())
            return session["id"], len(checkout_fake.sessions)

        first_id, first_count = run()
        second_id, second_count = run()
        assert first_count == second_count == 1
        assert first_id == second_id  # same seed, fresh state: the same ids again

    def test_each_call_of_a_decorated_function_starts_the_clock_at_now(self) -> None:
        client = new_client(API_KEY)

        @mock_checkout(now=NOW)
        def run(checkout_fake: Any = None) -> tuple[int, int]:
            started = checkout_fake.clock.now()
            created = create(client, payment())["created"]
            checkout_fake.clock.advance(3600)
            return started, created

        assert run() == (NOW, NOW)
        assert run() == (NOW, NOW)  # the first call's hour must not leak into the second

    def test_decorating_a_test_function_directly(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import stripe
            from pytest_checkout.fake import mock_checkout

            BASE = "http://localhost:12112"

            @mock_checkout(api_base=BASE, now=1_700_000_000)
            def test_decorated(checkout_fake):
                client = stripe.StripeClient(
                    "sk_test_51Decorated", base_addresses={"api": BASE}, max_network_retries=0,
                    stripe_version="2022-08-01",
                )
                session = client.v1.checkout.sessions.create(params={
                    "mode": "setup", "success_url": "https://shop.example/ok",
                    "cancel_url": "https://shop.example/no", "payment_method_types": ["card"],
                })
                assert checkout_fake.api_base == BASE
                assert list(checkout_fake.sessions) == [session.id]
            """
        )
        result = pytester.runpytest_inprocess("-W", "ignore::UserWarning")
        result.assert_outcomes(passed=1)

    def test_other_v1_paths_answer_404_in_stripes_shape(self, client: stripe.StripeClient) -> None:
        error = raises(stripe.InvalidRequestError, lambda: client.v1.customers.list())
        assert error.http_status == 404
        assert error.user_message == UNRECOGNIZED
        assert error.json_body == {"error": {"type": "invalid_request_error", "message": UNRECOGNIZED}}
        assert header(error, "Stripe-Should-Retry") == "false"
        assert REQUEST_ID.fullmatch(header(error, "Request-Id") or "")

    def test_a_trailing_slash_answers_stripes_trailing_slash_404(self, client: stripe.StripeClient) -> None:
        error = raises(stripe.InvalidRequestError, lambda: client.raw_request("get", "/v1/checkout/sessions/"))
        assert error.http_status == 404
        assert error.user_message == TRAILING_SLASH


class TestVersionWarning:
    def test_a_version_the_fake_can_not_place_is_warned_once_per_fake(self) -> None:
        older = "2020-08-27"  # before every modelled version: answered as 2022-08-01
        with warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always")
            with mock_checkout(now=NOW):
                client = new_client(API_KEY, stripe_version=older)
                session = create(client, payment())
                retrieve(client, session["id"])
                client.v1.checkout.sessions.list()
            with mock_checkout(now=NOW):
                create(new_client(API_KEY, stripe_version=older), payment())
        warned = [w for w in recorded if issubclass(w.category, StripeVersionWarning)]
        assert len(warned) == 2
        for w in warned:
            assert older in str(w.message)
            assert API_VERSION in str(w.message)

    @pytest.mark.parametrize("pinned", [API_VERSION, None, "2026-10-28.endive", "2025-09-30.clover"])
    def test_a_version_the_fake_answers_is_not_warned(self, pinned: str | None) -> None:
        # None: stripe 16's own version (2026-10-28.endive), as an application that does not pin sends it.
        with warnings.catch_warnings(record=True) as recorded, mock_checkout(now=NOW):
            warnings.simplefilter("always")
            options: Any = {} if pinned is None else {"stripe_version": pinned}
            client = stripe.StripeClient(API_KEY, max_network_retries=0, **options)
            client.v1.checkout.sessions.create(params=payment())
        assert not [w for w in recorded if issubclass(w.category, StripeVersionWarning)]


# ==============================================================================================================
# Auth, accounts, livemode
# ==============================================================================================================


class TestAuth:
    def test_no_api_key_is_a_401(self, fake: CheckoutFake) -> None:
        answer = requests.get(f"{API_BASE}/v1/checkout/sessions", timeout=5)
        assert answer.status_code == 401
        error = answer.json()["error"]
        assert set(error) == {"type", "message"}
        assert error["type"] == "invalid_request_error"
        assert error["message"].startswith("You did not provide an API key.")
        assert answer.headers["Stripe-Should-Retry"] == "false"

    def test_a_malformed_key_is_a_401_through_the_sdk(self, fake: CheckoutFake) -> None:
        client = new_client("sk_test_not-a-real-key")
        error = raises(stripe.AuthenticationError, lambda: create(client, payment()))
        assert error.http_status == 401
        assert error.user_message.startswith("Invalid API Key provided: ")
        assert "sk_test_not-a-real-key" not in error.user_message
        assert fake.sessions == {}

    def test_module_style_with_a_malformed_key_is_a_401(
        self, fake: CheckoutFake, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(stripe, "api_key", "sk_test_bad key")
        monkeypatch.setattr(stripe, "max_network_retries", 0)
        error = raises(stripe.AuthenticationError, lambda: stripe.checkout.Session.list())
        assert error.http_status == 401

    def test_a_restricted_test_key_is_accepted(self, fake: CheckoutFake) -> None:
        session = create(new_client("rk_test_51FakeRestrictedKey000003"), payment())
        assert TEST_SESSION_ID.fullmatch(session["id"])
        assert session["livemode"] is False

    def test_each_key_sees_only_its_own_sessions(self, fake: CheckoutFake) -> None:
        mine, theirs = new_client(API_KEY), new_client(OTHER_KEY)
        session = create(mine, payment())
        error = raises(stripe.InvalidRequestError, lambda: retrieve(theirs, session["id"]))
        assert error.http_status == 404
        assert error.code == "resource_missing"
        assert error.user_message == f"No such checkout.session: '{session['id']}'"
        assert theirs.v1.checkout.sessions.list().data == []
        error = raises(stripe.InvalidRequestError, lambda: theirs.v1.checkout.sessions.expire(session["id"]))
        assert error.http_status == 404
        error = raises(stripe.InvalidRequestError, lambda: theirs.v1.checkout.sessions.line_items.list(session["id"]))
        assert error.http_status == 404
        assert [s.id for s in mine.v1.checkout.sessions.list().data] == [session["id"]]
        assert retrieve(mine, session["id"])["status"] == "open"

    def test_a_live_key_makes_live_sessions(self, fake: CheckoutFake) -> None:
        key = live_key()
        client = new_client(key)
        session = create(client, payment())
        assert LIVE_SESSION_ID.fullmatch(session["id"])
        assert session["livemode"] is True
        assert session["url"].startswith(f"https://checkout.stripe.com/c/pay/{session['id']}#")
        items = client.v1.checkout.sessions.line_items.list(session["id"]).to_dict()["data"]
        assert all(i["price"]["livemode"] is True for i in items)
        fake.complete(session["id"])
        (event,) = fake.events
        assert event.livemode is True
        assert event.to_dict()["data"]["object"]["livemode"] is True
        # A test key of the same fake is another account: it sees nothing of live mode.
        assert new_client(API_KEY).v1.checkout.sessions.list().data == []
        assert key not in repr(fake.requests)

    def test_a_customer_registered_for_a_live_key_is_live(self, fake: CheckoutFake) -> None:
        key = live_key()
        customer = fake.add_customer(email="live@example.com", api_key=key)
        session = create(new_client(key), payment(customer=customer["id"], expand=["customer"]))
        assert session["livemode"] is True
        assert session["customer"]["id"] == customer["id"]
        assert session["customer"]["livemode"] is True

    def test_a_test_key_makes_test_sessions(self, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        assert TEST_SESSION_ID.fullmatch(session["id"])
        assert session["livemode"] is False

    def test_idempotency_keys_belong_to_one_account(self, fake: CheckoutFake) -> None:
        first = new_client(API_KEY).v1.checkout.sessions.create(
            params=payment(), options={"idempotency_key": "order-1"}
        )
        second = new_client(OTHER_KEY).v1.checkout.sessions.create(
            params=payment(client_reference_id="other"), options={"idempotency_key": "order-1"}
        )
        assert first.id != second.id
        assert header(second.last_response, "Idempotent-Replayed") is None

    def test_a_price_registered_for_one_key_is_unknown_to_another(self, fake: CheckoutFake) -> None:
        price = fake.add_price(unit_amount=700, api_key=OTHER_KEY)
        params = payment(line_items=[{"price": price["id"], "quantity": 1}])
        assert create(new_client(OTHER_KEY), params)["amount_total"] == 700
        error = raises(stripe.InvalidRequestError, lambda: create(new_client(API_KEY), params))
        assert error.user_message == f"No such price: '{price['id']}'"
        assert error.param == "line_items[0][price]"


# ==============================================================================================================
# Create, per mode
# ==============================================================================================================


class TestCreate:
    def test_the_answer_has_exactly_the_42_fields(self, client: stripe.StripeClient) -> None:
        assert len(SESSION_KEYS) == 42
        session = create(client, payment())
        assert set(session) == SESSION_KEYS
        assert set(session) == set(CHECKOUT_SESSION.properties) - {"line_items", "tax_id_collection"}

    @pytest.mark.parametrize("params", [payment(), subscription(), setup()], ids=["payment", "subscription", "setup"])
    def test_every_mode_answers_the_same_42_fields(self, client: stripe.StripeClient, params: dict[str, Any]) -> None:
        session = create(client, params)
        assert set(session) == SESSION_KEYS
        assert retrieve(client, session["id"]) == session

    def test_payment_mode_defaults(self, client: stripe.StripeClient) -> None:
        session = create(client, payment(client_reference_id="order_9", metadata={"order": "9"}))
        assert TEST_SESSION_ID.fullmatch(session["id"])
        assert session["object"] == "checkout.session"
        assert session["mode"] == "payment"
        assert session["status"] == "open"
        assert session["payment_status"] == "unpaid"
        assert session["customer_creation"] == "if_required"
        assert session["payment_intent"] is None
        assert session["setup_intent"] is None
        assert session["subscription"] is None
        assert session["customer"] is None
        assert session["customer_details"] is None
        assert session["currency"] == "usd"
        assert session["amount_subtotal"] == 4500
        assert session["amount_total"] == 4500
        assert session["total_details"] == {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        assert session["created"] == NOW
        assert session["expires_at"] == NOW + DAY
        assert session["livemode"] is False
        assert session["success_url"] == SUCCESS_URL
        assert session["cancel_url"] == CANCEL_URL
        assert session["client_reference_id"] == "order_9"
        assert session["metadata"] == {"order": "9"}
        assert re.fullmatch(rf"https://checkout\.stripe\.com/c/pay/{session['id']}#[A-Za-z0-9]+", session["url"])

    def test_subscription_mode_defaults(self, client: stripe.StripeClient) -> None:
        session = create(client, subscription())
        assert session["mode"] == "subscription"
        assert session["status"] == "open"
        assert session["payment_status"] == "unpaid"
        assert session["payment_intent"] is None
        assert session["subscription"] is None
        assert session["setup_intent"] is None
        assert session["customer"] is None
        assert session["currency"] == "usd"
        assert session["amount_subtotal"] == session["amount_total"] == 900
        assert session["total_details"] == {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        assert session["expires_at"] == NOW + DAY

    def test_setup_mode_defaults(self, client: stripe.StripeClient) -> None:
        session = create(client, setup())
        assert session["mode"] == "setup"
        assert session["status"] == "open"
        assert session["payment_status"] == "no_payment_required"
        assert SETUP_INTENT_ID.fullmatch(session["setup_intent"])
        assert session["total_details"] is None
        assert session["amount_subtotal"] is None
        assert session["amount_total"] is None
        assert session["payment_intent"] is None
        assert session["subscription"] is None
        assert session["url"].startswith(f"https://checkout.stripe.com/c/pay/{session['id']}#")

    def test_customer_creation_always_is_kept(self, client: stripe.StripeClient) -> None:
        assert create(client, payment(customer_creation="always"))["customer_creation"] == "always"

    def test_an_explicit_expires_at_is_kept(self, client: stripe.StripeClient) -> None:
        assert create(client, payment(expires_at=NOW + 3600))["expires_at"] == NOW + 3600

    def test_line_items_only_when_expanded(self, client: stripe.StripeClient) -> None:
        session = create(client, payment(expand=["line_items"]))
        assert set(session) == SESSION_KEYS | {"line_items"}
        line_items = session["line_items"]
        assert set(line_items) == {"object", "data", "has_more", "url"}
        assert line_items["object"] == "list"
        assert line_items["has_more"] is False
        assert line_items["url"] == f"/v1/checkout/sessions/{session['id']}/line_items"
        assert [(i["description"], i["quantity"], i["amount_total"]) for i in line_items["data"]] == [
            ("T-shirt", 2, 4000),
            ("Socks", 1, 500),
        ]
        for line in line_items["data"]:
            assert set(line) == ITEM_KEYS
            assert LINE_ITEM_ID.fullmatch(line["id"])
        assert "line_items" not in retrieve(client, session["id"])

    def test_module_style_create(self, module_key: str) -> None:
        session = stripe.checkout.Session.create(**payment())
        assert isinstance(session, stripe.checkout.Session)
        assert TEST_SESSION_ID.fullmatch(session.id)
        assert set(session.to_dict()) == SESSION_KEYS
        assert stripe.checkout.Session.retrieve(session.id).id == session.id


# ==============================================================================================================
# Amounts
# ==============================================================================================================


class TestAmounts:
    def test_subtotal_and_total_add_up_the_items_and_quantities(self, client: stripe.StripeClient) -> None:
        items = [item(1000, 2), item(250, 3, name="Sticker"), item(99, 1, name="Pin")]
        session = create(client, payment(line_items=items))
        assert session["amount_subtotal"] == 2000 + 750 + 99
        assert session["amount_total"] == 2849
        lines = client.v1.checkout.sessions.line_items.list(session["id"]).to_dict()["data"]
        assert [(i["amount_subtotal"], i["amount_total"], i["quantity"]) for i in lines] == [
            (2000, 2000, 2),
            (750, 750, 3),
            (99, 99, 1),
        ]
        assert all(i["amount_discount"] == 0 and i["amount_tax"] == 0 and i["currency"] == "usd" for i in lines)

    def test_unit_amount_decimal(self, client: stripe.StripeClient) -> None:
        session = create(client, payment(line_items=[item(None, 2, unit_amount_decimal="1250.5")]))
        assert session["amount_subtotal"] == session["amount_total"] == 2501
        (line,) = client.v1.checkout.sessions.line_items.list(session["id"]).to_dict()["data"]
        assert str(line["price"]["unit_amount_decimal"]) == "1250.5"
        assert line["price"]["unit_amount"] is None

    def test_registered_prices_are_resolved_by_id(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        price = fake.add_price(unit_amount=1500, currency="usd", product_name="Mug")
        session = create(client, payment(line_items=[{"price": price["id"], "quantity": 3}, item(500, 1)]))
        assert session["amount_subtotal"] == session["amount_total"] == 5000
        first = client.v1.checkout.sessions.line_items.list(session["id"]).to_dict()["data"][0]
        assert first["price"]["id"] == price["id"]
        assert first["description"] == "Mug"
        assert first["amount_total"] == 4500

    def test_a_registered_recurring_price_in_subscription_mode(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        price = fake.add_price(unit_amount=1200, recurring={"interval": "month"}, product_name="Plan")
        session = create(client, subscription(line_items=[{"price": price["id"], "quantity": 2}]))
        assert session["amount_total"] == 2400

    def test_an_unknown_price_id(self, client: stripe.StripeClient) -> None:
        params = payment(line_items=[{"price": "price_doesnotexist", "quantity": 1}])
        error = raises(stripe.InvalidRequestError, lambda: create(client, params))
        assert error.http_status == 400
        assert error.code == "resource_missing"
        assert error.param == "line_items[0][price]"
        assert error.user_message == "No such price: 'price_doesnotexist'"

    def test_jpy_is_zero_decimal(self, client: stripe.StripeClient) -> None:
        session = create(client, payment(line_items=[item(500, 3, currency="jpy", name="Tea")]))
        assert session["currency"] == "jpy"
        assert session["amount_subtotal"] == session["amount_total"] == 1500


# ==============================================================================================================
# Validation errors through the SDK
# ==============================================================================================================

#: RULES.md gives no param for this row: the test does not check it.
UNSTATED: Any = object()

VALIDATION_CASES: list[tuple[str, dict[str, Any], str, Any, str | None]] = [
    (
        "missing_success_url",
        without(payment(), "success_url"),
        "Missing required param: success_url.",
        "success_url",
        "parameter_missing",
    ),
    ("unknown_param", payment(foo="bar"), "Received unknown parameter: foo", "foo", "parameter_unknown"),
    ("bad_url", payment(success_url="not a url"), "Not a valid URL", "success_url", "url_invalid"),
    (
        "quantity_below_one",
        payment(line_items=[item(1000, 1), item(1000, 0)]),
        "This value must be greater than or equal to 1.",
        "line_items[1][quantity]",
        "parameter_invalid_integer",
    ),
    (
        "line_items_in_setup",
        setup(line_items=[item(1000, 1)]),
        "You can not pass `line_items` in `setup` mode.",
        UNSTATED,
        None,
    ),
    (
        "customer_update_without_customer",
        payment(customer_update={"address": "auto"}),
        "`customer_update` can only be used with `customer`.",
        UNSTATED,
        None,
    ),
    (
        "payment_intent_data_in_subscription",
        subscription(payment_intent_data={"description": "x"}),
        "You can not pass `payment_intent_data` in `subscription` mode.",
        UNSTATED,
        None,
    ),
    (
        "expires_at_too_late",
        payment(expires_at=NOW + 2 * DAY),
        "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        "expires_at",
        None,
    ),
    (
        "total_below_minimum",
        payment(line_items=[item(40, 1)]),
        "The Checkout Session's total amount due must add up to at least $0.50 usd",
        UNSTATED,
        None,
    ),
    (
        "recurring_price_in_payment_mode",
        payment(line_items=[item(1000, 1, recurring={"interval": "month"})]),
        "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use "
        "only one-time prices.",
        UNSTATED,
        None,
    ),
]


class TestValidation:
    @pytest.mark.parametrize(
        ("params", "message", "param", "code"),
        [case[1:] for case in VALIDATION_CASES],
        ids=[case[0] for case in VALIDATION_CASES],
    )
    def test_stripes_error_reaches_the_application(
        self,
        fake: CheckoutFake,
        client: stripe.StripeClient,
        params: dict[str, Any],
        message: str,
        param: Any,
        code: str | None,
    ) -> None:
        error = raises(stripe.InvalidRequestError, lambda: create(client, params))
        assert error.http_status == 400
        assert error.user_message == message
        if param is not UNSTATED:
            assert error.param == param
        assert error.code == code
        body = error.json_body["error"]
        assert body["type"] == "invalid_request_error"
        assert None not in body.values()
        assert ("doc_url" in body) == (code is not None)
        if code is not None:
            assert body["doc_url"] == "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
        assert header(error, "Stripe-Should-Retry") == "false"
        assert fake.sessions == {}

    def test_customer_and_customer_email_together(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        customer = fake.add_customer(email="jenny@example.com")
        params = payment(customer=customer["id"], customer_email="jenny@example.com")
        error = raises(stripe.InvalidRequestError, lambda: create(client, params))
        assert error.http_status == 400
        assert error.user_message == "You may only specify one of these parameters: customer, customer_email."

    def test_an_unknown_customer(self, client: stripe.StripeClient) -> None:
        error = raises(stripe.InvalidRequestError, lambda: create(client, payment(customer="cus_nope")))
        assert (error.http_status, error.code, error.param) == (400, "resource_missing", "customer")
        assert error.user_message == "No such customer: 'cus_nope'"

    def test_module_style_errors_are_the_same(self, module_key: str) -> None:
        error = raises(stripe.InvalidRequestError, lambda: stripe.checkout.Session.create(**payment(foo="bar")))
        assert (error.http_status, error.code, error.param) == (400, "parameter_unknown", "foo")


# ==============================================================================================================
# Retrieve and expand
# ==============================================================================================================


class TestRetrieveAndExpand:
    def test_retrieve_answers_what_create_answered(self, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        assert retrieve(client, session["id"]) == session

    def test_an_unknown_session_is_a_404(self, client: stripe.StripeClient) -> None:
        missing = "cs_test_a1" + "x" * 56
        error = raises(stripe.InvalidRequestError, lambda: retrieve(client, missing))
        assert error.http_status == 404
        assert error.code == "resource_missing"
        assert error.user_message == f"No such checkout.session: '{missing}'"
        assert header(error, "Stripe-Should-Retry") == "false"

    def test_expand_line_items_on_retrieve(self, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        expanded = retrieve(client, session["id"], expand=["line_items"])
        assert set(expanded) == SESSION_KEYS | {"line_items"}
        assert [i["amount_total"] for i in expanded["line_items"]["data"]] == [4000, 500]

    def test_expanding_a_field_that_is_still_null_keeps_null(self, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        expanded = retrieve(client, session["id"], expand=["payment_intent", "customer", "subscription"])
        assert expanded["payment_intent"] is None
        assert expanded["customer"] is None
        assert expanded["subscription"] is None

    def test_the_setup_intent_of_a_setup_session_expands_at_once(self, client: stripe.StripeClient) -> None:
        session = create(client, setup())
        expanded = retrieve(client, session["id"], expand=["setup_intent"])
        intent = expanded["setup_intent"]
        assert intent["object"] == "setup_intent"
        assert intent["id"] == session["setup_intent"]
        assert set(present_keys(RESOURCES["setup_intent"])) <= set(intent) <= set(RESOURCES["setup_intent"].properties)

    def test_expand_on_create_with_an_existing_customer(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        customer = fake.add_customer(email="jenny@example.com", name="Jenny")
        session = create(client, payment(customer=customer["id"], expand=["customer"]))
        assert session["customer"]["object"] == "customer"
        assert session["customer"]["id"] == customer["id"]
        assert session["customer"]["email"] == "jenny@example.com"

    def test_expand_on_list_uses_the_data_prefix(self, client: stripe.StripeClient) -> None:
        create(client, payment())
        page = client.v1.checkout.sessions.list(params={"expand": ["data.line_items"]}).to_dict()
        (only,) = page["data"]
        assert set(only) == SESSION_KEYS | {"line_items"}
        assert len(only["line_items"]["data"]) == 2


# ==============================================================================================================
# List and pagination
# ==============================================================================================================


class TestList:
    @pytest.fixture
    def ids(self, fake: CheckoutFake, client: stripe.StripeClient) -> list[str]:
        """25 sessions, newest first (the clock moves a second between them)."""
        made = []
        for n in range(25):
            made.append(create(client, payment(client_reference_id=f"order_{n}"))["id"])
            fake.clock.advance(1)
        return made[::-1]

    def test_pages_of_ten_with_starting_after(self, client: stripe.StripeClient, ids: list[str]) -> None:
        sessions = client.v1.checkout.sessions
        first = sessions.list(params={"limit": 10})
        assert first.to_dict()["object"] == "list"
        assert first.url == "/v1/checkout/sessions"
        assert [s.id for s in first.data] == ids[:10]
        assert first.has_more is True
        second = sessions.list(params={"limit": 10, "starting_after": first.data[-1].id})
        assert [s.id for s in second.data] == ids[10:20]
        assert second.has_more is True
        third = sessions.list(params={"limit": 10, "starting_after": second.data[-1].id})
        assert [s.id for s in third.data] == ids[20:]
        assert third.has_more is False

    def test_ending_before_pages_back(self, client: stripe.StripeClient, ids: list[str]) -> None:
        sessions = client.v1.checkout.sessions
        back = sessions.list(params={"limit": 10, "ending_before": ids[20]})
        assert [s.id for s in back.data] == ids[10:20]
        assert back.has_more is True
        front = sessions.list(params={"limit": 10, "ending_before": ids[10]})
        assert [s.id for s in front.data] == ids[:10]
        assert front.has_more is False
        short = sessions.list(params={"limit": 10, "ending_before": ids[3]})
        assert [s.id for s in short.data] == ids[:3]
        assert short.has_more is False

    def test_the_default_limit_is_ten(self, client: stripe.StripeClient, ids: list[str]) -> None:
        page = client.v1.checkout.sessions.list()
        assert [s.id for s in page.data] == ids[:10]
        assert page.has_more is True

    def test_auto_paging_collects_all_25_newest_first(self, client: stripe.StripeClient, ids: list[str]) -> None:
        page = client.v1.checkout.sessions.list(params={"limit": 10})
        assert [s.id for s in page.auto_paging_iter()] == ids

    def test_module_style_auto_paging(self, module_key: str, ids: list[str]) -> None:
        page = stripe.checkout.Session.list(limit=7)
        assert [s.id for s in page.auto_paging_iter()] == ids

    def test_auto_paging_backwards_from_ending_before(self, client: stripe.StripeClient, ids: list[str]) -> None:
        page = client.v1.checkout.sessions.list(params={"limit": 10, "ending_before": ids[24]})
        assert [s.id for s in page.auto_paging_iter()] == ids[23::-1]

    def test_sessions_of_the_same_second_are_newest_first(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        fake.reset()
        made = [create(client, payment())["id"] for _ in range(3)]
        assert [s.id for s in client.v1.checkout.sessions.list().data] == made[::-1]

    def test_a_limit_of_100_shows_all_without_more(self, client: stripe.StripeClient, ids: list[str]) -> None:
        page = client.v1.checkout.sessions.list(params={"limit": 100})
        assert [s.id for s in page.data] == ids
        assert page.has_more is False


class TestListFilters:
    def test_each_filter(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        customer = fake.add_customer(email="known@example.com")
        with_customer = create(client, payment(customer=customer["id"]))
        paid = create(client, payment())
        subscribed = create(client, subscription())
        untouched = create(client, payment())
        fake.complete(paid["id"], email="paid@example.com")
        fake.complete(subscribed["id"], email="sub@example.com")
        paid_now = retrieve(client, paid["id"])
        subscribed_now = retrieve(client, subscribed["id"])

        def listed(**params: Any) -> list[str]:
            as_sent: Any = params
            return [s.id for s in client.v1.checkout.sessions.list(params=as_sent).data]

        assert listed(customer=customer["id"]) == [with_customer["id"]]
        assert listed(customer_details={"email": "paid@example.com"}) == [paid["id"]]
        assert listed(payment_intent=paid_now["payment_intent"]) == [paid["id"]]
        assert listed(subscription=subscribed_now["subscription"]) == [subscribed["id"]]
        assert listed(customer=subscribed_now["customer"]) == [subscribed["id"]]
        assert listed(customer_details={"email": "nobody@example.com"}) == []
        assert len(listed()) == 4
        assert untouched["id"] in listed()

    def test_filters_combine_with_pagination(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        mine = []
        for _ in range(3):
            session = create(client, payment())
            fake.complete(session["id"], email="repeat@example.com")
            mine.append(session["id"])
            create(client, payment())  # another, not matching
            fake.clock.advance(1)
        mine.reverse()
        first = client.v1.checkout.sessions.list(
            params={"customer_details": {"email": "repeat@example.com"}, "limit": 2}
        )
        assert [s.id for s in first.data] == mine[:2]
        assert first.has_more is True
        assert [s.id for s in first.auto_paging_iter()] == mine


# ==============================================================================================================
# Line items
# ==============================================================================================================


class TestLineItems:
    @pytest.fixture
    def session(self, client: stripe.StripeClient) -> dict[str, Any]:
        items = [item(100 * (n + 1), n + 1, name=f"Item {n}") for n in range(12)]
        return create(client, payment(line_items=items))

    def test_the_first_page_and_has_more(self, client: stripe.StripeClient, session: dict[str, Any]) -> None:
        page = client.v1.checkout.sessions.line_items.list(session["id"]).to_dict()
        assert set(page) == {"object", "data", "has_more", "url"}
        assert page["object"] == "list"
        assert page["url"] == f"/v1/checkout/sessions/{session['id']}/line_items"
        assert [i["description"] for i in page["data"]] == [f"Item {n}" for n in range(10)]
        assert page["has_more"] is True
        for line in page["data"]:
            assert set(line) == ITEM_KEYS
            assert line["object"] == "item"
            assert LINE_ITEM_ID.fullmatch(line["id"])

    def test_paging_with_starting_after_and_ending_before(
        self, client: stripe.StripeClient, session: dict[str, Any]
    ) -> None:
        line_items = client.v1.checkout.sessions.line_items
        every = [i.id for i in line_items.list(session["id"], params={"limit": 100}).data]
        assert len(every) == 12
        first = line_items.list(session["id"], params={"limit": 5})
        assert [i.id for i in first.data] == every[:5]
        assert first.has_more is True
        second = line_items.list(session["id"], params={"limit": 5, "starting_after": every[4]})
        assert [i.id for i in second.data] == every[5:10]
        assert second.has_more is True
        last = line_items.list(session["id"], params={"limit": 5, "starting_after": every[9]})
        assert [i.id for i in last.data] == every[10:]
        assert last.has_more is False
        back = line_items.list(session["id"], params={"limit": 5, "ending_before": every[5]})
        assert [i.id for i in back.data] == every[:5]
        assert back.has_more is False
        assert [i.id for i in first.auto_paging_iter()] == every

    def test_module_style_list_line_items(self, module_key: str, session: dict[str, Any]) -> None:
        page = stripe.checkout.Session.list_line_items(session["id"], limit=3)
        assert len(page.data) == 3
        assert len(list(page.auto_paging_iter())) == 12

    def test_expanded_line_items_hold_a_first_page(self, client: stripe.StripeClient, session: dict[str, Any]) -> None:
        expanded = retrieve(client, session["id"], expand=["line_items"])["line_items"]
        assert len(expanded["data"]) == 10
        assert expanded["has_more"] is True

    def test_expand_data_price(self, client: stripe.StripeClient, session: dict[str, Any]) -> None:
        page = client.v1.checkout.sessions.line_items.list(session["id"], params={"expand": ["data.price"]})
        assert page.to_dict()["data"][0]["price"]["object"] == "price"

    def test_an_unknown_session(self, client: stripe.StripeClient) -> None:
        error = raises(stripe.InvalidRequestError, lambda: client.v1.checkout.sessions.line_items.list("cs_test_nope"))
        assert error.http_status == 404
        assert error.user_message == "No such checkout.session: 'cs_test_nope'"


# ==============================================================================================================
# Expire
# ==============================================================================================================


def not_open(status: str) -> str:
    return (
        'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of '
        f"`{status}`."
    )


class TestExpire:
    def test_an_open_session_expires(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        expired = client.v1.checkout.sessions.expire(session["id"]).to_dict()
        assert set(expired) == SESSION_KEYS
        assert expired["status"] == "expired"
        assert expired["url"] is None
        assert expired["customer_details"] is None
        assert expired["customer"] is None
        assert expired["payment_intent"] is None
        assert expired["payment_status"] == "unpaid"
        assert expired["total_details"] == {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        assert retrieve(client, session["id"]) == expired
        assert event_types(fake) == ["checkout.session.expired"]
        assert fake.events[0].to_dict()["data"]["object"] == expired

    def test_expire_with_expand(self, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        expired = client.v1.checkout.sessions.expire(session["id"], params={"expand": ["line_items"]}).to_dict()
        assert len(expired["line_items"]["data"]) == 2

    def test_a_completed_session_can_not_be_expired(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        fake.complete(session["id"])
        error = raises(stripe.InvalidRequestError, lambda: client.v1.checkout.sessions.expire(session["id"]))
        assert error.http_status == 400
        assert error.user_message == not_open("complete")
        assert error.code is None
        assert header(error, "Stripe-Should-Retry") == "false"
        assert retrieve(client, session["id"])["status"] == "complete"
        assert event_types(fake) == ["checkout.session.completed"]

    def test_an_expired_session_can_not_be_expired_again(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        client.v1.checkout.sessions.expire(session["id"])
        error = raises(stripe.InvalidRequestError, lambda: client.v1.checkout.sessions.expire(session["id"]))
        assert error.http_status == 400
        assert error.user_message == not_open("expired")
        assert event_types(fake) == ["checkout.session.expired"]

    def test_module_style_expire(self, module_key: str) -> None:
        session = stripe.checkout.Session.create(**payment())
        assert stripe.checkout.Session.expire(session.id).status == "expired"

    def test_an_unknown_session(self, client: stripe.StripeClient) -> None:
        error = raises(stripe.InvalidRequestError, lambda: client.v1.checkout.sessions.expire("cs_test_nope"))
        assert error.http_status == 404
        assert error.code == "resource_missing"


# ==============================================================================================================
# Idempotency
# ==============================================================================================================

IDEMPOTENCY_CONFLICT = (
    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using "
    "a key other than 'order-42' if you meant to execute a different request."
)


class TestIdempotency:
    def test_module_style_replay(self, fake: CheckoutFake, module_key: str) -> None:
        first = stripe.checkout.Session.create(**payment(), idempotency_key="order-42")
        again = stripe.checkout.Session.create(**payment(), idempotency_key="order-42")
        assert again.id == first.id
        assert again.to_dict() == first.to_dict()
        assert header(first.last_response, "Idempotent-Replayed") is None
        assert header(again.last_response, "Idempotent-Replayed") == "true"
        assert list(fake.sessions) == [first.id]

    def test_raw_request_replay(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        first = client.raw_request("post", "/v1/checkout/sessions", **setup(), idempotency_key="order-42")
        again = client.raw_request("post", "/v1/checkout/sessions", **setup(), idempotency_key="order-42")
        assert first.code == again.code == 200
        assert again.data["id"] == first.data["id"]
        assert header(first, "Idempotent-Replayed") is None
        assert header(again, "Idempotent-Replayed") == "true"
        assert len(fake.sessions) == 1

    def test_other_params_with_the_same_key(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        client.v1.checkout.sessions.create(params=payment(), options={"idempotency_key": "order-42"})
        error = raises(
            stripe.IdempotencyError,
            lambda: client.v1.checkout.sessions.create(
                params=payment(client_reference_id="changed"), options={"idempotency_key": "order-42"}
            ),
        )
        assert error.http_status == 400
        assert error.user_message == IDEMPOTENCY_CONFLICT
        assert error.json_body["error"]["type"] == "idempotency_error"
        assert header(error, "Stripe-Should-Retry") == "false"
        assert len(fake.sessions) == 1

    def test_the_same_params_in_another_order_replay_and_a_reordered_list_does_not(self, fake: CheckoutFake) -> None:
        # What a key is bound to is the set of parameters, not the order the client wrote them in; the order of
        # a list's items is part of the request.
        for price in ("price_a", "price_b"):
            fake.add_price(id=price, unit_amount=1000, currency="usd")
        base = ["mode=payment", "success_url=https%3A%2F%2Fx.example%2Fok", "cancel_url=https%3A%2F%2Fx.example%2Fno"]
        items = [
            "line_items[0][price]=price_a",
            "line_items[0][quantity]=1",
            "line_items[1][price]=price_b",
            "line_items[1][quantity]=2",
        ]
        swapped = [item.replace("price_a", "price_c").replace("price_b", "price_a") for item in items]
        swapped = [item.replace("price_c", "price_b") for item in swapped]

        def post(fields: list[str]) -> requests.Response:
            return requests.post(
                "https://api.stripe.com/v1/checkout/sessions",
                data="&".join(fields),
                headers={
                    "Authorization": f"Bearer {API_KEY}",
                    "Idempotency-Key": "k-1",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )

        first = post(base + items)
        again = post(items[::-1] + base[::-1])
        other = post(base + swapped)
        assert first.status_code == again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert other.status_code == 400
        assert other.json()["error"]["type"] == "idempotency_error"
        assert len(fake.sessions) == 1

    def test_a_request_that_failed_validation_does_not_use_up_its_key(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        sessions = client.v1.checkout.sessions
        raises(
            stripe.InvalidRequestError,
            lambda: sessions.create(params=payment(foo="bar"), options={"idempotency_key": "order-42"}),
        )
        session = sessions.create(params=payment(), options={"idempotency_key": "order-42"})
        assert header(session.last_response, "Idempotent-Replayed") is None
        assert list(fake.sessions) == [session.id]

    def test_a_key_is_forgotten_after_24_hours(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        sessions = client.v1.checkout.sessions
        first = sessions.create(params=setup(), options={"idempotency_key": "order-42"})
        fake.clock.advance(DAY + 1)
        again = sessions.create(params=setup(), options={"idempotency_key": "order-42"})
        assert again.id != first.id
        assert header(again.last_response, "Idempotent-Replayed") is None

    def test_every_create_without_a_shared_key_is_new(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        first = create(client, payment())
        second = create(client, payment())
        assert first["id"] != second["id"]
        assert len(fake.sessions) == 2


# ==============================================================================================================
# The clock
# ==============================================================================================================


class TestClock:
    def test_an_open_session_expires_when_its_time_comes(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        fake.clock.advance(DAY - 1)
        assert retrieve(client, session["id"])["status"] == "open"
        assert fake.events == []
        fake.clock.advance(1)
        now = retrieve(client, session["id"])
        assert now["status"] == "expired"
        assert now["url"] is None
        (event,) = fake.events
        assert event.type == "checkout.session.expired"
        assert event.created == NOW + DAY
        assert event.to_dict()["data"]["object"]["id"] == session["id"]
        assert event.to_dict()["request"] == {"id": None, "idempotency_key": None}

    def test_an_explicit_expires_at_is_honoured(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        soon = create(client, payment(expires_at=NOW + 3600))
        later = create(client, payment())
        fake.clock.advance(3600)
        assert retrieve(client, soon["id"])["status"] == "expired"
        assert retrieve(client, later["id"])["status"] == "open"
        assert [e.to_dict()["data"]["object"]["id"] for e in fake.events] == [soon["id"]]

    def test_sessions_due_together_expire_in_the_order_of_their_expires_at(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        late = create(client, payment(expires_at=NOW + 2 * 3600))
        early = create(client, payment(expires_at=NOW + 3600))
        fake.clock.advance(3 * 3600)
        assert [e.to_dict()["data"]["object"]["id"] for e in fake.events] == [early["id"], late["id"]]
        assert event_types(fake) == ["checkout.session.expired"] * 2

    def test_a_completed_session_does_not_expire(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        fake.complete(session["id"])
        fake.clock.advance(2 * DAY)
        assert retrieve(client, session["id"])["status"] == "complete"
        assert event_types(fake) == ["checkout.session.completed"]

    def test_new_sessions_are_created_at_the_clocks_time(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        fake.clock.advance(600)
        session = create(client, payment())
        assert session["created"] == NOW + 600
        assert session["expires_at"] == NOW + 600 + DAY


# ==============================================================================================================
# Completing sessions (the customer's part)
# ==============================================================================================================


def resource_keys_fit(obj: dict[str, Any], kind: str) -> None:
    assert obj["object"] == kind
    assert set(present_keys(RESOURCES[kind])) <= set(obj)
    assert set(obj) <= set(RESOURCES[kind].properties)


class TestComplete:
    def test_payment_mode_guest(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        fake.complete(session["id"], email="guest@example.com", payment_method_type="card")
        done = retrieve(client, session["id"])
        assert set(done) == SESSION_KEYS
        assert done["status"] == "complete"
        assert done["payment_status"] == "paid"
        assert done["url"] is None
        assert PAYMENT_INTENT_ID.fullmatch(done["payment_intent"])
        assert done["customer"] is None
        assert done["subscription"] is None
        details = done["customer_details"]
        assert set(details) == CUSTOMER_DETAILS_KEYS
        assert set(details["address"]) == ADDRESS_KEYS
        assert details["email"] == "guest@example.com"
        assert details["tax_exempt"] == "none"
        assert details["tax_ids"] == []

    def test_the_payment_intent_expands_to_an_object(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        fake.complete(session["id"])
        done = retrieve(client, session["id"], expand=["payment_intent"])
        intent = done["payment_intent"]
        resource_keys_fit(intent, "payment_intent")
        assert PAYMENT_INTENT_ID.fullmatch(intent["id"])
        assert intent["amount"] == done["amount_total"] == 4500
        assert intent["currency"] == "usd"
        assert intent["status"] == "succeeded"
        assert intent["livemode"] is False

    def test_customer_creation_always_makes_a_customer(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment(customer_creation="always"))
        fake.complete(session["id"], email="new@example.com")
        done = retrieve(client, session["id"], expand=["customer"])
        customer = done["customer"]
        resource_keys_fit(customer, "customer")
        assert CUSTOMER_ID.fullmatch(customer["id"])
        assert customer["email"] == "new@example.com"
        assert PAYMENT_INTENT_ID.fullmatch(done["payment_intent"])

    def test_an_existing_customer_stays(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        customer = fake.add_customer(email="known@example.com")
        session = create(client, payment(customer=customer["id"]))
        fake.complete(session["id"])
        assert retrieve(client, session["id"])["customer"] == customer["id"]

    def test_subscription_mode(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, subscription())
        fake.complete(session["id"], email="sub@example.com")
        done = retrieve(client, session["id"], expand=["subscription", "customer"])
        assert done["status"] == "complete"
        assert done["payment_status"] == "paid"
        assert done["payment_intent"] is None
        sub = done["subscription"]
        resource_keys_fit(sub, "subscription")
        assert SUBSCRIPTION_ID.fullmatch(sub["id"])
        assert sub["status"] == "active"
        customer = done["customer"]
        resource_keys_fit(customer, "customer")
        assert sub["customer"] == customer["id"]
        assert customer["email"] == "sub@example.com"

    def test_setup_mode(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, setup())
        fake.complete(session["id"], email="setup@example.com")
        done = retrieve(client, session["id"], expand=["setup_intent"])
        assert done["status"] == "complete"
        assert done["payment_status"] == "no_payment_required"
        assert done["payment_intent"] is None
        assert CUSTOMER_ID.fullmatch(done["customer"])
        intent = done["setup_intent"]
        resource_keys_fit(intent, "setup_intent")
        assert intent["id"] == session["setup_intent"]
        assert intent["customer"] == done["customer"]
        assert intent["status"] == "succeeded"
        assert done["customer_details"]["email"] == "setup@example.com"

    def test_the_completed_event_carries_the_completed_session(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        session = create(client, payment())
        fake.complete(session["id"])
        (event,) = fake.events
        assert event.type == "checkout.session.completed"
        assert event.to_dict()["data"]["object"] == retrieve(client, session["id"])

    def test_an_expired_session_can_not_be_completed(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(client, payment())
        client.v1.checkout.sessions.expire(session["id"])
        with pytest.raises(ValueError, match="only an open one can be completed"):
            fake.complete(session["id"])


class TestAsyncPayment:
    @pytest.fixture
    def session(self, fake: CheckoutFake, client: stripe.StripeClient) -> dict[str, Any]:
        params = payment(
            line_items=[item(2500, 1, currency="eur", name="Chair")],
            payment_method_types=["card", "sepa_debit"],
        )
        created = create(client, params)
        fake.complete(created["id"], payment_method_type="sepa_debit", async_payment=True)
        return created

    def test_completion_leaves_the_payment_unpaid(
        self, fake: CheckoutFake, client: stripe.StripeClient, session: dict[str, Any]
    ) -> None:
        done = retrieve(client, session["id"], expand=["payment_intent"])
        assert done["status"] == "complete"
        assert done["payment_status"] == "unpaid"
        assert done["payment_intent"]["status"] == "processing"
        assert event_types(fake) == ["checkout.session.completed"]

    def test_success(self, fake: CheckoutFake, client: stripe.StripeClient, session: dict[str, Any]) -> None:
        fake.settle_async_payment(session["id"], succeeded=True)
        done = retrieve(client, session["id"])
        assert done["payment_status"] == "paid"
        assert event_types(fake) == ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
        body = fake.events[-1].to_dict()
        assert body["data"]["object"] == done
        assert body["request"] == {"id": None, "idempotency_key": None}

    def test_success_settles_the_payment_intent(
        self, fake: CheckoutFake, client: stripe.StripeClient, session: dict[str, Any]
    ) -> None:
        fake.settle_async_payment(session["id"], succeeded=True)
        intent = retrieve(client, session["id"], expand=["payment_intent"])["payment_intent"]
        assert intent["status"] == "succeeded"
        assert intent["amount_received"] == 2500

    def test_failure(self, fake: CheckoutFake, client: stripe.StripeClient, session: dict[str, Any]) -> None:
        fake.settle_async_payment(session["id"], succeeded=False)
        done = retrieve(client, session["id"])
        assert done["status"] == "complete"
        assert done["payment_status"] == "unpaid"
        assert event_types(fake) == ["checkout.session.completed", "checkout.session.async_payment_failed"]
        assert fake.events[-1].to_dict()["data"]["object"] == done

    def test_failure_leaves_the_payment_intent_needing_a_payment_method(
        self, fake: CheckoutFake, client: stripe.StripeClient, session: dict[str, Any]
    ) -> None:
        fake.settle_async_payment(session["id"], succeeded=False)
        intent = retrieve(client, session["id"], expand=["payment_intent"])["payment_intent"]
        assert intent["status"] == "requires_payment_method"
        assert intent["amount_received"] == 0

    def test_settling_twice_is_refused(self, fake: CheckoutFake, session: dict[str, Any]) -> None:
        fake.settle_async_payment(session["id"])
        with pytest.raises(ValueError, match="no pending async payment"):
            fake.settle_async_payment(session["id"])


# ==============================================================================================================
# Events and webhooks
# ==============================================================================================================


class TestEvents:
    def test_each_change_appends_its_event_with_exactly_stripes_keys(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        paid = create(client, payment())
        dropped = create(client, payment())
        fake.complete(paid["id"])
        expired = client.v1.checkout.sessions.expire(dropped["id"], options={"idempotency_key": "drop-1"})
        assert event_types(fake) == ["checkout.session.completed", "checkout.session.expired"]
        # The customer caused the first (nulls); the expire request the second (its id and key; docs).
        assert expired.last_response is not None
        requests = [
            {"id": None, "idempotency_key": None},
            {"id": expired.last_response.request_id, "idempotency_key": "drop-1"},
        ]
        for event, session_id, request in zip(fake.events, [paid["id"], dropped["id"]], requests, strict=True):
            body = event.to_dict()
            assert list(body) == EVENT_KEYS
            assert EVENT_ID.fullmatch(body["id"])
            assert body["object"] == "event"
            assert body["api_version"] == API_VERSION
            assert body["created"] == NOW
            assert body["livemode"] is False
            assert body["pending_webhooks"] >= 1
            assert body["request"] == request
            assert set(body["data"]) == {"object"}
            assert body["data"]["object"]["id"] == session_id
            assert set(body["data"]["object"]) == SESSION_KEYS
        assert len({e.id for e in fake.events}) == 2

    def test_an_event_is_a_snapshot(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = create(
            client, payment(line_items=[item(2500, 1, currency="eur")], payment_method_types=["sepa_debit"])
        )
        fake.complete(session["id"], async_payment=True)
        fake.settle_async_payment(session["id"])
        completed, succeeded = fake.events
        assert completed.to_dict()["data"]["object"]["payment_status"] == "unpaid"
        assert succeeded.to_dict()["data"]["object"]["payment_status"] == "paid"

    def test_the_webhook_request_is_accepted_by_construct_event(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        session = create(client, payment())
        fake.complete(session["id"])
        secret = webhook_secret()
        request = fake.webhook_request(fake.events[0], secret)
        event = stripe.Webhook.construct_event(request.body, request.headers["Stripe-Signature"], secret)
        assert event.id == fake.events[0].id
        assert event.type == "checkout.session.completed"
        assert event.data.object.id == session["id"]
        assert event.data.object.status == "complete"
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", request.headers["Stripe-Signature"])

    def test_a_tampered_body_or_another_secret_is_refused(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        session = create(client, payment())
        client.v1.checkout.sessions.expire(session["id"])
        secret = webhook_secret()
        request = fake.webhook_request(fake.events[0], secret)
        signature = request.headers["Stripe-Signature"]
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(request.body.replace(b"expired", b"complete"), signature, secret)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(request.body, signature, webhook_secret())


# ==============================================================================================================
# Headers, the request log, reset, determinism
# ==============================================================================================================


class TestHeaders:
    def test_should_retry_false_on_400_and_404_and_absent_on_success(self, client: stripe.StripeClient) -> None:
        bad = raises(stripe.InvalidRequestError, lambda: create(client, payment(foo="bar")))
        assert bad.http_status == 400
        assert header(bad, "Stripe-Should-Retry") == "false"
        missing = raises(stripe.InvalidRequestError, lambda: retrieve(client, "cs_test_nope"))
        assert missing.http_status == 404
        assert header(missing, "Stripe-Should-Retry") == "false"
        ok = client.v1.checkout.sessions.create(params=payment())
        assert header(ok.last_response, "Stripe-Should-Retry") is None
        assert REQUEST_ID.fullmatch(header(ok.last_response, "Request-Id") or "")

    def test_every_answer_has_its_own_request_id(self, client: stripe.StripeClient) -> None:
        first = client.v1.checkout.sessions.create(params=payment())
        second = client.v1.checkout.sessions.retrieve(first.id)
        ids = {header(first.last_response, "Request-Id"), header(second.last_response, "Request-Id")}
        assert len(ids) == 2


class TestRequestLog:
    def test_requests_are_decoded(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        session = client.v1.checkout.sessions.create(
            params=payment(metadata={"order": "7"}, allow_promotion_codes=True),
            options={"idempotency_key": "order-7"},
        )
        client.v1.checkout.sessions.list(params={"limit": 3, "customer_details": {"email": "a@example.com"}})
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
        posted, listed, retrieved = fake.requests
        assert (posted.method, posted.path, posted.status) == ("POST", "/v1/checkout/sessions", 200)
        assert posted.params is not None
        assert posted.params["line_items"][0] == {
            "price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000},
            "quantity": 2,
        }
        assert posted.params["metadata"] == {"order": "7"}
        assert posted.params["allow_promotion_codes"] is True
        assert posted.idempotency_key == "order-7"
        assert posted.stripe_version == API_VERSION  # what the client pinned
        assert REQUEST_ID.fullmatch(posted.request_id)
        assert posted.request_id == header(session.last_response, "Request-Id")
        assert (listed.method, listed.path) == ("GET", "/v1/checkout/sessions")
        assert listed.params == {"limit": 3, "customer_details": {"email": "a@example.com"}}
        assert retrieved.path == f"/v1/checkout/sessions/{session.id}"
        assert retrieved.params == {"expand": ["line_items"]}

    def test_failed_requests_are_logged_with_their_status(
        self, fake: CheckoutFake, client: stripe.StripeClient
    ) -> None:
        raises(stripe.InvalidRequestError, lambda: create(client, payment(foo="bar")))
        raises(stripe.InvalidRequestError, lambda: retrieve(client, "cs_test_nope"))
        assert [r.status for r in fake.requests] == [400, 404]

    def test_the_api_key_is_masked(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        live = live_key()
        create(client, payment())
        create(new_client(live), payment())
        assert API_KEY not in repr(fake.requests)
        assert live not in repr(fake.requests)
        test_entry, live_entry = fake.requests
        assert test_entry.api_key is not None
        assert test_entry.api_key.startswith("sk_test_")
        assert test_entry.api_key.endswith(API_KEY[-4:])
        assert live_entry.api_key is not None
        assert live_entry.api_key != test_entry.api_key


class TestReset:
    def test_reset_forgets_everything_but_the_time(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        fake.clock.advance(60)
        first = create(client, payment())
        fake.complete(first["id"])
        fake.reset()
        assert fake.sessions == {}
        assert fake.events == []
        assert fake.requests == []
        assert fake.clock.now() == NOW + 60
        error = raises(stripe.InvalidRequestError, lambda: retrieve(client, first["id"]))
        assert error.http_status == 404
        assert client.v1.checkout.sessions.list().data == []

    def test_ids_start_again_from_the_seed_after_reset(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        first = create(client, payment())
        fake.reset()
        assert create(client, payment())["id"] == first["id"]

    def test_reset_forgets_registered_prices(self, fake: CheckoutFake, client: stripe.StripeClient) -> None:
        price = fake.add_price(unit_amount=1000)
        fake.reset()
        params = payment(line_items=[{"price": price["id"], "quantity": 1}])
        error = raises(stripe.InvalidRequestError, lambda: create(client, params))
        assert error.user_message == f"No such price: '{price['id']}'"


def scenario(seed: int) -> list[Any]:
    """The same calls against a fresh fake; everything the application could see that carries an id."""
    client = new_client(API_KEY)
    with mock_checkout(seed=seed, now=NOW) as fake:
        paid = client.v1.checkout.sessions.create(params=payment())
        sub = client.v1.checkout.sessions.create(params=subscription())
        saved = client.v1.checkout.sessions.create(params=setup())
        fake.complete(paid.id)
        fake.complete(sub.id)
        # An explicit key: the SDK's own is random, and the expired event carries it.
        client.v1.checkout.sessions.expire(saved.id, options={"idempotency_key": "expire-saved"})
        seen = [
            retrieve(client, s.id, expand=["line_items", "payment_intent", "subscription", "customer", "setup_intent"])
            for s in (paid, sub, saved)
        ]
        request_ids = [r.request_id for r in fake.requests]
        events = [e.to_dict() for e in fake.events]
    return [seen, request_ids, events]


class TestDeterminism:
    def test_the_same_seed_and_now_give_the_same_ids(self) -> None:
        assert scenario(42) == scenario(42)

    def test_another_seed_gives_other_ids(self) -> None:
        assert scenario(42)[0][0]["id"] != scenario(43)[0][0]["id"]
