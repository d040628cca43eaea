"""The reader of the stripe package's params modules: today's parameters (2026-10-28.endive), from stripe 16.1.0.

The first step of modelling today's API beside 2022-08-01: the SDK's generated ``TypedDict`` modules are the
machine-readable source of a version the project has no spec snapshot of.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import stripe

from pytest_checkout.schema import nodes

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from sdk_params import SdkParamsError, read_object, read_params, with_limits

#: The SDK release the generator reads (the test extras pin it).
SDK = "16.1.0"


def _module(name: str) -> Path:
    spec = importlib.util.find_spec(f"stripe.params.checkout.{name}")
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin)


@pytest.fixture(scope="module")
def create() -> nodes.Object:
    assert stripe.VERSION == SDK, f"the generator reads stripe {SDK}: pip install stripe=={SDK}"
    return read_params(_module("_session_create_params"), "SessionCreateParams")


def test_today_s_create_params_have_51_top_level_keys(create: nodes.Object) -> None:
    assert len(create.properties) == 51
    assert create.required == frozenset()  # today even mode may be left out
    # RequestOptions' keys (api_key, idempotency_key...) are the SDK's, not the API's.
    assert not {"api_key", "idempotency_key", "stripe_account", "stripe_version"} & set(create.properties)


def test_what_endive_changed_reads_as_the_versions_notes_say(create: nodes.Object) -> None:
    ui_mode = create.properties["ui_mode"]
    assert isinstance(ui_mode, nodes.String)
    assert ui_mode.enum == ("elements", "embedded_page", "form", "hosted_page")
    assert "payment_method_types" not in create.properties  # removed in endive
    allowed = create.properties["allowed_payment_method_types"]
    assert isinstance(allowed, nodes.Array)
    assert isinstance(allowed.items, nodes.String)
    assert allowed.items.enum is not None
    assert "card" in allowed.items.enum
    for added in ("return_url", "custom_fields", "invoice_creation", "optional_items", "adaptive_pricing"):
        assert added in create.properties, added


def test_nested_objects_required_keys_maps_and_empty_strings(create: nodes.Object) -> None:
    line_items = create.properties["line_items"]
    assert isinstance(line_items, nodes.Array)
    item = line_items.items
    assert isinstance(item, nodes.Object)
    price_data = item.properties["price_data"]
    assert isinstance(price_data, nodes.Object)
    assert "currency" in price_data.required
    assert price_data.properties["unit_amount_decimal"] == nodes.String(format="decimal")
    metadata = create.properties["metadata"]
    assert isinstance(metadata, nodes.Map)
    assert metadata.values == nodes.String()
    # "" (Stripe's "unset") beside another type reads as that type, emptyable.
    branding = create.properties["branding_settings"]
    assert isinstance(branding, nodes.Object)
    assert branding.properties["background_color"] == nodes.String(emptyable=True)
    shape = branding.properties["border_style"]
    assert shape == nodes.String(enum=("pill", "rectangular", "rounded"), emptyable=True)
    modify = read_params(_module("_session_modify_params"), "SessionModifyParams")
    assert modify.properties["metadata"] == nodes.Map(values=nodes.String(), emptyable=True)
    shipping = modify.properties["shipping_options"]
    assert isinstance(shipping, nodes.Array)
    assert shipping.emptyable


def test_every_params_module_of_checkout_sessions_reads(create: nodes.Object) -> None:
    for module, root in (
        ("_session_list_params", "SessionListParams"),
        ("_session_list_line_items_params", "SessionListLineItemsParams"),
        ("_session_modify_params", "SessionModifyParams"),
        ("_session_retrieve_params", "SessionRetrieveParams"),
        ("_session_expire_params", "SessionExpireParams"),
    ):
        found = read_params(_module(module), root)
        assert "expand" in found.properties, module
    listed = read_params(_module("_session_list_params"), "SessionListParams")
    assert {"status", "created", "customer_details", "limit", "starting_after"} <= set(listed.properties)


def test_an_annotation_it_does_not_know_is_named(tmp_path: Path) -> None:
    source = tmp_path / "params.py"
    source.write_text("class P(TypedDict):\n    odd: NotRequired[Callable[[], int]]\n")
    with pytest.raises(SdkParamsError, match=r"P\.odd: unread annotation"):
        read_params(source, "P")


def test_the_command_line_summarises_a_module() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "sdk_params.py"),
            str(_module("_session_create_params")),
            "SessionCreateParams",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SessionCreateParams: 51 top-level parameters, 0 required")


# -- The session object ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session() -> nodes.Object:
    spec = importlib.util.find_spec("stripe.checkout._session")
    assert spec is not None
    assert spec.origin is not None
    return read_object(Path(spec.origin), "Session")


def test_today_s_session_has_69_fields_every_one_in_each_answer(session: nodes.Object) -> None:
    assert len(session.properties) == 69
    assert session.required == frozenset(session.properties)
    assert session.properties["object"] == nodes.String(enum=("checkout.session",))
    assert session.properties["id"] == nodes.String()
    assert session.properties["created"] == nodes.Integer()


def test_nullable_expandable_lists_and_nested_objects_read(session: nodes.Object) -> None:
    customer = session.properties["customer"]
    assert customer == nodes.Expandable(resources=("customer",), nullable=True)
    assert session.properties["payment_intent"] == nodes.Expandable(resources=("payment_intent",), nullable=True)
    line_items = session.properties["line_items"]
    assert isinstance(line_items, nodes.Object)
    assert line_items.nullable
    data = line_items.properties["data"]
    assert isinstance(data, nodes.Array)
    assert data.items == nodes.Object(title="LineItem")  # another module's resource, named
    mode = session.properties["mode"]
    assert mode == nodes.String(enum=("payment", "setup", "subscription"))
    metadata = session.properties["metadata"]
    assert metadata == nodes.Map(values=nodes.String(), nullable=True)


def test_the_versions_changes_show_in_the_object(session: nodes.Object) -> None:
    # basil: shipping_details moved under collected_information, with name and address no longer null.
    assert "shipping_details" not in session.properties
    collected = session.properties["collected_information"]
    assert isinstance(collected, nodes.Object)
    shipping = collected.properties["shipping_details"]
    assert isinstance(shipping, nodes.Object)
    assert shipping.nullable
    address = shipping.properties["address"]
    assert isinstance(address, nodes.Object)
    assert (address.title, address.nullable, shipping.properties["name"].nullable) == ("Address", False, False)
    ui_mode = session.properties["ui_mode"]
    assert ui_mode == nodes.String(enum=("elements", "embedded_page", "form", "hosted_page"), nullable=True)
    # clover removed currency_conversion from the API, but the SDK's types still carry it (the version notes say
    # so): the reader reports what the SDK holds, and the generator must drop it for endive.
    assert "currency_conversion" in session.properties
    assert "presentment_details" in session.properties


# -- Limits from the version the project has the spec of ------------------------------------------------------


def test_limits_come_from_2022_08_01_where_the_path_exists_and_the_rest_are_listed(create: nodes.Object) -> None:
    from pytest_checkout.versions import DEFAULT

    merged, left_open = with_limits(create, DEFAULT.create_params)
    assert isinstance(merged, nodes.Object)
    assert merged.properties["success_url"] == nodes.String(max_length=5000)
    client_reference_id = merged.properties["client_reference_id"]
    assert isinstance(client_reference_id, nodes.String)
    assert client_reference_id.max_length == 200
    # Deep inside a list: the product's name.
    item = merged.properties["line_items"]
    assert isinstance(item, nodes.Array)
    assert isinstance(item.items, nodes.Object)
    product = item.items.properties["price_data"].properties["product_data"]  # type: ignore[attr-defined]
    assert product.properties["name"].max_length == 5000
    # What 2022-08-01 did not have stays open, and is listed; enums are never listed.
    assert merged.properties["return_url"] == nodes.String()
    assert "return_url" in left_open
    assert "custom_fields[][key]" in left_open
    assert "ui_mode" not in left_open
    assert len(left_open) == len(set(left_open))
    # Nothing else changes: the same keys, requirements and enums.
    assert set(merged.properties) == set(create.properties)
    assert merged.properties["ui_mode"] == create.properties["ui_mode"]
