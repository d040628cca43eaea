"""The shop's async checkout view (Starlette, ``create_async`` on the SDK's httpx client), on the fake."""

from __future__ import annotations

import sqlite3
from typing import Any

import anyio
import httpx
import pytest

from .async_app import create_async_app

# stripe 16's HTTPXClient passes the form body to httpx as data=<bytes>, which httpx 0.28 deprecates: a warning
# of those two libraries (not of the shop, not of the fake), silenced here so that the run stays quiet.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning"
)


def post(app: Any, form: dict[str, str]) -> httpx.Response:
    """POST the form to the ASGI app in process, as an async test client does (the event loop: anyio's)."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop.test") as client:
            return await client.post("/checkout", data=form)

    return anyio.run(go)


def test_the_async_view_creates_the_session_through_httpx(checkout_fake, checkout_api_key, database):
    app = create_async_app(database=database, stripe_api_key=checkout_api_key)
    answer = post(app, {"quantity_tshirt": "1", "email": "jenny@example.com"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    (request,) = checkout_fake.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    (token,) = sqlite3.connect(database).execute("SELECT token FROM orders").fetchone()
    assert request.idempotency_key == f"shop-order-{token}"
    (session,) = checkout_fake.sessions.values()
    assert (session.amount_total, session.customer_email) == (2000, "jenny@example.com")
    (row,) = sqlite3.connect(database).execute("SELECT checkout_session, status FROM orders").fetchall()
    assert row == (session.id, "awaiting_payment")


def test_the_async_view_reports_stripes_refusal(checkout_fake, checkout_api_key, database):
    checkout_fake.add_customer(id="cus_x")  # unused: the refusal is the cart's
    app = create_async_app(database=database, stripe_api_key="sk_test_" + "x" * 8)  # any test key works
    answer = post(app, {"quantity_tshirt": "0"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "the cart is empty"}
    assert checkout_fake.requests == []
