"""Objects as the API shows them: ``expand[]`` and the list envelope.

The backend keeps ids where Stripe keeps ids; what a request asks to expand is put in here, from the objects
the backend holds, and pages of objects get Stripe's ``list`` envelope. JSON itself is written at the HTTP
edge (``routes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pytest_checkout import versions
from pytest_checkout.fake import exceptions
from pytest_checkout.fake.models import ABSENT_WHEN_NULL
from pytest_checkout.fake.shapes import blank, once_per_shared, present_keys
from pytest_checkout.schema import nodes
from pytest_checkout.versions import ApiVersion

__all__ = [
    "EXPANDED_LINE_ITEMS",
    "Resolver",
    "canonical_params",
    "check_session_expand",
    "expand_object",
    "expand_paths",
    "expand_session",
    "items_for",
    "list_expand",
    "list_object",
    "session_for",
]

#: How many line items an expanded ``line_items`` holds before ``has_more`` (a guess: Stripe's default page).
EXPANDED_LINE_ITEMS = 10


# -- one stored session, answered in each version --------------------------------------------------------------

#: Fits a stored value to what one version answers with: keys it lacks dropped, keys it has and the value does
#: not, blank. ``None`` where the stored value is answered as it is.
Projector = Callable[[Any], Any]


def session_for(data: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    """A stored session (every field of every version, ``versions.CANONICAL_SESSION``) as ``version`` shows it.

    Fields the version does not have are left out, nested ones too (2022-08-01's ``automatic_tax`` has no
    ``liability``); fields it has that the store lacks are blank (``currency_conversion`` before clover). Enum
    values renamed since the version are given their old names (``hosted_page`` is ``hosted`` before dahlia).
    """
    project = _SESSION_PROJECTORS.get(version.name)
    if project is None:
        compiled = _projector(version.checkout_session, versions.CANONICAL_SESSION)
        assert compiled is not None  # a version never answers with every stored field as stored
        project = _SESSION_PROJECTORS[version.name] = compiled
    shown: dict[str, Any] = project(data)
    for key in ABSENT_WHEN_NULL:
        # Absent from the store, or null in fields not stored yet (the create's own answer): left out.
        if data.get(key) is None and shown.get(key, 0) is None:
            del shown[key]
    for key, names in versions.renamed_values(version).items():
        value = shown.get(key)
        if value in names:
            shown[key] = names[value]
    return shown


def items_for(items: list[dict[str, Any]], version: ApiVersion) -> list[dict[str, Any]]:
    """Stored line items (every version's fields, ``versions.CANONICAL_ITEM``) as ``version`` shows them."""
    project = _ITEM_PROJECTORS.get(version.name)
    if project is None:
        compiled = _projector(version.item, versions.CANONICAL_ITEM)
        project = _ITEM_PROJECTORS[version.name] = compiled or _same
    return [project(item) for item in items]


def _same(value: Any) -> Any:
    return value


_ITEM_PROJECTORS: dict[str, Projector] = {}


def canonical_params(params: Mapping[str, Any], version: ApiVersion) -> Mapping[str, Any]:
    """Create params of ``version`` with the enum values renamed since then in today's names (what is stored)."""
    renamed = versions.renamed_values(version)
    if not renamed or not renamed.keys() & params.keys():
        return params
    out = dict(params)
    for key in renamed:
        back = versions.TODAYS_NAMES[key]
        if out.get(key) in back:
            out[key] = back[out[key]]
    return out


_SESSION_PROJECTORS: dict[str, Projector] = {}


def _projector(node: nodes.Node, stored: nodes.Node | None) -> Projector | None:
    if stored is not None and node == stored:
        return None
    if isinstance(node, nodes.Object) and node.properties:
        stored_properties = stored.properties if isinstance(stored, nodes.Object) else {}
        present = set(present_keys(node))
        keys = frozenset(node.properties)
        nested = []
        for key, child in node.properties.items():
            inner = _projector(child, stored_properties.get(key))
            if inner is not None:
                # Most nested values of a stored session are shared ones (shapes.shared): each is fitted once.
                nested.append((key, once_per_shared(inner)))
        # A null where this version has none, in an optional field, is left out (a field another version has as
        # null); in an always-present field it stays (live Stripe has nulls the 2022-08-01 spec does not).
        no_null = frozenset(k for k, child in node.properties.items() if k not in present and not child.nullable)
        always = [(key, child) for key, child in node.properties.items() if key in present]

        # Per order of the value's keys (a stored session always has one), what projecting it takes: the keys to
        # drop, and which of the kept ones have nested projections, lose a null or are filled in.
        plans: dict[tuple[str, ...], _Plan] = {}

        def plan_for(order: tuple[str, ...]) -> _Plan:
            taken = keys.intersection(order)
            plan = (
                tuple(k for k in order if k not in keys),
                tuple((k, inner) for k, inner in nested if k in taken),
                tuple(k for k in no_null if k in taken),
                tuple((k, child) for k, child in always if k not in taken),
            )
            if len(plans) < _PLANS_LIMIT:
                plans[order] = plan
            return plan

        def project_object(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            # In the stored order (id and object first, as Stripe answers), then the keys only this version has:
            # a copy of the value without the keys this version lacks (a dict's copy is one C call).
            order = tuple(value)
            dropped, inner_keys, null_keys, missing = plans.get(order) or plan_for(order)
            out = value.copy()
            for key in dropped:
                del out[key]
            for key, inner in inner_keys:
                item = out[key]
                if item is not None:
                    out[key] = inner(item)
            for key in null_keys:
                if out[key] is None:
                    del out[key]
            for key, child in missing:
                out[key] = blank(child)
            return out

        return project_object
    if isinstance(node, nodes.Array):
        inner = _projector(node.items, stored.items if isinstance(stored, nodes.Array) else None)
        if inner is None:
            return None
        items = once_per_shared(inner)
        return lambda value: [items(item) for item in value] if isinstance(value, list) else value
    if isinstance(node, nodes.Map):
        inner = _projector(node.values, stored.values if isinstance(stored, nodes.Map) else None)
        if inner is None:
            return None
        values = once_per_shared(inner)
        return lambda value: {k: values(v) for k, v in value.items()} if isinstance(value, dict) else value
    return None


#: How one projector fits a value with one order of keys: (the keys to drop, the kept keys with a nested
#: projector, the kept keys whose null is left out, the keys to fill in blank).
_Plan = tuple[
    tuple[str, ...],
    tuple[tuple[str, Projector], ...],
    tuple[str, ...],
    tuple[tuple[str, nodes.Node], ...],
]
#: Orders of keys each projector keeps a plan for (a stored value has one; a value built elsewhere may differ).
_PLANS_LIMIT = 16


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


#: Finds the object of a kind (``customer``, ``product``, ...) by id; ``None`` when the fake has none by that id.
Resolver = Callable[[str, str], dict[str, Any] | None]


def expand_object(
    node: nodes.Object,
    data: dict[str, Any],
    paths: Iterable[str],
    *,
    what: str,
    kinds: Mapping[str, nodes.Object],
    resolve: Resolver,
) -> dict[str, Any]:
    """``data`` (an object of schema ``node``) with each ``expand[]`` path expanded in place, walking the schema.

    A path is dotted: it goes through embedded objects and lists (``items.data.price.product``) to a field
    that is an id of another object (an ``Expandable`` node), and through an expanded object on to its own
    fields. ``kinds`` are the objects the fake holds, by name, with their schemas; ``resolve(kind, id)`` finds
    one (a copy: later steps expand inside it). An id the fake does not find stays an id, and null stays null,
    as with a session's expansions.

    Refused: a path that names no field, or a field that is neither expandable nor on the way to one (Stripe's
    ``cannot be expanded``); a field that Stripe expands or includes on request but the fake has no objects for
    (said plainly: the fake's ``cannot expand``; ``what`` names the objects, ``subscriptions``). ``data`` may be
    left half expanded then: callers expand a copy, and answer the error instead.
    """
    for path in paths:
        _walk(node, data, path.split("."), path, what, kinds, resolve)
    return data


def _walk(
    node: nodes.Node,
    value: Any,
    steps: list[str],
    path: str,
    what: str,
    kinds: Mapping[str, nodes.Object],
    resolve: Resolver,
) -> None:
    if value is None:
        return
    if isinstance(node, nodes.Array):
        for item in value:
            _walk(node.items, item, steps, path, what, kinds, resolve)
        return
    if not isinstance(node, nodes.Object) or not isinstance(value, dict):
        raise exceptions.cannot_expand(path)
    if not node.properties:  # an opaque object (the generator's OPAQUE_COMPONENTS): the fake never fills one
        raise exceptions.fake_cannot_expand(path, what)
    head, rest = steps[0], steps[1:]
    field = node.properties.get(head)
    if field is None:
        raise exceptions.cannot_expand(path)
    if isinstance(field, nodes.Expandable):
        kind = next((k for k in field.resources if k in kinds), None)
        if kind is None:
            raise exceptions.fake_cannot_expand(path, what)
        current = value.get(head)
        if isinstance(current, str):
            found = resolve(kind, current)
            if found is not None:
                value[head] = current = found
        if rest and isinstance(current, dict):
            _walk(kinds[kind], current, rest, path, what, kinds, resolve)
        return
    if head not in value:
        # An optional field the object does not have: one Stripe includes when asked (``sources``, ``tiers``).
        raise exceptions.fake_cannot_expand(path, what)
    if not rest:
        raise exceptions.cannot_expand(path)
    if isinstance(field, nodes.AnyOf):  # one of several objects: none the fake fills
        raise exceptions.fake_cannot_expand(path, what)
    _walk(field, value[head], rest, path, what, kinds, resolve)
