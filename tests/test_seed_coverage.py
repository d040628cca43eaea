"""The seed's types, field by field, are reachable through the client's types.

The seed (the Stripe.Checkout.Session page of an Elixir client) lists a type for every parameter object, the
five functions' parameters and the 44-field ``t()``. This reads it independently of the generator and checks
the generated TypedDicts and the ``Session`` class against it.
"""

from __future__ import annotations

import dataclasses
import re
import typing

import pytest

from pytest_checkout import client
from pytest_checkout.schema import v2022_08_01_types as types

KEY = re.compile(r"optional\(:(\w+)\)\s*=>|(?:^|[{,])\s*:(\w+)\s*=>|(?:^|[{,])\s*(\w+):\s")


def seed_blocks(text: str, opener: str) -> dict[str, str]:
    """``name -> the text inside the first map's braces`` for each ``opener name(`` in the seed.

    For ``@type`` that is the type itself; for ``@spec`` it is the params map of the function.
    """
    blocks = {}
    for match in re.finditer(rf"{opener} (\w+)\(", text):
        start = text.index("{", match.end())
        depth, end = 0, start
        for end in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        blocks[match.group(1)] = text[start + 1 : end]
    return blocks


def top_level_fields(block: str) -> dict[str, str]:
    """``name: type`` pairs of a keyword-style map, split at the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in " ".join(block.split()):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return dict(part.strip().split(": ", 1) for part in parts if part.strip())


def keys_of(block: str) -> set[str]:
    flat = " ".join(block.split())
    return {next(g for g in m.groups() if g) for m in KEY.finditer(flat)}


@pytest.fixture(scope="module")
def seed_types(seed_text):
    return {name: keys_of(block) for name, block in seed_blocks(seed_text, "@type").items()}


def typed_dict_keys(cls: type) -> set[str]:
    return set(cls.__required_keys__) | set(cls.__optional_keys__)  # type: ignore[attr-defined]


def candidates(name: str) -> list[type]:
    """The TypedDicts whose parameter path ends in ``name`` (``[line_items][]`` counts as ``line_items``)."""
    found = []
    for path, cls in types.PARAM_TYPES.items():
        last = re.sub(r"(\[\])+$", "", path).rstrip("]").split("[")[-1]
        if last == name:
            found.append(cls)
    return found


def test_the_seed_has_the_types_the_issue_counts(seed_types):
    assert len(seed_types) == 58
    assert len(seed_types["t"]) == 44


def test_every_field_of_every_parameter_type_is_in_a_typed_dict(seed_types):
    missing = {}
    for name, fields in seed_types.items():
        if name == "t":
            continue
        options = candidates(name)
        assert options, f"no TypedDict for the seed's {name}()"
        if not any(fields <= typed_dict_keys(cls) for cls in options):
            missing[name] = sorted(fields - set().union(*(typed_dict_keys(c) for c in options)))
    assert not missing


def test_the_five_functions_take_the_seed_parameters(seed_text):
    specs = seed_blocks(seed_text, "@spec")
    expected = {
        "create": types.SessionCreateParams,
        "list": types.SessionListParams,
        "list_line_items": types.SessionListLineItemsParams,
        "retrieve": types.SessionRetrieveParams,
        "expire": types.SessionExpireParams,
    }
    assert set(specs) == set(expected)
    for name, cls in expected.items():
        assert keys_of(specs[name]) == typed_dict_keys(cls), name
    for name in expected:
        assert callable(getattr(client.Session, name))


def test_session_has_the_44_fields_of_t_typed_as_the_seed_types_them(seed_text):
    seed_fields = top_level_fields(seed_blocks(seed_text, "@type")["t"])
    fields = {f.name: f for f in dataclasses.fields(client.Session)}
    assert set(seed_fields) == set(fields)
    hints = typing.get_type_hints(client.Session)
    mismatched = {}
    for name, seed_type in seed_fields.items():
        ours = str(hints[name])
        nullable_in_seed = "nil" in seed_type
        # line_items is term() in the seed but only present when expanded, hence optional here.
        if name != "line_items" and nullable_in_seed != ("None" in ours):
            mismatched[name] = (seed_type, ours)
        if "binary()" in seed_type and "str" not in ours:
            mismatched[name] = (seed_type, ours)
        if "integer()" in seed_type and "int" not in ours:
            mismatched[name] = (seed_type, ours)
        if "boolean()" in seed_type and "bool" not in ours:
            mismatched[name] = (seed_type, ours)
    assert not mismatched
