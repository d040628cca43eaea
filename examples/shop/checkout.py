"""What the shop's two checkout views (Flask and Starlette) share: the cart a form holds, and its Checkout Session."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from . import db

Cart = list[tuple[db.Product, int]]


def cart_of(connection: sqlite3.Connection, form: Mapping[str, str]) -> Cart:
    """The products of form fields ``quantity_<product id>`` and their quantities (those above zero)."""
    cart = []
    for product in db.products(connection):
        quantity = int(form.get(f"quantity_{product.id}") or 0)
        if quantity:
            cart.append((product, quantity))
    return cart


def session_params(cart: Cart, *, order_id: int, email: str | None, base_url: str) -> dict[str, Any]:
    """The create params of the order's Checkout Session: a subscription when the cart holds one."""
    params: dict[str, Any] = {
        "mode": "subscription" if any(product.interval for product, _ in cart) else "payment",
        "success_url": f"{base_url}/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base_url}/cancel?order={order_id}",
        # Cards, and US bank accounts (ACH): a delayed method, paid days after the session completes. Today's API
        # (the version stripe 16 sends) filters these to the ones that fit the session.
        "allowed_payment_method_types": ["card", "us_bank_account"],
        "client_reference_id": str(order_id),
        "metadata": {"order_id": str(order_id)},
        "line_items": [
            {
                "price_data": {
                    "currency": product.currency,
                    "product_data": {"name": product.name},
                    "unit_amount": product.unit_amount,
                    **({"recurring": {"interval": product.interval}} if product.interval else {}),
                },
                "quantity": quantity,
            }
            for product, quantity in cart
        ],
    }
    if email:
        params["customer_email"] = email
    return params


def idempotency_key(token: str) -> str:
    """One key per order (its random token), so a retried checkout never makes a second session."""
    return f"shop-order-{token}"
