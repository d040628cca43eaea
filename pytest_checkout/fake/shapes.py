"""Answers shaped by the response schema, and stored compactly.

Which fields an answer carries: the spec marks the always-present ones as required or nullable (``null`` when
there is no value); the others are optional, present when the object has them (a session's
``phone_number_collection``, payment method options that were set) and left out otherwise (``line_items`` or a
totals ``breakdown`` unless expanded). ``shape`` fits values the fake has to that rule, so every object it
answers with has the keys Stripe's would.

``Packer`` keeps an object as a tuple of its values in a fixed key order, and ``shared`` lets identical small
values be one object: a stored session costs a fraction of a dict's memory, and is rebuilt when answered.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any

from pytest_checkout.codec import MAPPINGS
from pytest_checkout.schema import nodes

__all__ = ["Packer", "blank", "once_per_shared", "present_keys", "shape", "shared"]


def present_keys(node: nodes.Object) -> tuple[str, ...]:
    """The keys an object always carries: the required and the nullable ones."""
    found = _PRESENT.get(id(node))
    if found is None or found[0] is not node:
        keys = tuple(k for k, v in node.properties.items() if k in node.required or v.nullable)
        found = _PRESENT[id(node)] = (node, keys)
    return found[1]


# By id, holding the node: an id is only unique while its object lives (nodes made on the fly come and go).
_PRESENT: dict[int, tuple[nodes.Object, tuple[str, ...]]] = {}


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
    if isinstance(node, nodes.Object) and node.properties and isinstance(value, MAPPINGS):
        out = {}
        for key in present_keys(node):
            out[key] = shape(node.properties[key], value.get(key))
        # Optional fields the fake has a value for (set options, an expanded list) stay.
        for key, item in value.items():
            if key not in out and key in node.properties:
                out[key] = shape(node.properties[key], item)
        return out
    if isinstance(node, nodes.Array) and isinstance(value, list):
        return [shape(node.items, item) for item in value]
    if isinstance(node, nodes.AnyOf):
        for option in node.options:
            if isinstance(option, nodes.Object) and isinstance(value, MAPPINGS):
                return shape(option, value)
        return value
    return value


class Packer:
    """Stores objects with the same keys as tuples of values, and rebuilds them as dicts."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(keys)
        self.index = {key: i for i, key in enumerate(self.keys)}
        # Every create packs a session and its items: one C call reads the values, then the few shared ones
        # are replaced by their positions.
        self._values: Callable[[Mapping[str, Any]], Any] = itemgetter(*self.keys) if self.keys else lambda _: ()
        self._shared_positions: dict[frozenset[str], tuple[int, ...]] = {}

    def pack(self, value: Mapping[str, Any], *, share: frozenset[str] = frozenset()) -> tuple[Any, ...]:
        """The values of ``value`` in key order; those of the keys in ``share`` go through ``shared``.

        A missing key is a bug in what built ``value`` and raises ``KeyError``.
        """
        values = self._values(value)
        if len(self.keys) == 1:
            values = (values,)
        if not share:
            return tuple(values)
        positions = self._shared_positions.get(share)
        if positions is None:
            positions = self._shared_positions[share] = tuple(i for i, key in enumerate(self.keys) if key in share)
        out = list(values)
        for i in positions:
            item = out[i]
            # The commonest cases of ``shared`` without its call: a string, a value that is shared already.
            if item is None or id(item) in _SHARED_IDS:
                continue
            out[i] = sys.intern(item) if type(item) is str and len(item) <= _INTERNED_LIMIT else shared(item)
        return tuple(out)

    def unpack(self, packed: tuple[Any, ...]) -> dict[str, Any]:
        """The dict again (a new one each time; nested values are shared, so callers must not mutate them)."""
        return dict(zip(self.keys, packed, strict=True))

    def get(self, packed: tuple[Any, ...], key: str) -> Any:
        """One value without rebuilding the dict."""
        return packed[self.index[key]]


_SHARED: dict[str, Any] = {}
# The ids of the objects in _SHARED (kept alive there, so an id here is always theirs): a value that is one of
# them already (a builder's constant, a stored value packed again) is recognised without its repr.
_SHARED_IDS: set[int] = set()
_SHARED_LIMIT = 200
#: Strings up to this long are interned: an app's URLs, emails and names, but not a body-sized text.
_INTERNED_LIMIT = _SHARED_LIMIT * 25


def shared(value: Any) -> Any:
    """One object for equal small JSON values (``{"enabled": false}`` in every session), strings interned.

    Safe because the fake never changes a stored value in place: it replaces it.
    """
    kind = type(value)
    if kind is str:
        return sys.intern(value) if len(value) <= _INTERNED_LIMIT else value
    if kind is dict or kind is list:
        if id(value) in _SHARED_IDS:
            return value
        if not value:
            return _EMPTY_DICT if kind is dict else _EMPTY_LIST
        # repr is a cheaper key than JSON; dicts equal but ordered differently just are not shared.
        key = repr(value)
        if len(key) <= _SHARED_LIMIT:
            found = _SHARED.get(key)
            if found is None:
                if len(_SHARED) > 10_000:
                    return value
                _SHARED[key] = found = value
                _SHARED_IDS.add(id(value))
            return found
    return value


# The empty hash and list of every stored value: the commonest values of all, shared without a key.
_EMPTY_DICT: dict[str, Any] = {}
_EMPTY_LIST: list[Any] = []
_SHARED.update({"{}": _EMPTY_DICT, "[]": _EMPTY_LIST})
_SHARED_IDS.update((id(_EMPTY_DICT), id(_EMPTY_LIST)))


def once_per_shared(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` of a value, worked out once for each value that ``shared`` holds and given again after.

    Sound for the same reason sharing is: a shared value never changes, and lives as long as the process (so
    its id stays its own). What ``function`` made of it is handed out again and again, so it is shared as well:
    whoever gets it must not change it in place. Any other value goes to ``function`` every time.
    """
    done: dict[int, Any] = {}

    def once(value: Any) -> Any:
        key = id(value)
        if key not in _SHARED_IDS:
            return function(value)
        found = done.get(key, _NOT_YET)
        if found is _NOT_YET:
            found = done[key] = function(value)
        return found

    return once


_NOT_YET = object()
