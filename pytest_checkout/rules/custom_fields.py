"""The rules of ``custom_fields`` (today's API): what the SDK documents of the fields a customer fills in.

Each field has a ``key`` of its own, a ``type`` (``dropdown``, ``numeric``, ``text``) and the options of that type;
a dropdown's ``default_value`` is one of its options. The limit of three fields is an array limit
(``tables.ARRAY_LIMITS``). Unverified: the wording of every message here (modelled on Stripe's).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pytest_checkout.codec import MAPPINGS
from pytest_checkout.rules.registry import RuleContext, Violation, rule

#: A custom field's types, each the key of its options.
FIELD_TYPES = ("dropdown", "numeric", "text")


def _fields(params: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    fields = params.get("custom_fields")
    for index, field in enumerate(fields if isinstance(fields, list) else []):
        if isinstance(field, MAPPINGS):
            yield index, field


@rule("create", "docs", needs=("custom_fields",))
def custom_field_keys_are_unique(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Each custom field has a key no other field of the session has (the SDK's docs: "unique identifier")."""
    seen: set[str] = set()
    for index, field in _fields(params):
        key = field.get("key")
        if isinstance(key, str) and key in seen:
            yield Violation(
                f"The custom field key `{key}` is used more than once; each custom field needs its own key.",
                param=f"custom_fields[{index}][key]",
            )
        elif isinstance(key, str):
            seen.add(key)


@rule("create", "docs", needs=("custom_fields",))
def custom_field_options_fit_its_type(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A field's options are those of its ``type`` only, a dropdown has options, and a dropdown's
    ``default_value`` is one of them (the SDK's docs)."""
    for index, field in _fields(params):
        kind = field.get("type")
        at = f"custom_fields[{index}]"
        for other in FIELD_TYPES:
            if other != kind and field.get(other) is not None:
                yield Violation(f"`{at}[{other}]` can only be used with `type: {other}`.", param=f"{at}[{other}]")
        if kind != "dropdown":
            continue
        dropdown = field.get("dropdown")
        options = dropdown.get("options") if isinstance(dropdown, MAPPINGS) else None
        if not isinstance(options, list) or not options:
            yield Violation(
                f"Missing required param: {at}[dropdown][options].",
                param=f"{at}[dropdown][options]",
                code="parameter_missing",
            )
            continue
        default = dropdown.get("default_value") if isinstance(dropdown, MAPPINGS) else None
        values = [o.get("value") for o in options if isinstance(o, MAPPINGS)]
        if isinstance(default, str) and default and default not in values:
            yield Violation(
                f"`{at}[dropdown][default_value]` must be the value of one of the dropdown's options.",
                param=f"{at}[dropdown][default_value]",
            )
