"""The strategies for today's API: ``create_params(api_version=...)`` draws what the fake accepts in that version.

Every example goes to the fake through the official SDK pinned to the version, as an application sends it. The
property tests run under the profile loaded (``--hypothesis-profile checkout-ci``: 200 examples each). The
coverage tests look for each value with ``hypothesis.find`` over many examples, or assert what no example may
have: neither depends on which examples a run happens to draw (Hypothesis's runs differ with the process's
state, such as the modules imported before), so they can not flake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from pytest_checkout import rules, strategies, versions
from pytest_checkout.fake import CheckoutFake
from pytest_checkout.fake.builders import Builder
from pytest_checkout.fake.transports import CheckoutHTTPClient
from pytest_checkout.rules.tables import ARRAY_LIMITS, PAYMENT_METHOD_CURRENCIES
from pytest_checkout.schema import nodes
from pytest_checkout.strategies import today

ENDIVE = "2026-10-28.endive"
FIRST_ENDIVE = "2026-09-30.endive"
DAHLIA = "2026-03-25.dahlia"
CLOVER = "2025-09-30.clover"
#: The profile's example count and no more; no deadline (the first examples build the strategies).
PROPERTY = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None
)
#: For the searches: derandomized, no shrinking (the first example found will do), up to 1,500 examples.
SEARCH = settings(
    settings.get_profile("default"),
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=1500,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
#: For the tests that look at every example of a run.
SCAN = settings(SEARCH, max_examples=300)


@pytest.fixture(scope="module")
def fake() -> CheckoutFake:
    found = CheckoutFake()
    strategies.register_references(found)
    return found


def _client(fake: CheckoutFake, version: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_strategies", http_client=CheckoutHTTPClient(fake), stripe_version=version, max_network_retries=0
    )


def _create(fake: CheckoutFake, version: str, params: Any) -> dict[str, Any]:
    """The session the fake answers, through the SDK pinned to ``version``; a refusal fails with its message."""
    try:
        session: dict[str, Any] = _client(fake, version).v1.checkout.sessions.create(params=params).to_dict()
    except stripe.InvalidRequestError as error:
        raise AssertionError(f"refused ({error.param}): {error.user_message}\n{params}") from error
    return session


def _find(version: str, condition: Callable[[dict[str, Any]], bool], **pinned: Any) -> dict[str, Any]:
    found: dict[str, Any] = find(strategies.create_params(api_version=version, **pinned), condition, settings=SEARCH)
    return found


def _scan(version: str, **pinned: Any) -> list[dict[str, Any]]:
    """Every example of one run."""
    seen: list[dict[str, Any]] = []

    @SCAN
    @given(strategies.create_params(api_version=version, **pinned))
    def collect(params: dict[str, Any]) -> None:
        seen.append(params)

    collect()
    return seen


def _ui_modes(version: str) -> tuple[str, ...]:
    """The version's ``ui_mode`` values, read off its schema."""
    node = versions.resolve(version).version.create_params.properties["ui_mode"]
    assert isinstance(node, nodes.String)
    return node.enum or ()


def _masked(value: Any) -> Any:
    """``value`` with its times left out (the strategies read the clock for them)."""
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, int) and value > 1_000_000_000:
        return "<time>"
    return value


# -- every example is accepted ---------------------------------------------------------------------------------


@PROPERTY
@given(params=strategies.create_params(api_version=ENDIVE))
def test_every_example_of_today_s_api_is_accepted_by_the_fake(fake: CheckoutFake, params: dict[str, Any]) -> None:
    assert "payment_method_types" not in params  # refused as unknown since 2026-09-30.endive
    assert not set(today.LEFT_OUT) & set(params)
    session = _create(fake, ENDIVE, params)
    assert session["mode"] == params["mode"]
    assert session["ui_mode"] == params.get("ui_mode", "hosted_page")
    if "allowed_payment_method_types" in params:
        assert session["allowed_payment_method_types"] == params["allowed_payment_method_types"]
        # The filter keeps at least the first method, which takes the session's currency.
        assert params["allowed_payment_method_types"][0] in session["payment_method_types"]
    assert len(session["custom_fields"]) == len(params.get("custom_fields", []))


