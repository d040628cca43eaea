"""The Hypothesis strategies: valid params pass the validator and the fake, invalid ones fail as predicted."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from pytest_checkout import codec, strategies
from pytest_checkout.errors import StripeError
from pytest_checkout.fake import EVENT_TYPES, CheckoutFake, Event, handle, sign
from pytest_checkout.schema import nodes
from pytest_checkout.validation import validate_create_params
from pytest_checkout.versions import DEFAULT, types

from .test_fake_conformance import misfits

# From Hypothesis's default profile, not the one loaded (``--hypothesis-profile checkout-ci`` in CI): the runs
# here are derandomized, and their examples (the coverage test counts them) the same under every profile.
QUIET = settings(
    settings.get_profile("default"),
    database=None,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
HEADERS = {"Authorization": "Bearer sk_test_strategies", "Content-Type": "application/x-www-form-urlencoded"}


def _post(fake: CheckoutFake, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = handle(fake, "POST", "https://api.stripe.com/v1/checkout/sessions", HEADERS, codec.encode_body(params))
    return response.status, json.loads(response.body)


def _item_currency(item: dict[str, Any]) -> str:
    """A line item's currency: its price_data's, or that of the price it names (one of ``strategies.PRICES``)."""
    if "price" in item:
        (currency,) = [c for c, (price, _) in strategies.PRICES.items() if price == item["price"]]
        return currency
    currency: str = item["price_data"]["currency"]
    return currency


@pytest.fixture(scope="module")
def fake() -> CheckoutFake:
    found = CheckoutFake()
    strategies.register_references(found)
    return found


def test_the_dispatch_table_covers_every_node_kind() -> None:
    assert set(strategies.NODE_STRATEGIES) == set(nodes.NODE_KINDS)


def test_valid_params_pass_the_validator_and_the_fake(fake: CheckoutFake) -> None:
    @settings(QUIET, max_examples=150)
    @given(strategies.create_params())
    def check(params: dict[str, Any]) -> None:
        validate_create_params(params)
        status, answer = _post(fake, params)
        assert status == 200, answer

    check()


@pytest.mark.parametrize("mode", ["payment", "setup", "subscription"])
def test_each_mode_gives_valid_params(fake: CheckoutFake, mode: str) -> None:
    @settings(QUIET, max_examples=60)
    @given(strategies.create_params(mode=mode))
    def check(params: dict[str, Any]) -> None:
        assert params["mode"] == mode
        status, answer = _post(fake, params)
        assert status == 200, answer

    check()


def test_pinned_payment_methods_and_currency(fake: CheckoutFake) -> None:
    @settings(QUIET, max_examples=40)
    @given(strategies.create_params(mode="payment", payment_method_types=["card", "ideal"], currency="eur"))
    def check(params: dict[str, Any]) -> None:
        assert params["payment_method_types"] == ["card", "ideal"]
        assert {_item_currency(item) for item in params["line_items"]} == {"eur"}
        status, answer = _post(fake, params)
        assert status == 200, answer

    check()


def test_invalid_params_fail_with_the_predicted_param_and_code(fake: CheckoutFake) -> None:
    seen: Counter[str | None] = Counter()

    @settings(QUIET, max_examples=150)
    @given(strategies.invalid_create_params())
    def check(case: tuple[dict[str, Any], str | None, str | None]) -> None:
        params, param, code = case
        with pytest.raises(StripeError) as raised:
            validate_create_params(params)
        assert (raised.value.param, raised.value.code) == (param, code), raised.value.message
        status, answer = _post(fake, params)
        assert status == 400
        assert (answer["error"].get("param"), answer["error"].get("code")) == (param, code)
        seen[code] += 1

    check()
    assert {"parameter_unknown", "parameter_missing", "parameter_invalid_empty", None} <= set(seen)


# -- Coverage ------------------------------------------------------------------------------------------------


def _enum_values(node: nodes.Node, path: str) -> Iterator[tuple[str, str]]:
    """Every (schema path, value) an enum of the create params allows (removed params left out)."""
    if isinstance(node, nodes.String) and node.enum is not None:
        for value in node.enum:
            yield path, value
    elif isinstance(node, nodes.Object):
        for key, child in node.properties.items():
            yield from _enum_values(child, f"{path}[{key}]" if path else key)
    elif isinstance(node, nodes.Array):
        yield from _enum_values(node.items, f"{path}[]")
    elif isinstance(node, nodes.Map):
        yield from _enum_values(node.values, f"{path}[*]")
    elif isinstance(node, nodes.AnyOf):
        for option in node.options:
            yield from _enum_values(option, path)


def _values(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            at = f"{path}[{key}]" if path else key
            if path.rstrip("]").endswith(("currency_options", "metadata")):
                at = f"{path}[*]"
            yield from _values(child, at)
    elif isinstance(value, list):
        for child in value:
            yield from _values(child, f"{path}[]")
    else:
        yield path, value


ENUMS = frozenset(_enum_values(DEFAULT.create_params, ""))


def test_two_thousand_examples_cover_every_method_option_and_enum_value() -> None:
    methods: Counter[str] = Counter()
    options: Counter[str] = Counter()
    values: Counter[tuple[str, str]] = Counter()

    @settings(QUIET, max_examples=2000, phases=[Phase.generate])
    @given(strategies.create_params())
    def collect(params: dict[str, Any]) -> None:
        methods.update(params.get("payment_method_types", []))
        options.update(list(params.get("payment_method_options", {})))
        values.update(pair for pair in _values(params, "") if pair in ENUMS)

    collect()
    option_keys = set(strategies.schema_node("payment_method_options").properties)  # type: ignore[attr-defined]
    assert set(methods) == set(strategies.PAYMENT_METHOD_TYPES)
    assert set(options) == option_keys
    missing = sorted(ENUMS - set(values))
    assert not missing, (len(missing), missing)
    assert len(ENUMS) > 400  # every enum of the create params: the walk above found them all


# -- Shrinking, per-type strategies, answers -------------------------------------------------------------------


def test_a_failing_property_shrinks_to_the_required_keys() -> None:
    found = find(
        strategies.create_params(mode="payment"),
        lambda params: True,
        settings=settings(QUIET, max_examples=50, phases=[Phase.generate, Phase.shrink]),
    )
    assert set(found) == {"mode", "success_url", "line_items"}
    (item,) = found["line_items"]
    assert set(item) == {"price_data", "quantity"}
    assert set(item["price_data"]) == {"currency", "product_data", "unit_amount"}
    assert set(item["price_data"]["product_data"]) == {"name"}


@settings(QUIET, max_examples=50)
@given(
    strategies.line_items(currency="usd"),
    strategies.price_data(currency="gbp", recurring=True),
    strategies.shipping_options(currency="eur"),
    strategies.customer_update(),
    strategies.payment_method_options(methods=["card", "konbini"]),
)
def test_the_strategies_per_type(
    items: list[dict[str, Any]],
    data: dict[str, Any],
    shipping: list[dict[str, Any]],
    update: dict[str, Any],
    options: dict[str, Any],
) -> None:
    assert 1 <= len(items) <= 3
    assert all(_item_currency(item) == "usd" for item in items)
    assert data["currency"] == "gbp"
    assert "recurring" in data
    assert all(
        option.get("shipping_rate_data", {}).get("fixed_amount", {}).get("currency", "eur") == "eur"
        for option in shipping
    )
    assert set(update) <= {"address", "name", "shipping"}
    assert set(options) <= {"card", "konbini"}
    validate_create_params(
        {
            "mode": "payment",
            "success_url": "https://a.example/",
            "line_items": items,
            "shipping_options": shipping,
            "payment_method_options": options,
        }
    )


@settings(QUIET, max_examples=20)
@given(
    strategies.sessions(status="complete"),
    strategies.sessions(mode="setup", status="expired"),
    strategies.line_items_lists(),
)
def test_sessions_and_line_item_lists_are_the_fakes_answers(
    complete: dict[str, Any], expired: dict[str, Any], listed: dict[str, Any]
) -> None:
    assert complete["object"] == "checkout.session"
    assert complete["status"] == "complete"
    assert (expired["mode"], expired["status"]) == ("setup", "expired")
    assert listed["object"] == "list"
    assert listed["data"]
    assert listed["data"][0]["object"] == "item"
    # Each fits the spec's response schema, field by field (the conformance tests' checker), but for one field
    # where live Stripe and the 2022-08-01 spec differ: without a cancel_url given, live Stripe answers null
    # (seen), where the spec has a string.
    for session in (complete, expired):
        live_only = [] if session["cancel_url"] is not None else [".cancel_url: null where the schema has no null"]
        assert misfits(DEFAULT.checkout_session, session) == live_only
    for item in listed["data"]:
        assert misfits(DEFAULT.item, item) == []


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_events_of_each_type_are_signed_events(kind: str) -> None:
    @settings(QUIET, max_examples=5)
    @given(strategies.events(type=kind))
    def check(event: Event) -> None:
        assert isinstance(event, Event)
        assert event.type == kind
        assert sign(event.payload(), "whsec_test", 1).startswith("t=1,v1=")

    check()


@settings(QUIET, max_examples=30)
@given(st.from_type(types.SessionCreateParams))  # type: ignore[type-abstract]
def test_from_type_gives_valid_params(params: dict[str, Any]) -> None:
    validate_create_params(params)


# -- A strategy per type of the Session client --------------------------------------------------------------

#: The type names of the Session client's params (its documentation page), each with a strategy named after it.
SEED_TYPES = [
    "acss_debit",
    "address",
    "adjustable_quantity",
    "affirm",
    "after_expiration",
    "afterpay_clearpay",
    "alipay",
    "au_becs_debit",
    "automatic_tax",
    "bacs_debit",
    "bancontact",
    "bank_transfer",
    "boleto",
    "card",
    "consent_collection",
    "customer_balance",
    "customer_details",
    "customer_update",
    "discounts",
    "eps",
    "eu_bank_transfer",
    "financial_connections",
    "fixed_amount",
    "fpx",
    "giropay",
    "grabpay",
    "ideal",
    "installments",
    "klarna",
    "konbini",
    "line_items",
    "mandate_options",
    "maximum",
    "minimum",
    "oxxo",
    "p24",
    "payment_intent_data",
    "payment_method_options",
    "paynow",
    "phone_number_collection",
    "pix",
    "price_data",
    "product_data",
    "recovery",
    "recurring",
    "sepa_debit",
    "setup_intent_data",
    "shipping",
    "shipping_address_collection",
    "shipping_options",
    "shipping_rate_data",
    "sofort",
    "subscription_data",
    "t",
    "tax_id_collection",
    "transfer_data",
    "us_bank_account",
    "wechat_pay",
]


def test_every_type_of_the_client_has_a_strategy_named_after_it() -> None:
    assert len(SEED_TYPES) == 58
    assert set(SEED_TYPES) <= set(strategies.named.names())
    for name in SEED_TYPES:
        assert isinstance(getattr(strategies, name)(), st.SearchStrategy), name
    with pytest.raises(AttributeError, match="no attribute 'no_such_type'"):
        strategies.no_such_type  # noqa: B018 - the attribute access is the test


@pytest.mark.parametrize("name", [n for n in SEED_TYPES if n not in ("t", "customer_details")])
def test_each_type_strategy_draws_values_valid_at_its_path(name: str) -> None:
    from pytest_checkout.validation import _structural_problems

    (path, *_) = strategies.named.paths_of(name)
    node = strategies.schema_node(path)

    @settings(QUIET, max_examples=10)
    @given(getattr(strategies, name)())
    def check(value: Any) -> None:
        problems = _structural_problems(node, value)
        assert not problems, (path, value, [p.message for p in problems])

    check()


def test_a_type_at_more_than_one_path_takes_at() -> None:
    paths = strategies.named.paths_of("transfer_data")
    assert paths == ("payment_intent_data[transfer_data]", "subscription_data[transfer_data]")
    value = find(strategies.transfer_data(at=paths[1]), lambda v: True, settings=settings(QUIET))
    assert set(value) == {"destination"}
    with pytest.raises(ValueError, match="does not stand at"):
        strategies.transfer_data(at="line_items[]")


def test_every_nested_typed_dict_says_its_path() -> None:
    found = strategies.typed_dict_paths()
    assert len(found) >= 59  # every nested TypedDict of the live create params
    assert found[types.SessionCreateParamsLineItem] == "line_items[]"


@pytest.mark.parametrize("cls", list(strategies.typed_dict_paths()), ids=lambda cls: cls.__name__)
def test_from_type_of_each_nested_typed_dict_gives_valid_values(cls: type) -> None:
    from pytest_checkout.validation import _structural_problems

    path = strategies.typed_dict_paths()[cls]
    node = strategies.schema_node(path)

    @settings(QUIET, max_examples=5)
    @given(st.from_type(cls))
    def check(value: Any) -> None:
        assert isinstance(value, dict), value
        problems = _structural_problems(node, value)
        assert not problems, (path, value, [p.message for p in problems])

    check()
