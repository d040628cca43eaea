"""Stripe's bracket form encoding of request parameters, both ways.

Stripe's v1 API reads POST bodies and GET query strings as ``application/x-www-form-urlencoded`` pairs whose
keys carry the nesting in brackets: ``line_items[0][price_data][currency]=usd``, ``metadata[order]=42``,
``expand[0]=line_items``.

- :func:`encode` flattens nested params into those pairs (the client side);
- :func:`encode_body` writes the exact string the official ``stripe`` Python SDK (v16) sends for the same params,
  so cassettes and idempotency checks compare equal whichever of the two sent a request;
- :func:`decode` reads pairs back into nested params (the fake's side), shaped and typed by a schema tree of
  :mod:`pytest_checkout.schema.nodes` when one is given, and answers malformed input the way Stripe does: with
  an :class:`~pytest_checkout.errors.InvalidRequestError` whose ``param`` is in Stripe's path form;
- :func:`format_param` writes such a path: ``line_items[0][price_data][currency]``.

Decoding only settles the wire format: shapes (a list where the schema has an array), scalar types (an integer
where it has an integer) and malformed keys. Whether a value is allowed (enums, lengths, required or unknown
keys, empty strings) is left to validation, so unknown keys are kept as decoded without a schema and ``""``
stays ``""`` everywhere.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias
from urllib.parse import urlencode

from pytest_checkout.errors import InvalidRequestError
from pytest_checkout.schema.nodes import (
    AnyOf,
    Array,
    Boolean,
    Expandable,
    Integer,
    Map,
    Node,
    Number,
    Object,
    Removed,
    String,
)

__all__ = ["MAPPINGS", "decode", "encode", "encode_body", "format_param"]

#: What counts as a hash of params: ``isinstance(x, MAPPINGS)`` answers a plain dict (every decoded value) at
#: C speed before asking the ``Mapping`` ABC, which is slow and runs a few hundred times per request.
MAPPINGS: tuple[type[dict[Any, Any]], type[Mapping[Any, Any]]] = (dict, Mapping)

#: Error codes for values that are not of the schema's scalar type. ``parameter_invalid_integer`` was seen live.
#: For booleans and decimals no live answer is known and Stripe documents no matching code, so these errors
#: carry none (a guess: inventing a code would also invent a doc_url that leads nowhere).
CODE_INVALID_INTEGER = "parameter_invalid_integer"
CODE_INVALID_BOOLEAN: str | None = None
CODE_INVALID_DECIMAL: str | None = None

Path: TypeAlias = tuple[str | int, ...]


def format_param(path: Sequence[str | int]) -> str:
    """Write a parameter path the way Stripe names it in errors.

    ``("line_items", 0, "price_data", "currency")`` gives ``line_items[0][price_data][currency]``; an empty path
    gives ``""``.
    """
    if not path:
        return ""
    return str(path[0]) + "".join(f"[{part}]" for part in path[1:])


# --------------------------------------------------------------------------------------------------- encoding


def encode(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten nested params into Stripe's bracketed form pairs, in insertion order.

    Dicts give ``a[b]``, lists and tuples ``a[0]``, booleans ``true``/``false``, ints, floats and ``Decimal``
    their ``str()`` (as the SDK sends them), aware datetimes their Unix timestamp (naive ones are read as local
    time, as the SDK does) and an object with an ``id`` attribute (a ``StripeObject``) its id. ``None`` is
    skipped and so are empty lists and dicts; ``""`` is kept, since Stripe reads it as "unset". A list keeps the
    positions of its items, so a skipped item leaves a gap in the indices, as with the SDK.

    Raises ``TypeError`` naming the parameter for a value of any other type.
    """
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        _encode_value(_child_name(None, key), value, out, sdk=False)
    return out


