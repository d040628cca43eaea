"""Answers shaped by the response schema: every key an answer has, and nothing it does not.

A response field is present in Stripe's answers (as ``null`` when it has no value) unless it is "includable":
returned only when a request expands it, such as a session's ``line_items`` or its totals' ``breakdown``. The
spec does not mark includable fields in a form a program can read (only its prose says "not included by
default"), so ``INCLUDABLE`` lists them, per object title, from Stripe's API reference for these objects.
``shape`` applies the rule to values the fake has, so each object it answers with has exactly the keys
Stripe's would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_checkout.schema import nodes

__all__ = ["INCLUDABLE", "blank", "present_keys", "shape"]

#: Fields returned only when expanded, by the ``title`` of the object that has them.
INCLUDABLE: dict[str, frozenset[str]] = {
    "Session": frozenset({"line_items"}),
    "LineItem": frozenset({"discounts", "taxes"}),
    "Price": frozenset({"currency_options", "tiers"}),
    "PaymentPagesCheckoutSessionTotalDetails": frozenset({"breakdown"}),
    "Customer": frozenset({"cash_balance", "invoice_credit_balance", "sources", "subscriptions", "tax", "tax_ids"}),
}


def present_keys(node: nodes.Object) -> tuple[str, ...]:
    """The keys an answer carries without expansion: all but the includable ones."""
    cached = _PRESENT.get(id(node))
    if cached is None:
        hidden = INCLUDABLE.get(node.title or "", frozenset())
        cached = tuple(k for k in node.properties if k not in hidden)
        _PRESENT[id(node)] = cached
    return cached


_PRESENT: dict[int, tuple[str, ...]] = {}


def blank(node: nodes.Node) -> Any:
    """The value of a field the fake has nothing for: ``null`` where allowed, else an empty value of its type."""
    if node.nullable:
        return None
    if isinstance(node, nodes.Object):
        return {k: blank(node.properties[k]) for k in present_keys(node)} if node.properties else {}
    if isinstance(node, nodes.Array):
        return []
    if isinstance(node, nodes.Map):
        return {}
    if isinstance(node, nodes.Boolean):
        return False
    if isinstance(node, nodes.Integer | nodes.Number):
        return 0
    if isinstance(node, nodes.String) and node.enum:
        return node.enum[0]
    return ""


def shape(node: nodes.Node, value: Any) -> Any:
    """``value`` fitted to ``node``: objects get every present key (from ``value`` or blank) and lose others."""
    if value is None:
        return blank(node) if not node.nullable else None
    if isinstance(node, nodes.Object) and node.properties and isinstance(value, Mapping):
        out = {}
        for key in present_keys(node):
            out[key] = shape(node.properties[key], value.get(key))
        # Includable fields the fake chose to fill (an expanded list, say) stay.
        for key, item in value.items():
            if key not in out and key in node.properties:
                out[key] = shape(node.properties[key], item)
        return out
    if isinstance(node, nodes.Array) and isinstance(value, list):
        return [shape(node.items, item) for item in value]
    if isinstance(node, nodes.AnyOf):
        for option in node.options:
            if isinstance(option, nodes.Object) and isinstance(value, Mapping):
                return shape(option, value)
        return value
    return value
