"""The objects around a session, as an application reads and makes them through the official ``stripe`` SDK.

Stripe's own sample apps retrieve a price to show it (often with ``expand[]=product``), create a customer
before the session and retrieve it, and retrieve the payment intent, subscription or setup intent a completed
session points to. The fake answers those for the objects it holds (registered with ``add_price`` and
``add_customer``, made inline by a session's ``price_data``, made by ``complete``), with Stripe's 404 for ids it
does not hold; every other method and path of those APIs stays an unrecognized URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from pytest_checkout.fake import CheckoutFake, mock_checkout
from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient
from pytest_checkout.schema.v2022_08_01 import API_VERSION

NOW = 1_700_000_000
API_KEY = "sk_test_51FakeCheckoutObjectsAccount00001"
OTHER_KEY = "sk_test_51FakeCheckoutObjectsAccount00002"
SUCCESS_URL = "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://shop.example/cart"


def session_params(mode: str = "payment", currency: str = "usd", **extra: Any) -> Any:  # Any: as the SDK types it
    params: dict[str, Any] = {"mode": mode, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL}
    if mode == "setup":
        params["payment_method_types"] = ["card"]
    else:
        price: dict[str, Any] = {"currency": currency, "product_data": {"name": "Mug"}, "unit_amount": 1800}
        if mode == "subscription":
            price["recurring"] = {"interval": "month"}
        params["line_items"] = [{"price_data": price, "quantity": 2}]
    params.update(extra)
    return params


@pytest.fixture
def fake() -> Iterator[CheckoutFake]:
    with mock_checkout(now=NOW) as checkout_fake:
        yield checkout_fake


@pytest.fixture
def client(fake: CheckoutFake) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, max_network_retries=0, stripe_version=API_VERSION)


@pytest.fixture
def module_key(fake: CheckoutFake, monkeypatch: pytest.MonkeyPatch) -> str:
    """Module-style SDK use: ``stripe.api_key`` set for this test only (monkeypatch restores it)."""
    monkeypatch.setattr(stripe, "api_key", API_KEY)
    monkeypatch.setattr(stripe, "api_version", API_VERSION)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    return API_KEY


def missing(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return caught.value


# --- prices and products ---------------------------------------------------------------------------------------


class TestPrices:
    def test_a_registered_price_with_its_product_expanded(self, fake: CheckoutFake, client: stripe.StripeClient):
        added = fake.add_price(unit_amount=1500, recurring={"interval": "month"}, product_name="Coffee box")
        price = client.v1.prices.retrieve(added["id"])
        assert (price.id, price.object, price.unit_amount, price.currency, price.type) == (
            added["id"],
            "price",
            1500,
            "usd",
            "recurring",
        )
        assert price.product == added["product"]
        assert price.recurring is not None
        assert price.recurring.interval == "month"
        shown = client.v1.prices.retrieve(added["id"], params={"expand": ["product"]})
        assert isinstance(shown.product, stripe.Product)
        assert (shown.product.id, shown.product.name, shown.product.active) == (added["product"], "Coffee box", True)
        assert (shown.product.created, shown.product.livemode) == (NOW, False)
        assert fake.requests[-1].path == f"/v1/prices/{added['id']}"
        assert fake.requests[-1].params == {"expand": ["product"]}

    def test_module_style_price_and_product(self, fake: CheckoutFake, module_key: str):
        added = fake.add_price(unit_amount_decimal="12.5", currency="eur", product_name="Tea")
        price = stripe.Price.retrieve(added["id"])
        assert (price.unit_amount, str(price.unit_amount_decimal)) == (None, "12.5")
        product = stripe.Product.retrieve(price.product)
        assert (product.object, product.name, product.images, product.metadata.to_dict()) == ("product", "Tea", [], {})

    def test_the_price_and_product_a_session_made_inline(self, fake: CheckoutFake, client: stripe.StripeClient):
        session = client.v1.checkout.sessions.create(params=session_params())
        item = client.v1.checkout.sessions.line_items.list(session.id).data[0]
        assert item.price is not None
        price = client.v1.prices.retrieve(item.price.id, params={"expand": ["product"]})
        # Prices made from price_data are not reusable: Stripe shows them inactive.
        assert (price.unit_amount, price.active) == (1800, False)
        assert isinstance(price.product, stripe.Product)
        assert price.product.name == "Mug"
        assert client.v1.products.retrieve(price.product.id).name == "Mug"

    def test_line_items_expand_each_price_s_product(self, fake: CheckoutFake, client: stripe.StripeClient):
        added = fake.add_price(unit_amount=700, product_name="Socks")
        params = session_params()
        params["line_items"].append({"price": added["id"], "quantity": 1})
        session = client.v1.checkout.sessions.create(params=params)
        items = client.v1.checkout.sessions.line_items.list(session.id, params={"expand": ["data.price.product"]})
        names = []
        for item in items.data:
            assert item.price is not None
            assert isinstance(item.price.product, stripe.Product)
            names.append(item.price.product.name)
        assert names == ["Mug", "Socks"]
        # Without the expansion the product stays an id, and the stored line items are unchanged.
        plain = client.v1.checkout.sessions.line_items.list(session.id, params={"expand": ["data.price"]})
        assert [i.price.product for i in plain.data if i.price] == [
            i.price.product.id for i in items.data if i.price and isinstance(i.price.product, stripe.Product)
        ]

    def test_an_account_sees_only_its_own_and_the_shared_prices(self, fake: CheckoutFake, client: stripe.StripeClient):
        mine = fake.add_price(unit_amount=100, api_key=API_KEY)
        shared = fake.add_price(unit_amount=200)
        other = stripe.StripeClient(OTHER_KEY, max_network_retries=0, stripe_version=API_VERSION)
        assert other.v1.prices.retrieve(shared["id"]).unit_amount == 200
        error = missing(lambda: other.v1.prices.retrieve(mine["id"]))
        assert error.user_message == f"No such price: '{mine['id']}'"
        error = missing(lambda: other.v1.products.retrieve(mine["product"]))
        assert error.user_message == f"No such product: '{mine['product']}'"
        assert client.v1.products.retrieve(mine["product"]).id == mine["product"]

    def test_a_price_refuses_an_expansion_the_fake_cannot_give(self, fake: CheckoutFake, client: stripe.StripeClient):
        added = fake.add_price(unit_amount=100)
        error = missing(lambda: client.v1.prices.retrieve(added["id"], params={"expand": ["tiers"]}))
        assert error.user_message == "pytest-checkout's fake cannot expand tiers on prices."
        assert error.param == "expand"
        error = missing(lambda: client.v1.prices.retrieve(added["id"], params={"expand": ["currency"]}))
        assert error.user_message == "This property cannot be expanded (currency)."
        error = missing(lambda: client.v1.prices.retrieve(added["id"], params={"expand": ["nothing"]}))
        assert error.user_message == "This property cannot be expanded (nothing)."


# --- customers -------------------------------------------------------------------------------------------------


class TestCustomers:
    def test_module_style_create_then_a_session_for_that_customer(self, fake: CheckoutFake, module_key: str):
        customer = stripe.Customer.create(
            email="ada@example.com",
            name="Ada Lovelace",
            metadata={"user": "7"},
            address={"city": "London", "country": "GB"},
        )
        assert (customer.object, customer.email, customer.name, customer.livemode) == (
            "customer",
            "ada@example.com",
            "Ada Lovelace",
            False,
        )
        assert customer.metadata.to_dict() == {"user": "7"}
        assert customer.address is not None
        assert (customer.address.city, customer.address.country, customer.address.line1) == ("London", "GB", None)
        assert customer.invoice_settings.rendering_options is None
        assert customer.created == NOW
        session = stripe.checkout.Session.create(**session_params(customer=customer.id))
        assert session.customer == customer.id
        fake.complete(session.id)
        retrieved = stripe.Customer.retrieve(customer.id)
        assert retrieved.to_dict() == customer.to_dict()
        assert stripe.checkout.Session.list(customer=customer.id).data[0].id == session.id

    def test_create_is_validated_from_the_schema(self, fake: CheckoutFake, client: stripe.StripeClient):
        error = missing(lambda: client.v1.customers.create(params={"emial": "a@b.co"}))  # type: ignore[typeddict-unknown-key]
        assert (error.user_message, error.param, error.http_status) == (
            "Received unknown parameter: emial",
            "emial",
            400,
        )
        bad_balance: Any = {"balance": "lots"}
        error = missing(lambda: client.v1.customers.create(params=bad_balance))
        assert (error.user_message, error.param) == ("Invalid integer: lots", "balance")
        bad_exempt: Any = {"tax_exempt": "sometimes"}
        error = missing(lambda: client.v1.customers.create(params=bad_exempt))
        assert error.param == "tax_exempt"
        assert str(error.user_message).startswith("Invalid tax_exempt: must be one of")
        assert fake.account(API_KEY).customers == {}

    def test_create_refuses_what_names_objects_the_fake_lacks(self, fake: CheckoutFake, client: stripe.StripeClient):
        error = missing(lambda: client.v1.customers.create(params={"payment_method": "pm_card_visa"}))
        assert error.user_message == (
            "pytest-checkout's fake cannot use payment_method on customers: it holds no payment methods."
        )
        assert error.param == "payment_method"
        settings: Any = {"invoice_settings": {"default_payment_method": "pm_1"}}
        error = missing(lambda: client.v1.customers.create(params=settings))
        assert error.param == "invoice_settings[default_payment_method]"
        assert fake.account(API_KEY).customers == {}

    def test_a_customer_belongs_to_the_account_that_made_it(self, fake: CheckoutFake, client: stripe.StripeClient):
        customer = client.v1.customers.create(params={"email": "bo@example.com"})
        other = stripe.StripeClient(OTHER_KEY, max_network_retries=0, stripe_version=API_VERSION)
        error = missing(lambda: other.v1.customers.retrieve(customer.id))
        assert (error.http_status, error.code, error.user_message) == (
            404,
            "resource_missing",
            f"No such customer: '{customer.id}'",
        )
        error = missing(lambda: other.v1.checkout.sessions.create(params=session_params(customer=customer.id)))
        assert error.user_message == f"No such customer: '{customer.id}'"
        assert client.v1.checkout.sessions.create(params=session_params(customer=customer.id)).customer == customer.id

    def test_registered_and_completed_customers_can_be_retrieved(self, fake: CheckoutFake, client: stripe.StripeClient):
        added = fake.add_customer(email="cy@example.com", name="Cy")
        assert client.v1.customers.retrieve(added["id"]).name == "Cy"
        session = client.v1.checkout.sessions.create(params=session_params("subscription"))
        fake.complete(session.id, email="di@example.com", name="Di")
        made = fake.sessions[session.id]["customer"]
        customer = client.v1.customers.retrieve(made)
        assert (customer.email, customer.name) == ("di@example.com", "Di")

    def test_an_idempotent_create_makes_one_customer(self, fake: CheckoutFake, client: stripe.StripeClient):
        options: Any = {"idempotency_key": "signup-42"}
        first = client.v1.customers.create(params={"email": "ed@example.com"}, options=options)
        again = client.v1.customers.create(params={"email": "ed@example.com"}, options=options)
        assert again.id == first.id
        assert len(fake.account(API_KEY).customers) == 1

    def test_async_create_and_retrieve_in_process(self):
        fake = CheckoutFake(now=NOW)
        client = stripe.StripeClient(
            API_KEY, http_client=CheckoutHTTPClient(fake), max_network_retries=0, stripe_version=API_VERSION
        )

        async def signup() -> tuple[stripe.Customer, stripe.Customer]:
            made = await client.v1.customers.create_async(params={"email": "fi@example.com", "phone": "+15550100"})
            return made, await client.v1.customers.retrieve_async(made.id)

        made, retrieved = asyncio.run(signup())
        assert (retrieved.id, retrieved.email, retrieved.phone) == (made.id, "fi@example.com", "+15550100")
        assert fake.requests[0].method == "POST"
        assert fake.requests[0].path == "/v1/customers"


# --- what a completed session points to ----------------------------------------------------------------------


class TestWhatASessionPointsTo:
    def test_the_payment_intent_of_a_paid_session(self, fake: CheckoutFake, client: stripe.StripeClient):
        session = client.v1.checkout.sessions.create(params=session_params(customer_creation="always"))
        fake.complete(session.id)
        done = client.v1.checkout.sessions.retrieve(session.id)
        assert isinstance(done.payment_intent, str)
        intent = client.v1.payment_intents.retrieve(done.payment_intent, params={"expand": ["customer"]})
        assert (intent.object, intent.status, intent.amount, intent.amount_received, intent.currency) == (
            "payment_intent",
            "succeeded",
            3600,
            3600,
            "usd",
        )
        assert isinstance(intent.customer, stripe.Customer)
        assert intent.customer.id == done.customer

    def test_an_async_payment_intent_follows_its_settlement(self, fake: CheckoutFake, module_key: str):
        session = stripe.checkout.Session.create(
            **session_params(currency="eur", payment_method_types=["card", "sepa_debit"])
        )
        fake.complete(session.id, payment_method_type="sepa_debit", async_payment=True)
        intent_id = fake.sessions[session.id]["payment_intent"]
        assert stripe.PaymentIntent.retrieve(intent_id).status == "processing"
        fake.settle_async_payment(session.id)
        assert stripe.PaymentIntent.retrieve(intent_id).status == "succeeded"

    def test_the_subscription_of_a_subscription_session(self, fake: CheckoutFake, client: stripe.StripeClient):
        session = client.v1.checkout.sessions.create(params=session_params("subscription"))
        fake.complete(session.id)
        done = client.v1.checkout.sessions.retrieve(session.id)
        assert isinstance(done.subscription, str)
        subscription = client.v1.subscriptions.retrieve(
            done.subscription, params={"expand": ["customer", "items.data.price.product"]}
        )
        assert (subscription.object, subscription.status, subscription.customer.id) == (  # type: ignore[union-attr]
            "subscription",
            "active",
            done.customer,
        )
        item = subscription["items"].data[0]
        assert (item.object, item.quantity, item.subscription, item.created) == (
            "subscription_item",
            2,
            subscription.id,
            NOW,
        )
        assert item.price.product.name == "Mug"
        error = missing(
            lambda: client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
        )
        assert error.user_message == "pytest-checkout's fake cannot expand latest_invoice on subscriptions."

    def test_the_setup_intent_of_a_setup_session(self, fake: CheckoutFake, module_key: str):
        session = stripe.checkout.Session.create(**session_params("setup"))
        assert isinstance(session.setup_intent, str)
        before = stripe.SetupIntent.retrieve(session.setup_intent)
        assert (before.object, before.status, before.customer) == ("setup_intent", "requires_payment_method", None)
        fake.complete(session.id)
        after = stripe.SetupIntent.retrieve(session.setup_intent, expand=["customer"])
        assert after.status == "succeeded"
        assert isinstance(after.customer, stripe.Customer)
        assert after.customer.id == fake.sessions[session.id]["customer"]

    def test_another_account_does_not_see_them(self, fake: CheckoutFake, client: stripe.StripeClient):
        session = client.v1.checkout.sessions.create(params=session_params("subscription"))
        fake.complete(session.id)
        subscription = fake.sessions[session.id]["subscription"]
        other = stripe.StripeClient(OTHER_KEY, max_network_retries=0, stripe_version=API_VERSION)
        error = missing(lambda: other.v1.subscriptions.retrieve(subscription))
        assert error.user_message == f"No such subscription: '{subscription}'"


# --- ids the fake does not hold, and what stays unmodelled -------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "object_id", "message", "param"),
    [
        ("prices", "price_nope", "No such price: 'price_nope'", "price"),
        ("products", "prod_nope", "No such product: 'prod_nope'", "id"),
        ("customers", "cus_nope", "No such customer: 'cus_nope'", "customer"),
        ("payment_intents", "pi_nope", "No such payment_intent: 'pi_nope'", "intent"),
        ("subscriptions", "sub_nope", "No such subscription: 'sub_nope'", "subscription_exposed_id"),
        ("setup_intents", "seti_nope", "No such setupintent: 'seti_nope'", "intent"),
    ],
)
def test_an_unknown_id_is_stripes_404(
    fake: CheckoutFake, client: stripe.StripeClient, resource: str, object_id: str, message: str, param: str
):
    error = missing(lambda: getattr(client.v1, resource).retrieve(object_id))
    assert (error.http_status, error.code, error.user_message, error.param) == (404, "resource_missing", message, param)
    assert error.json_body is not None
    assert error.json_body["error"]["type"] == "invalid_request_error"


def test_an_id_of_another_kind_is_not_found(fake: CheckoutFake, client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(params=session_params("setup"))
    assert isinstance(session.setup_intent, str)
    error = missing(lambda: client.v1.payment_intents.retrieve(session.setup_intent))  # type: ignore[arg-type]
    assert error.user_message == f"No such payment_intent: '{session.setup_intent}'"


def test_only_those_operations_are_modelled(fake: CheckoutFake, client: stripe.StripeClient):
    customer = client.v1.customers.create(params={"email": "gu@example.com"})
    assert client.v1.customers.retrieve(customer.id).email == "gu@example.com"
    price = fake.add_price(unit_amount=100)
    assert client.v1.prices.retrieve(price["id"]).id == price["id"]
    # Listing, updating, deleting and the other actions of those APIs stay Stripe's 404 for a URL it lacks.
    for method, path in [
        ("GET", "/v1/customers"),
        ("POST", f"/v1/customers/{customer.id}"),
        ("DELETE", f"/v1/customers/{customer.id}"),
        ("GET", "/v1/prices"),
        ("POST", f"/v1/prices/{price['id']}"),
        ("POST", f"/v1/products/{price['product']}"),
        ("GET", "/v1/subscriptions"),
        ("DELETE", "/v1/subscriptions/sub_1"),
        ("POST", "/v1/payment_intents/pi_1/confirm"),
        ("GET", "/v1/setup_intents"),
    ]:
        error = missing(lambda method=method, path=path: client.raw_request(method.lower(), path))
        assert error.http_status == 404, (method, path)
        assert str(error.user_message).startswith(f"Unrecognized request URL ({method}: {path})."), (method, path)