def encode_body(params: Mapping[str, Any]) -> str:
    """The exact string the official ``stripe`` SDK (v16) sends for ``params``, as a POST body or GET query.

    That is ``urlencode`` of the SDK's pairs with ``%5B``/``%5D`` turned back into brackets (in values too, as the
    SDK does). It reproduces the SDK's quirks rather than :func:`encode`'s rules where the two differ, all of them
    for items directly inside a list, which the SDK sends without converting: ``[True]`` as ``a[0]=True``,
    ``[None]`` as ``a[0]=None``, a datetime as its ``str()``. Items of a list nested in a list are converted
    again (``[[True]]`` gives ``a[0][0]=true``), as are the values of a dict inside a list.

    Raises ``TypeError`` naming the parameter for a value :func:`encode` cannot encode either.
    """
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        _encode_value(_child_name(None, key), value, out, sdk=True)
    return urlencode(out).replace("%5B", "[").replace("%5D", "]")


def _child_name(parent: str | None, key: object) -> str:
    # The SDK formats keys with "%s"; ints show up as keys of lists turned into dicts and of numeric metadata.
    if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
        return str(key) if parent is None else f"{parent}[{key}]"
    where = f" in {parent}" if parent is not None else ""
    raise TypeError(f"cannot encode the key {key!r}{where}: keys must be str or int, not {type(key).__name__}")


def _stripe_data(value: object) -> dict[str, Any] | None:
    # A StripeObject is not a Mapping; the SDK encodes it as a dict of its ``_data``.
    data = getattr(value, "_data", None)
    return data if isinstance(data, dict) else None


def _timestamp(moment: datetime.datetime) -> int:
    # The SDK's rule, kept exactly: an aware datetime is converted through UTC, a naive one as local time.
    if moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None:
        return calendar.timegm(moment.utctimetuple())
    return int(time.mktime(moment.timetuple()))


def _cannot_encode(key: str, value: object) -> TypeError:
    return TypeError(
        f"cannot encode the value of {key or '(empty key)'}: {type(value).__name__} is not one of "
        "str, int, float, Decimal, bool, datetime, None, list, tuple, dict or an object with an id"
    )


def _encode_value(key: str, value: object, out: list[tuple[str, str]], *, sdk: bool) -> None:
    # The order of the checks follows the SDK's ``_api_encode``: None, an ``id``, lists, dicts, datetimes, bools,
    # then anything else as its str(). The plain scalars go first only because they are the common case; none of
    # them has an ``id`` attribute, so that does not change which rule applies.
    if value is None:
        return
    if type(value) is str:
        out.append((key, value))
    elif isinstance(value, bool):
        out.append((key, "true" if value else "false"))
    elif isinstance(value, (str, int, float, Decimal)):
        out.append((key, str(value)))
    elif hasattr(value, "id"):
        ident = getattr(value, "id", None)
        if not isinstance(ident, str):
            raise _cannot_encode(key, value)
        out.append((key, ident))
    elif isinstance(value, (list, tuple)):
        _encode_list(key, value, out, sdk=sdk)
    elif isinstance(value, MAPPINGS) or _stripe_data(value) is not None:
        _encode_mapping(key, value, out, sdk=sdk)
    elif isinstance(value, datetime.datetime):
        out.append((key, str(_timestamp(value))))
    else:
        raise _cannot_encode(key, value)


def _encode_mapping(key: str, value: object, out: list[tuple[str, str]], *, sdk: bool) -> None:
    data = _stripe_data(value)
    items = data.items() if data is not None else value.items() if isinstance(value, MAPPINGS) else ()
    for sub_key, sub_value in items:
        _encode_value(_child_name(key, sub_key), sub_value, out, sdk=sdk)


