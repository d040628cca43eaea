"""The rules of the two list endpoints."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pytest_checkout.rules.registry import RuleContext, Violation, _given, _integer_bounds, _one_of, rule

# -- List -------------------------------------------------------------------------------------------------------

LIST_LIMIT = (1, 100)
DEFAULT_LIST_LIMIT = 10


@rule("list", "seen")
def list_limit(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``limit`` lies in 1..100."""
    yield from _integer_bounds(params.get("limit"), *LIST_LIMIT, "limit")


@rule("list", "guess")
def list_cursors(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``starting_after`` and ``ending_before`` exclude each other (wording a guess)."""
    if _given(params, "starting_after") and _given(params, "ending_before"):
        yield Violation(_one_of("ending_before", "starting_after"))


@rule("list_line_items", "seen")
def line_items_limit(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``limit`` lies in 1..100."""
    yield from list_limit(params, context)


@rule("list_line_items", "guess")
def line_items_cursors(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``starting_after`` and ``ending_before`` exclude each other (wording a guess)."""
    yield from list_cursors(params, context)
