"""Stripe's cursor pagination: ``limit``, ``starting_after`` and ``ending_before`` over an ordered list.

Both cursors are exclusive. ``starting_after`` pages towards the end of the list; ``ending_before`` pages back
towards its start, answering the ``limit`` items just before the cursor. ``has_more`` says whether the list
goes on beyond the page in the direction of travel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pytest_checkout import rules
from pytest_checkout.fake import exceptions

__all__ = ["newest_first", "page"]

T = TypeVar("T")


def page(ordered: Sequence[T], params: Mapping[str, Any], key: Callable[[T], str], kind: str) -> tuple[list[T], bool]:
    """One page of ``ordered`` (already in answer order); cursors are looked up with ``key``."""
    limit = params.get("limit") or rules.DEFAULT_LIST_LIMIT
    after, before = params.get("starting_after"), params.get("ending_before")
    if after:
        start = _find(ordered, after, key, kind, "starting_after") + 1
        return list(ordered[start : start + limit]), start + limit < len(ordered)
    if before:
        end = _find(ordered, before, key, kind, "ending_before")
        begin = max(0, end - limit)
        return list(ordered[begin:end]), begin > 0
    return list(ordered[:limit]), len(ordered) > limit


def newest_first(
    order: Sequence[str], position: Mapping[str, int], params: Mapping[str, Any]
) -> tuple[list[str], bool]:
    """One page of ids kept oldest first (``order``, with each id's ``position``), answered newest first.

    Reads the page straight off the creation order: no sort and no scan, whatever the number of sessions.
    """
    limit = params.get("limit") or rules.DEFAULT_LIST_LIMIT
    after, before = params.get("starting_after"), params.get("ending_before")
    if after:
        end = _position(position, after, "starting_after")
        start = max(0, end - limit)
        return list(order[start:end][::-1]), start > 0
    if before:
        start = _position(position, before, "ending_before") + 1
        end = min(len(order), start + limit)
        return list(order[start:end][::-1]), end < len(order)
    start = max(0, len(order) - limit)
    return list(order[start:][::-1]), start > 0


def _find(ordered: Sequence[T], cursor: str, key: Callable[[T], str], kind: str, param: str) -> int:
    for index, item in enumerate(ordered):
        if key(item) == cursor:
            return index
    raise exceptions.no_such_cursor(kind, cursor, param)


def _position(position: Mapping[str, int], cursor: str, param: str) -> int:
    found = position.get(cursor)
    if found is None:
        raise exceptions.no_such_cursor("checkout.session", cursor, param)
    return found
