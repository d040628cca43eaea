"""The shop's web application (Flask): a cart, Stripe Checkout, and the webhook endpoint that fulfils orders.

Run it against Stripe's test mode with ``STRIPE_API_KEY`` and ``STRIPE_WEBHOOK_SECRET`` set::

    flask --app examples.shop.app:create_app run
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import stripe
from flask import Flask, Response, abort, g, jsonify, redirect, request

from . import checkout, db

#: The Checkout Session events the shop acts on.
HANDLED = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)


def create_app(
    *,
    database: str | None = None,
    stripe_api_key: str | None = None,
    webhook_secret: str | None = None,
    stripe_api_base: str | None = None,
    base_url: str = "http://localhost:5000",
) -> Flask:
    """The application; each argument defaults to its environment variable (``SHOP_DATABASE``,
    ``STRIPE_API_KEY``, ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_API_BASE``: Stripe's own API unless set)."""
    app = Flask(__name__)
    app.config.update(
        DATABASE=database or os.environ.get("SHOP_DATABASE", "shop.sqlite3"),
        STRIPE_WEBHOOK_SECRET=webhook_secret or os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        BASE_URL=base_url,
    )
    # The official SDK, as an application uses it: its own client, Stripe's default HTTP library.
    api_base = stripe_api_base or os.environ.get("STRIPE_API_BASE") or "https://api.stripe.com"
    client = stripe.StripeClient(
        stripe_api_key or os.environ.get("STRIPE_API_KEY", ""), base_addresses={"api": api_base}
    )

    def database_connection() -> sqlite3.Connection:
        if "db" not in g:
            g.db = db.connect(app.config["DATABASE"])
        connection: sqlite3.Connection = g.db
        return connection

    @app.teardown_appcontext
    def close(_: BaseException | None) -> None:
        connection = g.pop("db", None)
        if connection is not None:
            connection.close()

    @app.get("/")
    def catalogue() -> Response:
        return jsonify([vars(p) for p in db.products(database_connection())])

    @app.post("/checkout")
    def start_checkout() -> Any:
        """Form fields ``email`` and ``quantity_<product id>``: creates the order and its Checkout Session."""
        connection = database_connection()
        cart = checkout.cart_of(connection, request.form)
        if not cart:
            abort(400, "the cart is empty")
        email = request.form.get("email") or None
        order_id, token = db.new_order(connection, email, [(p.id, q) for p, q in cart])
        base = app.config["BASE_URL"]
        params = checkout.session_params(cart, order_id=order_id, email=email, base_url=base)
        try:
            session = client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": checkout.idempotency_key(token)},
            )
        except stripe.InvalidRequestError as error:
            db.set_status(connection, order_id, "refused")
            return jsonify({"error": error.user_message}), 400
        db.attach_session(connection, order_id, session.id, session.amount_total)
        return redirect(session.url or base, code=303)

    @app.get("/success")
    def success() -> Response:
        session = client.v1.checkout.sessions.retrieve(request.args.get("session_id", ""))
        order = db.order_of_session(database_connection(), session.id)
        if order is None:
            abort(404)
        # The order's status comes from the webhook; the page only says what Stripe says so far.
        return jsonify({"order": order.id, "status": order.status, "payment_status": session.payment_status})

    @app.get("/cancel")
    def cancelled() -> Response:
        """Where Stripe sends a customer who leaves the payment page: the order waits until it expires."""
        order = db.order(database_connection(), int(request.args.get("order", "0") or 0))
        if order is None:
            abort(404)
        return jsonify({"order": order.id, "status": order.status, "cancel": f"/orders/{order.id}/cancel"})

    @app.post("/orders/<int:order_id>/cancel")
    def cancel(order_id: int) -> Any:
        """The customer gives up: expire the session so it can no longer be paid (the webhook cancels the order)."""
        order = db.order(database_connection(), order_id)
        if order is None or order.checkout_session is None:
            abort(404)
        try:
            session = client.v1.checkout.sessions.expire(order.checkout_session)
        except stripe.InvalidRequestError as error:  # paid, or expired already: Stripe says which
            return jsonify({"error": error.user_message}), 409
        return jsonify({"order": order.id, "session_status": session.status})

    @app.get("/orders")
    def history() -> Response:
        """A customer's orders as Stripe has them, newest first, a page at a time (``?email=&after=``)."""
        params: dict[str, Any] = {"customer_details": {"email": request.args["email"]}, "limit": 3}
        if request.args.get("after"):
            params["starting_after"] = request.args["after"]
        page = client.v1.checkout.sessions.list(params=params)  # type: ignore[arg-type]
        sessions = [{"id": s.id, "status": s.status, "amount_total": s.amount_total} for s in page.data]
        return jsonify({"sessions": sessions, "next": sessions[-1]["id"] if page.has_more else None})

    @app.post("/webhook")
    def webhook() -> Any:
        payload = request.get_data()
        signature = request.headers.get("Stripe-Signature", "")
        try:
            event = stripe.Webhook.construct_event(payload, signature, app.config["STRIPE_WEBHOOK_SECRET"])
        except (ValueError, stripe.SignatureVerificationError):
            return jsonify({"error": "bad signature"}), 400
        connection = database_connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            if not db.first_sight_of(connection, event.id, event.type):
                connection.execute("COMMIT")
                return jsonify({"received": event.type, "duplicate": True})
            if event.type in HANDLED:
                _handle(connection, event.type, event.data.object)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")  # the event was not handled: Stripe will send it again
            raise
        return jsonify({"received": event.type})

    return app


def _handle(connection: sqlite3.Connection, event_type: str, session: Any) -> None:
    """Move the order of ``session`` along. Stripe may deliver events in any order: nothing undoes "paid"."""
    order = db.order_of_session(connection, session["id"])
    if order is None:
        return  # a session of another application on the same account
    if event_type == "checkout.session.async_payment_succeeded" or (
        event_type == "checkout.session.completed" and session["payment_status"] in ("paid", "no_payment_required")
    ):
        db.set_status(connection, order.id, "paid")
        db.fulfil(connection, order.id)
    elif event_type == "checkout.session.async_payment_failed" and order.status != "paid":
        db.set_status(connection, order.id, "payment_failed")
    elif event_type == "checkout.session.expired" and order.status != "paid":
        db.set_status(connection, order.id, "cancelled")
    # checkout.session.completed unpaid (a delayed method such as SEPA debit): the money's event decides.