def _encode_list(key: str, value: Sequence[Any], out: list[tuple[str, str]], *, sdk: bool) -> None:
    for index, item in enumerate(value):
        item_key = f"{key}[{index}]"
        if isinstance(item, (list, tuple)):
            # The SDK turns a list inside a list into a dict of its positions, whose values get the full rules
            # again (so their own list items are sent raw once more).
            for position, sub_item in enumerate(item):
                _encode_value(f"{item_key}[{position}]", sub_item, out, sdk=sdk)
        elif isinstance(item, MAPPINGS) or _stripe_data(item) is not None:
            _encode_mapping(item_key, item, out, sdk=sdk)
        elif sdk:
            out.append((item_key, _raw_list_item(item_key, item)))
        else:
            _encode_value(item_key, item, out, sdk=sdk)


def _raw_list_item(key: str, item: object) -> str:
    # What the SDK sends for a scalar directly inside a list: it yields the item unconverted and ``urlencode``
    # applies str(), so True is "True", None is "None" and a datetime is "2022-08-01 00:00:00+00:00".
    if item is None or isinstance(item, (str, int, float, Decimal, datetime.datetime)):
        return str(item)
    raise _cannot_encode(key, item)


# --------------------------------------------------------------------------------------------------- decoding


class _Branch:
    """A key that has children while the pairs are read, before a schema gives it a shape."""

    __slots__ = ("appended", "named", "scalar")

    def __init__(self) -> None:
        # Children by the name in brackets, in first-seen order (``a[b]``, ``a[0]``).
        self.named: dict[str, _Raw] = {}
        # Children given with ``a[]``, in order.
        self.appended: list[_Raw] = []
        # A value given for the key itself as well (``a=1&a[b]=2``): an error once the shape is known.
        self.scalar: str | None = None


_Raw: TypeAlias = str | _Branch


def _bad_name(key: str) -> InvalidRequestError:
    # Guess: Stripe's wording for a malformed key was not seen; the message names the key as it was sent.
    shown = key if key else "(empty)"
    return InvalidRequestError(f"Invalid parameter name: {shown}", param=key or None)


@functools.lru_cache(maxsize=4096)
def _split_key(key: str) -> tuple[str, ...]:
    """``a[b][0][]`` -> ``("a", "b", "0", "")``; an empty part means "append" (``a[]``).

    Kept per name: an application sends the same few dozen names on every request (a malformed one raises, and
    is not kept).
    """
    opening = key.find("[")
    if opening < 0:
        if not key or "]" in key:
            raise _bad_name(key)
        return (key,)
    if opening == 0 or key[-1] != "]" or "]" in key[:opening]:
        raise _bad_name(key)
    parts = key[opening + 1 : -1].split("][")
    for part in parts:
        if "[" in part or "]" in part:
            raise _bad_name(key)
    return (key[:opening], *parts)


def _has_path(branch: _Branch, parts: tuple[str, ...], start: int) -> bool:
    node: _Raw = branch
    for index in range(start, len(parts)):
        part = parts[index]
        if part == "" or not isinstance(node, _Branch):
            return False
        child = node.named.get(part)
        if child is None:
            return False
        node = child
    return True


def _append_target(node: _Branch, parts: tuple[str, ...], start: int) -> _Branch:
    # ``a[][b]=1&a[][c]=2`` gives one item {b, c}, and a repeated ``a[][b]`` starts the next item: the rule of
    # Rack, on which Stripe's Ruby API is presumed to parse its params (a guess; not seen live).
    if node.appended:
        last = node.appended[-1]
        if isinstance(last, _Branch) and not _has_path(last, parts, start):
            return last
    branch = _Branch()
    node.appended.append(branch)
    return branch


def _read_pairs(pairs: Iterable[tuple[str, str]]) -> _Branch:
    root = _Branch()
    for key, value in pairs:
        parts = _split_key(key)
        node = root
        last = len(parts) - 1
        for index in range(last):
            part = parts[index]
            if part == "":
                node = _append_target(node, parts, index + 1)
                continue
            child = node.named.get(part)
            if isinstance(child, _Branch):
                node = child
            else:
                branch = _Branch()
                branch.scalar = child  # a value seen earlier for the key itself, or None
                node.named[part] = branch
                node = branch
        part = parts[last]
        if part == "":
            node.appended.append(value)
            continue
        existing = node.named.get(part)
        if isinstance(existing, _Branch):
            existing.scalar = value
        else:
            # Guess: of repeated identical keys the last one wins, as Rack does.
            node.named[part] = value
    return root


