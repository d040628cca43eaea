"""Every object the fake answers with fits the response schema generated from Stripe's spec.

A walk over each answer checks, at every nested object, that the always-present fields (required or nullable)
are there, that no field is unknown to the schema, and that scalars have the schema's types. An expanded
object is checked against the schema of the object it is; an object the schema leaves opaque (the
generator's OPAQUE_COMPONENTS, which the fake never fills) must be null or empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from pytest_checkout.fake import CheckoutFake
from pytest_checkout.fake.shapes import present_keys
from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient
from pytest_checkout.schema import nodes
from pytest_checkout.schema.v2022_08_01 import API_VERSION, CHECKOUT_SESSION, COMPONENTS, ITEM, OPERATIONS, RESOURCES

NOW = 1_700_000_000
KEY = "sk_test_conformance"


def misfits(node: nodes.Node, value: Any, path: str = "") -> list[str]:
    """Where ``value`` does not fit ``node``, as readable paths."""
    if value is None:
        return [] if node.nullable else [f"{path}: null where the schema has no null"]
    if isinstance(node, nodes.Object):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where an object belongs"]
        if not node.properties:  # opaque: the schema does not describe it, and the fake never fills one
            return [] if not value else [f"{path}: an object the schema leaves undescribed, filled"]
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
        if not isinstance(value, dict):
            return [f"{path}: not a map"]
        return [m for key, item in value.items() for m in misfits(node.values, item, f"{path}.{key}")]
    if isinstance(node, nodes.Expandable):
        if isinstance(value, str):
            return []
        if not isinstance(value, dict):
            return [f"{path}: neither an id nor an object"]
        # Expanded: it fits one of the objects the field may name (those the schema describes).
        options = [misfits(COMPONENTS[r], value, path) for r in node.resources if r in COMPONENTS]
        return [] if not options or any(not o for o in options) else options[0]
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


# --- the objects around a session, through the official SDK ----------------------------------------------------


class Answers:
    """A ``StripeClient`` on the fake that checks every answer's raw JSON against its operation's schema."""

    def __init__(self, fake: CheckoutFake) -> None:
        self.fake = fake
        self.client = stripe.StripeClient(
            KEY, http_client=CheckoutHTTPClient(fake), max_network_retries=0, stripe_version=API_VERSION
        )
        self.checked: dict[str, int] = {}

    def check(self, operation: str, answer: Any) -> dict[str, Any]:
        raw = json.loads(answer.last_response.body)
        assert misfits(OPERATIONS[operation].answer, raw) == [], (operation, raw.get("id"))
        self.checked[operation] = self.checked.get(operation, 0) + 1
        return raw


PRODUCT_EXPANSIONS = ["product"]
INTENT_EXPANSIONS = ["customer"]
SUBSCRIPTION_EXPANSIONS = ["customer", "items.data.price.product"]


def around(answers: Answers, session_id: str) -> Iterator[dict[str, Any]]:
    """Every object around one session, each fetched as an application would, each answer checked."""
    v1 = answers.client.v1
    items = v1.checkout.sessions.line_items.list(session_id, params={"expand": ["data.price.product"]})
    for item in answers.check("list_line_items", items)["data"]:
        price = answers.check("retrieve_price", v1.prices.retrieve(item["price"]["id"]))
        answers.check("retrieve_price", v1.prices.retrieve(price["id"], params={"expand": PRODUCT_EXPANSIONS}))
        yield answers.check("retrieve_product", v1.products.retrieve(price["product"]))
    session = answers.check("retrieve", v1.checkout.sessions.retrieve(session_id))
    if session["customer"]:
        yield answers.check("retrieve_customer", v1.customers.retrieve(session["customer"]))
    if session["payment_intent"]:
        params = {"expand": INTENT_EXPANSIONS}
        yield answers.check("retrieve_payment_intent", v1.payment_intents.retrieve(session["payment_intent"], params))
    if session["subscription"]:
        params = {"expand": SUBSCRIPTION_EXPANSIONS}
        yield answers.check("retrieve_subscription", v1.subscriptions.retrieve(session["subscription"], params))
    if session["setup_intent"]:
        params = {"expand": INTENT_EXPANSIONS}
        yield answers.check("retrieve_setup_intent", v1.setup_intents.retrieve(session["setup_intent"], params))


FULL_CUSTOMER: dict[str, Any] = {
    "address": {"city": "Lyon", "country": "FR", "line1": "1 rue de la Paix", "postal_code": "69001"},
    "balance": -500,
    "description": "A regular",
    "email": "ada@example.com",
    "invoice_prefix": "ADA0001",
    "invoice_settings": {
        "custom_fields": [{"name": "VAT", "value": "FR123"}],
        "footer": "Thanks",
        "rendering_options": {"amount_tax_display": "include_inclusive_tax"},
    },
    "metadata": {"crm": "42"},
    "name": "Ada Lovelace",
    "next_invoice_sequence": 7,
    "phone": "+33100000000",
    "preferred_locales": ["fr", "en"],
    "shipping": {"address": {"city": "Lyon", "country": "FR", "line1": "2 rue"}, "name": "Ada", "phone": "+331"},
    "tax_exempt": "reverse",
}


@pytest.mark.parametrize("async_payment", [False, True], ids=["paid", "async"])
def test_every_object_around_a_session_fits_the_schema(async_payment):
    fake = CheckoutFake(seed=5, now=NOW)
    answers = Answers(fake)
    v1 = answers.client.v1
    monthly = fake.add_price(
        unit_amount=900, currency="eur", recurring={"interval": "month", "interval_count": 3}, product_name="Box"
    )
    once = fake.add_price(unit_amount_decimal="1250.5", currency="eur", product_name="Tea")
    created = answers.check("create_customer", v1.customers.create(params=FULL_CUSTOMER))
    answers.check("retrieve_customer", v1.customers.retrieve(created["id"]))
    answers.check("retrieve_customer", v1.customers.retrieve(fake.add_customer(email="bo@example.com")["id"]))
    method = "sepa_debit" if async_payment else "card"
    methods = {"payment_method_types": ["card", "sepa_debit"]}
    sessions = [
        session_params("payment", customer=created["id"], **methods),
        session_params("payment", customer_creation="always", **methods)
        | {"line_items": [{"price": once["id"], "quantity": 3}]},
        session_params("subscription", **methods) | {"line_items": [{"price": monthly["id"], "quantity": 1}]},
        session_params("subscription", customer=created["id"], **methods),
        session_params("setup", customer=created["id"]),
        session_params("setup"),
    ]
    for params in sessions:
        session = v1.checkout.sessions.create(params=params)
        if params["mode"] == "setup":
            list(around(answers, session.id))  # the setup intent exists before the customer pays
            fake.complete(session.id)
        else:
            fake.complete(session.id, payment_method_type=method, async_payment=async_payment)
        objects = list(around(answers, session.id))
        assert objects, params["mode"]
        expanded = v1.checkout.sessions.retrieve(
            session.id, params={"expand": ["customer", "payment_intent", "setup_intent", "subscription"]}
        )
        answers.check("retrieve", expanded)
        if async_payment and params["mode"] != "setup":
            fake.settle_async_payment(session.id, succeeded=params["mode"] == "payment")
            list(around(answers, session.id))
    wanted = {name for name in OPERATIONS if name.startswith(("retrieve_", "create_"))}
    assert len(wanted) == 7
    assert set(answers.checked) >= wanted, wanted - set(answers.checked)


def test_the_checker_looks_inside_expanded_objects_and_opaque_ones():
    fake = CheckoutFake(seed=5, now=NOW)
    customer = fake.add_customer(email="a@example.com")
    session = fake.create_session(fake.account(KEY), session_params("payment", customer=customer["id"]))
    broken = {**session, "customer": {**customer, "surprise": 1}}
    assert misfits(CHECKOUT_SESSION, broken) == [".customer.surprise: not in the schema"]
    intent = OPERATIONS["retrieve_payment_intent"].answer
    assert isinstance(intent, nodes.Object)
    assert misfits(intent.properties["last_payment_error"], {"code": "card_declined"}, ".last_payment_error") == [
        ".last_payment_error: an object the schema leaves undescribed, filled"
    ]
