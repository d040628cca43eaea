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

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_checkout import codec, rules
from pytest_checkout.codec import MAPPINGS
from pytest_checkout.errors import InvalidRequestError, StripeError
from pytest_checkout.schema import nodes
from pytest_checkout.versions import DEFAULT, ApiVersion

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


def normalize_params(operation: str, params: Mapping[str, Any], version: ApiVersion = DEFAULT) -> dict[str, Any]:
    """Params as Stripe reads them: encoded to the wire and decoded by the operation's schema.

    Raises ``InvalidRequestError`` for a value that does not parse (``Invalid integer: abc``), and
    ``TypeError`` for a Python value that has no form encoding at all.
    """
    schema = version.operations[operation].params
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


# The walk is compiled: each schema node at each position gets a closure that knows its limits, enum, format,
# array limit and metadata exemption beforehand, so a request pays only for checking its own values. A
# position is a path with every list index 0 and every map key "*" (what schema_path and the tables read);
# children are compiled the first time a request has them. A checker appends what it finds to ``out``.

Checker = Callable[[Any, Path, list[Problem]], None]


def _compile(node: nodes.Node, position: Path) -> Checker:
    return _COMPILERS[type(node)](node, position)


def _child(children: dict[Any, Checker], key: Any, node: nodes.Node, position: Path) -> Checker:
    found = children.get(key)
    if found is None:
        found = children[key] = _compile(node, position)
    return found


def _empty_problem(path: Path) -> Problem:
    param = codec.format_param(path)
    return Problem(empty_string_message(param), param=param, code="parameter_invalid_empty")


def _compile_string(node: nodes.Node, position: Path) -> Checker:
    assert isinstance(node, nodes.String)
    string = node
    max_length = node.max_length
    enum = frozenset(node.enum) if node.enum is not None else None
    kind = _format_of(position)
    emptyable = node.emptyable or _in_metadata(position)
    # The order Stripe lists the allowed values in (seen: card first for payment method types).
    leading = rules.ENUM_LEADING.get(rules.schema_path(position), ())
    shown = (*leading, *(v for v in node.enum if v not in leading)) if node.enum is not None else ()

    def check(value: Any, path: Path, out: list[Problem]) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            # Unverified: Stripe's wording for a hash or list where a string belongs was not found.
            out.append(Problem(f"Invalid string: {value!r}", param=codec.format_param(path)))
        elif value == "":
            if not emptyable:
                out.append(_empty_problem(path))
        elif (
            (max_length is not None and len(value) > max_length)
            or (enum is not None and value not in enum)
            or (kind is not None and not rules.format_ok(kind, value))
        ):
            out.extend(_string_problems(string, value, path, kind, shown))

    return check


def _format_of(position: Path) -> str | None:
    """``url`` or ``email`` when the parameter at ``position`` must be one (rules.FIELD_FORMATS), else None."""
    return rules.FIELD_FORMATS.get(rules.schema_path(position))


def _string_problems(
    node: nodes.String, value: str, path: Path, kind: str | None, shown: tuple[str, ...]
) -> Iterator[Problem]:
    param = codec.format_param(path)
    if node.max_length is not None and len(value) > node.max_length:
        if kind == "url":
            yield Problem(f"Invalid URL: URL must be {node.max_length} characters or less.", param=param)
        else:
            yield Problem(f"Invalid string: {value}; must be at most {node.max_length} characters", param=param)
        return
    if node.enum is not None and value not in node.enum:
        yield Problem(f"Invalid {param}: must be one of {one_of_list(shown)}", param=param)
        return
    if kind is not None:
        for found in rules.check_format(kind, value, param):
            yield _rule_problem(found)


def _compile_scalar(expected: type[Any] | tuple[type[Any], ...], what: str) -> Callable[[nodes.Node, Path], Checker]:
    def compile_scalar(node: nodes.Node, position: Path) -> Checker:
        emptyable = node.emptyable
        reject_bool = expected is not bool

        def check(value: Any, path: Path, out: list[Problem]) -> None:
            if value is None:
                return
            if isinstance(value, str) and value == "":
                if not emptyable:
                    out.append(_empty_problem(path))
            # The codec has already turned wire strings into numbers and booleans; what is left here is a
            # container where a scalar belongs. Unverified wording.
            elif not isinstance(value, expected) or (reject_bool and isinstance(value, bool)):
                out.append(Problem(f"Invalid {what}: {value!r}", param=codec.format_param(path)))

        return check

    return compile_scalar


