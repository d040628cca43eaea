#!/usr/bin/env python
"""Read the request parameters of an API version from the stripe package's generated params modules.

stripe-python's ``stripe/params/...`` modules say they are generated from Stripe's OpenAPI spec, and they hold
a ``TypedDict`` per parameter object: for a version the project has no spec snapshot of (today's SDK pins
2026-10-28.endive), they are the machine-readable source of its parameters. This module reads one of them
with ``ast`` (the package is never imported, and nothing of its prose is kept) into the schema nodes the rest
of the project walks (:mod:`pytest_checkout.schema.nodes`).

How an annotation reads:

- ``NotRequired[X]``: an optional key; any other annotation, a required one.
- ``Literal["a", "b"]``: a string with that enum; ``Literal["a"]|str`` the same (the SDK leaves the door open
  for values a later version adds; the API still checks the enum); ``Literal[""]|X``: ``X``, emptyable.
- ``List[X]``, ``Dict[str, X]``, ``Union[X, Y]`` and ``X|Y``: an array, a map, a choice; ``UntypedStripeObject``
  (the SDK's own wrapper type) adds nothing and is dropped.
- ``str``, ``int``, ``float``, ``bool``, ``Decimal``: the scalars (a ``Decimal`` is a decimal string on the wire).
- The name of another ``TypedDict`` of the module: that object.

Limits the SDK's files do not carry (``maxLength`` and the like) are not here: the generator takes them from
the 2022-08-01 spec where the path exists in both.

    python scripts/sdk_params.py path/to/stripe/params/checkout/_session_create_params.py SessionCreateParams
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_checkout.schema import nodes  # noqa: E402

__all__ = ["SdkParamsError", "read_object", "read_params", "with_limits"]


class SdkParamsError(ValueError):
    """An annotation of the SDK's module that this reader does not understand (it names the class and key)."""


