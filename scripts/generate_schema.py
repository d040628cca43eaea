#!/usr/bin/env python3
"""Generate pytest_checkout's schema of Stripe's Checkout Sessions API, and of the objects around a session,
from Stripe's OpenAPI spec.

Usage: ``python scripts/generate_schema.py SPEC.yaml [--out DIR] [--check]``

Reads the spec it is given (Stripe's ``spec3.yaml`` for API version 2022-08-01) and writes two modules into
``pytest_checkout/schema/`` (or ``--out``):

- ``v2022_08_01.py``: the node trees (``pytest_checkout.schema.nodes``) of every operation's parameters and
  of the objects it answers with: the Checkout operations (``checkout.session``, ``item`` and what they embed),
  and the few operations on the objects around a session (prices, products, customers, payment intents,
  subscriptions, setup intents; see :data:`OPERATIONS`).
- ``v2022_08_01_types.py``: the typing view of the same schema: a ``TypedDict`` for every parameter object,
  ``Literal`` aliases for enums, and the ``Session`` and ``LineItem`` response classes.

An enum that several fields of a module share, or a long one, is spelled out once in that module, as a
constant the fields refer to by name (a tuple such as ``ALLOWED_COUNTRIES`` in the first module, a ``Literal``
alias such as ``AllowedCountries`` in the second); see :func:`shared_enum_names` for how they are named.

The output is deterministic and formatted with ruff, so regenerating from the same spec gives the same bytes;
``--check`` compares instead of writing and exits 1 on a difference. Nothing of the spec's prose is copied.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import keyword
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

API_VERSION = "2022-08-01"

SESSIONS = "/v1/checkout/sessions"
NODE_CLASSES = (
    "AnyOf",
    "Array",
    "Boolean",
    "Expandable",
    "Integer",
    "Map",
    "Number",
    "Object",
    "Removed",
    "String",
)
#: (name, HTTP method, spec path, spec key of the answer). The session's own operations have the short names;
#: an operation on another object says which (``retrieve_price``), so no two names collide.
OPERATIONS = (
    ("create", "post", SESSIONS, "checkout.session"),
    ("retrieve", "get", SESSIONS + "/{session}", "checkout.session"),
    ("list", "get", SESSIONS, "list"),
    ("list_line_items", "get", SESSIONS + "/{session}/line_items", "list"),
    ("expire", "post", SESSIONS + "/{session}/expire", "checkout.session"),
    # The objects around a session: what applications read (and a customer, which they create) next to it.
    ("retrieve_price", "get", "/v1/prices/{price}", "price"),
    ("retrieve_product", "get", "/v1/products/{id}", "product"),
    ("create_customer", "post", "/v1/customers", "customer"),
    ("retrieve_customer", "get", "/v1/customers/{customer}", "customer"),
    ("retrieve_payment_intent", "get", "/v1/payment_intents/{intent}", "payment_intent"),
    ("retrieve_subscription", "get", "/v1/subscriptions/{subscription_exposed_id}", "subscription"),
    ("retrieve_setup_intent", "get", "/v1/setup_intents/{intent}", "setup_intent"),
)
#: The name each operation's parameters have in the typing module, and what its docstring calls it.
PARAMS_CLASSES = {
    "create": ("SessionCreateParams", "Session.create"),
    "retrieve": ("SessionRetrieveParams", "Session.retrieve"),
    "list": ("SessionListParams", "Session.list"),
    "list_line_items": ("SessionListLineItemsParams", "Session.list_line_items"),
    "expire": ("SessionExpireParams", "Session.expire"),
    "update": ("SessionUpdateParams", "Session.modify"),
    "retrieve_price": ("PriceRetrieveParams", "GET /v1/prices/{price}"),
    "retrieve_product": ("ProductRetrieveParams", "GET /v1/products/{id}"),
    "create_customer": ("CustomerCreateParams", "POST /v1/customers"),
    "retrieve_customer": ("CustomerRetrieveParams", "GET /v1/customers/{customer}"),
    "retrieve_payment_intent": ("PaymentIntentRetrieveParams", "GET /v1/payment_intents/{intent}"),
    "retrieve_subscription": ("SubscriptionRetrieveParams", "GET /v1/subscriptions/{subscription_exposed_id}"),
    "retrieve_setup_intent": ("SetupIntentRetrieveParams", "GET /v1/setup_intents/{intent}"),
}
#: Response objects to emit, and what each is called in the generated code.
OBJECT_ROOTS = ("checkout.session", "item")
#: Objects a session's expandable fields name (written in full: the operations above answer with them).
RESOURCE_ROOTS = ("customer", "payment_intent", "setup_intent", "subscription")
#: Components written as opaque objects (an ``Object`` with a title and no properties) wherever they are met,
#: instead of in full. Each is a tree of its own as large as everything else here together (a charge, an API
#: error, which embeds payment and setup intents again, next actions, the options of every payment method,
#: a customer's payment sources), and the objects the fake answers with never fill them: they are null or
#: absent there. Everything else the operations answer with is written in full.
OPAQUE_COMPONENTS = frozenset(
    {
        "api_errors",
        "bank_account",
        "card",
        "charge",
        "payment_intent_next_action",
        "payment_intent_payment_method_options",
        "setup_intent_payment_method_options",
        "source",
    }
)

# Parameters that the seed lists but that API version 2022-08-01 no longer accepts. The seed was generated
# from the "sdk" variant of the spec, which kept them; the spec this script reads (the API's own variant)
# does not list them, so they are stated here, with the shape they had, and marked removed in the schema.
# (path of the parent object, name, was-schema in spec form, legacy line item field?)
REMOVED: tuple[tuple[tuple[str, ...], str, dict[str, Any], bool], ...] = (
    ((), "shipping_rates", {"type": "array", "items": {"type": "string", "maxLength": 5000}}, False),
    (("subscription_data",), "coupon", {"type": "string", "maxLength": 5000}, False),
    (
        ("subscription_data",),
        "items",
        {
            "type": "array",
            "items": {
                "type": "object",
                "title": "subscription_data_item_params",
                "properties": {
                    "plan": {"type": "string", "maxLength": 5000},
                    "quantity": {"type": "integer"},
                    "tax_rates": {"type": "array", "items": {"type": "string", "maxLength": 5000}},
                },
                "required": ["plan"],
            },
        },
        False,
    ),
    (("subscription_data",), "trial_from_plan", {"type": "boolean"}, False),
    (("line_items", "[]"), "amount", {"type": "integer"}, True),
    (("line_items", "[]"), "currency", {"type": "string"}, True),
    (("line_items", "[]"), "description", {"type": "string", "maxLength": 5000}, True),
    (("line_items", "[]"), "images", {"type": "array", "items": {"type": "string"}}, True),
    (("line_items", "[]"), "name", {"type": "string", "maxLength": 5000}, True),
)

#: An enum that several fields of a module use becomes a module-level constant; so does one of at least this many
#: values, even if only one field uses it.
LONG_ENUM = 20
#: A shared enum of at most this many values may be named after its values (``AUTO_OR_NEVER``).
SHORT_ENUM = 4


@dataclass(frozen=True)
class Target:
    """One API version to write modules for, and what its source leaves out or gets wrong."""

    api_version: str
    #: What the modules' first line says they were generated from.
    source: str
    #: The operations to write, as :data:`OPERATIONS`.
    operations: tuple[tuple[str, str, str, str], ...]
    #: Create parameters the source no longer lists, with the shape they had (see :data:`REMOVED`).
    removed: tuple[tuple[tuple[str, ...], str, dict[str, Any], bool], ...] = ()
    #: Create parameters the source leaves optional that the API requires.
    required_since: tuple[str, ...] = ()
    #: Create parameters the source requires that live Stripe takes without.
    optional_live: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        """The node module's name: ``v2022_08_01``, ``v2026_10_28_endive``."""
        return "v" + re.sub(r"[^0-9a-z]+", "_", self.api_version.lower())

    @property
    def header(self) -> str:
        return (
            f"# Generated by scripts/generate_schema.py from {self.source}, API version {self.api_version}.\n"
            "# Do not edit: change the generator and run it again.\n"
            "# ruff: noqa: E501\n"
        )


