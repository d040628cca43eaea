"""The shop's checkout view again, async (Starlette and the SDK's async calls), as a FastAPI-style app has it.

The same database and the same params as the Flask view (``checkout.py``); ``create_async`` goes through the
SDK's async HTTP client (httpx), the road async applications take to Stripe.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import checkout, db


def create_async_app(
    *, database: str | None = None, stripe_api_key: str | None = None, base_url: str = "http://localhost:8000"
) -> Starlette:
    database = database or os.environ.get("SHOP_DATABASE", "shop.sqlite3")
    client = stripe.StripeClient(stripe_api_key or os.environ.get("STRIPE_API_KEY", ""))

    async def start_checkout(request: Request) -> Response:
        # A plain urlencoded form (what the shop's page posts), read without an extra form library.
        form = {key: values[-1] for key, values in parse_qs((await request.body()).decode()).items()}
        connection = db.connect(database)
        try:
            cart = checkout.cart_of(connection, form)
            if not cart:
                return JSONResponse({"error": "the cart is empty"}, status_code=400)
            email = form.get("email") or None
            order_id, token = db.new_order(connection, email, [(p.id, q) for p, q in cart])
            params = checkout.session_params(cart, order_id=order_id, email=email, base_url=base_url)
            try:
                session = await client.v1.checkout.sessions.create_async(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": checkout.idempotency_key(token)},
                )
            except stripe.InvalidRequestError as error:
                db.set_status(connection, order_id, "refused")
                return JSONResponse({"error": error.user_message}, status_code=400)
            db.attach_session(connection, order_id, session.id, session.amount_total)
            return RedirectResponse(session.url or base_url, status_code=303)
        finally:
            connection.close()

    return Starlette(routes=[Route("/checkout", start_checkout, methods=["POST"])])
