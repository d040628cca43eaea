"""A small shop's checkout code: what an application under test looks like.

It turns a cart into a Checkout Session with pytest-checkout's typed client. The tests beside it check the
request it sends, without a Stripe account.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_checkout import Client, Session
from pytest_checkout.schema.v2022_08_01_types import SessionCreateParams, SessionCreateParamsLineItem


@dataclass(frozen=True)
class CartLine:
    """One product in the cart: a name, a unit price in cents, a quantity."""

    name: str
    unit_amount: int
    quantity: int


def checkout_params(cart: list[CartLine], *, order_id: str, email: str | None = None) -> SessionCreateParams:
    """The create params for a cart, in US dollars, paid by card."""
    line_items: list[SessionCreateParamsLineItem] = [
        {
            "price_data": {"currency": "usd", "product_data": {"name": line.name}, "unit_amount": line.unit_amount},
            "quantity": line.quantity,
        }
        for line in cart
    ]
    params: SessionCreateParams = {
        "mode": "payment",
        "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
        "line_items": line_items,
        "client_reference_id": order_id,
        "metadata": {"order_id": order_id},
    }
    if email:
        params["customer_email"] = email
    return params


def start_checkout(client: Client, cart: list[CartLine], *, order_id: str, email: str | None = None) -> str:
    """Create the session and return the URL to redirect the customer to."""
    session = Session.create(client, checkout_params(cart, order_id=order_id, email=email), idempotency_key=order_id)
    if session.url is None:
        raise RuntimeError(f"Checkout Session {session.id} has no URL (status {session.status})")
    return session.url
