"""Every object the fake answers with fits the response schema generated from Stripe's spec.

A walk over each answer checks, at every nested object, that the always-present fields (required or nullable)
are there, that no field is unknown to the schema, and that scalars have the schema's types.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_checkout.fake import CheckoutFake
from pytest_checkout.fake.shapes import present_keys
from pytest_checkout.schema import nodes
from pytest_checkout.schema.v2022_08_01 import CHECKOUT_SESSION, ITEM, RESOURCES

NOW = 1_700_000_000
KEY = "sk_test_conformance"


def misfits(node: nodes.Node, value: Any, path: str = "") -> list[str]:
    """Where ``value`` does not fit ``node``, as readable paths."""
    if value is None:
        return [] if node.nullable else [f"{path}: null where the schema has no null"]
    if isinstance(node, nodes.Object):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where an object belongs"]
        if not node.properties:  # opaque (an embedded object the shallow schemas do not describe)
            return []
        found = [f"{path}.{k}: missing" for k in present_keys(node) if k not in value]
        found += [f"{path}.{k}: not in the schema" for k in value if k not in node.properties]
        for key, item in value.items():
            if key in node.properties:
                found += misfits(node.properties[key], item, f"{path}.{key}")
        return found
    if isinstance(node, nodes.Array):
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [m for i, item in enumerate(value) for m in misfits(node.items, item, f"{path}[{i}]")]
    if isinstance(node, nodes.Map):
        return [] if isinstance(value, dict) else [f"{path}: not a map"]
    if isinstance(node, nodes.Expandable):
        return [] if isinstance(value, str | dict) else [f"{path}: neither an id nor an object"]
    if isinstance(node, nodes.AnyOf):
        options = [misfits(option, value, path) for option in node.options]
        return [] if any(not o for o in options) else options[0]
    if isinstance(node, nodes.Boolean):
        return [] if isinstance(value, bool) else [f"{path}: not a boolean"]
    if isinstance(node, nodes.Integer):
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: not an integer"]
    if isinstance(node, nodes.Number):
        return [] if isinstance(value, int | float) else [f"{path}: not a number"]
    if isinstance(node, nodes.String):
        if not isinstance(value, str):
            return [f"{path}: not a string"]
        if node.enum and value not in node.enum:
            return [f"{path}: {value!r} is not one of {node.enum}"]
    return []


def session_params(mode: str, **extra: Any) -> dict[str, Any]:
    price = {"currency": "eur", "product_data": {"name": "Thing"}, "unit_amount": 1200}
    if mode == "subscription":
        price["recurring"] = {"interval": "month", "interval_count": 3}
    params: dict[str, Any] = {
        "mode": mode,
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/no",
        **extra,
    }
    if mode == "setup":
        params["payment_method_types"] = ["card"]
    else:
        params["line_items"] = [{"price_data": price, "quantity": 2}, {"price_data": price, "quantity": 1}]
    return params


EXTRAS: list[dict[str, Any]] = [
    {},
    {
        "payment_method_types": ["card", "sepa_debit"],
        "payment_method_options": {"sepa_debit": {"setup_future_usage": "off_session"}},
        "consent_collection": {"promotions": "auto", "terms_of_service": "required"},
        "shipping_address_collection": {"allowed_countries": ["FR", "DE"]},
        "shipping_options": [
            {
                "shipping_rate_data": {
                    "display_name": "Colissimo",
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 490, "currency": "eur"},
                }
            }
        ],
        "after_expiration": {"recovery": {"enabled": True}},
        "automatic_tax": {"enabled": True},
        "phone_number_collection": {"enabled": True},
        "metadata": {"order": "7"},
        "locale": "fr",
    },
]


@pytest.mark.parametrize("extra", EXTRAS, ids=["plain", "with-options"])
@pytest.mark.parametrize("mode", ["payment", "subscription", "setup"])
def test_every_answer_of_a_session_lifecycle_fits_the_schema(mode, extra):
    if mode != "payment":
        extra = {k: v for k, v in extra.items() if k not in ("payment_method_types", "payment_method_options")}
        if mode == "setup":
            extra.pop("consent_collection", None)
            extra.pop("shipping_address_collection", None)
            extra.pop("shipping_options", None)
    fake = CheckoutFake(seed=5, now=NOW)
    account = fake.account(KEY)
    created = fake.create_session(account, session_params(mode, **extra) | {"expand": ["line_items"]})
    assert misfits(CHECKOUT_SESSION, created) == []
    items = fake.list_line_items(account, created["id"], {})
    for item in items["data"]:
        assert misfits(ITEM, item) == []
    fake.complete(created["id"], payment_method_type="card")
    expand = ["line_items", "customer", "payment_intent", "setup_intent", "subscription"]
    done = fake.retrieve_session(account, created["id"], {"expand": expand})
    assert misfits(CHECKOUT_SESSION, done) == []
    for field in ("customer", "payment_intent", "setup_intent", "subscription"):
        if isinstance(done[field], dict):
            assert misfits(RESOURCES[field], done[field]) == [], field
    listed = fake.list_sessions(account, {"expand": ["data.line_items"]})
    for session in listed["data"]:
        assert misfits(CHECKOUT_SESSION, session) == []
    other = fake.create_session(account, session_params(mode, **extra))
    expired = fake.expire_session(account, other["id"], {})
    assert misfits(CHECKOUT_SESSION, expired) == []
    for event in fake.events:
        assert misfits(CHECKOUT_SESSION, event.data_object) == []


def test_the_checker_finds_what_does_not_fit():
    fake = CheckoutFake(seed=5, now=NOW)
    session = fake.create_session(fake.account(KEY), session_params("payment"))
    broken = {**session, "status": "paid", "surprise": 1}
    del broken["currency"]
    assert sorted(misfits(CHECKOUT_SESSION, broken)) == [
        ".currency: missing",
        ".status: 'paid' is not one of ('complete', 'expired', 'open')",
        ".surprise: not in the schema",
    ]
