"""The node types that describe Stripe's request parameters and response objects.

A schema is a tree of these frozen nodes. The per-version modules next to this one are generated from Stripe's
OpenAPI spec by ``scripts/generate_schema.py`` and only build trees of these nodes, so everything that reads a
schema (codec, validation, the fake, the strategies) dispatches on the handful of classes defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

__all__ = [
    "NODE_KINDS",
    "AnyOf",
    "Array",
    "Boolean",
    "Expandable",
    "Integer",
    "Map",
    "Node",
    "Number",
    "Object",
    "Removed",
    "String",
    "merge",
    "node_at",
]


@dataclass(frozen=True, kw_only=True)
class Node:
    """Base of every schema node.

    ``nullable``: a response field that may be ``null``. ``emptyable``: a request parameter where the empty
    string is accepted (Stripe reads it as "unset"); elsewhere ``""`` is ``parameter_invalid_empty``.
    """

    nullable: bool = False
    emptyable: bool = False


@dataclass(frozen=True, kw_only=True)
class String(Node):
    """A string, optionally limited in length or to a set of values."""

    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    format: str | None = None


@dataclass(frozen=True, kw_only=True)
class Integer(Node):
    """An integer; ``format`` is ``"unix-time"`` for timestamps."""

    format: str | None = None


@dataclass(frozen=True, kw_only=True)
class Number(Node):
    """A decimal number (a float on the wire)."""


@dataclass(frozen=True, kw_only=True)
class Boolean(Node):
    """``true`` or ``false``."""


@dataclass(frozen=True, kw_only=True)
class Object(Node):
    """An object with known keys; unknown keys are rejected."""

    properties: Mapping[str, Node] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    title: str | None = None


@dataclass(frozen=True, kw_only=True)
class Map(Node):
    """An object with free-form keys whose values share one schema (``metadata``)."""

    values: Node = field(default_factory=lambda: String())


@dataclass(frozen=True, kw_only=True)
class Array(Node):
    """A list whose items share one schema."""

    items: Node = field(default_factory=lambda: String())


@dataclass(frozen=True, kw_only=True)
class AnyOf(Node):
    """A value matching one of several schemas."""

    options: tuple[Node, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Expandable(Node):
    """A response field holding an id, or the object it names when the request expanded it."""

    resources: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Removed(Node):
    """A parameter that older API versions accepted and that ``since`` removed.

    The seed (generated from Stripe's "sdk" spec variant) still lists these; the live API rejects them.
    ``legacy_line_item`` marks the old line item fields, which Stripe rejects with a message of their own
    instead of calling them unknown. ``was`` is the schema the parameter had, for the client's types.
    """

    since: str = ""
    legacy_line_item: bool = False
    was: Node = field(default_factory=lambda: String())


#: Every concrete node class. Code that dispatches on node types asserts it covers all of these.
NODE_KINDS: tuple[type[Node], ...] = (
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Map,
    Array,
    AnyOf,
    Expandable,
    Removed,
)


def node_at(root: Node, path: str) -> Node | None:
    """The node at the schema path ``path`` below ``root``, or None where there is none.

    Paths are written as the rules and the strategies write them: ``line_items[][price_data]``, with ``[]`` for
    an array's items and ``[*]`` for a map's values; ``""`` is ``root`` itself. A ``Removed`` node has nothing
    below it.
    """
    node: Node | None = root
    if not path:
        return node
    for step in path.replace("]", "").split("["):
        if step == "":
            node = node.items if isinstance(node, Array) else None
        elif step == "*":
            node = node.values if isinstance(node, Map) else None
        else:
            node = node.properties.get(step) if isinstance(node, Object) else None
        if node is None:
            return None
    return node


def merge(first: Node, second: Node) -> Node:
    """One node that holds what either describes: the shape a value must have to be answered in both.

    Objects keep every key of either (merged where both have it; required only where both require it), arrays
    and maps merge their items, enums join their values (``first``'s order, then ``second``'s new ones). Where
    the two are of different kinds, ``first`` wins. The fake stores a session in the merge of every version's
    session and answers each version with what that version's node describes.
    """
    nullable = first.nullable or second.nullable
    if isinstance(first, Object) and isinstance(second, Object):
        properties = dict(first.properties)
        for key, node in second.properties.items():
            properties[key] = merge(properties[key], node) if key in properties else node
        return Object(
            properties=properties,
            required=first.required & second.required,
            title=first.title or second.title,
            nullable=nullable,
            emptyable=first.emptyable,
        )
    if isinstance(first, Array) and isinstance(second, Array):
        return Array(items=merge(first.items, second.items), nullable=nullable, emptyable=first.emptyable)
    if isinstance(first, Map) and isinstance(second, Map):
        return Map(values=merge(first.values, second.values), nullable=nullable, emptyable=first.emptyable)
    if isinstance(first, String) and isinstance(second, String):
        enum = None
        if first.enum is not None and second.enum is not None:
            enum = (*first.enum, *(v for v in second.enum if v not in first.enum))
        return String(
            max_length=first.max_length if first.max_length is not None else second.max_length,
            enum=enum,
            format=first.format,
            nullable=nullable,
            emptyable=first.emptyable,
        )
    return first if first.nullable == nullable else replace(first, nullable=nullable)