def _compile_object(node: nodes.Node, position: Path) -> Checker:
    assert isinstance(node, nodes.Object)
    properties = node.properties
    required = tuple(sorted(node.required))
    order = {key: index for index, key in enumerate(properties)}
    emptyable = node.emptyable
    children: dict[Any, Checker] = {}

    def check(value: Any, path: Path, out: list[Problem]) -> None:
        if value is None:
            return
        if isinstance(value, str) and value == "":
            if not emptyable:
                out.append(_empty_problem(path))
            return
        if not isinstance(value, MAPPINGS):
            # Unverified wording: a scalar where Stripe expects a hash.
            out.append(Problem("Invalid hash", param=codec.format_param(path) or None))
            return
        unknown = [] if value.keys() <= properties.keys() else [k for k in value if k not in properties]
        if unknown:
            names = [codec.format_param((*path, k)) for k in unknown]
            out.append(
                Problem(
                    f"Received unknown {_plural('parameter', len(names))}: {', '.join(names)}",
                    param=names[0],
                    code="parameter_unknown",
                )
            )
        for key in required:
            if value.get(key) is None:
                name = codec.format_param((*path, key))
                out.append(Problem(missing_message(name), param=name, code="parameter_missing"))
        # The given keys are checked as they came; Stripe reports the first problem in the schema's order, so
        # the problems of several keys are put in that order afterwards (most requests have none to order).
        start = len(out)
        found: list[tuple[int, int, int]] = []
        for key, item in value.items():
            if item is None or (unknown and key not in properties):
                continue
            checker = children.get(key) or _child(children, key, properties[key], (*position, key))
            before = len(out)
            checker(item, (*path, key), out)
            if len(out) > before:
                found.append((order[key], before, len(out)))
        if len(found) > 1:
            out[start:] = [problem for _, low, high in sorted(found) for problem in out[low:high]]

    return check


def _compile_map(node: nodes.Node, position: Path) -> Checker:
    assert isinstance(node, nodes.Map)
    values = node.values
    emptyable = node.emptyable
    # Metadata has rules of its own (key and value limits, wording) in rules.metadata_limits.
    is_metadata = _in_metadata((*position, "*"))
    children: dict[Any, Checker] = {}

    def check(value: Any, path: Path, out: list[Problem]) -> None:
        if value is None:
            return
        if isinstance(value, str) and value == "":
            if not emptyable:
                out.append(_empty_problem(path))
            return
        if not isinstance(value, MAPPINGS):
            out.append(Problem("Invalid hash", param=codec.format_param(path)))
            return
        if is_metadata:
            return
        checker = _child(children, "*", values, (*position, "*"))
        for key, item in value.items():
            checker(item, (*path, str(key)), out)

    return check


def _compile_array(node: nodes.Node, position: Path) -> Checker:
    assert isinstance(node, nodes.Array)
    items = node.items
    emptyable = node.emptyable
    limit = rules.ARRAY_LIMITS.get(rules.schema_path(position))
    children: dict[Any, Checker] = {}

    def check(value: Any, path: Path, out: list[Problem]) -> None:
        if value is None:
            return
        if isinstance(value, str) and value == "":
            if not emptyable:
                out.append(_empty_problem(path))
            return
        if not isinstance(value, list):
            out.append(Problem("Invalid array", param=codec.format_param(path)))
            return
        if limit is not None and len(value) > limit:
            param = codec.format_param(path)
            out.append(Problem(f"Array {param} exceeded maximum {limit} allowed elements.", param=param))
            return
        checker = children.get(0) or _child(children, 0, items, (*position, 0))
        for index, item in enumerate(value):
            checker(item, (*path, index), out)

    return check


def _compile_any_of(node: nodes.Node, position: Path) -> Checker:
    assert isinstance(node, nodes.AnyOf)
    options = [_compile(option, position) for option in node.options]
    emptyable = node.emptyable

    def check(value: Any, path: Path, out: list[Problem]) -> None:
        if value is None:
            return
        if isinstance(value, str) and value == "":
            if not emptyable:
                out.append(_empty_problem(path))
            return
        first: list[Problem] = []
        for option in options:
            found: list[Problem] = []
            option(value, path, found)
            if not found:
                return
            first = first or found
        out.extend(first[:1])

    return check


def _compile_expandable(node: nodes.Node, position: Path) -> Checker:
    # Expandable fields appear in answers only; a request never carries one (beyond its emptiness).
    emptyable = node.emptyable

    def check(value: Any, path: Path, out: list[Problem]) -> None:
        if isinstance(value, str) and value == "" and not emptyable:
            out.append(_empty_problem(path))

    return check


def _compile_removed(node: nodes.Node, position: Path) -> Checker:
    assert isinstance(node, nodes.Removed)
    removed = node

    def check(value: Any, path: Path, out: list[Problem]) -> None:
        if value is not None:
            out.append(_removed_problem(removed, path))

    return check


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


