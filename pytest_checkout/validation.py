"""Validate parameters the way Stripe does: the schema walk first, then the cross-field rules.

``validate_create_params`` raises the first error Stripe would answer with; ``check_create_params`` lists every
problem at once, which Stripe itself cannot. Both read parameters as they travel: Python values are first put
through the codec (encoded and decoded by the schema), so ``True`` and ``"true"``, ``5`` and ``"5"`` are the
same request, as they are to Stripe.

The order of checks follows what Stripe shows in practice: unknown parameters, then missing ones, then each
parameter's type, enum, length and emptiness, then the rules of :mod:`pytest_checkout.rules`. Which of two
problems Stripe reports first when a request has both is not documented; where this matters the order is a
guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_checkout import codec, rules
from pytest_checkout.codec import MAPPINGS
from pytest_checkout.errors import InvalidRequestError, StripeError
from pytest_checkout.schema import nodes
from pytest_checkout.versions import DEFAULT

__all__ = [
    "Problem",
    "check_create_params",
    "check_params",
    "normalize_params",
    "validate_create_params",
    "validate_params",
]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, as Stripe would word it.

    ``source`` names what found it: ``"structure"`` for the schema walk, ``"codec"`` for a value that does not
    parse, or the name of the rule in :mod:`pytest_checkout.rules`.
    """

    message: str
    param: str | None = None
    code: str | None = None
    http_status: int = 400
    source: str = "structure"

    def to_error(self) -> InvalidRequestError:
        """The exception Stripe's answer to this problem maps to."""
        return InvalidRequestError(self.message, http_status=self.http_status, code=self.code, param=self.param)


def _problem_from_error(error: StripeError, source: str) -> Problem:
    return Problem(error.message, param=error.param, code=error.code, http_status=error.http_status, source=source)


