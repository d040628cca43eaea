"""The generated schema: reproducible from the spec, and covering what the issue and the seed name."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pytest_checkout import versions
from pytest_checkout.schema import nodes
from pytest_checkout.schema import v2022_08_01 as schema
from pytest_checkout.schema import v2022_08_01_types as types

from .conftest import ROOT, SPEC


def test_regenerating_from_the_spec_changes_nothing(tmp_path):
    script = ROOT / "scripts" / "generate_schema.py"
    result = subprocess.run(
        [sys.executable, str(script), str(SPEC), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for generated in sorted(tmp_path.iterdir()):
        committed = ROOT / "pytest_checkout" / "schema" / generated.name
        assert committed.read_text() == generated.read_text(), f"{generated.name} is out of date"
    assert {p.name for p in tmp_path.iterdir()} == {"v2022_08_01.py", "v2022_08_01_types.py"}


def test_check_mode_reports_a_stale_file(tmp_path):
    script = ROOT / "scripts" / "generate_schema.py"
    (tmp_path / "v2022_08_01.py").write_text("# stale\n")
    result = subprocess.run(
        [sys.executable, str(script), str(SPEC), "--out", str(tmp_path), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "v2022_08_01.py" in result.stdout


def test_generator_refuses_a_file_that_is_not_the_spec(tmp_path):
    script = ROOT / "scripts" / "generate_schema.py"
    bogus = tmp_path / "spec.yaml"
    bogus.write_text("openapi: 3.0.0\ninfo: {version: '2020-08-27'}\npaths: {}\ncomponents: {}\n")
    result = subprocess.run(
        [sys.executable, str(script), str(bogus), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "2020-08-27" in result.stdout


CREATE_TOP_LEVEL = {
    "after_expiration", "allow_promotion_codes", "automatic_tax", "billing_address_collection", "cancel_url",
    "client_reference_id", "consent_collection", "currency", "customer", "customer_creation", "customer_email",
    "customer_update", "discounts", "expand", "expires_at", "line_items", "locale", "metadata", "mode",
    "payment_intent_data", "payment_method_collection", "payment_method_options", "payment_method_types",
    "phone_number_collection", "setup_intent_data", "shipping_address_collection", "shipping_options",
    "submit_type", "subscription_data", "success_url", "tax_id_collection",
}  # fmt: skip


def test_create_params_have_the_31_parameters_plus_the_removed_one():
    properties = schema.CREATE_PARAMS.properties
    live = {k for k, v in properties.items() if not isinstance(v, nodes.Removed)}
    assert live == CREATE_TOP_LEVEL
    assert len(live) == 31
    assert isinstance(properties["shipping_rates"], nodes.Removed)
    assert properties["shipping_rates"].since == "2022-08-01"
    # mode is optional in the spec but required since 2022-08-01 (RULES.md); the generator adds it.
    # cancel_url is required by the spec (and the seed's type), not by live Stripe: OPTIONAL_LIVE.
    assert schema.CREATE_PARAMS.required == frozenset({"success_url", "mode"})
    source = (ROOT / "pytest_checkout" / "schema" / "v2022_08_01_types.py").read_text()
    assert "    cancel_url: Required[str]\n" in source


def test_removed_parameters_are_known_as_removed():
    subscription_data = schema.CREATE_PARAMS.properties["subscription_data"]
    assert isinstance(subscription_data, nodes.Object)
    for name in ("coupon", "items", "trial_from_plan"):
        assert isinstance(subscription_data.properties[name], nodes.Removed)
    line_items = schema.CREATE_PARAMS.properties["line_items"]
    assert isinstance(line_items, nodes.Array)
    assert isinstance(line_items.items, nodes.Object)
    for name in ("amount", "currency", "description", "images", "name"):
        removed = line_items.items.properties[name]
        assert isinstance(removed, nodes.Removed)
        assert removed.legacy_line_item


def test_nested_structure_limits_and_empty_strings():
    p = schema.CREATE_PARAMS.properties
    assert p["cancel_url"] == nodes.String(max_length=5000)
    assert p["client_reference_id"] == nodes.String(max_length=200)
    line_item = p["line_items"].items  # type: ignore[attr-defined]
    price_data = line_item.properties["price_data"]
    assert price_data.required == frozenset({"currency"})
    assert price_data.properties["product_data"].required == frozenset({"name"})
    assert price_data.properties["recurring"].required == frozenset({"interval"})
    assert price_data.properties["unit_amount_decimal"].format == "decimal"
    mandate = p["payment_method_options"].properties["acss_debit"].properties["mandate_options"]  # type: ignore[attr-defined]
    assert mandate.properties["custom_mandate_url"].emptyable
    assert not p["success_url"].emptyable
    assert isinstance(p["metadata"], nodes.Map)
    assert p["expires_at"] == nodes.Integer(format="unix-time")
    pmt = p["payment_method_types"]
    assert isinstance(pmt, nodes.Array)
    assert isinstance(pmt.items, nodes.String)
    assert pmt.items.enum is not None
    assert len(pmt.items.enum) == 27
    assert "wechat_pay" in pmt.items.enum
    wechat = p["payment_method_options"].properties["wechat_pay"]  # type: ignore[attr-defined]
    assert wechat.required == frozenset({"client"})


def test_other_operations_parameters():
    ops = schema.OPERATIONS
    assert set(ops) >= {"create", "retrieve", "list", "list_line_items", "expire"}
    assert ops["list"].method == "GET"
    assert ops["list"].path == "/v1/checkout/sessions"
    assert set(ops["list"].params.properties) == {
        "customer", "customer_details", "ending_before", "expand", "limit", "payment_intent",
        "starting_after", "subscription",
    }  # fmt: skip
    assert set(ops["list_line_items"].params.properties) == {
        "ending_before",
        "expand",
        "limit",
        "starting_after",
    }
    assert set(ops["retrieve"].params.properties) == {"expand"}
    assert set(ops["expire"].params.properties) == {"expand"}
    assert ops["expire"].method == "POST"
    assert ops["expire"].path.endswith("/{session}/expire")


def test_session_object_has_44_fields_with_nullability_and_expandables():
    session = schema.CHECKOUT_SESSION
    assert len(session.properties) == 44
    expandable = {k for k, v in session.properties.items() if isinstance(v, nodes.Expandable)}
    assert expandable == {"customer", "payment_intent", "payment_link", "setup_intent", "subscription"}
    assert session.properties["url"].nullable
    assert not session.properties["id"].nullable
    assert session.properties["status"] == nodes.String(enum=("complete", "expired", "open"), nullable=True)
    line_items = session.properties["line_items"]
    assert isinstance(line_items, nodes.Object)
    assert set(line_items.properties) == {
        "data",
        "has_more",
        "object",
        "url",
    }
    customer_details = session.properties["customer_details"]
    assert isinstance(customer_details, nodes.Object)
    assert customer_details.nullable
    assert customer_details.properties["tax_exempt"] == nodes.String(enum=("exempt", "none", "reverse"), nullable=True)
    item = schema.ITEM
    assert {"id", "object", "amount_subtotal", "amount_total", "amount_discount", "amount_tax", "currency",
            "description", "price", "quantity"} <= set(item.properties)  # fmt: skip
    assert schema.OPERATIONS["list"].answer.properties["data"].items is session  # type: ignore[attr-defined]


def spelled_out_enums(source: str) -> Counter[tuple[str, ...]]:
    """How often each tuple of strings is written out: ``("a", "b",)`` and ``Literal["a", "b"]`` alike."""
    return Counter(
        tuple(element.value for element in node.elts)  # type: ignore[attr-defined]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Tuple)
        and node.elts
        and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts)
    )


@pytest.mark.parametrize("module", ["v2022_08_01.py", "v2022_08_01_types.py"])
def test_no_long_enum_is_spelled_out_twice(module):
    source = (ROOT / "pytest_checkout" / "schema" / module).read_text()
    counts = spelled_out_enums(source)
    assert any(len(values) >= 200 for values in counts), "the country list should be in the module"
    repeated = {values[:3]: n for values, n in counts.items() if len(values) >= 20 and n > 1}
    assert not repeated


def test_fields_share_the_enum_constants():
    countries = schema.CREATE_PARAMS.properties["shipping_address_collection"].properties["allowed_countries"]  # type: ignore[attr-defined]
    assert countries.items.enum is schema.ALLOWED_COUNTRIES
    collection = schema.CHECKOUT_SESSION.properties["shipping_address_collection"]
    assert collection.properties["allowed_countries"].items.enum is schema.ALLOWED_COUNTRIES  # type: ignore[attr-defined]
    assert len(schema.ALLOWED_COUNTRIES) > 200
    assert "US" in schema.ALLOWED_COUNTRIES
    assert schema.CREATE_PARAMS.properties["locale"].enum is schema.LOCALE  # type: ignore[attr-defined]
    # The per-parameter aliases of the types module stay, as aliases of the shared one.
    assert types.SessionCreateParamsShippingAddressCollectionAllowedCountries is types.AllowedCountries
    assert types.SessionCreateParamsLocale is types.Locale
    # A short enum that several nodes use is one constant too.
    alipay = schema.CREATE_PARAMS.properties["payment_method_options"].properties["alipay"]  # type: ignore[attr-defined]
    assert alipay.properties["setup_future_usage"].enum is schema.SETUP_FUTURE_USAGE_NONE


def test_the_nodes_module_spells_out_each_enum_once():
    """Not only the long ones: an enum two fields of the nodes module share is a constant as well."""
    source = (ROOT / "pytest_checkout" / "schema" / "v2022_08_01.py").read_text()
    enums = Counter(
        ast.unparse(keyword.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "String"
        for keyword in node.keywords
        if keyword.arg == "enum" and isinstance(keyword.value, ast.Tuple)
    )
    assert enums, "some enums are used once and stay inline"
    assert {text: n for text, n in enums.items() if n > 1} == {}


AROUND_A_SESSION = {
    "retrieve_price": ("GET", "/v1/prices/{price}", {"expand"}),
    "retrieve_product": ("GET", "/v1/products/{id}", {"expand"}),
    "create_customer": ("POST", "/v1/customers", {
        "address", "balance", "cash_balance", "coupon", "description", "email", "expand", "invoice_prefix",
        "invoice_settings", "metadata", "name", "next_invoice_sequence", "payment_method", "phone",
        "preferred_locales", "promotion_code", "shipping", "source", "tax", "tax_exempt", "tax_id_data", "test_clock",
    }),
    "retrieve_customer": ("GET", "/v1/customers/{customer}", {"expand"}),
    "retrieve_payment_intent": ("GET", "/v1/payment_intents/{intent}", {"client_secret", "expand"}),
    "retrieve_subscription": ("GET", "/v1/subscriptions/{subscription_exposed_id}", {"expand"}),
    "retrieve_setup_intent": ("GET", "/v1/setup_intents/{intent}", {"client_secret", "expand"}),
}  # fmt: skip


def test_the_operations_on_the_objects_around_a_session():
    ops = schema.OPERATIONS
    assert set(ops) == {"create", "retrieve", "list", "list_line_items", "expire", *AROUND_A_SESSION}
    for name, (method, path, params) in AROUND_A_SESSION.items():
        assert (ops[name].name, ops[name].method, ops[name].path) == (name, method, path)
        assert set(ops[name].params.properties) == params, name
    assert len({(op.method, op.path) for op in ops.values()}) == len(ops)
    answers = {name: ops[name].answer for name in AROUND_A_SESSION}
    assert answers["retrieve_price"] is schema.PRICE
    assert answers["retrieve_product"] is schema.PRODUCT
    assert answers["create_customer"] is schema.CUSTOMER
    assert answers["retrieve_customer"] == nodes.AnyOf(options=(schema.CUSTOMER, schema.DELETED_CUSTOMER))
    assert answers["retrieve_payment_intent"] is schema.PAYMENT_INTENT
    assert answers["retrieve_subscription"] is schema.SUBSCRIPTION
    assert answers["retrieve_setup_intent"] is schema.SETUP_INTENT
    # The customer's params are checked as the session's are: the schema knows each one's type.
    create = ops["create_customer"].params.properties
    assert create["balance"] == nodes.Integer()
    assert create["tax_exempt"].enum == ("", "exempt", "none", "reverse")  # type: ignore[attr-defined]
    assert create["address"].emptyable  # type: ignore[attr-defined]
    assert types.PARAM_TYPES["(create_customer)"] is types.CustomerCreateParams
    assert types.PARAM_TYPES["(retrieve_payment_intent)"] is types.PaymentIntentRetrieveParams


def test_the_objects_around_a_session_are_written_in_full():
    subscription_items = schema.SUBSCRIPTION.properties["items"]
    assert isinstance(subscription_items, nodes.Object)
    assert subscription_items.properties["data"] == nodes.Array(items=schema.SUBSCRIPTION_ITEM)
    assert schema.SUBSCRIPTION_ITEM.required == {"created", "id", "metadata", "object", "price", "subscription"}
    settings = schema.CUSTOMER.properties["invoice_settings"]
    assert settings is schema.INVOICE_SETTING_CUSTOMER_SETTING
    assert set(settings.properties) == {"custom_fields", "default_payment_method", "footer", "rendering_options"}
    assert schema.PRODUCT.required == {"active", "created", "id", "images", "livemode", "metadata", "name", "object",
                                       "updated"}  # fmt: skip
    # RESOURCES (what a session's expandable fields name) are the same objects, in full.
    for name, node in schema.RESOURCES.items():
        assert node is schema.COMPONENTS[name]
    assert set(schema.RESOURCES) == {"customer", "payment_intent", "setup_intent", "subscription"}


def test_only_the_listed_components_are_opaque():
    """The big trees the fake never fills (a charge, an API error, ...) are titled objects without fields."""
    opaque = set()
    for component in schema.COMPONENTS.values():
        stack: list[nodes.Node] = [component]
        while stack:
            node = stack.pop()
            if isinstance(node, nodes.Object):
                if not node.properties and node.title:
                    opaque.add(node.title)
                stack.extend(node.properties.values())
            elif isinstance(node, nodes.Array):
                stack.append(node.items)
            elif isinstance(node, nodes.AnyOf):
                stack.extend(node.options)
    # Konbini's invoice options have no fields in the spec itself.
    assert opaque - {"invoice_payment_method_options_konbini"} == {
        "api_errors", "bank_account", "card", "charge", "payment_intent_next_action",
        "payment_intent_payment_method_options", "setup_intent_payment_method_options", "source",
    }  # fmt: skip
    assert "charge" not in schema.COMPONENTS


# -- Today's version, generated from the stripe package's modules ---------------------------------------------


def _stripe_dir():
    import stripe

    return Path(stripe.__file__).parent


def test_regenerating_today_s_version_from_the_sdk_changes_nothing(tmp_path):
    import stripe

    assert stripe.VERSION == "16.1.0", "the committed modules are generated from stripe 16.1.0 (the test extras)"
    script = ROOT / "scripts" / "generate_schema.py"
    result = subprocess.run(
        [sys.executable, str(script), "--sdk", str(_stripe_dir()), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"v2026_10_28_endive.py", "v2026_10_28_endive_types.py"}
    for generated in sorted(tmp_path.iterdir()):
        committed = ROOT / "pytest_checkout" / "schema" / generated.name
        assert committed.read_text() == generated.read_text(), f"{generated.name} is out of date"


def test_the_generator_wants_a_spec_or_the_sdk_not_both(tmp_path):
    script = ROOT / "scripts" / "generate_schema.py"
    for args in ([], [str(SPEC), "--sdk", str(_stripe_dir())]):
        result = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
        assert result.returncode == 2
        assert "give either a spec or --sdk" in result.stderr


def test_today_s_modules_say_where_they_come_from():
    from pytest_checkout.schema import v2026_10_28_endive as endive

    first = (ROOT / "pytest_checkout" / "schema" / "v2026_10_28_endive.py").read_text().splitlines()[0]
    assert first == (
        "# Generated by scripts/generate_schema.py from the stripe package's generated modules (stripe 16.1.0), "
        "API version 2026-10-28.endive."
    )
    assert endive.API_VERSION == "2026-10-28.endive"


def test_today_s_session_drops_what_clover_removed_and_keeps_the_rest():
    from pytest_checkout.schema import v2026_10_28_endive as endive

    fields = endive.CHECKOUT_SESSION.properties
    assert len(fields) == 68  # the SDK's 69, without currency_conversion (removed in 2025-09-30.clover)
    assert "currency_conversion" not in fields
    assert {"client_secret", "ui_mode", "return_url", "collected_information", "payment_method_types"} <= set(fields)
    assert "shipping_details" not in fields  # under collected_information since basil
    assert fields["ui_mode"].enum == ("elements", "embedded_page", "form", "hosted_page")


def test_today_s_create_params_update_endpoint_and_limits():
    from pytest_checkout.schema import v2026_10_28_endive as endive

    create = endive.CREATE_PARAMS
    assert len(create.properties) == 51
    assert create.required == frozenset({"mode"})  # as 2022-08-01 requires it; the SDK marks nothing required
    assert "payment_method_types" not in create.properties  # removed in endive
    assert "allowed_payment_method_types" in create.properties
    assert create.properties["client_reference_id"].max_length == 200  # the limit 2022-08-01 had
    update = endive.OPERATIONS["update"]
    assert (update.method, update.path) == ("POST", "/v1/checkout/sessions/{session}")
    assert set(update.params.properties) == {
        "collected_information",
        "expand",
        "line_items",
        "metadata",
        "payment_intent_data",
        "shipping_options",
    }
    listed = endive.OPERATIONS["list"].params.properties
    assert {"status", "created", "customer_account"} <= set(listed)
    assert listed["limit"] == schema.OPERATIONS["list"].params.properties["limit"]


def _free_strings(node, path=""):
    """The paths (``a[b][]`` form, as the generator lists them) of strings without enum, format or length limit."""
    from pytest_checkout.schema import nodes as n

    if isinstance(node, n.Removed):
        return []
    if isinstance(node, n.String):
        return [] if (node.enum is not None or node.format is not None or node.max_length is not None) else [path]
    if isinstance(node, n.Object):
        out = []
        for key, child in node.properties.items():
            out += _free_strings(child, f"{path}[{key}]" if path else key)
        return out
    if isinstance(node, n.Array):
        return _free_strings(node.items, f"{path}[]")
    if isinstance(node, n.Map):
        return _free_strings(node.values, f"{path}[*]")
    if isinstance(node, n.AnyOf):
        out = []
        for option in node.options:
            out += [p for p in _free_strings(option, path) if p not in out]
        return out
    return []


def test_today_s_parameters_without_a_known_limit_are_listed_and_only_those():
    # The SDK's files carry no maxLength: limits come from 2022-08-01 where the path exists there, and every other
    # free string is listed in the generated module (versions.TODAY.open_limits), so nobody mistakes it for checked.
    today = versions.TODAY
    assert today.open_limits, "today's module lists its open limits"
    assert versions.DEFAULT.open_limits == {}  # generated from Stripe's spec, which has every limit
    for name, operation in today.operations.items():
        assert tuple(_free_strings(operation.params)) == today.open_limits.get(name, ()), name
    assert "custom_fields[][label][custom]" in today.open_limits["create"]  # new since 2022-08-01
    assert "client_reference_id" not in today.open_limits["create"]  # 2022-08-01's limit (200) carried over