@pytest.mark.parametrize("version", [CLOVER, DAHLIA, FIRST_ENDIVE])
def test_every_example_of_the_versions_between_is_accepted_by_the_fake(fake: CheckoutFake, version: str) -> None:
    has_methods = "payment_method_types" in versions.resolve(version).version.create_params.properties

    @PROPERTY
    @given(strategies.create_params(api_version=version))
    def check(params: dict[str, Any]) -> None:
        # The methods go where the version's schema has them: payment_method_types while it has it.
        assert ("allowed_payment_method_types" if has_methods else "payment_method_types") not in params
        if params.get("ui_mode") is not None:
            assert params["ui_mode"] in _ui_modes(version)
        session = _create(fake, version, params)
        assert session["ui_mode"] == params.get("ui_mode", "hosted" if version < DAHLIA else "hosted_page")

    check()


@pytest.mark.parametrize("mode", ["payment", "setup", "subscription"])
def test_each_mode_of_today_s_api(fake: CheckoutFake, mode: str) -> None:
    @settings(PROPERTY, max_examples=40)
    @given(strategies.create_params(api_version=ENDIVE, mode=mode))
    def check(params: dict[str, Any]) -> None:
        assert params["mode"] == mode
        if mode == "setup":
            # The SDK's docs: a currency, or allowed_payment_method_types (the fake refuses the currency).
            assert "allowed_payment_method_types" in params
            assert "currency" not in params
        if mode != "payment":
            assert "invoice_creation" not in params
        _create(fake, ENDIVE, params)

    check()


def test_pinned_payment_methods_go_in_allowed_payment_method_types_from_endive(fake: CheckoutFake) -> None:
    @settings(PROPERTY, max_examples=30)
    @given(
        strategies.create_params(
            api_version=ENDIVE, mode="payment", payment_method_types=["card", "ideal"], currency="eur"
        ),
        strategies.create_params(api_version=CLOVER, mode="payment", payment_method_types=["card", "ideal"]),
    )
    def check(endive: dict[str, Any], clover: dict[str, Any]) -> None:
        assert endive["allowed_payment_method_types"] == ["card", "ideal"]
        assert "payment_method_types" not in endive
        assert clover["payment_method_types"] == ["card", "ideal"]
        assert "allowed_payment_method_types" not in clover
        assert _create(fake, ENDIVE, endive)["payment_method_types"] == ["card", "ideal"]
        assert _create(fake, CLOVER, clover)["currency"] == "eur"  # the one currency both methods take

    check()


# -- coverage --------------------------------------------------------------------------------------------------


def test_endive_names_allowed_methods_and_never_payment_method_types(fake: CheckoutFake) -> None:
    found = _find(ENDIVE, lambda p: len(p.get("allowed_payment_method_types", [])) == 3)
    session = _create(fake, ENDIVE, found)
    assert session["allowed_payment_method_types"] == found["allowed_payment_method_types"]
    # Some of today's methods the rules know no currencies of: only after the first, which sets the currency.
    unknown = _find(ENDIVE, lambda p: any(m not in PAYMENT_METHOD_CURRENCIES for m in _allowed(p)))
    assert _allowed(unknown)[0] in PAYMENT_METHOD_CURRENCIES
    _create(fake, ENDIVE, unknown)
    seen = _scan(ENDIVE)
    assert not [p for p in seen if "payment_method_types" in p]
    assert sum("allowed_payment_method_types" in p for p in seen) > len(seen) / 4


def _allowed(params: dict[str, Any]) -> list[str]:
    allowed: list[str] = params.get("allowed_payment_method_types", [])
    return allowed