def read_params(source: str | Path, root: str) -> nodes.Object:
    """The parameters of the ``TypedDict`` named ``root`` in the module at ``source``, as an ``Object`` node."""
    tree = ast.parse(Path(source).read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    if root not in classes:
        raise SdkParamsError(f"{source} has no class {root}")
    return _Reader(classes).object(root)


def with_limits(sdk: nodes.Node, known: nodes.Node | None, path: str = "") -> tuple[nodes.Node, list[str]]:
    """``sdk`` with the length limits of ``known`` (the same parameter in a version of which the project has
    the spec), path by path; and the paths of the free strings left without a limit, the ones ``known`` lacks.

    The SDK's files carry no ``maxLength``: where a parameter exists in both, the limit it had is taken (Stripe
    changes limits rarely, and never silently in a breaking way). A removed parameter's old schema counts.
    """
    if isinstance(known, nodes.Removed):
        known = known.was
    if isinstance(sdk, nodes.String):
        if isinstance(known, nodes.String) and known.max_length is not None:
            return replace(sdk, max_length=known.max_length), []
        return sdk, ([] if sdk.enum is not None or sdk.format is not None else [path])
    if isinstance(sdk, nodes.Object):
        properties: dict[str, nodes.Node] = {}
        open_paths: list[str] = []
        known_properties = known.properties if isinstance(known, nodes.Object) else {}
        required = _required(sdk, known)
        for key, child in sdk.properties.items():
            old = known_properties.get(key)
            found, left = with_limits(child, old, f"{path}[{key}]" if path else key)
            if key in sdk.required and key not in required and (old is None or not old.nullable):
                # Left out rather than null when it has no value, as the known version says (line_items), and
                # so are the new keys of an object whose keys all are (payment_method_options' methods).
                found = replace(found, nullable=False)
            properties[key] = found
            open_paths += left
        return replace(sdk, properties=properties, required=required), open_paths
    if isinstance(sdk, nodes.Array):
        items, left = with_limits(sdk.items, known.items if isinstance(known, nodes.Array) else None, f"{path}[]")
        return replace(sdk, items=items), left
    if isinstance(sdk, nodes.Map):
        values, left = with_limits(sdk.values, known.values if isinstance(known, nodes.Map) else None, f"{path}[*]")
        return replace(sdk, values=values), left
    if isinstance(sdk, nodes.AnyOf):
        candidates = known.options if isinstance(known, nodes.AnyOf) else ((known,) if known is not None else ())
        options: list[nodes.Node] = []
        open_paths = []
        for option in sdk.options:
            match = next((c for c in candidates if type(c) is type(option)), None)
            found, left = with_limits(option, match, path)
            options.append(found)
            open_paths += [p for p in left if p not in open_paths]
        return replace(sdk, options=tuple(options)), open_paths
    return sdk, []


def _required(sdk: nodes.Object, known: nodes.Node | None) -> frozenset[str]:
    """The keys of an answer object that are always there.

    The SDK's resource classes type every field, so a field that Stripe leaves out (``line_items`` unless
    expanded, the payment method options that were not set) reads as always there. Where the known version has
    the same object, its optional keys stay optional, and so do new keys of an object whose keys all were.
    Request parameters are read from ``NotRequired`` and need none of this.
    """
    if not isinstance(known, nodes.Object) or not known.properties or sdk.title == "ListObject":
        return sdk.required
    optional = set(known.properties) - known.required
    all_optional = not known.required
    return frozenset(
        key for key in sdk.required if key not in optional and not (all_optional and key not in known.properties)
    )


def read_object(source: str | Path, name: str) -> nodes.Object:
    """The fields of the resource class ``name`` (a ``StripeObject``, as ``stripe/checkout/_session.py``'s
    ``Session``) in the module at ``source``, as an ``Object`` node of the answer.

    ``Optional[X]`` is a nullable ``X``; ``ExpandableField["Customer"]`` an id or the expanded object;
    ``ListObject["LineItem"]`` a list envelope; a class nested in the resource (``Session.AutomaticTax``) its own
    object; a resource of another module (``LineItem``) an object that names it (its ``title``), not read here.
    """
    tree = ast.parse(Path(source).read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    if name not in classes:
        raise SdkParamsError(f"{source} has no class {name}")
    return _ObjectReader().object(classes[name], ())


class _ObjectReader:
    def object(self, cls: ast.ClassDef, outer: tuple[ast.ClassDef, ...]) -> nodes.Object:
        scope = (*outer, cls)
        properties: dict[str, nodes.Node] = {}
        for statement in cls.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            key = statement.target.id
            if key.startswith("_") or _is_subscript_of(statement.annotation, "ClassVar"):
                continue
            try:
                properties[key] = self.node(statement.annotation, scope)
            except SdkParamsError as error:
                raise SdkParamsError(f"{cls.name}.{key}: {error}") from None
        # Every field of an answer is there (null when it has no value): all are required.
        return nodes.Object(properties=properties, required=frozenset(properties), title=cls.name)

    def node(self, annotation: ast.expr, scope: tuple[ast.ClassDef, ...]) -> nodes.Node:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return self.node(ast.parse(annotation.value, mode="eval").body, scope)
        if _is_subscript_of(annotation, "Optional"):
            assert isinstance(annotation, ast.Subscript)
            return replace(self.node(annotation.slice, scope), nullable=True)
        options = _union_options(annotation)
        if len(options) > 1:
            literals = [
                value for option in options if _is_subscript_of(option, "Literal") for value in _literal_values(option)
            ]
            rest = [o for o in options if not _is_subscript_of(o, "Literal") and not _is_name(o, "str")]
            if literals and not rest:
                return nodes.String(enum=tuple(literals))
            if not literals and all(_is_name(o, "str") for o in options):
                return nodes.String()
            return nodes.AnyOf(options=tuple(self.node(option, scope) for option in options))
        return self.single(annotation, scope)

    def single(self, annotation: ast.expr, scope: tuple[ast.ClassDef, ...]) -> nodes.Node:
        if isinstance(annotation, ast.Name):
            scalar = _SCALARS.get(annotation.id)
            if scalar is not None:
                return scalar
            nested = _nested(annotation.id, scope)
            if nested is not None:
                found, outer = nested
                return self.object(found, outer)
            return nodes.Object(title=annotation.id)  # a resource of another module
        if _is_subscript_of(annotation, "Literal"):
            if _is_boolean_literal(annotation):
                return nodes.Boolean()  # ``deleted: Literal[True]`` on a deleted object
            return nodes.String(enum=tuple(_literal_values(annotation)))
        if _is_subscript_of(annotation, "List"):
            assert isinstance(annotation, ast.Subscript)
            return nodes.Array(items=self.node(annotation.slice, scope))
        if _is_subscript_of(annotation, "Dict") or _is_subscript_of(annotation, "UntypedStripeObject"):
            assert isinstance(annotation, ast.Subscript)
            value = _pair(annotation.slice)[1] if _is_subscript_of(annotation, "Dict") else annotation.slice
            return nodes.Map(values=self.node(value, scope))
        if _is_subscript_of(annotation, "ExpandableField"):
            assert isinstance(annotation, ast.Subscript)
            return nodes.Expandable(resources=(_resource_name(annotation.slice),))
        if _is_subscript_of(annotation, "ListObject"):
            assert isinstance(annotation, ast.Subscript)
            item = self.node(annotation.slice, scope)
            return nodes.Object(
                properties={
                    "object": nodes.String(enum=("list",)),
                    "data": nodes.Array(items=item),
                    "has_more": nodes.Boolean(),
                    "url": nodes.String(),
                },
                required=frozenset({"object", "data", "has_more", "url"}),
                title="ListObject",
            )
        raise SdkParamsError(f"unread annotation {ast.unparse(annotation)!r}")


def _is_name(annotation: ast.expr, name: str) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id == name


def _nested(name: str, scope: tuple[ast.ClassDef, ...]) -> tuple[ast.ClassDef, tuple[ast.ClassDef, ...]] | None:
    """The class ``name`` nested in the innermost class of ``scope`` that has one, with the classes around it."""
    for depth in range(len(scope), 0, -1):
        for statement in scope[depth - 1].body:
            if isinstance(statement, ast.ClassDef) and statement.name == name:
                return statement, scope[:depth]
    return None


def _resource_name(annotation: ast.expr) -> str:
    """``"PaymentIntent"`` -> ``payment_intent``: the object's name, as the fake's resources are keyed."""
    text = annotation.value if isinstance(annotation, ast.Constant) else ast.unparse(annotation)
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in str(text)).lstrip("_")
    return snake


class _Reader:
    def __init__(self, classes: Mapping[str, ast.ClassDef]) -> None:
        self.classes = classes
        self.done: dict[str, nodes.Object] = {}

    def object(self, name: str) -> nodes.Object:
        if name in self.done:
            return self.done[name]
        properties: dict[str, nodes.Node] = {}
        required: set[str] = set()
        for statement in self.classes[name].body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue  # docstrings of the fields
            key = statement.target.id
            annotation, optional = _unwrap_not_required(statement.annotation)
            try:
                properties[key] = self.node(annotation)
            except SdkParamsError as error:
                raise SdkParamsError(f"{name}.{key}: {error}") from None
            if not optional:
                required.add(key)
        found = nodes.Object(properties=properties, required=frozenset(required), title=name)
        self.done[name] = found
        return found

    def node(self, annotation: ast.expr) -> nodes.Node:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return self.node(ast.parse(annotation.value, mode="eval").body)  # a forward reference
        options = _union_options(annotation)
        if len(options) > 1:
            return self.union(options)
        return self.single(options[0])

    def union(self, options: list[ast.expr]) -> nodes.Node:
        literals: list[str] = []
        others: list[nodes.Node] = []
        open_string = False
        for option in options:
            if _is_subscript_of(option, "Literal"):
                literals.extend(_literal_values(option))
            elif _is_subscript_of(option, "UntypedStripeObject"):
                continue
            elif isinstance(option, ast.Name) and option.id == "str":
                open_string = True
            else:
                others.append(self.node(option))
        emptyable = "" in literals
        values = tuple(value for value in literals if value != "")
        if values:
            others.insert(0, nodes.String(enum=values))
        elif open_string:
            others.insert(0, nodes.String())
        if not others:
            raise SdkParamsError("a union of nothing but empty strings")
        found = others[0] if len(others) == 1 else nodes.AnyOf(options=tuple(others))
        return replace(found, emptyable=True) if emptyable else found

    def single(self, annotation: ast.expr) -> nodes.Node:
        if isinstance(annotation, ast.Name):
            scalar = _SCALARS.get(annotation.id)
            if scalar is not None:
                return scalar
            if annotation.id in self.classes:
                return self.object(annotation.id)
            raise SdkParamsError(f"unknown name {annotation.id}")
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return self.node(annotation)
        if _is_subscript_of(annotation, "Literal"):
            values = _literal_values(annotation)
            enum = tuple(value for value in values if value != "")
            return nodes.String(enum=enum or None, emptyable="" in values)
        if _is_subscript_of(annotation, "List"):
            assert isinstance(annotation, ast.Subscript)
            return nodes.Array(items=self.node(annotation.slice))
        if _is_subscript_of(annotation, "Dict"):
            assert isinstance(annotation, ast.Subscript)
            key, value = _pair(annotation.slice)
            if not (isinstance(key, ast.Name) and key.id == "str"):
                raise SdkParamsError("a Dict whose keys are not str")
            return nodes.Map(values=self.node(value))
        raise SdkParamsError(f"unread annotation {ast.unparse(annotation)!r}")


_SCALARS: Mapping[str, nodes.Node] = {
    "str": nodes.String(),
    "int": nodes.Integer(),
    "float": nodes.Number(),
    "bool": nodes.Boolean(),
    "Decimal": nodes.String(format="decimal"),
}


def _unwrap_not_required(annotation: ast.expr) -> tuple[ast.expr, bool]:
    if _is_subscript_of(annotation, "NotRequired"):
        assert isinstance(annotation, ast.Subscript)
        return annotation.slice, True
    return annotation, False


def _union_options(annotation: ast.expr) -> list[ast.expr]:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _union_options(annotation.left) + _union_options(annotation.right)
    if _is_subscript_of(annotation, "Union"):
        assert isinstance(annotation, ast.Subscript)
        inner = annotation.slice
        parts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        return [option for part in parts for option in _union_options(part)]
    return [annotation]


def _is_subscript_of(annotation: ast.expr, name: str) -> bool:
    return (
        isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name) and annotation.value.id == name
    )