def _invalid(message: str, path: Path, code: str | None = None) -> InvalidRequestError:
    return InvalidRequestError(message, param=format_param(path), code=code)


def _is_index(name: str) -> bool:
    return name.isdigit() and name.isascii()


def _index_order(digits: str) -> tuple[int, str]:
    # Numeric order without int(): indices of any length sort, and none is ever turned into a list size.
    return (len(digits), digits)


def _looks_like_list(branch: _Branch) -> bool:
    return bool(branch.appended) or all(map(_is_index, branch.named))


def _list_items(branch: _Branch, path: Path) -> list[_Raw]:
    """The items of a branch read as a list: indexed ones in index order (gaps closed), then appended ones."""
    if branch.scalar is not None:
        raise _invalid("Invalid array", path)
    if not branch.named:
        return branch.appended
    if len(branch.named) == 1 and not branch.appended and "0" in branch.named:  # one item, as the SDK sends it
        return [branch.named["0"]]
    by_index: dict[str, _Raw] = {}
    for name, child in branch.named.items():
        if not _is_index(name):
            # Seen live: "Invalid array" for a scalar where an array belongs; for named keys mixed into an
            # array the same message is a guess.
            raise _invalid("Invalid array", path)
        # "01" and "1" are the same index; the later one wins, as for repeated keys.
        by_index[name.lstrip("0") or "0"] = child
    items = [by_index[digits] for digits in sorted(by_index, key=_index_order)]
    items.extend(branch.appended)
    return items


def _named_items(branch: _Branch, path: Path) -> dict[str, _Raw]:
    """The children of a branch read as a hash; ``a[]`` items or a value for the key itself do not fit one."""
    if branch.scalar is not None or branch.appended:
        # Guess: "Invalid hash" by analogy with the "Invalid array" seen live.
        raise _invalid("Invalid hash", path)
    return branch.named


def _plain(raw: _Raw, path: Path) -> Any:
    """Decode without a schema: keys that are all indices make a list, values stay strings."""
    if isinstance(raw, str):
        return raw
    if _looks_like_list(raw):
        return [_plain(child, (*path, index)) for index, child in enumerate(_list_items(raw, path))]
    return {name: _plain(child, (*path, name)) for name, child in _named_items(raw, path).items()}


# The decoders are compiled: each schema node gets a function that knows its children's decoders (made the first
# time a request has the child), so a request pays for its own values only, not for finding how to read them.
#: Reads one raw value (a form value or a branch of them) at ``path`` into the node's shape.
Decoder: TypeAlias = Callable[[_Raw, Path], Any]


def _decode_text(raw: _Raw, path: Path) -> Any:
    # A hash or list where a string belongs is passed on as decoded: validation reports it in its own words
    # (for metadata, "Invalid value type: ... must be a string").
    return raw if isinstance(raw, str) else _plain(raw, path)


def _decode_integer(raw: _Raw, path: Path) -> Any:
    if not isinstance(raw, str):
        return _plain(raw, path)
    if raw == "":
        return raw
    if _is_integer_text(raw):
        try:
            return int(raw)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            pass
    # Seen live: 400 parameter_invalid_integer "Invalid integer: abc".
    raise _invalid(f"Invalid integer: {raw}", path, CODE_INVALID_INTEGER)


def _is_integer_text(text: str) -> bool:
    # int() would also take " 1", "1_000", "+1" and non-ASCII digits; Stripe's wire format is plain decimal.
    digits = text[1:] if text[0] == "-" else text
    return digits.isdigit() and digits.isascii()