@pytest.mark.parametrize("version", [CLOVER, ENDIVE])
def test_every_ui_mode_of_the_version_appears_and_is_accepted(fake: CheckoutFake, version: str) -> None:
    values = _ui_modes(version)
    assert len(values) == (3 if version == CLOVER else 4)
    for value in values:

        def has_it(params: dict[str, Any], value: str = value) -> bool:
            return params.get("ui_mode") == value

        found = _find(version, has_it)
        assert _create(fake, version, found)["ui_mode"] == value
        on_the_page = versions.TODAYS_NAMES["ui_mode"].get(value, value) in rules.ui.ON_THE_MERCHANTS_PAGE
        assert ("success_url" in found) is not on_the_page
        assert ("return_url" in found) is (on_the_page and found.get("redirect_on_completion") != "never")
    hosted = _find(version, lambda p: "ui_mode" not in p)
    assert "success_url" in hosted
    assert "return_url" not in hosted
    _create(fake, version, hosted)


def test_a_session_on_the_merchant_s_page_may_never_redirect(fake: CheckoutFake) -> None:
    never = _find(ENDIVE, lambda p: p.get("redirect_on_completion") == "never")
    assert not {"return_url", "success_url", "cancel_url"} & set(never)
    assert _create(fake, ENDIVE, never)["redirect_on_completion"] == "never"
    elements = _find(ENDIVE, lambda p: p.get("ui_mode") == "elements")
    assert not set(rules.ui.NOT_WITH_ELEMENTS) & set(elements)


@pytest.mark.parametrize("kind", ["dropdown", "numeric", "text"])
def test_custom_fields_of_each_type_appear_and_are_accepted(fake: CheckoutFake, kind: str) -> None:
    found = _find(ENDIVE, lambda p: any(f["type"] == kind and len(f[kind]) > 1 for f in p.get("custom_fields", [])))
    fields = found["custom_fields"]
    assert 1 <= len(fields) <= 3  # the SDK's docs: up to 3
    assert len({f["key"] for f in fields}) == len(fields)
    for field in fields:
        assert set(field) <= {"key", "label", "optional", "type", field["type"]}
        assert field["label"]["type"] == "custom"
        inner = field[field["type"]]
        if field["type"] == "dropdown":
            values = [option["value"] for option in inner["options"]]
            assert len(set(values)) == len(values)
            assert inner.get("default_value", values[0]) in values
        else:
            low, high = inner.get("minimum_length", 1), inner.get("maximum_length", 255)
            assert low <= len(inner.get("default_value", "x" * low)) <= high
    session = _create(fake, ENDIVE, found)
    assert [f["type"] for f in session["custom_fields"]] == [f["type"] for f in fields]
    assert len(fields) <= ARRAY_LIMITS["custom_fields"]  # the fake's limit, which the walk takes


@pytest.mark.parametrize(
    "name",
    [
        "adaptive_pricing",
        "branding_settings",
        "custom_text",
        "excluded_payment_method_types",
        "invoice_creation",
        "name_collection",
        "optional_items",
        "origin_context",
        "permissions",
        "saved_payment_method_options",
        "wallet_options",
    ],
)
def test_each_of_today_s_parameters_appears_and_is_accepted(fake: CheckoutFake, name: str) -> None:
    found = _find(ENDIVE, lambda p: name in p)
    session = _create(fake, ENDIVE, found)
    if name == "invoice_creation":
        assert found["mode"] == "payment"
        assert session["invoice_creation"]["enabled"] is found["invoice_creation"]["enabled"]
    if name == "excluded_payment_method_types":
        assert "allowed_payment_method_types" not in found
        # Never what the fake's account offers when a session names no methods (cards), or none would be left.
        assert not set(Builder.payment_method_types({}, None)) & set(found[name])
    if name == "optional_items":
        (item,) = found[name]
        assert item["price"] in {price for price, _ in strategies.PRICES.values()}


