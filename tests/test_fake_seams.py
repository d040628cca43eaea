"""The fake's seams, through the official SDK: stubbed endpoints, indexed list filters, the version it answers in,
and a layout a newcomer can find their way around.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from pytest_checkout import versions
from pytest_checkout.fake import CheckoutFake, mock_checkout

pytestmark = pytest.mark.filterwarnings("ignore::pytest_checkout.fake.StripeVersionWarning")

API_KEY = "sk_test_51FakeCheckoutSeamsAccount000001"
PACKAGE = Path(versions.__file__).resolve().parent
NOW = 1_700_000_000


def payment(**extra: Any) -> Any:
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cart",
        "line_items": [
            {"price_data": {"currency": "usd", "product_data": {"name": "Tee"}, "unit_amount": 900}, "quantity": 1}
        ],
    }
    params.update(extra)
    return params


@pytest.fixture
def fake() -> Iterator[CheckoutFake]:
    with mock_checkout(now=NOW) as checkout_fake:
        yield checkout_fake


@pytest.fixture
def client(fake: CheckoutFake) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, max_network_retries=0)


# --- stubs: answers a test gives for endpoints the fake does not model ------------------------------------------


class TestStub:
    def test_an_unmodelled_endpoint_is_stripes_404_until_stubbed(self, fake: CheckoutFake, client: stripe.StripeClient):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.billing_portal.sessions.create(params={"customer": "cus_1"})
        assert caught.value.http_status == 404
        assert "Unrecognized request URL (POST: /v1/billing_portal/sessions)" in str(caught.value.user_message)

        fake.stub(
            "POST",
            "/v1/billing_portal/sessions",
            lambda params: {"id": "bps_1", "object": "billing_portal.session", "customer": params["customer"]},
        )
        portal = client.v1.billing_portal.sessions.create(params={"customer": "cus_1"})
        assert (portal.id, portal.customer) == ("bps_1", "cus_1")
        assert fake.requests[-1].path == "/v1/billing_portal/sessions"
        assert fake.requests[-1].params == {"customer": "cus_1"}
        assert fake.requests[-1].status == 200

    def test_a_template_path_and_an_error_status(self, fake: CheckoutFake, client: stripe.StripeClient):
        fake.stub(
            "GET",
            "/v1/invoices/{invoice}",
            {"error": {"type": "invalid_request_error", "message": "No such invoice: 'in_9'"}},
            status=404,
        )
        with pytest.raises(stripe.InvalidRequestError, match="No such invoice"):
            client.v1.invoices.retrieve("in_9")

    def test_stubbed_requests_still_need_a_key(self, fake: CheckoutFake):
        fake.stub("GET", "/v1/balance", {"object": "balance"})
        with pytest.raises(stripe.AuthenticationError):
            stripe.StripeClient("sk_test_", max_network_retries=0).v1.balance.retrieve()

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/v1/checkout/sessions"),
            ("GET", "/v1/checkout/sessions/{id}"),
            ("POST", "/v1/checkout/sessions/{x}/expire"),
        ],
    )
    def test_the_fakes_own_endpoints_can_not_be_stubbed(self, fake: CheckoutFake, method: str, path: str):
        with pytest.raises(ValueError, match="can not be stubbed"):
            fake.stub(method, path, {})

    @pytest.mark.parametrize("path", ["billing_portal/sessions", "https://api.stripe.com/v1/x", ""])
    def test_a_path_that_is_not_an_api_path_is_refused(self, fake: CheckoutFake, path: str):
        with pytest.raises(ValueError, match="API path"):
            fake.stub("GET", path, {})

    def test_a_stub_whose_answer_is_not_json_is_a_clear_500(self, fake: CheckoutFake, client: stripe.StripeClient):
        fake.stub("GET", "/v1/balance", {"when": object()})
        with pytest.raises(stripe.APIError, match="stubbed answer is not JSON"):
            client.v1.balance.retrieve()

    def test_a_stub_whose_answer_holds_itself_is_a_clear_500(self, fake: CheckoutFake, client: stripe.StripeClient):
        answer: dict[str, Any] = {"object": "balance"}
        answer["self"] = answer
        fake.stub("GET", "/v1/balance", answer)
        with pytest.raises(stripe.APIError, match="stubbed answer is not JSON"):
            client.v1.balance.retrieve()

    def test_reset_forgets_stubs(self, fake: CheckoutFake, client: stripe.StripeClient):
        fake.stub("GET", "/v1/balance", {"object": "balance"})
        fake.reset()
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.balance.retrieve()


# --- filtered lists read indexes that follow every change ----------------------------------------------------------


class TestFilterIndexes:
    def test_filters_follow_completion_and_keep_creation_order(self, fake: CheckoutFake, client: stripe.StripeClient):
        customer = fake.add_customer(email="ada@example.com")
        first = client.v1.checkout.sessions.create(params=payment(customer=customer["id"]))
        second = client.v1.checkout.sessions.create(params=payment())
        third = client.v1.checkout.sessions.create(params=payment(customer=customer["id"]))
        # Completed out of creation order: the index must still answer newest first.
        fake.complete(third.id, email="ada@example.com")
        fake.complete(second.id, email="ada@example.com")
        fake.complete(first.id, email="ada@example.com")

        def listed(**filters: Any) -> list[str]:
            return [s.id for s in client.v1.checkout.sessions.list(params=filters).data]

        assert listed(customer=customer["id"]) == [third.id, first.id]
        assert listed(customer_details={"email": "ada@example.com"}) == [third.id, second.id, first.id]
        assert listed(customer=customer["id"], customer_details={"email": "ada@example.com"}) == [third.id, first.id]
        intent = fake.sessions[second.id]["payment_intent"]
        assert listed(payment_intent=intent) == [second.id]
        assert listed(customer_details={"email": "ada@example.com"}, limit=1, starting_after=third.id) == [second.id]
        assert listed(customer_details={"email": "ada@example.com"}, ending_before=first.id) == [third.id, second.id]

    def test_an_expired_session_leaves_no_stale_entry(self, fake: CheckoutFake, client: stripe.StripeClient):
        customer = fake.add_customer(email="bob@example.com")
        session = client.v1.checkout.sessions.create(params=payment(customer=customer["id"]))
        client.v1.checkout.sessions.expire(session.id)
        assert [s.id for s in client.v1.checkout.sessions.list(params={"customer": customer["id"]}).data] == [
            session.id
        ]
        assert client.v1.checkout.sessions.list(params={"customer": "cus_nobody"}).data == []


# --- one version seam -------------------------------------------------------------------------------------------


class TestVersion:
    def test_each_answer_names_the_version_that_answered_it(self, fake: CheckoutFake):
        pinned = stripe.StripeClient(API_KEY, max_network_retries=0, stripe_version=versions.API_VERSION)
        session = pinned.v1.checkout.sessions.create(params=payment())
        assert session.last_response is not None
        assert session.last_response.headers["Stripe-Version"] == versions.API_VERSION
        recorded = fake.requests[-1]
        assert (recorded.stripe_version, recorded.api_version) == (versions.API_VERSION, versions.API_VERSION)

    def test_a_client_pinned_to_the_modelled_version_gets_no_warning(self, fake: CheckoutFake, recwarn: Any):
        pinned = stripe.StripeClient(API_KEY, max_network_retries=0, stripe_version=versions.API_VERSION)
        pinned.v1.checkout.sessions.create(params=payment())
        assert [w for w in recwarn if "Stripe-Version" in str(w.message)] == []

    def test_another_version_is_answered_by_the_registrys_choice(self, fake: CheckoutFake):
        today = stripe.StripeClient(API_KEY, max_network_retries=0)  # stripe 16 pins its own version
        today.v1.checkout.sessions.create(params=payment())
        recorded = fake.requests[-1]
        assert recorded.stripe_version != versions.API_VERSION
        assert recorded.api_version == versions.resolve(recorded.stripe_version).version.name


# --- a layout a newcomer can find their way around --------------------------------------------------------------

GENERATED = {"v2022_08_01.py", "v2022_08_01_types.py", "v2026_10_28_endive.py", "v2026_10_28_endive_types.py"}


def test_no_hand_written_module_is_over_about_600_lines():
    long = {
        str(path.relative_to(PACKAGE)): len(path.read_text().splitlines())
        for path in PACKAGE.rglob("*.py")
        if path.name not in GENERATED
    }
    assert {name: n for name, n in long.items() if n > 620} == {}


def test_the_backend_never_imports_the_http_layer():
    # One direction: transports -> routes -> backend. The backend returns objects and knows nothing of HTTP.
    http_side = {"routes", "urls", "mock", "server", "testhelpers", "transports"}
    backend_side = (
        "backend", "setup", "customer", "models", "builders", "render", "pagination", "events", "exceptions",
        "resources", "today",
    )  # fmt: skip
    for name in backend_side:
        tree = ast.parse((PACKAGE / "fake" / f"{name}.py").read_text())
        imported = {
            part
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for part in node.module.split(".")
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "pytest_checkout.fake"
            for alias in node.names
        }
        assert imported & http_side == set(), name


def test_the_top_level_exports_the_fake_not_its_http_internals():
    import pytest_checkout

    assert {"mock_checkout", "CheckoutFake", "Event", "WebhookRequest", "StripeVersionWarning"} <= set(
        pytest_checkout.__all__
    )
    assert not {"handle", "FakeResponse", "ROUTES", "IdempotencyStore"} & set(pytest_checkout.__all__)


def test_the_suites_guard_refuses_the_network():
    # The top-level conftest.py guards every test: a request the fake did not answer fails instead of leaving.
    import socket

    with pytest.raises(OSError, match="test guard"):
        socket.create_connection(("api.stripe.com", 443), timeout=1)
    with socket.socket() as sock, pytest.raises(OSError, match="test guard"):
        sock.connect(("192.0.2.1", 443))
