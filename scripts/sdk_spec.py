"""The spec of an API version the project has no OpenAPI snapshot of, read from the stripe package's modules.

stripe-python's generated modules are the machine-readable source of the version it pins (stripe 16.1.0:
2026-10-28.endive): its params ``TypedDict``s (``stripe/params/...``) and its resource classes
(``stripe/checkout/_session.py`` and the rest). :mod:`sdk_params` reads each into schema nodes; this module
puts them together as the small part of an OpenAPI document that ``generate_schema.py`` reads (paths with
their parameters and answers, and components), so that both versions go through one writer.

What the SDK's files do not say is added here, each with its reason:

- length limits, from the 2022-08-01 schema where the same path exists (``sdk_params.with_limits``); the paths
  left open are what :func:`open_paths` lists;
- fields the SDK still types that the API removed (``currency_conversion``, removed in 2025-09-30.clover; the
  SDK's docstring says it is for sessions created before basil);
- which embedded objects are written as opaque (titled, no fields), as the 2022-08-01 generator does for the
  same objects: the fake never fills them.

    python scripts/generate_schema.py --sdk path/to/site-packages/stripe
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from sdk_params import read_object, read_params, with_limits  # noqa: E402

from pytest_checkout.schema import nodes  # noqa: E402

__all__ = ["SDK_VERSION", "build_spec", "open_paths", "sdk_api_version", "sdk_package_version"]

#: The stripe release the committed modules are generated from (the test extras pin it).
SDK_VERSION = "16.1.0"

SESSIONS = "/v1/checkout/sessions"

#: Operation -> (params module under ``stripe/params``, its root class, the answer's component or ``list``).
PARAMS = {
    "create": ("checkout/_session_create_params.py", "SessionCreateParams", "checkout.session"),
    "retrieve": ("checkout/_session_retrieve_params.py", "SessionRetrieveParams", "checkout.session"),
    "update": ("checkout/_session_modify_params.py", "SessionModifyParams", "checkout.session"),
    "list": ("checkout/_session_list_params.py", "SessionListParams", "list:checkout.session"),
    "list_line_items": ("checkout/_session_list_line_items_params.py", "SessionListLineItemsParams", "list:item"),
    "expire": ("checkout/_session_expire_params.py", "SessionExpireParams", "checkout.session"),
    "retrieve_price": ("_price_retrieve_params.py", "PriceRetrieveParams", "price"),
    "retrieve_product": ("_product_retrieve_params.py", "ProductRetrieveParams", "product"),
    "create_customer": ("_customer_create_params.py", "CustomerCreateParams", "customer"),
    "retrieve_customer": ("_customer_retrieve_params.py", "CustomerRetrieveParams", "customer"),
    "retrieve_payment_intent": ("_payment_intent_retrieve_params.py", "PaymentIntentRetrieveParams", "payment_intent"),
    "retrieve_subscription": ("_subscription_retrieve_params.py", "SubscriptionRetrieveParams", "subscription"),
    "retrieve_setup_intent": ("_setup_intent_retrieve_params.py", "SetupIntentRetrieveParams", "setup_intent"),
}

#: Component -> (resource module under ``stripe``, its class). The SDK names a resource of another module by
#: its class; :data:`BY_CLASS` turns the name into the component.
COMPONENTS = {
    "checkout.session": ("checkout/_session.py", "Session"),
    "item": ("_line_item.py", "LineItem"),
    "price": ("_price.py", "Price"),
    "product": ("_product.py", "Product"),
    "customer": ("_customer.py", "Customer"),
    "payment_intent": ("_payment_intent.py", "PaymentIntent"),
    "subscription": ("_subscription.py", "Subscription"),
    "setup_intent": ("_setup_intent.py", "SetupIntent"),
}
BY_CLASS = {class_name: component for component, (_module, class_name) in COMPONENTS.items()}

#: Fields the SDK types that the API version it pins no longer has (see the module's docstring).
REMOVED_FIELDS = {"checkout.session": ("currency_conversion",)}

#: Fields the SDK types on every object that Stripe sends only on a deleted one (``deleted: true``): optional.
ONLY_WHEN_DELETED = ("deleted",)

#: Fields of the objects around a session written as opaque objects, as the 2022-08-01 generator writes the
#: same objects (its ``OPAQUE_COMPONENTS``): each is a tree as large as the rest, and the fake leaves it null.
OPAQUE_FIELDS = {
    "payment_intent": ("last_payment_error", "next_action", "payment_method_options", "latest_charge"),
    "setup_intent": ("last_setup_error", "next_action", "payment_method_options"),
    "customer": ("sources", "invoice_settings", "cash_balance"),
    "subscription": ("pending_update", "payment_settings", "items"),
}


def sdk_api_version(stripe_dir: Path) -> str:
    """The API version the stripe package at ``stripe_dir`` pins (``_api_version.py``'s ``CURRENT``)."""
    text = (stripe_dir / "_api_version.py").read_text(encoding="utf-8")
    found = re.search(r"CURRENT\s*=\s*\"([^\"]+)\"", text)
    if found is None:
        raise ValueError(f"{stripe_dir} has no _api_version.py with a CURRENT version")
    return found.group(1)


def sdk_package_version(stripe_dir: Path) -> str:
    """The release of the stripe package at ``stripe_dir`` (``_version.py``'s ``VERSION``)."""
    text = (stripe_dir / "_version.py").read_text(encoding="utf-8")
    found = re.search(r"VERSION\s*=\s*\"([^\"]+)\"", text)
    if found is None:
        raise ValueError(f"{stripe_dir} has no _version.py with a VERSION")
    return found.group(1)


def build_spec(stripe_dir: Path, known: Any) -> dict[str, Any]:
    """The OpenAPI subset ``generate_schema.py`` reads, for the version the package at ``stripe_dir`` pins.

    ``known``: the ``versions.ApiVersion`` whose limits fill the SDK's gaps (2022-08-01).
    """
    components: dict[str, Any] = {}
    for component, (module, class_name) in COMPONENTS.items():
        node = read_object(stripe_dir / module, class_name)
        node = _drop(node, REMOVED_FIELDS.get(component, ()))
        node = _optional(node, ONLY_WHEN_DELETED)
        node = _opaque(node, OPAQUE_FIELDS.get(component, ()))
        node, _open = with_limits(node, _known_component(known, component))
        components[component] = to_schema(node)
    paths: dict[str, dict[str, Any]] = {}
    open_limits: dict[str, list[str]] = {}
    for name, (module, class_name, answer) in PARAMS.items():
        method, path = _route(name, known)
        params = read_params(stripe_dir / "params" / module, class_name)
        old = known.operations.get(name)
        params, left = with_limits(params, old.params if old is not None else None)
        if left:
            open_limits[name] = left
        assert isinstance(params, nodes.Object)
        answered = {"content": {"application/json": {"schema": _answer(answer)}}}
        operation: dict[str, Any] = {"responses": {"200": answered}}
        schema = to_schema(params)
        if method == "get":
            required = set(schema.get("required") or [])
            operation["parameters"] = [
                {"in": "query", "name": key, "required": key in required, "schema": value}
                for key, value in sorted(schema["properties"].items())
            ]
        else:
            operation["requestBody"] = {"content": {"application/x-www-form-urlencoded": {"schema": schema}}}
        paths.setdefault(path, {})[method] = operation
    return {
        # x-open-limits: the parameters the generated module lists as left without a length limit.
        "info": {"version": sdk_api_version(stripe_dir), "x-open-limits": open_limits},
        "paths": paths,
        "components": {"schemas": components},
    }


def open_paths(stripe_dir: Path, known: Any) -> dict[str, list[str]]:
    """Per operation, the parameter paths of free strings that no limit was found for (not in 2022-08-01)."""
    found: dict[str, list[str]] = build_spec(stripe_dir, known)["info"]["x-open-limits"]
    return found


def _route(name: str, known: Any) -> tuple[str, str]:
    old = known.operations.get(name)
    if old is not None:
        return old.method.lower(), old.path
    if name == "update":
        return "post", SESSIONS + "/{session}"
    raise ValueError(f"no route known for the operation {name!r}")


def _known_component(known: Any, component: str) -> nodes.Node | None:
    if component == "checkout.session":
        return known.checkout_session  # type: ignore[no-any-return]
    return known.components.get(component)  # type: ignore[no-any-return]


def _answer(answer: str) -> dict[str, Any]:
    if answer.startswith("list:"):
        return _list_envelope({"$ref": _ref(answer.removeprefix("list:"))})
    return {"$ref": _ref(answer)}


def _ref(component: str) -> str:
    return f"#/components/schemas/{component}"


def _list_envelope(items: Mapping[str, Any], *, nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "title": "list",
        "properties": {
            "data": {"type": "array", "items": dict(items)},
            "has_more": {"type": "boolean"},
            "object": {"type": "string", "enum": ["list"]},
            "url": {"type": "string", "maxLength": 5000},
        },
        "required": ["data", "has_more", "object", "url"],
    }
    if nullable:
        schema["nullable"] = True
    return schema


def _drop(node: nodes.Object, keys: tuple[str, ...]) -> nodes.Object:
    if not keys:
        return node
    missing = [key for key in keys if key not in node.properties]
    if missing:
        raise ValueError(f"{node.title} has no field {', '.join(missing)} to drop: the SDK changed, check the list")
    kept = {key: value for key, value in node.properties.items() if key not in keys}
    return replace(node, properties=kept, required=node.required - set(keys))


def _optional(node: nodes.Object, keys: tuple[str, ...]) -> nodes.Object:
    """``node`` with ``keys`` (where it has them) optional and not null: absent unless they have a value."""
    properties = dict(node.properties)
    for key in keys:
        if key in properties:
            properties[key] = replace(properties[key], nullable=False)
    return replace(node, properties=properties, required=node.required - set(keys))


def _opaque(node: nodes.Object, keys: tuple[str, ...]) -> nodes.Object:
    properties = dict(node.properties)
    for key in keys:
        if key not in properties:
            raise ValueError(f"{node.title} has no field {key} to write as opaque: the SDK changed, check the list")
        field = properties[key]
        nullable = bool(getattr(field, "nullable", False))
        if isinstance(field, nodes.Expandable):
            continue  # an id or the object: already written by name
        properties[key] = nodes.Object(title=key, nullable=nullable)
    return replace(node, properties=properties)


def to_schema(node: nodes.Node) -> dict[str, Any]:
    """A schema node as the OpenAPI schema ``generate_schema.py`` reads back into the same node."""
    schema = _bare(node)
    if getattr(node, "nullable", False):
        schema["nullable"] = True
    if getattr(node, "emptyable", False):
        return {"anyOf": [schema, {"type": "string", "enum": [""]}]}
    return schema


def _bare(node: nodes.Node) -> dict[str, Any]:
    if isinstance(node, nodes.String):
        schema: dict[str, Any] = {"type": "string"}
        if node.max_length is not None:
            schema["maxLength"] = node.max_length
        if node.enum is not None:
            schema["enum"] = list(node.enum)
        if node.format is not None:
            schema["format"] = node.format
        return schema
    if isinstance(node, nodes.Integer):
        return {"type": "integer"}
    if isinstance(node, nodes.Number):
        return {"type": "number"}
    if isinstance(node, nodes.Boolean):
        return {"type": "boolean"}
    if isinstance(node, nodes.Array):
        return {"type": "array", "items": to_schema(node.items)}
    if isinstance(node, nodes.Map):
        return {"type": "object", "additionalProperties": to_schema(node.values)}
    if isinstance(node, nodes.AnyOf):
        return {"anyOf": [to_schema(option) for option in node.options]}
    if isinstance(node, nodes.Expandable):
        refs = [{"$ref": _ref(resource)} for resource in node.resources]
        return {"anyOf": [{"type": "string", "maxLength": 5000}, *refs], "x-expansionResources": {"oneOf": refs}}
    if isinstance(node, nodes.Object):
        if node.title == "ListObject":
            data = node.properties["data"]
            assert isinstance(data, nodes.Array)
            return _list_envelope(to_schema(data.items))
        if not node.properties and node.title:
            component = BY_CLASS.get(node.title)
            if component is not None:
                return {"$ref": _ref(component)}
            # Another module's resource that the fake does not model: a titled object with no fields.
            return {"type": "object", "title": _snake(node.title)}
        schema = {
            "type": "object",
            "properties": {key: to_schema(value) for key, value in node.properties.items()},
        }
        if node.required:
            schema["required"] = sorted(node.required)
        if node.title:
            schema["title"] = node.title
        return schema
    raise ValueError(f"no schema for a {type(node).__name__} node")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