def _is_boolean_literal(annotation: ast.expr) -> bool:
    assert isinstance(annotation, ast.Subscript)
    inner = annotation.slice
    parts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
    return all(isinstance(part, ast.Constant) and isinstance(part.value, bool) for part in parts)


def _literal_values(annotation: ast.expr) -> list[str]:
    assert isinstance(annotation, ast.Subscript)
    inner = annotation.slice
    parts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
    values = []
    for part in parts:
        if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
            raise SdkParamsError(f"a Literal of something else than strings: {ast.unparse(annotation)}")
        values.append(part.value)
    return values


def _pair(inner: ast.expr) -> tuple[ast.expr, ast.expr]:
    if not (isinstance(inner, ast.Tuple) and len(inner.elts) == 2):
        raise SdkParamsError(f"a Dict without a key and a value type: {ast.unparse(inner)}")
    return inner.elts[0], inner.elts[1]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.rsplit("\n\n", 1)[-1].strip(), file=sys.stderr)
        return 2
    found = read_params(argv[0], argv[1])
    print(f"{argv[1]}: {len(found.properties)} top-level parameters, {len(found.required)} required")
    for key in sorted(found.properties):
        node = found.properties[key]
        enum = getattr(node, "enum", None)
        print(f"  {key}: {type(node).__name__}{f' {list(enum)}' if enum else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
