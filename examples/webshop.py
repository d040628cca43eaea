"""An example shop that takes payments with Stripe Checkout, written against the official ``stripe`` SDK.

Nothing here knows about pytest-checkout: this is application code as it would run against Stripe. It
creates a Checkout Session for an order, and its webhook endpoint (a plain WSGI app) marks the order paid,
failed or cancelled as Stripe's events arrive. ``test_webshop.py`` runs it on the fake.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import stripe


@dataclass
class Order:
    """An order and where its payment stands."""

    id: str
    lines: list[tuple[str, int, int]]  # (product name, unit amount in cents, quantity)
    email: str | None = None
    status: str = "new"  # new -> awaiting_payment -> paid | payment_failed | cancelled
    checkout_session: str | None = None


@dataclass
class Shop:
    """The shop's state and its two entry points: starting a checkout, and receiving Stripe's webhooks."""

    stripe_client: stripe.StripeClient
    webhook_secret: str
    base_url: str = "https://shop.example"
    orders: dict[str, Order] = field(default_factory=dict)

    def start_checkout(self, order: Order) -> str:
        """Create the Checkout Session for ``order``; returns the URL to send the customer to."""
        params: dict[str, Any] = {
            "mode": "payment",
            "success_url": f"{self.base_url}/orders/{order.id}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{self.base_url}/orders/{order.id}",
            "client_reference_id": order.id,
            "metadata": {"order_id": order.id},
            "line_items": [
                {
                    "price_data": {"currency": "eur", "product_data": {"name": name}, "unit_amount": amount},
                    "quantity": quantity,
                }
                for name, amount, quantity in order.lines
            ],
            "payment_method_types": ["card", "sepa_debit"],
        }
        if order.email:
            params["customer_email"] = order.email
        session = self.stripe_client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"checkout-{order.id}"},
        )
        self.orders[order.id] = order
        order.status = "awaiting_payment"
        order.checkout_session = session.id
        assert session.url is not None
        return session.url

    def cancel_checkout(self, order_id: str) -> None:
        """The customer gave up: expire the session so it can no longer be paid."""
        order = self.orders[order_id]
        if order.checkout_session:
            self.stripe_client.v1.checkout.sessions.expire(order.checkout_session)

    def on_event(self, event: stripe.Event) -> None:
        """Move an order along as Stripe reports on its Checkout Session."""
        session = event.data.object
        order = self.orders.get(session["client_reference_id"] or "")
        if order is None:
            return
        if event.type == "checkout.session.completed":
            # Delayed methods (SEPA debit) complete the session unpaid; the money arrives with a later event, which
            # Stripe may deliver first: an unpaid completion never undoes what the money's event decided.
            if session["payment_status"] == "paid":
                order.status = "paid"
        elif event.type == "checkout.session.async_payment_succeeded":
            order.status = "paid"
        elif event.type == "checkout.session.async_payment_failed":
            order.status = "payment_failed"
        elif event.type == "checkout.session.expired" and order.status != "paid":
            order.status = "cancelled"

    def webhook_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI endpoint Stripe posts events to: verifies the signature, then handles the event."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length)
        signature = environ.get("HTTP_STRIPE_SIGNATURE", "")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"error": str(error)}).encode()]
        self.on_event(event)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"received": event.type}).encode()]
