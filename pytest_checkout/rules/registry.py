"""The rule registry: ``Violation``, ``RuleContext``, the ``@rule`` decorator, and the helpers rules share."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from pytest_checkout.codec import MAPPINGS
from pytest_checkout.rules.tables import _EMAIL, SESSION_ID_PLACEHOLDER, ZERO_DECIMAL_CURRENCIES

Certainty = Literal["seen", "docs", "spec", "guess"]


def schema_path(path: tuple[str | int, ...]) -> str:
    """``("line_items", 0, "price")`` -> ``line_items[][price]``: a request path with indices left out."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += "[]"
        elif out:
            out += f"[{step}]"
        else:
            out = step
    return out


def check_format(kind: str, value: str, param: str) -> Iterator[Violation]:
    """Problems with a URL or email address parameter."""
    if format_ok(kind, value):
        return
    if kind == "url":
        # Seen: code url_invalid, message "Not a valid URL". Which URLs Stripe accepts exactly is a guess.
        yield Violation("Not a valid URL", param=param, code="url_invalid", rule="url_format")
    else:
        yield Violation(f"Invalid email address: {value}", param=param, code="email_invalid", rule="email_format")


def format_ok(kind: str, value: str) -> bool:
    """Whether ``value`` passes as a parameter of ``kind`` (``url`` or ``email``): ``check_format`` finds nothing."""
    if kind == "url":
        return _is_url(value)
    return kind != "email" or _EMAIL.match(value) is not None


@functools.lru_cache(maxsize=1024)
def _is_url(value: str) -> bool:
    """Whether ``value`` passes as a URL: http(s), a host, no spaces. Kept per value: an app sends the same few."""
    candidate = value.replace(SESSION_ID_PLACEHOLDER, "placeholder")
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in candidate


# -- The registry ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)  # made by every rule that finds something: no instance dict
class Violation:
    """What a rule found: Stripe's message, the param it names, its code, and the rule's name."""

    message: str
    param: str | None = None
    code: str | None = None
    rule: str = ""


