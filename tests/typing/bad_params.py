"""Misuses ``mypy --strict`` must reject: each on a line marked ``# error``; the other lines must pass.

tests/test_typing.py checks that mypy reports errors on exactly the marked lines.
"""

from __future__ import annotations

from pytest_checkout.client import Client, Session

S = "https://example.com/success"
C = "https://example.com/cancel"


def misuses(client: Client) -> None:
    Session.create(client, {"sucess_url": S, "cancel_url": C, "mode": "payment"})  # error
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "paymnet"})  # error
    Session.create(
        client,
        {"success_url": S, "cancel_url": C, "mode": "payment", "line_items": [{"quantity": "2"}]},  # error
    )
    Session.create(
        client,
        {
            "success_url": S,
            "cancel_url": C,
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "product_data": {"name": "T-shirt"},
                        "recurring": {"interval": "fortnight"},  # error
                    },
                    "quantity": 1,
                }
            ],
        },
    )
    Session.create(
        client,
        {"success_url": S, "cancel_url": C, "mode": "payment", "automatic_tax": {"enabled": "yes"}},  # error
    )
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "automatic_tax": {}})  # error
    Session.create(client, {"success_url": S})  # error
    Session.create(client, {"success_url": S, "cancel_url": C})  # error
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "metadata": {"order": 1234}})  # error
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment"}, idempotency_key=42)  # error
    Session.retrieve(client, "cs_test_a1", expand="line_items")  # error
    Session.list(client, {"limit": "10"})  # error
    Session.list(client, {"customer_details": {"mail": "jenny.rosen@example.com"}})  # error
    Session.list_line_items(client, "cs_test_a1", {"expand": "data.price"})  # error
    Session.expire(client, "cs_test_a1", {"expand": ["line_items"]})  # error
    Session.create(client, success_url=S, cancel_url=C)  # error
    Session.create({"success_url": S, "cancel_url": C, "mode": "payment"})  # error
    _total: str = Session.retrieve(client, "cs_test_a1").amount_total  # error
    Session.update(client, "cs_test_a1", {"mode": "payment"})  # error
    Session.update(client, "cs_test_a1", {"metadata": {"order": 1}})  # error


def the_same_calls_done_right(client: Client) -> None:
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment"})
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "line_items": [{"quantity": 2}]})
    Session.create(
        client,
        {
            "success_url": S,
            "cancel_url": C,
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "product_data": {"name": "T-shirt"},
                        "recurring": {"interval": "month"},
                    },
                    "quantity": 1,
                }
            ],
        },
    )
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "automatic_tax": {"enabled": True}})
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "metadata": {"order": "1234"}})
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment"}, idempotency_key="42")
    Session.retrieve(client, "cs_test_a1", expand=["line_items"])
    Session.list(client, {"limit": 10})
    Session.list(client, {"customer_details": {"email": "jenny.rosen@example.com"}})
    Session.list_line_items(client, "cs_test_a1", {"expand": ["data.price"]})
    Session.expire(client, "cs_test_a1", ["line_items"])
    total: int | None = Session.retrieve(client, "cs_test_a1").amount_total
    assert total is None or total > 0
