"""Property tests of the shop with pytest-checkout's Hypothesis strategies and state machine.

A fresh fake per example comes from ``checkout_fake_factory`` (a fixture fixed for the test, a fake made inside
each example), so Hypothesis's check against function-scoped fixtures holds and nothing leaks between examples.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from pytest_checkout.machine import CheckoutMachine

from . import db
from .app import create_app

#: A cart: quantities of the two one-time products, at least one item (the subscription is tested apart).
CARTS = st.fixed_dictionaries({"tshirt": st.integers(0, 5), "mug": st.integers(0, 5)}).filter(
    lambda cart: sum(cart.values()) > 0
)
PRICES = {product_id: amount for product_id, _, amount, _, _ in db.PRODUCTS}
NAMES = {product_id: name for product_id, name, _, _, _ in db.PRODUCTS}
KEY = "sk_test_shopproperty"  # any test-mode key; fixed, as a function-scoped fixture cannot serve @given


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(cart=CARTS)
def test_any_cart_checks_out_at_its_price_and_is_fulfilled_once_paid(
    checkout_fake_factory: Any, cart: dict[str, int]
) -> None:
    with tempfile.TemporaryDirectory() as folder, checkout_fake_factory() as fake:
        database = str(Path(folder) / "shop.sqlite3")
        app = create_app(database=database, stripe_api_key=KEY, webhook_secret="whsec_property")
        browser = app.test_client()
        form = {f"quantity_{product}": str(quantity) for product, quantity in cart.items()}
        assert browser.post("/checkout", data={**form, "email": "jenny@example.com"}).status_code == 303
        (session,) = fake.sessions.values()
        assert session.amount_total == sum(PRICES[p] * q for p, q in cart.items())
        items = stripe.StripeClient(KEY).v1.checkout.sessions.line_items.list(session.id, params={"limit": 10})
        assert {item.description: item.quantity for item in items.data} == {NAMES[p]: q for p, q in cart.items() if q}
        fake.complete(session.id)
        fake.deliver(browser, secret="whsec_property", path="/webhook", twice=True)
        connection = db.connect(database)
        assert db.fulfilments(connection) == [1]
        connection.close()


class ShopMachine(CheckoutMachine):
    """The machine over the Flask shop: its checkouts start at ``POST /checkout``, deliveries go to its webhook."""

    webhook_path = "/webhook"
    activate = True  # the shop calls Stripe with a StripeClient of its own: each run's fake answers it

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.database = str(Path(self.folder.name) / "shop.sqlite3")
        self.app = create_app(database=self.database, stripe_api_key=self.api_key, webhook_secret=self.webhook_secret)
        self.browser = self.app.test_client()

    def webhook_target(self) -> object:
        return self.browser

    def teardown(self) -> None:
        super().teardown()
        self.folder.cleanup()

    @rule(target=CheckoutMachine.sessions, cart=CARTS)
    def shop_checkout(self, cart: dict[str, int]) -> str:
        form = {f"quantity_{product}": str(quantity) for product, quantity in cart.items()}
        answer = self.browser.post("/checkout", data={**form, "email": "jenny@example.com"})
        assert answer.status_code == 303, answer.get_data(as_text=True)
        session_id = answer.headers["Location"].split("/pay/")[1].split("#")[0]
        return self.track(self.fake.sessions[session_id])

    @invariant()
    def every_paid_order_is_shipped_exactly_once(self) -> None:
        connection = db.connect(self.database)
        try:
            shipped = db.fulfilments(connection)
            paid = [
                order_id
                for (order_id, session_id) in connection.execute("SELECT id, checkout_session FROM orders")
                if session_id in self.expected and self.expected[session_id].payment_status == "paid"
            ]
        finally:
            connection.close()
        assert len(shipped) == len(set(shipped))
        assert set(shipped) <= set(paid), (shipped, paid)
        if not self.pending_events():  # once Stripe has told the shop everything
            assert sorted(shipped) == sorted(paid)


TestShopMachine = ShopMachine.TestCase
TestShopMachine.settings = settings(max_examples=30, stateful_step_count=20, deadline=None, database=None)