def normalize_params(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Params as Stripe reads them: encoded to the wire and decoded by the operation's schema.

    Raises ``InvalidRequestError`` for a value that does not parse (``Invalid integer: abc``), and
    ``TypeError`` for a Python value that has no form encoding at all.
    """
    schema = DEFAULT.operations[operation].params
    return codec.decode(codec.encode(params), schema)


# ----------------------------------------------------------------------------------------------------------
# The schema walk


def _plural(word: str, count: int) -> str:
    return word if count == 1 else word + "s"


def one_of_list(values: Sequence[str]) -> str:
    """``a, b, or c`` as in Stripe's enum errors (``a or b`` for two; a guess, only the longer form was seen)."""
    if len(values) <= 2:
        return " or ".join(values)
    return ", ".join(values[:-1]) + ", or " + values[-1]


def empty_string_message(param: str) -> str:
    """Stripe's answer to ``""`` where a parameter cannot be unset."""
    return (
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a parameter; "
        f"however '{param}' cannot be unset. You should remove '{param}' from your request or supply a "
        "non-empty value."
    )


def missing_message(param: str) -> str:
    """Stripe's answer to a required parameter left out."""
    return f"Missing required param: {param}."


def _walk(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    """Every structural problem of ``value`` against ``node``, outermost first."""
    # Param paths are written only where a problem is found: this walk runs on every request of the fake.
    if value is None:
        return
    if isinstance(node, nodes.Removed):
        yield _removed_problem(node, path)
        return
    if isinstance(value, str) and value == "" and not isinstance(node, nodes.String):
        if not node.emptyable:
            param = codec.format_param(path)
            yield Problem(empty_string_message(param), param=param, code="parameter_invalid_empty")
        return
    check = _CHECKS[type(node)]
    yield from check(node, value, path)


def _check_string(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    assert isinstance(node, nodes.String)
    if not isinstance(value, str):
        param = codec.format_param(path)
        # Unverified: Stripe's wording for a hash or list where a string belongs was not found.
        yield Problem(f"Invalid string: {value!r}", param=param)
        return
    if value == "":
        if not node.emptyable and not _in_metadata(path):
            param = codec.format_param(path)
            yield Problem(empty_string_message(param), param=param, code="parameter_invalid_empty")
        return
    kind = _format_of(path)
    too_long = node.max_length is not None and len(value) > node.max_length
    if too_long or (node.enum is not None and value not in node.enum) or kind is not None:
        yield from _string_problems(node, value, path, kind)


# The last parameter name of each path in rules.FIELD_FORMATS: a cheap test before building the schema path.
_FORMAT_NAMES = frozenset(re.findall(r"\w+", p)[-1] for p in rules.FIELD_FORMATS)


def _format_of(path: Path) -> str | None:
    """``url`` or ``email`` when the parameter at ``path`` must be one (rules.FIELD_FORMATS), else None."""
    named = [step for step in path if isinstance(step, str)]
    if not named or named[-1] not in _FORMAT_NAMES:
        return None
    return rules.FIELD_FORMATS.get(rules.schema_path(path))


def _string_problems(node: nodes.String, value: str, path: Path, kind: str | None) -> Iterator[Problem]:
    param = codec.format_param(path)
    if node.max_length is not None and len(value) > node.max_length:
        if kind == "url":
            yield Problem(f"Invalid URL: URL must be {node.max_length} characters or less.", param=param)
        else:
            yield Problem(f"Invalid string: {value}; must be at most {node.max_length} characters", param=param)
        return
    if node.enum is not None and value not in node.enum:
        yield Problem(f"Invalid {param}: must be one of {one_of_list(node.enum)}", param=param)
        return
    if kind is not None:
        for found in rules.check_format(kind, value, param):
            yield Problem(found.message, param=found.param, code=found.code, source=found.rule)


def _check_scalar(expected: type[Any], what: str) -> Callable[[nodes.Node, Any, Path], Iterator[Problem]]:
    def check(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
        # The codec has already turned wire strings into numbers and booleans; what is left here is a
        # container where a scalar belongs. Unverified wording.
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            yield Problem(f"Invalid {what}: {value!r}", param=codec.format_param(path))

    return check


def _check_object(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    assert isinstance(node, nodes.Object)
    if not isinstance(value, MAPPINGS):
        # Unverified wording: a scalar where Stripe expects a hash.
        yield Problem("Invalid hash", param=codec.format_param(path) or None)
        return
    properties = node.properties
    unknown = [k for k in value if k not in properties]
    if unknown:
        names = [codec.format_param((*path, k)) for k in unknown]
        yield Problem(
            f"Received unknown {_plural('parameter', len(names))}: {', '.join(names)}",
            param=names[0],
            code="parameter_unknown",
        )
    for key in _required_in_order(node):
        if value.get(key) is None:
            name = codec.format_param((*path, key))
            yield Problem(missing_message(name), param=name, code="parameter_missing")
    # The given keys in the schema's order (Stripe reports the first problem in that order): sorting the few
    # keys a request has is cheaper than walking every property the schema has.
    present = [k for k in value if k in properties]
    if len(present) > 1:
        present.sort(key=_key_order(node).__getitem__)
    for key in present:
        yield from _walk(properties[key], value[key], (*path, key))


_REQUIRED_ORDER: dict[int, tuple[str, ...]] = {}
_KEY_ORDER: dict[int, dict[str, int]] = {}


def _key_order(node: nodes.Object) -> dict[str, int]:
    found = _KEY_ORDER.get(id(node))
    if found is None:
        found = _KEY_ORDER[id(node)] = {key: index for index, key in enumerate(node.properties)}
    return found


def _required_in_order(node: nodes.Object) -> tuple[str, ...]:
    # Sorted once per node: the walk runs on every request of the fake.
    found = _REQUIRED_ORDER.get(id(node))
    if found is None:
        found = _REQUIRED_ORDER[id(node)] = tuple(sorted(node.required))
    return found


def _check_map(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    assert isinstance(node, nodes.Map)
    if not isinstance(value, MAPPINGS):
        yield Problem("Invalid hash", param=codec.format_param(path))
        return
    if _in_metadata((*path, "")):
        # Metadata has rules of its own (key and value limits, wording) in rules.metadata_limits.
        return
    for key, item in value.items():
        yield from _walk(node.values, item, (*path, str(key)))


def _check_array(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    assert isinstance(node, nodes.Array)
    if not isinstance(value, list):
        yield Problem("Invalid array", param=codec.format_param(path))
        return
    limit = rules.ARRAY_LIMITS.get(rules.schema_path(path))
    if limit is not None and len(value) > limit:
        param = codec.format_param(path)
        yield Problem(f"Array {param} exceeded maximum {limit} allowed elements.", param=param)
        return
    for index, item in enumerate(value):
        yield from _walk(node.items, item, (*path, index))


def _check_any_of(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    assert isinstance(node, nodes.AnyOf)
    first: list[Problem] = []
    for option in node.options:
        found = list(_walk(option, value, path))
        if not found:
            return
        first = first or found
    yield from first[:1]


def _check_expandable(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    # Expandable fields appear in answers only; a request never carries one.
    return iter(())


def _check_removed(node: nodes.Node, value: Any, path: Path) -> Iterator[Problem]:
    assert isinstance(node, nodes.Removed)
    yield _removed_problem(node, path)


def _removed_problem(node: nodes.Removed, path: Path) -> Problem:
    param = codec.format_param(path)
    if node.legacy_line_item:
        return Problem(rules.LEGACY_LINE_ITEM_MESSAGE, source="structure")
    # The live API answers these as plain unknown parameters; the note after it is ours, to say why.
    return Problem(
        f"Received unknown parameter: {param} (it was removed in API version {node.since})",
        param=param,
        code="parameter_unknown",
    )


def _in_metadata(path: Path) -> bool:
    return len(path) >= 2 and path[-2] == "metadata"


_CHECKS: dict[type[nodes.Node], Callable[[nodes.Node, Any, Path], Iterator[Problem]]] = {
    nodes.String: _check_string,
    nodes.Integer: _check_scalar(int, "integer"),
    nodes.Number: _check_scalar((int, float), "number"),  # type: ignore[arg-type]
    nodes.Boolean: _check_scalar(bool, "boolean"),
    nodes.Object: _check_object,
    nodes.Map: _check_map,
    nodes.Array: _check_array,
    nodes.AnyOf: _check_any_of,
    nodes.Expandable: _check_expandable,
    nodes.Removed: _check_removed,
}


# ----------------------------------------------------------------------------------------------------------
# Public entry points


def check_params(
    operation: str,
    params: Mapping[str, Any],
    *,
    context: rules.RuleContext | None = None,
    normalized: bool = False,
) -> list[Problem]:
    """Every problem with ``params`` for ``operation`` (``"create"``, ``"list"``, ...), in Stripe's order.

    ``normalized``: the params came from :func:`normalize_params` or the codec already (the fake's case).
    """
    return list(_problems(operation, params, context or rules.RuleContext(), normalized))


def validate_params(
    operation: str,
    params: Mapping[str, Any],
    *,
    context: rules.RuleContext | None = None,
    normalized: bool = False,
) -> None:
    """Raise the ``InvalidRequestError`` Stripe would answer ``params`` with, if any."""
    for problem in _problems(operation, params, context or rules.RuleContext(), normalized):
        raise problem.to_error()


def _problems(
    operation: str, params: Mapping[str, Any], context: rules.RuleContext, normalized: bool
) -> Iterator[Problem]:
    if operation not in DEFAULT.operations:
        raise ValueError(f"unknown operation {operation!r}; one of {', '.join(DEFAULT.operations)}")
    if not isinstance(params, MAPPINGS):
        raise TypeError(f"params must be a mapping, not {type(params).__name__}")
    if not normalized:
        try:
            params = normalize_params(operation, params)
        except InvalidRequestError as error:
            yield _problem_from_error(error, "codec")
            return
    structural = False
    for problem in _walk(DEFAULT.operations[operation].params, params, ()):
        structural = True
        yield problem
    # Stripe stops at the first structural error; check_params goes on to the rules, which then must not
    # trip over the malformed part (a rule that does is skipped, since the structural problem says enough).
    for found in rules.run_rules(operation, params, context, tolerate_errors=structural):
        yield Problem(found.message, param=found.param, code=found.code, source=found.rule)


def check_create_params(params: Mapping[str, Any], *, context: rules.RuleContext | None = None) -> list[Problem]:
    """Every problem with create params at once: structure, then each cross-field rule."""
    return check_params("create", params, context=context)


def validate_create_params(params: Mapping[str, Any], *, context: rules.RuleContext | None = None) -> None:
    """Raise the first error Stripe would give for these create params (``InvalidRequestError``)."""
    validate_params("create", params, context=context)


assert set(_CHECKS) == set(nodes.NODE_KINDS), "the walk must handle every node kind"