# A plain decimal literal, as str() writes floats ("1.5", "1e-05", "1e+20"); float() alone would also take
# "nan", "inf", " 1", "1_0". Matched once per value.
_DECIMAL_TEXT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _decode_number(raw: _Raw, path: Path) -> Any:
    if not isinstance(raw, str):
        return _plain(raw, path)
    if raw == "":
        return raw
    if _is_integer_text(raw):
        try:
            return int(raw)
        except ValueError:
            pass
    elif _DECIMAL_TEXT.fullmatch(raw):
        number = float(raw)
        if math.isfinite(number):
            return number
    # Guess: wording and code were not seen live; modelled on "Invalid integer: abc".
    raise _invalid(f"Invalid decimal: {raw}", path, CODE_INVALID_DECIMAL)


def _decode_boolean(raw: _Raw, path: Path) -> Any:
    if not isinstance(raw, str):
        return _plain(raw, path)
    if raw == "true":
        return True
    if raw == "false":
        return False
    if raw == "":
        return raw
    # Guess: wording and code were not seen live; modelled on "Invalid integer: abc". Only the lowercase words
    # are taken, which are what the SDK sends for a bool outside a list.
    raise _invalid(f"Invalid boolean: {raw}", path, CODE_INVALID_BOOLEAN)


def _string_for_container(raw: str, path: Path, message: str) -> str:
    """A plain value where a hash or a list belongs: ``""`` stays (an attempt to unset), anything else is refused."""
    if raw == "":
        return raw
    raise _invalid(message, path)


def _compile_object(node: Node) -> Decoder:
    assert isinstance(node, Object)
    properties = node.properties
    children: dict[str, Decoder] = {}

    def decode_object(raw: _Raw, path: Path) -> Any:
        if isinstance(raw, str):
            # Guess: "Invalid hash" by analogy with the "Invalid array" seen live.
            return _string_for_container(raw, path, "Invalid hash")
        decoded: dict[str, Any] = {}
        for name, child in _named_items(raw, path).items():
            decoder = children.get(name)
            if decoder is None:
                schema = properties.get(name)
                if schema is None:  # not kept: a client may send any number of unknown names
                    decoded[name] = _plain(child, (*path, name))
                    continue
                decoder = children[name] = _compiled(schema)
            # Most values are strings where the schema has a string: taken as they are, without a call.
            decoded[name] = (
                child if decoder is _decode_text and isinstance(child, str) else decoder(child, (*path, name))
            )
        return decoded

    return decode_object


def _compile_map(node: Node) -> Decoder:
    assert isinstance(node, Map)
    schema = node.values
    values: list[Decoder] = []  # made at the first value

    def decode_map(raw: _Raw, path: Path) -> Any:
        if isinstance(raw, str):
            return _string_for_container(raw, path, "Invalid hash")  # guess, as for an object
        if not values:
            values.append(_compiled(schema))
        decoder = values[0]
        return {name: decoder(child, (*path, name)) for name, child in _named_items(raw, path).items()}

    return decode_map


def _compile_array(node: Node) -> Decoder:
    assert isinstance(node, Array)
    schema = node.items
    items: list[Decoder] = []  # made at the first item

    def decode_array(raw: _Raw, path: Path) -> Any:
        if isinstance(raw, str):
            # Seen live: "payment_method_types=card" is 400 "Invalid array", without a code.
            return _string_for_container(raw, path, "Invalid array")
        if not items:
            items.append(_compiled(schema))
        decoder = items[0]
        return [decoder(child, (*path, index)) for index, child in enumerate(_list_items(raw, path))]

    return decode_array


_SCALAR_KINDS: tuple[type[Node], ...] = (String, Integer, Number, Boolean, Expandable)


def _is_scalar_schema(node: Node) -> bool:
    while isinstance(node, Removed):
        node = node.was
    return isinstance(node, _SCALAR_KINDS)