def _in_metadata(position: Path) -> bool:
    return len(position) >= 2 and position[-2] == "metadata"


_COMPILERS: dict[type[nodes.Node], Callable[[nodes.Node, Path], Checker]] = {
    nodes.String: _compile_string,
    nodes.Integer: _compile_scalar(int, "integer"),
    nodes.Number: _compile_scalar((int, float), "number"),
    nodes.Boolean: _compile_scalar(bool, "boolean"),
    nodes.Object: _compile_object,
    nodes.Map: _compile_map,
    nodes.Array: _compile_array,
    nodes.AnyOf: _compile_any_of,
    nodes.Expandable: _compile_expandable,
    nodes.Removed: _compile_removed,
}

# The checker of each operation's params, by the schema node it was compiled from (kept, so the id is not
# reused while the entry lives).
_ROOTS: dict[int, tuple[nodes.Node, Checker]] = {}


def _structural_problems(schema: nodes.Node, params: Mapping[str, Any]) -> list[Problem]:
    """Every structural problem of ``params`` against ``schema``, outermost first, in Stripe's order."""
    found = _ROOTS.get(id(schema))
    if found is None or found[0] is not schema:
        found = _ROOTS[id(schema)] = (schema, _compile(schema, ()))
    out: list[Problem] = []
    found[1](params, (), out)
    return out


# ----------------------------------------------------------------------------------------------------------
# Public entry points


def check_params(
    operation: str,
    params: Mapping[str, Any],
    *,
    context: rules.RuleContext | None = None,
    normalized: bool = False,
    version: ApiVersion = DEFAULT,
) -> list[Problem]:
    """Every problem with ``params`` for ``operation`` (``"create"``, ``"list"``, ...), in Stripe's order.

    ``normalized``: the params came from :func:`normalize_params` or the codec already (the fake's case).
    ``version``: the API version whose parameters count (``versions.get``, ``versions.resolve``).
    """
    return list(_problems(operation, params, context or rules.RuleContext(), normalized, version))


def validate_params(
    operation: str,
    params: Mapping[str, Any],
    *,
    context: rules.RuleContext | None = None,
    normalized: bool = False,
    version: ApiVersion = DEFAULT,
) -> None:
    """Raise the ``InvalidRequestError`` Stripe would answer ``params`` with, if any."""
    context = context or rules.RuleContext()
    if not normalized:
        for problem in _problems(operation, params, context, normalized, version):
            raise problem.to_error()
        return
    # The fake's case, once per request: the first problem straight from the walk, then from the rules, without
    # the generators check_params needs to list them all.
    _check_arguments(operation, params, version)
    structural = _structural_problems(version.operations[operation].params, params)
    if structural:
        raise structural[0].to_error()
    for found in rules.run_rules(operation, params, context):
        raise _rule_problem(found).to_error()


def _problems(
    operation: str, params: Mapping[str, Any], context: rules.RuleContext, normalized: bool, version: ApiVersion
) -> Iterator[Problem]:
    _check_arguments(operation, params, version)
    if not normalized:
        try:
            params = normalize_params(operation, params, version)
        except InvalidRequestError as error:
            yield _problem_from_error(error, "codec")
            return
    structural = _structural_problems(version.operations[operation].params, params)
    yield from structural
    # Stripe stops at the first structural error; check_params goes on to the rules, which then must not
    # trip over the malformed part (a rule that does is skipped, since the structural problem says enough).
    for found in rules.run_rules(operation, params, context, tolerate_errors=bool(structural)):
        yield _rule_problem(found)


def _rule_problem(found: rules.Violation) -> Problem:
    return Problem(found.message, param=found.param, code=found.code, source=found.rule)


def _check_arguments(operation: str, params: Mapping[str, Any], version: ApiVersion) -> None:
    if operation not in version.operations:
        raise ValueError(
            f"unknown operation {operation!r} in API version {version.name}; one of {', '.join(version.operations)}"
        )
    if not isinstance(params, MAPPINGS):
        raise TypeError(f"params must be a mapping, not {type(params).__name__}")


def check_create_params(params: Mapping[str, Any], *, context: rules.RuleContext | None = None) -> list[Problem]:
    """Every problem with create params at once: structure, then each cross-field rule."""
    return check_params("create", params, context=context)


def validate_create_params(params: Mapping[str, Any], *, context: rules.RuleContext | None = None) -> None:
    """Raise the first error Stripe would give for these create params (``InvalidRequestError``)."""
    validate_params("create", params, context=context)


assert set(_COMPILERS) == set(nodes.NODE_KINDS), "the walk must handle every node kind"
