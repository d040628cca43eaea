"""Hypothesis strategies for Checkout Session create params, sessions, line item lists and events.

Everything here is derived from the schema of an API version (the default one, ``versions.DEFAULT``, unless a
strategy is given ``api_version=``; today's API is :mod:`~pytest_checkout.strategies.today`'s) and from Stripe's
tables in :mod:`pytest_checkout.rules`: one strategy builder per schema node kind (``NODE_STRATEGIES``), walked
at a schema path, with the parameters that the cross-field rules tie together (mode, currency, payment methods,
amounts, mode-only parameters, exclusive pairs) drawn in order inside ``st.composite`` functions.

Parameters that name other objects draw from the ids in :data:`REFERENCES` and :data:`PRICES`;
:func:`register_references` adds those objects to a ``CheckoutFake``, so the fake accepts every example
(``validate_create_params`` takes ids on trust when it knows no objects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _hypothesis_setup_hook() -> None:
    """Hypothesis's entry point for third-party strategies: ``st.from_type(SessionCreateParams)`` is valid params,
    and ``st.from_type`` of each nested TypedDict (``SessionCreateParamsLineItem``...) valid values at its path.

    Defined before anything is imported, and importing nothing that imports Hypothesis: Hypothesis may load this
    module through the entry point while it is itself being imported. The strategies are deferred until drawn.
    """
    from hypothesis import strategies as st

    from pytest_checkout.versions import types

    st.register_type_strategy(types.SessionCreateParams, st.deferred(_create_params))
    for cls, path in typed_dict_paths().items():
        st.register_type_strategy(cls, st.deferred(_at_path(path)))


def typed_dict_paths() -> dict[type, str]:
    """Each nested TypedDict of the create params (``SessionCreateParamsLineItem``...), with its schema path, read
    from the docstring the generator writes ("Parameters at ``path``.")."""
    import re

    from typing_extensions import is_typeddict

    from pytest_checkout.versions import types

    found: dict[type, str] = {}
    for name in dir(types):
        cls = getattr(types, name)
        if not name.startswith("SessionCreateParams") or name == "SessionCreateParams" or not is_typeddict(cls):
            continue
        match = re.search(r"Parameters at ``([^`]*)``\.", cls.__doc__ or "")
        if match is None:
            raise RuntimeError(f"{name} does not say its schema path; regenerate the types module")
        if _live(match.group(1)):
            found[cls] = match.group(1)
    return found


def _live(path: str) -> bool:
    """Whether ``path`` is a parameter of today's schema (not one that a later version removed)."""
    from pytest_checkout.schema import nodes
    from pytest_checkout.versions import DEFAULT

    found = nodes.node_at(DEFAULT.create_params, path)
    return found is not None and not isinstance(found, nodes.Removed)


def _create_params() -> Any:
    from pytest_checkout.strategies.params import create_params

    return create_params()


def _at_path(path: str) -> Callable[[], Any]:
    """The definition ``st.deferred`` takes (a plain function) of the strategy at ``path``."""

    def definition() -> Any:
        from pytest_checkout.strategies.named import at_path

        return at_path(path)

    return definition


from pytest_checkout.strategies import named  # noqa: E402 - after the hook, see its docstring
from pytest_checkout.strategies.answers import (  # noqa: E402 - after the hook, see its docstring
    events,
    invalid_create_params,
    line_items_lists,
    register_references,
    sessions,
)
from pytest_checkout.strategies.params import (  # noqa: E402 - after the hook, see its docstring
    MODES,
    PAYMENT_METHOD_TYPES,
    create_params,
    customer_update,
    line_items,
    payment_method_options,
    price_data,
    shipping_options,
)
from pytest_checkout.strategies.walk import (  # noqa: E402 - after the hook, see its docstring
    NODE_STRATEGIES,
    OMIT,
    PRICES,
    REFERENCES,
    from_node,
    schema_node,
)


def __getattr__(name: str) -> Any:
    """``acss_debit()``, ``recovery()``...: a strategy per type of the params, named after it (see ``named``)."""
    import functools

    if name in named.names():
        strategy = functools.partial(named.of_type, name)
        functools.update_wrapper(strategy, named.of_type)
        return strategy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODES",
    "NODE_STRATEGIES",
    "OMIT",
    "PAYMENT_METHOD_TYPES",
    "PRICES",
    "REFERENCES",
    "create_params",
    "customer_update",
    "events",
    "from_node",
    "invalid_create_params",
    "line_items",
    "line_items_lists",
    "named",
    "payment_method_options",
    "price_data",
    "register_references",
    "schema_node",
    "sessions",
    "shipping_options",
    "typed_dict_paths",
]
