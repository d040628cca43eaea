"""Typical uses of the Session client; ``mypy --strict`` must accept all of it (tests/test_typing.py)."""

from __future__ import annotations

from typing import Any

from pytest_checkout.client import Client, LineItem, Session, TodayLineItem, TodaySession, today_client
from pytest_checkout.objects import ListObject
from pytest_checkout.schema.v2022_08_01_types import SessionCreateParams
from pytest_checkout.versions import today_types


def checkout(client: Client, email: str) -> str | None:
    params: SessionCreateParams = {
        "mode": "payment",
        "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://example.com/cancel",
        "customer_email": email,
        "line_items": [
            {"price": "price_1LbTsHirt", "quantity": 2, "adjustable_quantity": {"enabled": True, "maximum": 5}},
            {
                "price_data": {
                    "currency": "usd",
                    "product_data": {"name": "Gift wrap", "metadata": {"sku": "gw-1"}},
                    "unit_amount": 500,
                    "tax_behavior": "exclusive",
                },
                "quantity": 1,
            },
        ],
        "payment_method_types": ["card", "klarna"],
        "payment_method_options": {"card": {"setup_future_usage": "on_session"}},
        "shipping_address_collection": {"allowed_countries": ["US", "CA"]},
        "metadata": {"order_id": "1234"},
        "expires_at": 1_700_000_000,
    }
    session: Session = Session.create(client, params, idempotency_key="order-1234")
    total: int | None = session.amount_total
    assert total is None or total >= 0
    return session.url


def subscribe(client: Client) -> Session:
    return Session.create(
        client,
        {
            "mode": "subscription",
            "success_url": "https://example.com/success",
            "cancel_url": "https://example.com/cancel",
            "line_items": [{"price": "price_1LbMoNtHlY", "quantity": 1}],
            "subscription_data": {"trial_period_days": 14, "metadata": {"plan": "pro"}},
        },
    )


def inspect(client: Client, session_id: str) -> list[str]:
    session = Session.retrieve(client, session_id, expand=["line_items", "payment_intent"])
    descriptions: list[str] = []
    if session.line_items is not None:
        descriptions += [item.description for item in session.line_items.auto_paging_iter()]
    page: ListObject[LineItem] = Session.list_line_items(client, session_id, {"limit": 100})
    quantities: list[int | None] = [item.quantity for item in page]
    assert len(quantities) == len(page)
    return descriptions


def sweep(client: Client, customer: str) -> int:
    expired = 0
    sessions: ListObject[Session] = Session.list(client, {"customer": customer, "limit": 100})
    for session in sessions.auto_paging_iter():
        if session.status == "open":
            Session.expire(client, session.id)
            expired += 1
    Session.list(client)
    Session.list(client, {"customer_details": {"email": "jenny.rosen@example.com"}, "expand": ["data.customer"]})
    return expired


def configure() -> Client:
    return Client(
        "sk_test_123",
        api_base="http://localhost:12111",
        api_version="2022-08-01",
        timeout=10,
        max_network_retries=2,
        sleep=lambda seconds: None,
    )


def update(session_id: str) -> Session:
    # Today's endpoint: typed by today's TypedDicts (2026-10-28.endive).
    today = Client("sk_test_123", api_version="2026-10-28.endive")
    return Session.update(today, session_id, {"metadata": {"order": "1234", "note": ""}})


# -- today's version (2026-10-28.endive): TodaySession, typed by today's TypedDicts and answer -----------------


def configure_today() -> Client:
    return today_client("sk_test_123", api_base="http://localhost:12111", max_network_retries=2, sleep=lambda s: None)


def embedded_checkout(client: Client, email: str) -> str | None:
    params: today_types.SessionCreateParams = {
        "mode": "payment",
        "ui_mode": "embedded_page",
        "return_url": "https://example.com/return?session_id={CHECKOUT_SESSION_ID}",
        "customer_email": email,
        "line_items": [{"price": "price_1LbTsHirt", "quantity": 2, "adjustable_quantity": {"enabled": True}}],
        "allowed_payment_method_types": ["card", "klarna"],
        "custom_fields": [{"key": "engraving", "label": {"type": "custom", "custom": "Engraving"}, "type": "text"}],
        "metadata": {"order_id": "1234"},
    }
    session: TodaySession = TodaySession.create(client, params, idempotency_key="order-1234")
    ui_mode: str | None = session.ui_mode
    collected: dict[str, Any] | None = session.collected_information
    assert ui_mode == "embedded_page" or collected is not None
    return session.client_secret


def hosted_checkout(client: Client) -> str | None:
    session = TodaySession.create(
        client,
        {"mode": "payment", "ui_mode": "hosted_page", "success_url": "https://example.com/ok", "line_items": []},
    )
    return session.url


def inspect_today(client: Client, session_id: str) -> list[str | None]:
    session = TodaySession.retrieve(client, session_id, expand=["line_items"])
    descriptions: list[str | None] = []
    if session.line_items is not None:
        descriptions += [item.description for item in session.line_items.auto_paging_iter()]
    page: ListObject[TodayLineItem] = TodaySession.list_line_items(client, session_id, {"limit": 100})
    return descriptions + [item.description for item in page]


def sweep_today(client: Client) -> int:
    expired = 0
    open_sessions: ListObject[TodaySession] = TodaySession.list(client, {"status": "open", "limit": 100})
    for session in open_sessions.auto_paging_iter():
        TodaySession.expire(client, session.id, idempotency_key=f"expire-{session.id}")
        expired += 1
    TodaySession.list(client, {"created": {"gte": 1_700_000_000}, "customer_details": {"email": "a@example.com"}})
    TodaySession.list(client, {"created": 1_700_000_000})
    TodaySession.list(client)
    return expired


def update_today(client: Client, session_id: str) -> dict[str, str] | None:
    updated = TodaySession.update(client, session_id, {"metadata": {"order": "1234", "note": ""}})
    return updated.metadata