def _compile_any_of(node: Node) -> Decoder:
    assert isinstance(node, AnyOf)
    # (whether the option is a scalar, its decoder): a scalar option would take a hash or list as it is;
    # skipping it lets a later object or array option give the value its shape.
    options = [(_is_scalar_schema(option), _compiled(option)) for option in node.options]

    def decode_any_of(raw: _Raw, path: Path) -> Any:
        first_error: InvalidRequestError | None = None
        branch = not isinstance(raw, str)
        for scalar, decoder in options:
            if branch and scalar:
                continue
            try:
                return decoder(raw, path)
            except InvalidRequestError as error:
                if first_error is None:
                    first_error = error
        if first_error is not None:
            raise first_error
        return _plain(raw, path)

    return decode_any_of


def _compile_removed(node: Node) -> Decoder:
    assert isinstance(node, Removed)
    # Decoded as it used to be, so validation can tell the client it was removed rather than mistyped.
    return _compiled(node.was)


def _fixed(decoder: Decoder) -> Callable[[Node], Decoder]:
    """The compiler of a node kind whose decoder needs nothing of the node (the scalars)."""
    return lambda node: decoder


#: How each node kind is compiled (an ``Expandable`` in a request is an id); a test asserts these keys are
#: exactly ``NODE_KINDS``.
_DECODERS: dict[type[Node], Callable[[Node], Decoder]] = {
    String: _fixed(_decode_text),
    Integer: _fixed(_decode_integer),
    Number: _fixed(_decode_number),
    Boolean: _fixed(_decode_boolean),
    Object: _compile_object,
    Map: _compile_map,
    Array: _compile_array,
    AnyOf: _compile_any_of,
    Expandable: _fixed(_decode_text),
    Removed: _compile_removed,
}

# Each node's decoder, by the node's id (holding the node, so the id is not reused while the entry lives).
_COMPILED: dict[int, tuple[Node, Decoder]] = {}


def _compiled(node: Node) -> Decoder:
    found = _COMPILED.get(id(node))
    if found is None or found[0] is not node:
        if len(_COMPILED) >= _COMPILED_LIMIT:  # nodes made on the fly: the table starts again
            _COMPILED.clear()
        found = _COMPILED[id(node)] = (node, _compiler_for(node)(node))
    return found[1]


_COMPILED_LIMIT = 20_000


def _compiler_for(node: Node) -> Callable[[Node], Decoder]:
    compiler = _DECODERS.get(type(node))
    if compiler is not None:
        return compiler
    for kind, candidate in _DECODERS.items():  # a subclass of a node kind
        if isinstance(node, kind):
            return candidate
    raise TypeError(f"no decoder for schema node {type(node).__name__}")


def decode(pairs: Iterable[tuple[str, str]], schema: Node | None = None) -> dict[str, Any]:
    """Read Stripe's bracketed form pairs back into nested params.

    Keys may index lists (``a[0]``) or append to them (``a[]``). Without a schema, a key whose children are all
    decimal indices becomes a list ordered by index (gaps closed, so ``a[99999999]`` costs one item) and every
    value stays a string. With a schema (an ``Object`` or ``Map`` for the whole params) the schema decides:
    ``Array`` gives a list, ``Object`` and ``Map`` a dict (``metadata[0]`` stays a key), ``Integer`` an int,
    ``Number`` an int or a float, ``Boolean`` a bool, ``AnyOf`` the first option that decodes, ``Removed`` what
    it ``was``. ``""`` stays ``""`` wherever it is; keys the schema does not know are decoded without one.

    Raises :class:`~pytest_checkout.errors.InvalidRequestError` (400, ``param`` in Stripe's path form) for
    malformed keys, values that are not of their scalar type, a scalar where a list or hash belongs, and a key
    given both as a scalar and as a container, never anything else for bad input.
    """
    root = _read_pairs(pairs)
    if schema is None:
        return {name: _plain(child, (name,)) for name, child in root.named.items()}
    if not isinstance(schema, (Object, Map)):
        raise TypeError(f"decode needs an Object or Map schema for the whole params, not {type(schema).__name__}")
    decoded: dict[str, Any] = _compiled(schema)(root, ())
    return decoded
