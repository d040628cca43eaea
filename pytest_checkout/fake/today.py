"""A session's fields since 2022-08-01, built from today's create params: ``ui_mode`` and its URLs, custom fields
and text, invoice creation; what the customer fills in at completion; and the update endpoint's changes.

Every session stores them (versions.CANONICAL_SESSION); each answer shows them to the versions that have them
(render.session_for). A request that gives none of today's params (every 2022-08-01 request) gets one shared
mapping of the defaults, so they cost a stored session nothing but its slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_checkout.fake.ids import IdFactory
from pytest_checkout.fake.shapes import shape
from pytest_checkout.rules import ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM
from pytest_checkout.versions import CANONICAL_SESSION

__all__ = [
    "adjustable_quantity",
    "custom_field",
    "custom_text",
    "filled_custom_fields",
    "invoice_creation",
    "merged_metadata",
    "optional_item",
    "todays_fields",
    "update",
]

CHECKOUT_SESSION = CANONICAL_SESSION
#: The address fields (as builders.DEFAULT_ADDRESS has them) an updated shipping address fills in.
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")

# Today's fields as a session without any of today's params has them: one object each, shared by every session.
_ADAPTIVE_PRICING_OFF = {"enabled": False}
_ADAPTIVE_PRICING_ON = {"enabled": True}
_CUSTOM_TEXT_NONE = dict.fromkeys(("after_submit", "shipping_address", "submit", "terms_of_service_acceptance"))
_INVOICE_CREATION_OFF: dict[str, Any] = shape(
    CHECKOUT_SESSION.properties["invoice_creation"], {"enabled": False, "invoice_data": {}}
)
_TODAYS_DEFAULTS: Mapping[str, Any] = {
    "adaptive_pricing": _ADAPTIVE_PRICING_OFF,
    "allowed_payment_method_types": None,
    "client_secret": None,
    "custom_fields": [],
    "custom_text": _CUSTOM_TEXT_NONE,
    "excluded_payment_method_types": None,
    "integration_identifier": None,
    "invoice_creation": _INVOICE_CREATION_OFF,
    "optional_items": None,
    "origin_context": None,
    "redirect_on_completion": None,
    "return_url": None,
    "ui_mode": "hosted_page",
}
_TODAYS_DEFAULTS_NO_INVOICE: Mapping[str, Any] = {**_TODAYS_DEFAULTS, "invoice_creation": None}
#: The create params ``todays_fields`` reads.
_TODAYS_PARAMS = frozenset(
    {
        "adaptive_pricing", "allowed_payment_method_types", "custom_fields", "custom_text",
        "excluded_payment_method_types", "integration_identifier", "invoice_creation", "optional_items",
        "origin_context", "redirect_on_completion", "return_url", "ui_mode",
    }
)  # fmt: skip


def todays_fields(params: Mapping[str, Any], session_id: str, ids: IdFactory) -> Mapping[str, Any]:
    """The fields a session has since 2022-08-01 (answered to the versions that have them), from its params.

    ``ui_mode`` is stored in today's names (``render.canonical_params`` renames older ones). A session shown
    outside Stripe's hosted page has a ``client_secret`` for Stripe.js; its form here is a guess on the
    pattern of other client secrets (``{id}_secret_{random}``). A request that gives none of today's
    parameters gets one shared mapping of the defaults (most do: 2022-08-01 requests, and hosted pages).
    """
    if not _TODAYS_PARAMS & params.keys():
        return _TODAYS_DEFAULTS if params.get("mode") == "payment" else _TODAYS_DEFAULTS_NO_INVOICE
    ui_mode = params.get("ui_mode") or "hosted_page"
    given = params.get("adaptive_pricing")
    return {
        **_TODAYS_DEFAULTS,
        "adaptive_pricing": _ADAPTIVE_PRICING_ON if (given or {}).get("enabled") else _ADAPTIVE_PRICING_OFF,
        "allowed_payment_method_types": params.get("allowed_payment_method_types"),
        "client_secret": None if ui_mode == "hosted_page" else f"{session_id}_secret_{ids.opaque(24)}",
        "custom_fields": [custom_field(field) for field in params.get("custom_fields") or []],
        "custom_text": custom_text(params.get("custom_text")),
        "excluded_payment_method_types": params.get("excluded_payment_method_types"),
        "integration_identifier": params.get("integration_identifier"),
        "invoice_creation": invoice_creation(params),
        "optional_items": [optional_item(i) for i in params["optional_items"]]
        if params.get("optional_items")
        else None,
        "origin_context": params.get("origin_context"),
        "redirect_on_completion": (
            None if ui_mode == "hosted_page" else params.get("redirect_on_completion") or "always"
        ),
        "return_url": params.get("return_url"),
        "ui_mode": ui_mode,
    }


def custom_field(given: Mapping[str, Any]) -> dict[str, Any]:
    """A custom field as the session shows it before the customer fills it in (its value null)."""
    kind = given["type"]
    field: dict[str, Any] = {
        "key": given["key"],
        "label": dict(given["label"]),
        "optional": bool(given.get("optional")),
        "type": kind,
        "dropdown": None,
        "numeric": None,
        "text": None,
    }
    options = given.get(kind) or {}
    if kind == "dropdown":
        field["dropdown"] = {
            "default_value": options.get("default_value"),
            "options": [dict(option) for option in options.get("options") or []],
            "value": None,
        }
    else:
        field[kind] = {
            "default_value": options.get("default_value"),
            "maximum_length": options.get("maximum_length"),
            "minimum_length": options.get("minimum_length"),
            "value": None,
        }
    return field


def filled_custom_fields(fields: list[dict[str, Any]], given: Mapping[str, str]) -> list[dict[str, Any]]:
    """The session's custom fields with the customer's values (see ``CheckoutFake.complete``)."""
    unknown = set(given) - {field["key"] for field in fields}
    if unknown:
        raise ValueError(f"the session has no custom field {', '.join(sorted(unknown))}")
    filled = []
    for field in fields:
        kind = field["type"]
        inner = dict(field[kind] or {})
        value = given.get(field["key"])
        if value is None and not field["optional"]:
            value = inner.get("default_value")
            if value is None:
                options = inner.get("options") or []
                value = options[0]["value"] if kind == "dropdown" and options else None
                value = value or {"numeric": "12345", "text": "Example"}.get(kind)
        if kind == "dropdown" and value is not None:
            choices = [option["value"] for option in inner.get("options") or []]
            if value not in choices:
                raise ValueError(f"{value!r} is not an option of the custom field {field['key']!r}: {choices}")
        inner["value"] = value
        filled.append({**field, kind: inner})
    return filled


def custom_text(given: Mapping[str, Any] | None) -> dict[str, Any]:
    if not given:
        return _CUSTOM_TEXT_NONE
    keys = ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
    return {key: dict(given[key]) if isinstance(given.get(key), Mapping) else None for key in keys}


def invoice_creation(params: Mapping[str, Any]) -> dict[str, Any] | None:
    if params.get("mode") != "payment":
        return None  # the docs: invoice creation is for payment mode
    given = params.get("invoice_creation")
    if not given:
        return _INVOICE_CREATION_OFF
    node = CHECKOUT_SESSION.properties["invoice_creation"]
    fitted: dict[str, Any] = shape(
        node, {"enabled": bool(given.get("enabled")), "invoice_data": dict(given.get("invoice_data") or {})}
    )
    return fitted


def update(data: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The fields ``POST /v1/checkout/sessions/{id}`` changes (today's API): metadata, shipping details.

    Metadata merges as on every Stripe object: a key set to "" is removed, an empty ``metadata`` removes
    all. Unverified: the update of ``line_items`` and ``shipping_options`` is not modelled (refused).
    """
    updates: dict[str, Any] = {}
    if "metadata" in params:
        updates["metadata"] = merged_metadata(data.get("metadata") or {}, params["metadata"])
    collected = params.get("collected_information")
    if isinstance(collected, Mapping) and isinstance(collected.get("shipping_details"), Mapping):
        given = collected["shipping_details"]
        details = {"address": {**dict.fromkeys(_ADDRESS_KEYS), **given["address"]}, "name": given["name"]}
        updates["collected_information"] = {
            **(data.get("collected_information") or {"business_name": None, "individual_name": None}),
            "shipping_details": details,
        }
    return updates


def adjustable_quantity(given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An item's ``adjustable_quantity`` as answered: the bounds filled in with their defaults (docs), or null."""
    if not given:
        return None
    maximum, minimum = given.get("maximum"), given.get("minimum")
    return {
        "enabled": bool(given.get("enabled")),
        "maximum": maximum if maximum is not None else ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM,
        "minimum": minimum if minimum is not None else 0,
    }


def optional_item(given: Mapping[str, Any]) -> dict[str, Any]:
    """An optional item as the session shows it (its price by id, as given)."""
    return {
        "adjustable_quantity": adjustable_quantity(given.get("adjustable_quantity")),
        "price": given["price"],
        "quantity": given["quantity"],
    }


def merged_metadata(stored: Mapping[str, str], given: Any) -> dict[str, str]:
    """Metadata after an update, as on every Stripe object: a key set to "" is removed, an empty ``metadata``
    ("" or {}) removes all."""
    if given in ("", {}) or not isinstance(given, Mapping):
        return {}
    merged = dict(stored)
    for key, value in given.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