@dataclass(slots=True)
class RuleContext:
    """What some rules need beyond the params.

    ``now``: the creation time (``expires_at`` is checked against it); the clock's time when left out.
    ``prices``: price objects by id, as a fake knows them; with it, unknown price ids are an error and a
    price's currency, amount and recurrence count in the rules. Without it, price ids are taken on trust.
    ``customers``: known customer ids (or customer objects by id, whose ``currency`` then counts), likewise.
    ``coupons`` and ``promotion_codes``: coupon objects by id and
    promotion codes by id (each with its ``coupon``), likewise.
    """

    now: int | None = None
    #: The connected account the request acts on (``Stripe-Account``), or None.
    stripe_account: str | None = None
    prices: Mapping[str, Mapping[str, Any]] | None = None
    customers: Container[str] | None = None
    coupons: Mapping[str, Mapping[str, Any]] | None = None
    promotion_codes: Mapping[str, Mapping[str, Any]] | None = None
    #: The account's other objects by id (payment intents, subscriptions), for rules about a customer's history.
    objects: Mapping[str, Mapping[str, Any]] | None = None
    #: The API version of the request (``versions.ApiVersion``): rules that differ between versions ask its
    #: ``has(gate)``. None: the default version's rules.
    version: Any = None
    clock: Callable[[], float] = field(default=time.time, repr=False)
    # What the rules work out about one object (a line item's price), kept for the other rules of the same run
    # (run_rules starts it afresh). Keyed by id() and holding the object, so an id is never reused meanwhile.
    _memo: dict[tuple[str, int], tuple[Any, Any]] = field(default_factory=dict, repr=False, compare=False)
    # The line items of the run's params, and those params: asked by most rules, so kept apart from _memo.
    _items: tuple[Any, list[tuple[int, Mapping[str, Any]]]] | None = field(default=None, repr=False, compare=False)

    def remember(self, kind: str, of: Any, compute: Callable[[Any, RuleContext], Any]) -> Any:
        """``compute(of, self)``, worked out once per object and kind until the next run (``forget``)."""
        key = (kind, id(of))
        found = self._memo.get(key)
        if found is not None and found[0] is of:
            return found[1]
        value = compute(of, self)
        self._memo[key] = (of, value)
        return value

    def line_items(self, params: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
        """``(index, item)`` of each line item of ``params`` that is a hash, worked out once per run."""
        found = self._items
        if found is not None and found[0] is params:
            return found[1]
        items = _line_items(params)
        self._items = (params, items)
        return items

    def forget(self) -> None:
        """Start a new run: what was worked out about the params of the last one may no longer hold."""
        self._memo.clear()
        self._items = None

    def created(self) -> int:
        return int(self.now if self.now is not None else self.clock())


RuleFunction = Callable[[Mapping[str, Any], RuleContext], Iterator[Violation]]


@dataclass(frozen=True, slots=True)  # read for each rule of each request: slots, not a dict
class Rule:
    """A registered rule: the operation it applies to, its name, how sure we are, and the function."""

    operation: str
    name: str
    certainty: Certainty
    check: RuleFunction
    #: What the rule reads: top-level params (``needs``) and dotted paths inside a line item or an optional item
    #: (``item_needs``: ``price``, ``price_data.product_data.metadata``). Without one of them given (not None)
    #: the rule has nothing to say, and is not run; a rule that names neither always runs. A test holds every
    #: rule to it over the rule tests' params.
    needs: tuple[str, ...] = ()
    item_needs: tuple[str, ...] = ()
    #: The values of ``mode`` the rule has anything to say in; not run in another mode, nor without one (empty:
    #: every mode). Held by a test as ``needs`` is.
    modes: tuple[str, ...] = ()
    #: A behaviour gate (``versions.Change.gate``): the rule holds only in versions that have it (``since``),
    #: or only in those that do not yet (``until``). None: every version.
    since: str | None = None
    until: str | None = None

    def applies_to(self, version: Any) -> bool:
        """Whether the rule holds in ``version`` (an ``ApiVersion``; None is the default, 2022-08-01)."""
        has = version.has if version is not None else (lambda gate: False)
        if self.since is not None and not has(self.since):
            return False
        return self.until is None or not has(self.until)


_RULES: list[Rule] = []
# The same rules by operation: each request runs only its own, without scanning the others.
_BY_OPERATION: dict[str, list[Rule]] = {}


def rule(
    operation: str,
    certainty: Certainty,
    *,
    needs: tuple[str, ...] = (),
    item_needs: tuple[str, ...] = (),
    modes: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule; rules run in the order they are defined here.

    ``needs`` and ``item_needs``: the top-level params, and the dotted paths inside line items and optional
    items, that the rule reads; it runs only when one of them is given (not None). Every request of the fake
    runs the rules, and most requests give few of the params most rules are about.
    ``modes``: the values of ``mode`` the rule has anything to say in.
    ``since`` / ``until``: a version gate (``versions.CHANGES``) the rule holds from, or holds before.
    """

    def register(function: RuleFunction) -> RuleFunction:
        name = function.__name__
        if any(r.operation == operation and r.name == name for r in _RULES):
            raise ValueError(f"a rule {name!r} for {operation!r} is registered already")
        _RULES.append(Rule(operation, name, certainty, function, needs, item_needs, modes, since, until))
        _BY_OPERATION.setdefault(operation, []).append(_RULES[-1])
        if item_needs:
            keys, deep = _ITEM_PATHS.get(operation, (frozenset(), ()))
            more = tuple(
                (path, tuple(path.split("."))) for path in item_needs if "." in path and path not in dict(deep)
            )
            _ITEM_PATHS[operation] = (keys | {path for path in item_needs if "." not in path}, deep + more)
        _SELECTED.clear()
        return function

    return register


def run_rules(
    operation: str, params: Mapping[str, Any], context: RuleContext, *, tolerate_errors: bool = False
) -> Iterator[Violation]:
    """Every violation of the rules of ``operation``, rule by rule.

    ``tolerate_errors``: the params are known to be malformed; a rule that trips over them is skipped.
    """
    context.forget()
    for registered in _selected(operation, context.version, params):
        # A rule's finds, given on only once it ran through. Collected in a loop: list() of a generator costs more
        # (counted with callgrind: 1,300 instructions a rule), and most rules find nothing.
        found: list[Violation] = []
        try:
            for violation in registered.check(params, context):
                found.append(violation)
        except (TypeError, KeyError, AttributeError, ValueError, IndexError):
            if tolerate_errors:
                continue
            raise
        for violation in found:
            yield Violation(violation.message, violation.param, violation.code, registered.name)


def _selected(operation: str, version: Any, params: Mapping[str, Any]) -> tuple[Rule, ...]:
    """The rules of ``operation`` that hold in ``version``, in the request's mode, and need what it gives.

    Which rules run depends only on the operation, the version's gates, which top-level params are given (not
    None), which of the paths the rules read in items are there, and the mode; few combinations of those recur
    in a test run, so the choice is kept per combination rather than made again, rule by rule, on every request.
    """
    given = _given_keys(params)
    mode = params.get("mode")
    # A rule's gate asks only the version's gates: versions with the same gates choose the same rules.
    key = (
        operation,
        version.gates if version is not None else _NO_GATES,
        given,
        _item_paths(operation, params),
        mode if isinstance(mode, str) else None,
    )
    found = _SELECTED.get(key)
    if found is None:
        in_items = key[3]
        found = tuple(
            registered
            for registered in _BY_OPERATION.get(operation, ())
            if (registered.since is None and registered.until is None) or registered.applies_to(version)
            if (not registered.needs and not registered.item_needs)
            or not given.isdisjoint(registered.needs)
            or not in_items.isdisjoint(registered.item_needs)
            if not registered.modes or key[4] in registered.modes
        )
        if len(_SELECTED) >= _SELECTED_LIMIT:
            _SELECTED.clear()
        _SELECTED[key] = found
    return found


def _given_keys(params: Mapping[str, Any]) -> frozenset[str]:
    # Decoded params never hold None; params a program passes may.
    if None in params.values():
        return frozenset(key for key, value in params.items() if value is not None)
    return frozenset(params)


def _item_paths(operation: str, params: Mapping[str, Any]) -> frozenset[str]:
    """Which of the ``item_needs`` of ``operation``'s rules some line item or optional item gives.

    A key an item gives as None counts as given here (decoded params never hold None): the rule then runs, and
    finds nothing. Only a skip has to be right.
    """
    wanted = _ITEM_PATHS.get(operation)
    if wanted is None:
        return _NONE_FOUND
    keys, deep = wanted
    found: set[str] = set()
    for name in _ITEM_LISTS:
        items = params.get(name)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, MAPPINGS):
                continue
            found.update(keys.intersection(item))
            for path, steps in deep:
                if path not in found and _dig(item, *steps) is not None:
                    found.add(path)
    return frozenset(found)


_ITEM_LISTS = ("line_items", "optional_items")
# Per operation, what its rules' item_needs name: the keys of an item, and the deeper paths split at the dots.
_ITEM_PATHS: dict[str, tuple[frozenset[str], tuple[tuple[str, tuple[str, ...]], ...]]] = {}

# (operation, version's gates, given params, item paths found, mode) -> the rules to run; emptied when a rule
# is registered.
_SELECTED: dict[tuple[str, frozenset[str], frozenset[str], frozenset[str], str | None], tuple[Rule, ...]] = {}
_NO_GATES: frozenset[str] = frozenset()
_NONE_FOUND: frozenset[str] = frozenset()
#: Bounds the choices kept: a run that gives endless combinations of params starts the table again.
_SELECTED_LIMIT = 4096


def rules_for(operation: str) -> tuple[Rule, ...]:
    """The registered rules of one operation, in the order they run."""
    return tuple(_BY_OPERATION.get(operation, ()))


# -- Helpers the rules share ----------------------------------------------------------------------------------


def _mode(params: Mapping[str, Any]) -> str | None:
    mode = params.get("mode")
    return mode if isinstance(mode, str) else None


def _line_items(params: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    items = params.get("line_items")
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, MAPPINGS)]


def _given(params: Mapping[str, Any], key: str) -> bool:
    value = params.get(key)
    return value is not None and value != "" and value != [] and value != {}


def _dig(params: Mapping[str, Any], *keys: str) -> Any:
    value: Any = params
    for key in keys:
        if value is None or not isinstance(value, MAPPINGS):
            return None
        value = value.get(key)
    return value


def _one_of(*names: str) -> str:
    return f"You may only specify one of these parameters: {', '.join(names)}."


def _payment_method_types(params: Mapping[str, Any]) -> list[str]:
    types = params.get("payment_method_types")
    return [t for t in types if isinstance(t, str)] if isinstance(types, list) else []


class _PriceFacts(NamedTuple):  # a tuple: made for every line item of every request, and never changed
    currency: str | None
    #: An int for an amount in whole units (the common case: exact and cheap), a Decimal for a decimal one.
    unit_amount: int | Decimal | None
    recurring: bool | None


def _price_facts(item: Mapping[str, Any], context: RuleContext) -> _PriceFacts | None:
    """Currency, amount and recurrence of a line item's price, where they can be known (once per run)."""
    facts: _PriceFacts | None = context.remember("price", item, _work_out_price_facts)
    return facts


#: The same, for the fake's backend (an update's new line items must be in the session's currency).
price_facts = _price_facts


def _work_out_price_facts(item: Mapping[str, Any], context: RuleContext) -> _PriceFacts | None:
    data = item.get("price_data")
    if isinstance(data, MAPPINGS):
        amount: int | Decimal | None = None
        unit_amount = data.get("unit_amount")
        if isinstance(unit_amount, int) and not isinstance(unit_amount, bool):
            amount = unit_amount
        elif isinstance(data.get("unit_amount_decimal"), str):
            try:
                amount = Decimal(data["unit_amount_decimal"])
            except InvalidOperation:
                amount = None
        currency = data.get("currency")
        return _PriceFacts(
            currency.lower() if isinstance(currency, str) else None,
            amount,
            data.get("recurring") is not None and isinstance(data["recurring"], MAPPINGS),
        )
    price_id = item.get("price")
    if isinstance(price_id, str) and context.prices is not None and price_id in context.prices:
        price = context.prices[price_id]
        unit = price.get("unit_amount")
        if unit is None and price.get("unit_amount_decimal") is not None:
            unit = Decimal(str(price["unit_amount_decimal"]))
        currency = price.get("currency")
        return _PriceFacts(
            currency.lower() if isinstance(currency, str) else None,
            unit if unit is None or isinstance(unit, int) else Decimal(unit),
            price.get("recurring") is not None or price.get("type") == "recurring",
        )
    return None


def _session_currency(params: Mapping[str, Any], context: RuleContext) -> str | None:
    for _, item in context.line_items(params):
        facts = _price_facts(item, context)
        if facts is not None and facts.currency is not None:
            return facts.currency
    currency = params.get("currency")
    return currency.lower() if isinstance(currency, str) and currency else None


def _in_bounds(value: Any, low: int | None, high: int | None) -> bool:
    """Whether ``_integer_bounds`` finds nothing: a rule asks first, and names the param only if it must."""
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    return (low is None or value >= low) and (high is None or value <= high)


def _integer_bounds(value: Any, low: int | None, high: int | None, param: str) -> Iterator[Violation]:
    # Seen for line item quantity and list limit: code parameter_invalid_integer with these two wordings.
    if _in_bounds(value, low, high):
        return
    if low is not None and value < low:
        yield Violation(
            f"This value must be greater than or equal to {low}.",
            param=param,
            code="parameter_invalid_integer",
        )
    elif high is not None and value > high:
        yield Violation(
            f"This value must be less than or equal to {high}.", param=param, code="parameter_invalid_integer"
        )


def format_minimum(amount: int, currency: str) -> str:
    """``$0.50 usd`` as in Stripe's minimum-amount message (seen for usd; other symbols are a guess)."""
    symbols = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "aud": "$", "cad": "$", "nzd": "$", "sgd": "$"}
    symbol = symbols.get(currency, "")
    number = f"{amount}" if currency in ZERO_DECIMAL_CURRENCIES else f"{amount / 100:.2f}"
    return f"{symbol}{number} {currency}"


# -- Create: rules across fields --------------------------------------------------------------------------------
# ``mode`` itself is required by the schema (scripts/generate_schema.py, REQUIRED_SINCE). Order: line items,
# then what is allowed per mode, then exclusive pairs, then dates, payment methods, metadata and amounts.
