"""The example shop under pytest-checkout's state machine: every order of events Stripe may deliver.

``CheckoutMachine`` drives the fake (create, complete, settle, expire, move the clock, deliver webhooks in order,
twice or shuffled) and checks the fake's own invariants; this subclass adds the shop: its checkouts start the
shop's way (``Shop.start_checkout``), deliveries go to its WSGI webhook endpoint, and its invariant joins the
fake's: once Stripe has told the shop everything, an order is paid exactly when its session is, and cancelled
exactly when its session expired unpaid.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from pytest_checkout.machine import CheckoutMachine

from .webshop import Order, Shop

PRODUCTS = st.sampled_from([("T-shirt", 2000), ("Socks", 500), ("Mug", 1200)])
LINES = st.lists(st.tuples(PRODUCTS, st.integers(1, 3)).map(lambda p: (p[0][0], p[0][1], p[1])), min_size=1, max_size=3)


class WebshopMachine(CheckoutMachine):
    webhook_path = "/stripe/webhook"

    def __init__(self) -> None:
        super().__init__()
        self.shop = Shop(stripe_client=self.client, webhook_secret=self.webhook_secret)

    def webhook_target(self) -> object:
        return self.shop.webhook_app

    @rule(target=CheckoutMachine.sessions, lines=LINES, email=st.sampled_from([None, "jenny@example.com"]))
    def shop_checkout(self, lines: list[tuple[str, int, int]], email: str | None) -> str:
        order = Order(f"o{len(self.shop.orders) + 1}", lines, email=email)
        self.shop.start_checkout(order)
        assert order.checkout_session is not None
        return self.track(self.fake.sessions[order.checkout_session])

    @invariant()
    def orders_follow_their_sessions(self) -> None:
        if self.pending_events():
            return  # Stripe has not told the shop everything yet
        for order in self.shop.orders.values():
            assert order.checkout_session is not None
            session = self.fake.sessions[order.checkout_session]
            want = {
                ("complete", "paid"): "paid",
                ("expired", "unpaid"): "cancelled",
                ("open", "unpaid"): "awaiting_payment",
            }.get((session["status"], session["payment_status"]))
            if session["status"] == "complete" and session["payment_status"] == "unpaid":
                # A delayed payment: awaiting the money, or failed once Stripe said so.
                failed = any(
                    e.type == "checkout.session.async_payment_failed" and e.data_object["id"] == session["id"]
                    for e in self.fake.events
                )
                want = "payment_failed" if failed else "awaiting_payment"
            assert order.status == want, (order.id, order.status, session["status"], session["payment_status"])


TestWebshopMachine = WebshopMachine.TestCase
TestWebshopMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None, database=None)
