"""The rules of ``POST /v1/checkout/sessions/{session}``, the update endpoint (today's API; not in 2022-08-01).

Its ``line_items`` retransmit the whole list (the SDK's parameter docs): an entry with an ``id`` keeps that line
item, changing what it gives (``quantity``, ``adjustable_quantity``, ``metadata``); an entry without one adds a
line item, and needs a price and a quantity as a created one does. What needs the session itself (the ids it
has, its mode and status) is checked by the backend (``CheckoutFake.update_session``). The create endpoint's
rules about a line item's price, amounts, bounds and metadata hold here too, and are registered for both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pytest_checkout.rules import create
from pytest_checkout.rules.registry import RuleContext, Violation, _given, _integer_bounds, rule

#: What the rules about the update's line items need.
LINE_ITEMS = ("line_items",)


@rule("update", "docs", needs=LINE_ITEMS)
def new_line_item_needs_price_and_quantity(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A new line item (no ``id``) needs one of ``price`` / ``price_data`` and a ``quantity`` (the SDK's docs);
    the messages are the create endpoint's (seen there; assumed the same here)."""
    for index, item in context.line_items(params):
        if _given(item, "id"):
            continue
        if not _given(item, "price") and not _given(item, "price_data"):
            yield Violation(
                "You must provide either price or price_data for each line item when using prices.",
                param=f"line_items[{index}]",
            )
        elif item.get("quantity") is None:
            yield Violation(
                f"Quantity is required. Add `quantity` to `line_items[{index}]`", param=f"line_items[{index}]"
            )


@rule("update", "guess", needs=LINE_ITEMS)
def kept_line_item_keeps_its_price(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """An entry that names a line item by ``id`` changes its quantity, bounds or metadata, not its price: the SDK
    documents ``price``/``price_data`` for new line items only. Unverified: Stripe's answer and wording."""
    for index, item in context.line_items(params):
        if not _given(item, "id"):
            continue
        for key in ("price", "price_data"):
            if _given(item, key):
                yield Violation(
                    f"You cannot change the `{key}` of an existing line item; omit `line_items[{index}][id]` to add "
                    "a new line item instead.",
                    param=f"line_items[{index}][{key}]",
                )


@rule("update", "seen", needs=LINE_ITEMS)
def line_item_quantity_at_least_one(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A quantity given is at least 1 (the create endpoint's bound, seen there)."""
    for index, item in context.line_items(params):
        yield from _integer_bounds(item.get("quantity"), 1, None, f"line_items[{index}][quantity]")


# The create endpoint's rules that read only a line item's own fields (or the top-level metadata) hold as they are.
for _shared in (
    create.line_item_price_exists,
    create.price_data_product_and_amount,
    create.line_items_share_currency,
    create.adjustable_quantity_bounds,
):
    rule("update", "docs", needs=LINE_ITEMS)(_shared)
rule("update", "seen", needs=("metadata", "line_items", "shipping_options"))(create.metadata_limits)