def test_what_no_example_of_today_s_api_has() -> None:
    for params in _scan(ENDIVE):
        assert not set(today.LEFT_OUT) & set(params)
        assert params["mode"] == "payment" or "invoice_creation" not in params
        assert params["mode"] != "setup" or not {"optional_items", "saved_payment_method_options"} & set(params)
        for key in ("icon", "logo"):
            icon = params.get("branding_settings", {}).get(key)
            if icon is not None:  # the object's type names the one key beside it
                assert set(icon) == {"type", icon["type"]}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (lambda p: "payment_method_types" in p, "payment_method_types"),
        (lambda p: p.get("ui_mode") == "embedded", "embedded"),
    ],
    ids=["payment_method_types", "embedded"],
)
def test_clover_takes_payment_method_types_and_the_old_ui_mode_names(
    fake: CheckoutFake, condition: Callable[[dict[str, Any]], bool], expected: str
) -> None:
    found = _find(CLOVER, condition)
    session = _create(fake, CLOVER, found)
    if expected == "embedded":
        assert session["ui_mode"] == "embedded"
        assert "return_url" in found or found.get("redirect_on_completion") == "never"
    else:
        assert "allowed_payment_method_types" not in found
        assert session["payment_method_types"] == found["payment_method_types"]


# -- the other strategies, and versions ----------------------------------------------------------------------


def test_payment_method_options_of_today_s_methods() -> None:
    old = set(strategies.schema_node("payment_method_options").properties)  # type: ignore[attr-defined]
    found = find(
        strategies.payment_method_options(api_version=ENDIVE),
        lambda options: bool(set(options) - old),
        settings=SEARCH,
    )
    assert set(found) - old  # paypal, revolut_pay...: options the seed's version does not have

    @SCAN
    @given(strategies.payment_method_options())
    def check(options: dict[str, Any]) -> None:
        assert set(options) <= old

    check()


@SCAN
@given(
    strategies.line_items(currency="usd", api_version=ENDIVE),
    strategies.price_data(currency="gbp", recurring=True, api_version=ENDIVE),
    strategies.shipping_options(currency="eur", api_version=ENDIVE),
    strategies.customer_update(api_version=ENDIVE),
)
def test_the_strategies_per_type_take_a_version(
    items: list[dict[str, Any]], data: dict[str, Any], shipping: list[dict[str, Any]], update: dict[str, Any]
) -> None:
    assert all(item.get("price_data", {}).get("currency", "usd") == "usd" for item in items)
    assert data["currency"] == "gbp"
    assert "recurring" in data
    for option in shipping:
        rate = option.get("shipping_rate_data")
        if rate is not None and rate.get("type") is not None:
            assert "fixed_amount" in rate  # today: the type names the key that goes with it
    assert set(update) <= {"address", "name", "shipping"}


def test_the_default_version_by_name_is_the_default_strategy() -> None:
    def run(strategy: st.SearchStrategy[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []

        @settings(SCAN, max_examples=30)
        @given(strategy)
        def collect(params: dict[str, Any]) -> None:
            seen.append(_masked(params))

        collect()
        return seen

    run(strategies.create_params())  # imports what the first draws import: both runs below see one process
    assert run(strategies.create_params(api_version=versions.API_VERSION)) == run(strategies.create_params())
    assert not [p for p in run(strategies.create_params(api_version=None)) if "ui_mode" in p]


@pytest.mark.parametrize("version", ["2019-01-01", "2099-01-01", "not-a-version", ""])
def test_a_version_the_fake_can_not_place_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match=f"API version {version!r} is not one the fake can answer"):
        strategies.create_params(api_version=version)
    with pytest.raises(ValueError, match="registered one"):
        strategies.payment_method_options(api_version=version)


def test_ui_facts_are_the_rules_answers() -> None:
    assert today.ui_facts(ENDIVE, None) == (frozenset({"success_url"}), frozenset({"permissions", "return_url"}))
    needed, refused = today.ui_facts(ENDIVE, "elements")
    assert needed == {"return_url"}
    assert {"success_url", "cancel_url", "optional_items", *rules.ui.NOT_WITH_ELEMENTS} <= refused
    never = today.ui_facts(ENDIVE, "embedded_page", "never")
    assert never == (frozenset(), frozenset({"cancel_url", "return_url", "success_url"}))
    assert today.ui_facts(CLOVER, "embedded") == today.ui_facts(CLOVER, "embedded", "always")
    assert today.ui_facts(CLOVER, "embedded")[0] == {"return_url"}
