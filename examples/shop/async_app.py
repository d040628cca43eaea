"""The shop's checkout view again, async (Starlette and the SDK's async calls), as a FastAPI-style app has it.

The same database and the same params as the Flask view; ``create_async`` goes through the SDK's async HTTP
client (httpx), the road async applications take to Stripe.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import db


def create_async_app(
    *, database: str | None = None, stripe_api_key: str | None = None, base_url: str = "http://localhost:8000"
) -> Starlette:
    database = database or os.environ.get("SHOP_DATABASE", "shop.sqlite3")
    client = stripe.StripeClient(stripe_api_key or os.environ.get("STRIPE_API_KEY", ""))

    async def checkout(request: Request) -> Response:
        # A plain urlencoded form (what the shop's page posts), read without an extra form library.
        form = {key: values[-1] for key, values in parse_qs((await request.body()).decode()).items()}
        connection = db.connect(database)
        try:
            lines = [
                (product, int(form.get(f"quantity_{product.id}") or 0))
                for product in db.products(connection)
                if int(form.get(f"quantity_{product.id}") or 0)
            ]
            if not lines:
                return JSONResponse({"error": "the cart is empty"}, status_code=400)
            email = form.get("email") or None
            order_id, token = db.new_order(connection, email, [(p.id, q) for p, q in lines])
            params: dict[str, Any] = {
                "mode": "subscription" if any(p.interval for p, _ in lines) else "payment",
                "success_url": f"{base_url}/success?session_id={{CHECKOUT_SESSION_ID}}",
                "cancel_url": f"{base_url}/cancel?order={order_id}",
                "payment_method_types": ["card", "us_bank_account"],
                "client_reference_id": str(order_id),
                "metadata": {"order_id": str(order_id)},
                "line_items": [
                    {
                        "price_data": {
                            "currency": p.currency,
                            "product_data": {"name": p.name},
                            "unit_amount": p.unit_amount,
                            **({"recurring": {"interval": p.interval}} if p.interval else {}),
                        },
                        "quantity": q,
                    }
                    for p, q in lines
                ],
                **({"customer_email": email} if email else {}),
            }
            try:
                session = await client.v1.checkout.sessions.create_async(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": f"shop-order-{token}"},
                )
            except stripe.InvalidRequestError as error:
                db.set_status(connection, order_id, "refused")
                return JSONResponse({"error": error.user_message}, status_code=400)
            db.attach_session(connection, order_id, session.id, session.amount_total)
            return RedirectResponse(session.url or base_url, status_code=303)
        finally:
            connection.close()

    return Starlette(routes=[Route("/checkout", checkout, methods=["POST"])])