class SpecError(Exception):
    """The spec does not have the shape this generator expects."""


def load_spec(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as handle:
        spec = yaml.load(handle, Loader=loader)
    if not isinstance(spec, dict) or "paths" not in spec or "components" not in spec:
        raise SpecError(f"{path} is not an OpenAPI document")
    version = spec.get("info", {}).get("version")
    if version != API_VERSION:
        raise SpecError(f"{path} describes API version {version!r}; this generator writes {API_VERSION}")
    return spec


def ref_name(ref: str) -> str:
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        raise SpecError(f"unsupported $ref {ref!r}")
    return ref[len(prefix) :]


def constant_name(component: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", component).upper()


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def py_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ------------------------------------------------------------------------------------------------------------
# Shared enums

#: An enum's values, in the spec's order.
Values = tuple[str, ...]
#: The property names leading to a field from the object it was written in (arrays and maps add none).
KeyPath = tuple[str, ...]


@dataclass
class EnumUses:
    """Every enum a module spells out, with the key path of each field that uses it, in the order written."""

    paths: dict[Values, list[KeyPath]] = field(default_factory=dict)

    def add(self, values: Values, path: KeyPath) -> None:
        self.paths.setdefault(values, []).append(path)

    def shared(self) -> list[Values]:
        """The enums to write once, as constants: those several fields use, and the long ones."""
        return [v for v, paths in self.paths.items() if len(paths) > 1 or len(v) >= LONG_ENUM]


def snake(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()


def enum_name_candidates(values: Values, paths: list[KeyPath]) -> list[str]:
    """Names for a shared enum (snake case), the most natural first.

    Fields that all have the same name give it theirs (``allowed_countries``), then theirs qualified by the
    object holding them if that is common too (``tax_id_type``), then theirs with the values
    (``setup_future_usage_none``). Fields of different names share a short enum by its values
    (``auto_or_never``), a long one by the name most of them have.
    """
    lasts = [path[-1] if path else "" for path in paths]
    names = sorted(set(lasts), key=lambda name: (-lasts.count(name), name))
    spelled = "_or_".join(values) if len(values) <= SHORT_ENUM else ""
    found = []
    if len(names) == 1:
        parents = {singular(path[-2]) if len(path) > 1 else "" for path in paths}
        found.append(names[0])
        if len(parents) == 1 and "" not in parents:
            found.append(f"{parents.pop()}_{names[0]}")
        if spelled:
            found.append(f"{names[0]}_{spelled}")
    else:
        found.append(spelled)
        found.extend(names)
    return list(dict.fromkeys(c for c in map(snake, found) if c and not c[0].isdigit()))


def shared_enum_names(uses: Mapping[Values, list[KeyPath]], taken: Callable[[str], bool]) -> dict[Values, str]:
    """A snake-case name for each enum of ``uses``, unique and not ``taken`` (a name the modules already use).

    Every enum starts at its first candidate (:func:`enum_name_candidates`); while several want the same name,
    or one wants a taken name, those move on to their next candidate, all at once, so the outcome does not
    depend on the order of ``uses``. Of several that want the same name, one that has no other candidate left
    keeps it and the others make way (two such are an error).
    """
    candidates = {values: enum_name_candidates(values, paths) for values, paths in uses.items()}
    level = dict.fromkeys(uses, 0)
    while True:
        chosen = {}
        for values, options in candidates.items():
            if level[values] >= len(options):
                # Out of names (fields of one name with different enums, as a parameter and the answer's field
                # of that name in today's API): the number of values tells them apart, as a last resort.
                numbered = snake(f"{options[0] if options else 'values'}_{len(values)}_values")
                if numbered in options:
                    raise SpecError(f"no unique name for the enum ({', '.join(values[:4])}, ...); extend the naming")
                options.append(numbered)
            chosen[values] = options[level[values]]
        wanted = Counter(chosen.values())
        at_last = {values for values in chosen if level[values] == len(candidates[values]) - 1}
        last = Counter(chosen[values] for values in at_last)
        # A name wanted by several goes to the one with no other left (if one only); the others move on.
        moving = [
            values
            for values, name in chosen.items()
            if taken(name) or (wanted[name] > 1 and not (values in at_last and last[name] == 1))
        ]
        if not moving:
            return chosen
        for values in moving:
            level[values] += 1


def module_names(source: str) -> set[str]:
    """The names a module binds at its top level (assignments, classes, functions, imports)."""
    names: set[str] = set()
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        elif isinstance(statement, ast.ClassDef | ast.FunctionDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in statement.names)
    return names


# ------------------------------------------------------------------------------------------------------------
# The node module


@dataclass
class NodeWriter:
    """Turns spec schemas into source text that builds ``pytest_checkout.schema.nodes`` trees."""

    components: Mapping[str, Any]
    #: Shared enums (values -> the constant's name), written by name instead of spelled out.
    enum_names: Mapping[Values, str] = field(default_factory=dict)
    #: Every enum met, for choosing the shared ones (see :func:`generate`).
    enums: EnumUses = field(default_factory=EnumUses)
    #: Components written as opaque objects wherever they are met (see OPAQUE_COMPONENTS).
    opaque: frozenset[str] = frozenset()
    #: Component name -> source of its node, in an order where each only uses earlier ones.
    emitted: dict[str, str] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    #: Property names from the object being written down to the current field. A component is written where
    #: it is first met, so its fields have the key path of that first use.
    keys: list[str] = field(default_factory=list)

    def component(self, name: str) -> str:
        if name not in self.emitted:
            if name in self.in_progress:
                raise SpecError(f"component {name!r} refers to itself; the generator inlines components")
            self.in_progress.add(name)
            source = self.node(self.components[name])
            self.in_progress.discard(name)
            self.emitted[name] = source
        return constant_name(name)

    def node(self, schema: Mapping[str, Any], *, nullable: bool = False, emptyable: bool = False) -> str:
        nullable = nullable or bool(schema.get("nullable"))
        if "$ref" in schema and ref_name(schema["$ref"]) in self.opaque:
            return self.call("Object", [("title", py_str(ref_name(schema["$ref"])))], nullable, emptyable)
        if "$ref" in schema:
            return self.with_flags(self.component(ref_name(schema["$ref"])), nullable, emptyable)
        if "x-expansionResources" in schema:
            resources = [ref_name(o["$ref"]) for o in schema["x-expansionResources"]["oneOf"]]
            return self.call("Expandable", [("resources", self.tuple_of(resources))], nullable, emptyable)
        if "anyOf" in schema:
            options = list(schema["anyOf"])
            empty = [o for o in options if o.get("enum") == [""]]
            rest = [o for o in options if o.get("enum") != [""]]
            if empty and len(rest) == 1:
                # Stripe's way of saying "this parameter may be unset with an empty string".
                return self.node(rest[0], nullable=nullable, emptyable=True)
            if len(options) == 1:
                return self.node(options[0], nullable=nullable, emptyable=emptyable)
            if empty:
                raise SpecError("an anyOf with an empty-string option and several others")
            inner = ", ".join(self.node(o) for o in options)
            return self.call("AnyOf", [("options", f"({inner},)")], nullable, emptyable)
        kind = schema.get("type")
        if kind == "string":
            args = []
            if "maxLength" in schema:
                args.append(("max_length", str(int(schema["maxLength"]))))
            if "enum" in schema:
                args.append(("enum", self.enum(tuple(str(v) for v in schema["enum"]))))
            if "format" in schema:
                args.append(("format", py_str(schema["format"])))
            return self.call("String", args, nullable, emptyable)
        if kind == "integer":
            args = [("format", py_str(schema["format"]))] if "format" in schema else []
            return self.call("Integer", args, nullable, emptyable)
        if kind == "number":
            return self.call("Number", [], nullable, emptyable)
        if kind == "boolean":
            return self.call("Boolean", [], nullable, emptyable)
        if kind == "array":
            return self.call("Array", [("items", self.node(schema["items"]))], nullable, emptyable)
        if kind == "object" or "properties" in schema:
            extra = schema.get("additionalProperties")
            properties = schema.get("properties") or {}
            if isinstance(extra, dict) and not properties:
                return self.call("Map", [("values", self.node(extra))], nullable, emptyable)
            if isinstance(extra, dict):
                raise SpecError("an object with both properties and additionalProperties")
            return self.object_node(schema, nullable, emptyable)
        raise SpecError(f"unsupported schema {sorted(schema)}")

    def object_node(self, schema: Mapping[str, Any], nullable: bool, emptyable: bool) -> str:
        properties = schema.get("properties") or {}
        if is_list_object(schema) and not emptyable:
            # Stripe's spec writes the list envelope out in full every time; operations.list_of is that envelope.
            args = [("title", py_str(schema.get("title") or "list"))]
            if nullable:
                args.append(("nullable", "True"))
            items = self.node(properties["data"]["items"])
            return f"list_of({items}, " + ", ".join(f"{k}={v}" for k, v in args) + ")"
        entries = [f"{py_str(key)}: {self.property_node(key, properties[key])}" for key in sorted(properties)]
        args = [("properties", "{" + ", ".join(entries) + "}")]
        required = sorted(set(schema.get("required") or []) - set(schema.get("x-optional-live") or []))
        if required:
            args.append(("required", "frozenset(" + self.tuple_of(required) + ")"))
        if schema.get("title"):
            args.append(("title", py_str(schema["title"])))
        return self.call("Object", args, nullable, emptyable)

    def property_node(self, key: str, schema: Mapping[str, Any]) -> str:
        self.keys.append(key)
        try:
            return self.node(schema)
        finally:
            self.keys.pop()

    def enum(self, values: Values) -> str:
        self.enums.add(values, tuple(self.keys))
        return self.enum_names.get(values) or self.tuple_of(list(values))

    @staticmethod
    def tuple_of(values: list[str]) -> str:
        return "(" + "".join(py_str(v) + ", " for v in values) + ")"

    @staticmethod
    def call(kind: str, args: list[tuple[str, str]], nullable: bool, emptyable: bool) -> str:
        if nullable:
            args = [*args, ("nullable", "True")]
        if emptyable:
            args = [*args, ("emptyable", "True")]
        return f"{kind}(" + ", ".join(f"{k}={v}" for k, v in args) + ")"

    @staticmethod
    def with_flags(constant: str, nullable: bool, emptyable: bool) -> str:
        if not (nullable or emptyable):
            return constant
        flags = ", ".join(f"{k}=True" for k, on in (("nullable", nullable), ("emptyable", emptyable)) if on)
        return f"replace({constant}, {flags})"


def is_list_object(schema: Mapping[str, Any]) -> bool:
    """Whether ``schema`` is Stripe's list envelope: data, has_more, object ``list`` and url, all required."""
    properties = schema.get("properties") or {}
    return (
        set(properties) == {"data", "has_more", "object", "url"}
        and set(schema.get("required") or []) == set(properties)
        and properties["object"].get("enum") == ["list"]
        and properties["data"].get("type") == "array"
        and properties["has_more"].get("type") == "boolean"
        and properties["url"].get("maxLength") == 5000
        and not any(p.get("nullable") for p in properties.values())
    )


def operation(spec: Mapping[str, Any], method: str, path: str) -> Mapping[str, Any]:
    try:
        op = spec["paths"][path][method]
    except KeyError:
        raise SpecError(f"the spec has no {method.upper()} {path}") from None
    if not isinstance(op, dict):
        raise SpecError(f"{method.upper()} {path} is not an operation")
    return op


def params_schema(spec: Mapping[str, Any], method: str, path: str) -> dict[str, Any]:
    """One object schema for an operation's parameters, whether they travel in the query or the body."""
    op = operation(spec, method, path)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for parameter in op.get("parameters") or []:
        if parameter.get("in") != "query":
            continue
        properties[parameter["name"]] = parameter["schema"]
        if parameter.get("required"):
            required.append(parameter["name"])
    body = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
    body_schema = body.get("schema") or {}
    properties.update(body_schema.get("properties") or {})
    required.extend(body_schema.get("required") or [])
    return {"type": "object", "properties": properties, "required": required}


#: Parameters the spec leaves optional that API version 2022-08-01 requires: since that version a session
#: without ``mode`` can not use prices, and Stripe's answer is taken to be a missing-parameter error.
REQUIRED_SINCE = {"create": ("mode",)}
#: Parameters the spec requires that live Stripe takes without, whatever version a request pins (seen: Stripe's
#: own sample apps leave ``cancel_url`` out while pinning 2020-08-27). Live Stripe is the truth a test meets.
OPTIONAL_LIVE = {"create": ("cancel_url",)}


#: The version of the spec snapshot: what ``python scripts/generate_schema.py spec3.yaml`` writes.
SPEC_TARGET = Target(
    api_version=API_VERSION,
    source="Stripe's OpenAPI spec",
    operations=OPERATIONS,
    removed=REMOVED,
    required_since=REQUIRED_SINCE["create"],
    optional_live=OPTIONAL_LIVE["create"],
)


def sdk_target(api_version: str, sdk_version: str) -> Target:
    """The version a stripe package pins, read from its modules (``scripts/sdk_spec.py``).

    Its operations are the spec's and the update endpoint (``Session.modify``), which 2022-08-01 did not have.
    ``mode`` stays required: the SDK marks every create parameter optional, and Stripe's reference still lists
    ``mode`` as required (unverified against live Stripe at this version; the 2022-08-01 rule carries over).
    """
    operations = list(OPERATIONS)
    at = next(i for i, op in enumerate(operations) if op[0] == "expire") + 1
    operations.insert(at, ("update", "post", SESSIONS + "/{session}", "checkout.session"))
    return Target(
        api_version=api_version,
        source=f"the stripe package's generated modules (stripe {sdk_version})",
        operations=tuple(operations),
        required_since=REQUIRED_SINCE["create"],
    )


def with_removed(create: dict[str, Any], target: Target = SPEC_TARGET) -> dict[str, Any]:
    """The create params schema with the removed parameters added back (marked ``x-removed``), ``mode`` required
    and ``cancel_url`` not (as ``target`` says)."""
    create["required"] = sorted({*create.get("required", []), *target.required_since})
    if target.optional_live:
        # The seed's type keeps them required (the TypedDicts follow "required"); validation does not demand them.
        create["x-optional-live"] = sorted(target.optional_live)
    for parent_path, name, was, legacy in target.removed:
        parent: dict[str, Any] = create
        for step in parent_path:
            parent = parent["items"] if step == "[]" else parent["properties"][step]
        if name in parent.get("properties", {}):
            raise SpecError(f"{name!r} under {parent_path} is in the spec; it was expected to be removed")
        parent.setdefault("properties", {})[name] = {"x-removed": {"was": was, "legacy_line_item": legacy}}
    return create


def deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


class ParamsNodeWriter(NodeWriter):
    """A node writer that also understands the ``x-removed`` marker of :func:`with_removed`."""

    target: Target = SPEC_TARGET

    def node(self, schema: Mapping[str, Any], *, nullable: bool = False, emptyable: bool = False) -> str:
        if "x-removed" in schema:
            removed = schema["x-removed"]
            args = [("since", py_str(self.target.api_version)), ("was", self.node(removed["was"]))]
            if removed["legacy_line_item"]:
                args.append(("legacy_line_item", "True"))
            return self.call("Removed", args, nullable, emptyable)
        return super().node(schema, nullable=nullable, emptyable=emptyable)


def response_schema(spec: Mapping[str, Any], method: str, path: str) -> Mapping[str, Any]:
    op = operation(spec, method, path)
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    if not isinstance(schema, dict):
        raise SpecError(f"{method.upper()} {path} answers with no schema")
    return schema


def is_answer(schema: Mapping[str, Any]) -> bool:
    """Whether an operation's answer has a shape this generator writes: an object, a list, or one of objects."""
    if "$ref" in schema or is_list_object(schema):
        return True
    options = schema.get("anyOf") or []
    return bool(options) and all(set(o) == {"$ref"} for o in options)


def write_nodes(
    spec: Mapping[str, Any], enum_names: Mapping[Values, str] | None = None, target: Target = SPEC_TARGET
) -> tuple[str, EnumUses]:
    """The node module's source, and the enums it met. ``enum_names``: the shared enums' constants."""
    enum_names = enum_names or {}
    writer = ParamsNodeWriter(spec["components"]["schemas"], enum_names, opaque=OPAQUE_COMPONENTS)
    writer.target = target
    for root in OBJECT_ROOTS:
        writer.component(root)
    params_lines = []
    ops_lines = []
    for name, method, path, _answer in target.operations:
        schema = deep_copy(params_schema(spec, method, path))
        if name == "create":
            schema = with_removed(schema, target)
        constant = f"{name.upper()}_PARAMS"
        params_lines.append(f"{constant} = {writer.node(schema)}")
        answer = response_schema(spec, method, path)
        if not is_answer(answer):
            raise SpecError(f"{method.upper()} {path} answers with neither an object, a list, nor one of objects")
        answer_source = writer.node(answer)
        ops_lines.append(
            f"    {py_str(name)}: Operation(name={py_str(name)}, method={py_str(method.upper())}, "
            f"path={py_str(path)}, params={constant}, answer={answer_source}),"
        )

    version = target.api_version
    title = f"Stripe's Checkout Sessions API and the objects around a session, version {version}, as schema nodes."
    out = [target.header, f'"""{title}"""', ""]
    out.append("from __future__ import annotations")
    out.append("")
    out.append("from dataclasses import replace")
    out.append("")
    resources = {r: writer.component(r) for r in RESOURCE_ROOTS}
    body = "\n".join([*writer.emitted.values(), *params_lines, *ops_lines])
    kinds = sorted(k for k in NODE_CLASSES if re.search(rf"\b{k}\(", body))
    out.append("from pytest_checkout.schema.nodes import " + ", ".join(kinds))
    out.append("from pytest_checkout.schema.operations import Operation, list_of")
    out.append("")
    out.append("__all__ = [")
    open_limits = spec.get("info", {}).get("x-open-limits")
    exported = [
        "API_VERSION",
        *(["OPEN_LIMITS"] if open_limits else []),
        "COMPONENTS",
        "OPERATIONS",
        "RESOURCES",
        *(f"{name.upper()}_PARAMS" for name, *_ in target.operations),
        *(constant_name(n) for n in writer.emitted),
        *enum_names.values(),
    ]
    out.extend(f"    {py_str(n)}," for n in sorted(set(exported)))
    out.append("]")
    out.append("")
    out.append(f"API_VERSION = {py_str(version)}")
    out.append("")
    if open_limits:
        # The source carries no length limits; those of the older spec were taken where the path exists there.
        out.append("#: Per operation, the free-string parameters no length limit is known for (validation leaves")
        out.append("#: them unbounded).")
        out.append("OPEN_LIMITS = {")
        for operation, paths in open_limits.items():
            out.append(f"    {py_str(operation)}: {NodeWriter.tuple_of(list(paths))},")
        out.append("}")
        out.append("")
    if enum_names:
        out.append("# Enumerations that several fields share, or long ones: each is spelled out here only.")
        for values, name in sorted(enum_names.items(), key=lambda item: item[1]):
            out.append(f"{name} = {NodeWriter.tuple_of(list(values))}")
        out.append("")
    out.append("# Response objects, each after the ones it embeds.")
    for component, source in writer.emitted.items():
        out.append(f"{constant_name(component)} = {source}")
    out.append("")
    out.append("#: Every response object above by its name in the spec.")
    out.append("COMPONENTS = {")
    out.extend(f"    {py_str(c)}: {constant_name(c)}," for c in writer.emitted)
    out.append("}")
    out.append("")
    out.append("# Parameters of each operation (query for GET, form body for POST).")
    out.extend(params_lines)
    out.append("")
    out.append("#: The objects that expandable fields of a session name (each one of the response objects above).")
    out.append("RESOURCES = {")
    out.extend(f"    {py_str(resource)}: {source}," for resource, source in resources.items())
    out.append("}")
    out.append("")
    out.append("#: Every operation by name: the session's own, then those on the objects around a session.")
    out.append("OPERATIONS = {")
    out.extend(ops_lines)
    out.append("}")
    return "\n".join(out) + "\n", writer.enums


# ------------------------------------------------------------------------------------------------------------
# The typing module


SCALAR_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


@dataclass
class TypesWriter:
    """Turns the same schemas into TypedDicts (parameters) and annotated classes (responses)."""

    components: Mapping[str, Any]
    #: Shared enums (values -> the ``Literal`` alias's name), written by name instead of spelled out.
    enum_names: Mapping[Values, str] = field(default_factory=dict)
    #: Every enum met, for choosing the shared ones (see :func:`generate`).
    enums: EnumUses = field(default_factory=EnumUses)
    classes: list[str] = field(default_factory=list)
    #: Parameter path (``line_items[][price_data]``) -> TypedDict name, for tests and tools.
    param_types: dict[str, str] = field(default_factory=dict)
    literal_lines: list[str] = field(default_factory=list)
    target: Target = SPEC_TARGET

    def literal(self, values: Values, name: str, path: str) -> str:
        # Every parameter with an enum has an alias named after it. A shared enum is spelled out once, in an
        # alias named after what it is (see shared_enum_names): the field refers to that one, and the
        # parameter's own alias stays as another name for it.
        self.enums.add(values, tuple(key for key in re.findall(r"[^\[\]]+", path) if key != "*"))
        shared = self.enum_names.get(values)
        if shared:
            self.literal_lines.append(f"{name} = {shared}")
            return shared
        self.literal_lines.append(f"{name} = {literal_of(values)}")
        return name

    def param_type(self, schema: Mapping[str, Any], class_name: str, path: str, operation: str = "") -> str:
        if "x-removed" in schema:
            return self.param_type(schema["x-removed"]["was"], class_name, path, operation)
        if "anyOf" in schema:
            options = [o for o in schema["anyOf"] if o.get("enum") != [""]]
            inner = [self.param_type(o, class_name, path, operation) for o in options]
            text = " | ".join(dict.fromkeys(inner))
            if len(options) < len(schema["anyOf"]):
                text += ' | Literal[""]'
            return text
        kind = schema.get("type")
        if kind == "string":
            if "enum" in schema:
                return self.literal(tuple(str(v) for v in schema["enum"]), class_name, path)
            return "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "array":
            item_name = singular(class_name) if schema["items"].get("properties") else class_name
            return f"list[{self.param_type(schema['items'], item_name, path + '[]', operation)}]"
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not schema.get("properties"):
            return f"dict[str, {self.param_type(extra, class_name + 'Value', path + '[*]', operation)}]"
        if schema.get("properties"):
            self.typed_dict(schema, class_name, path, operation)
            return class_name
        return "dict[str, Any]"

    def typed_dict(self, schema: Mapping[str, Any], class_name: str, path: str, operation: str = "") -> None:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        self.param_types[path] = class_name
        lines = [f"class {class_name}(TypedDict, total=False):"]
        where = f"at ``{path}``" if path else f"of ``{PARAMS_CLASSES[operation][1]}``"
        lines.append(f'    """Parameters {where}."""')
        lines.append("")
        for key in sorted(properties):
            sub = properties[key]
            child_name = class_name + camel(key)
            annotation = self.param_type(sub, child_name, f"{path}[{key}]" if path else key, operation)
            if "x-removed" in sub:
                lines.append(f"    # Deprecated: removed in API version {self.target.api_version}; Stripe rejects it.")
            if key in required:
                annotation = f"Required[{annotation}]"
            if not key.isidentifier() or keyword.iskeyword(key):
                raise SpecError(f"parameter {key!r} is not a Python identifier")
            lines.append(f"    {key}: {annotation}")
        self.classes.append("\n".join(lines))

    def response_type(self, schema: Mapping[str, Any]) -> str:
        nullable = bool(schema.get("nullable"))
        if "x-expansionResources" in schema:
            text = "str | dict[str, Any]"
        elif "anyOf" in schema and len(schema["anyOf"]) == 1:
            return self.response_type({**schema["anyOf"][0], "nullable": nullable})
        elif "$ref" in schema:
            text = "dict[str, Any]"
        else:
            kind = schema.get("type")
            text = SCALAR_TYPES.get(kind or "", "")
            if kind == "array":
                text = f"list[{self.response_type(schema['items'])}]"
            elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
                text = f"dict[str, {self.response_type(schema['additionalProperties'])}]"
            elif not text:
                text = "dict[str, Any]"
        return f"{text} | None" if nullable else text


def literal_of(values: Values) -> str:
    return "Literal[" + ", ".join(py_str(v) for v in values) + "]"


def response_class(writer: TypesWriter, component: str, class_name: str, lists: Mapping[str, str]) -> str:
    schema = writer.components[component]
    properties = schema["properties"]
    lines = [
        "@dataclass(frozen=True)",
        f"class {class_name}(StripeObject):",
        f'    """A ``{component}`` object of API version {writer.target.api_version}: its {len(properties)} fields."""',
        "",
        f"    OBJECT_NAME: ClassVar[str] = {py_str(component)}",
    ]
    if lists:
        entries = ", ".join(f"{py_str(k)}: {v}" for k, v in sorted(lists.items()))
        lines.append(f"    LISTS: ClassVar[dict[str, type[StripeObject]]] = {{{entries}}}")
    lines.append("")
    for key in sorted(properties):
        sub = properties[key]
        annotation = f"ListObject[{lists[key]}] | None" if key in lists else writer.response_type(sub)
        lines.append(f"    {key}: {annotation}")
    return "\n".join(lines)


def write_types(
    spec: Mapping[str, Any], enum_names: Mapping[Values, str] | None = None, target: Target = SPEC_TARGET
) -> tuple[str, EnumUses]:
    """The typing module's source, and the enums it met. ``enum_names``: the shared enums' aliases."""
    enum_names = enum_names or {}
    writer = TypesWriter(spec["components"]["schemas"], enum_names, target=target)
    prefixes = {name: class_name for name, (class_name, _label) in PARAMS_CLASSES.items()}
    for name, method, path, _answer in target.operations:
        schema = deep_copy(params_schema(spec, method, path))
        if name == "create":
            schema = with_removed(schema, target)
        # An operation with no parameters still gets its (empty) TypedDict, so callers can name it.
        schema.setdefault("properties", {})
        if not schema["properties"]:
            writer.classes.append(
                f"class {prefixes[name]}(TypedDict, total=False):\n"
                f'    """Parameters of ``{PARAMS_CLASSES[name][1]}``: none besides the path."""'
            )
            writer.param_types[f"({name})"] = prefixes[name]
            continue
        writer.typed_dict(schema, prefixes[name], "", name)
        writer.param_types[f"({name})"] = writer.param_types.pop("")

    version = target.api_version
    title = f"Types of Stripe's Checkout Sessions API and the objects around a session, version {version}."
    out = [target.header, f'"""{title}"""', ""]
    out.append("from __future__ import annotations")
    out.append("")
    out.append("from dataclasses import dataclass")
    out.append("from typing import Any, ClassVar, Literal")
    out.append("")
    out.append("from typing_extensions import Required, TypedDict")
    out.append("")
    out.append("from pytest_checkout.objects import ListObject, StripeObject")
    out.append("")
    items = response_class(writer, "item", "LineItem", {})
    session = response_class(writer, "checkout.session", "Session", {"line_items": "LineItem"})
    if enum_names:
        out.append("# Enumerations that several parameters share, or long ones: each is spelled out here only.")
        out.extend(f"{name} = {literal_of(values)}" for values, name in sorted(enum_names.items(), key=lambda i: i[1]))
        out.append("")
    out.append("# Enumerations, each named after the parameter that uses it.")
    out.extend(writer.literal_lines)
    out.append("")
    out.append("")
    out.append("\n\n\n".join(writer.classes))
    out.append("")
    out.append("")
    out.append(items)
    out.append("")
    out.append("")
    out.append(session)
    out.append("")
    out.append("")
    out.append("#: Parameter path -> the TypedDict describing it; ``(create)`` and so on are the operations.")
    out.append("PARAM_TYPES: dict[str, type[Any]] = {")
    out.extend(f"    {py_str(k)}: {v}," for k, v in sorted(writer.param_types.items()))
    out.append("}")
    return "\n".join(out) + "\n", writer.enums


# ------------------------------------------------------------------------------------------------------------


def ruff_format(source: str, name: str) -> str:
    """Format with ruff so the committed file is stable; the same ruff config as the project's."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / name
        target.write_text(source)
        root = Path(__file__).resolve().parent.parent
        subprocess.run(
            [*ruff_command(), "format", "--config", str(root / "pyproject.toml"), str(target)],
            check=True,
            capture_output=True,
        )
        return target.read_text()


def ruff_command() -> list[str]:
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]
    except ImportError as exc:
        raise SystemExit("the generator formats with ruff: pip install ruff") from exc
    return [str(find_ruff_bin())]


def name_styles(target: Target) -> dict[str, Callable[[str], str]]:
    """How each module spells a shared enum's name: a tuple constant, a ``Literal`` alias."""
    return {f"{target.module}.py": str.upper, f"{target.module}_types.py": camel}


def generate(spec_path: Path) -> dict[str, str]:
    """Module file name -> formatted source, for the spec at ``spec_path`` (see :func:`generate_modules`)."""
    return generate_modules(load_spec(spec_path), SPEC_TARGET)


def generate_from_sdk(stripe_dir: Path) -> dict[str, str]:
    """Module file name -> formatted source, for the version the stripe package at ``stripe_dir`` pins."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from sdk_spec import build_spec, sdk_package_version

    from pytest_checkout import versions

    spec = build_spec(stripe_dir, versions.get(API_VERSION))
    return generate_modules(spec, sdk_target(spec["info"]["version"], sdk_package_version(stripe_dir)))


def generate_modules(spec: Mapping[str, Any], target: Target) -> dict[str, str]:
    """Module file name -> formatted source.

    Each module is written twice: first with every enum spelled out, to learn which enums it shares (or are
    long, :meth:`EnumUses.shared`) and which names it already uses; then with those enums as constants. The
    names are chosen once for both modules, so ``ALLOWED_COUNTRIES`` in one is ``AllowedCountries`` in the other.
    """
    writers: dict[str, Callable[..., tuple[str, EnumUses]]] = {
        f"{target.module}.py": write_nodes,
        f"{target.module}_types.py": write_types,
    }
    styles = name_styles(target)
    first = {module: write(spec, None, target) for module, write in writers.items()}
    shared = {module: set(uses.shared()) for module, (_source, uses) in first.items()}
    # Every enum shared in either module, with the key paths of the fields of both modules that use it.
    uses: dict[Values, list[KeyPath]] = {}
    for _source, module_uses in first.values():
        for values, paths in module_uses.paths.items():
            if any(values in s for s in shared.values()):
                uses.setdefault(values, []).extend(paths)
    taken = {module: module_names(source) | set(dir(builtins)) for module, (source, _uses) in first.items()}

    def is_taken(name: str) -> bool:
        return any(
            styles[module](name) in taken[module] or keyword.iskeyword(styles[module](name)) for module in writers
        )

    names = shared_enum_names(uses, is_taken)
    sources = {}
    for module, write in writers.items():
        style = styles[module]
        source, _uses = write(spec, {values: style(names[values]) for values in shared[module]}, target)
        sources[module] = ruff_format(source, module)
    return sources


def main(argv: list[str] | None = None, out: Callable[[str], Any] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("spec", type=Path, nargs="?", help="Stripe's spec3.yaml for API version " + API_VERSION)
    parser.add_argument(
        "--sdk",
        type=Path,
        help="instead of a spec: a stripe package folder (site-packages/stripe), for the version it pins",
    )
    default_out = Path(__file__).resolve().parent.parent / "pytest_checkout" / "schema"
    parser.add_argument("--out", type=Path, default=default_out, help="where the modules go")
    parser.add_argument("--check", action="store_true", help="compare with the files; exit 1 on a difference")
    args = parser.parse_args(argv)
    if (args.spec is None) == (args.sdk is None):
        parser.error("give either a spec or --sdk")
    try:
        modules = generate(args.spec) if args.sdk is None else generate_from_sdk(args.sdk)
    except (OSError, SpecError, yaml.YAMLError) as exc:
        out(f"generate_schema: {exc}")
        return 2
    different = []
    for name, source in modules.items():
        target = args.out / name
        if args.check:
            if not target.exists() or target.read_text() != source:
                different.append(name)
        else:
            target.write_text(source)
            out(f"wrote {target}")
    if different:
        out("out of date: " + ", ".join(different))
        return 1
    return 0


def iter_removed() -> Iterator[tuple[tuple[str, ...], str]]:
    """The removed parameters as (parent path, name), for tests."""
    for parent, name, _was, _legacy in REMOVED:
        yield parent, name


if __name__ == "__main__":
    sys.exit(main())
