"""Objects as the API shows them: ``expand[]`` and the list envelope.

The backend keeps ids where Stripe keeps ids; what a request asks to expand is put in here, from the objects
the backend holds, and pages of objects get Stripe's ``list`` envelope. JSON itself is written at the HTTP
edge (``routes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pytest_checkout.fake import exceptions
from pytest_checkout.versions import ApiVersion

__all__ = [
    "EXPANDED_LINE_ITEMS",
    "check_session_expand",
    "expand_paths",
    "expand_session",
    "list_expand",
    "list_object",
]

#: How many line items an expanded ``line_items`` holds before ``has_more`` (a guess: Stripe's default page).
EXPANDED_LINE_ITEMS = 10


def list_object(data: Sequence[Any], has_more: bool, url: str) -> dict[str, Any]:
    """Stripe's list envelope around one page (the shape of ``operations.list_of``)."""
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def expand_paths(params: Mapping[str, Any]) -> list[str]:
    """The ``expand[]`` paths of a request, blanks dropped."""
    expand = params.get("expand") or []
    return [e for e in expand if isinstance(e, str) and e]


def check_session_expand(paths: Iterable[str], version: ApiVersion) -> None:
    """Refuse a path that names no expandable session field, before anything changes."""
    for path in paths:
        if path not in version.session_expandable:
            raise exceptions.cannot_expand(path)


def list_expand(paths: Iterable[str], version: ApiVersion) -> list[str]:
    """The session paths inside a list's ``data.`` expansions, checked."""
    inner = []
    for path in paths:
        if not path.startswith("data."):
            raise exceptions.cannot_expand(path)
        inner.append(path[len("data.") :])
    check_session_expand(inner, version)
    return inner


def expand_session(
    data: dict[str, Any],
    paths: Iterable[str],
    *,
    line_items: Callable[[], list[dict[str, Any]]],
    lookup: Callable[[str, str], dict[str, Any] | None],
) -> dict[str, Any]:
    """``data`` with each path in ``paths`` expanded: ``line_items`` as a list, ids as the objects they name.

    ``lookup(field, id)`` finds the object an id names (``None`` when the fake has none: the id stays, as
    Stripe leaves an id it cannot expand to a deleted object).
    """
    for path in paths:
        if path == "line_items":
            items = line_items()[: EXPANDED_LINE_ITEMS + 1]
            data["line_items"] = list_object(
                items[:EXPANDED_LINE_ITEMS],
                len(items) > EXPANDED_LINE_ITEMS,
                f"/v1/checkout/sessions/{data['id']}/line_items",
            )
            continue
        value = data.get(path)
        if isinstance(value, str):
            found = lookup(path, value)
            if found is not None:
                data[path] = found
    return data
