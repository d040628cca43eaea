"""A strategy per type of the Session client's params, named after the type (``acss_debit()``, ``recovery()``...).

The client names each nested object of the params after its key (``payment_method_options[acss_debit]`` is an
``acss_debit``); the names and the schema paths they stand for are read off the schema here, not listed by hand.
A name that stands for objects at more than one path (``transfer_data``, ``recurring``, ``mandate_options``...)
draws the first one in the schema's order; ``at=`` picks another (:func:`paths_of` lists them). The strategies
with rules of their own (``line_items``, ``price_data``, ``shipping_options``, ``payment_method_options``,
``customer_update``) are those of :mod:`pytest_checkout.strategies.params`; ``t`` (the client's name for the
session itself) is :func:`~pytest_checkout.strategies.sessions`.

``pytest_checkout.strategies.acss_debit()`` and the like come from :func:`of_type` through the package's
``__getattr__``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hypothesis import strategies as st

from pytest_checkout.schema import nodes
from pytest_checkout.strategies.walk import ROOT, Strategy, _at


def _objects(node: nodes.Node, path: str, key: str) -> Iterator[tuple[str, str]]:
    """(name, schema path) of every object below ``node``: an array of objects is named after its key too."""
    if isinstance(node, nodes.Object):
        if key:
            yield key, path
        for child_key, child in node.properties.items():
            yield from _objects(child, f"{path}[{child_key}]" if path else child_key, child_key)
    elif isinstance(node, nodes.Array):
        if key and isinstance(node.items, nodes.Object):
            yield key, path
            for child_key, child in node.items.properties.items():
                yield from _objects(child, f"{path}[][{child_key}]", child_key)
        else:
            yield from _objects(node.items, f"{path}[]", "")
    elif isinstance(node, nodes.Map):
        yield from _objects(node.values, f"{path}[*]", "")
    elif isinstance(node, nodes.AnyOf):
        for option in node.options:
            yield from _objects(option, path, key)


@functools.cache
def _paths() -> Mapping[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for name, path in _objects(ROOT, "", ""):
        if path not in found.setdefault(name, []):
            found[name].append(path)
    return {name: tuple(paths) for name, paths in found.items()}


def _special() -> Mapping[str, Callable[[], Strategy[Any]]]:
    from pytest_checkout.strategies import answers, params

    return {
        "line_items": params.line_items,
        "price_data": params.price_data,
        "shipping_options": params.shipping_options,
        "payment_method_options": params.payment_method_options,
        "customer_update": params.customer_update,
        "t": answers.sessions,
        # The list endpoint's filter (``customer_details[email]``), not a create param.
        "customer_details": lambda: st.fixed_dictionaries({"email": _at("customer_email")}),
    }


def names() -> tuple[str, ...]:
    """Every type name a strategy is named after, sorted."""
    return tuple(sorted({*_paths(), *_special()}))


def paths_of(name: str) -> tuple[str, ...]:
    """The schema paths of the create params that objects of type ``name`` stand at (first: the default)."""
    if name not in _paths():
        raise KeyError(f"no type {name!r} in the create params; the types are: {', '.join(names())}")
    return _paths()[name]


def of_type(name: str, *, at: str | None = None) -> Strategy[Any]:
    """Valid values of the type ``name`` (at the schema path ``at``; by default the first of :func:`paths_of`)."""
    special = _special().get(name)
    if special is not None and at is None:
        return special()
    paths = paths_of(name)
    if at is not None and at not in paths:
        raise ValueError(f"{name!r} does not stand at {at!r}; it stands at: {', '.join(paths)}")
    return _at(at or paths[0])


def at_path(path: str) -> Strategy[Any]:
    """Valid values at a schema path of the create params, with the rules where ``params`` has them."""
    from pytest_checkout.strategies import params

    ruled: Mapping[str, Callable[[], Strategy[Any]]] = {
        "line_items[]": lambda: params.line_items().map(lambda items: items[0]),
        "line_items[][price_data]": params.price_data,
        "shipping_options[]": lambda: params.shipping_options().map(lambda options: options[0]),
        "payment_method_options": params.payment_method_options,
        "customer_update": params.customer_update,
    }
    made = ruled.get(path)
    return made() if made is not None else _at(path)


__all__ = ["at_path", "names", "of_type", "paths_of"]
