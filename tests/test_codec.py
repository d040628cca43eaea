"""The form codec: each encoding and decoding rule, each error, and the SDK's exact bytes.

The SDK comparisons call the functions the official ``stripe`` package's requestor uses (``_api_encode`` and
``urlencode`` with the brackets put back) and, once per method, capture a request the SDK really sends.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import responses
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from pytest_checkout import codec
from pytest_checkout.codec import decode, encode, encode_body, format_param
from pytest_checkout.errors import InvalidRequestError
from pytest_checkout.schema.nodes import (
    NODE_KINDS,
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

SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"

LINE_ITEM = Object(
    properties={
        "price": String(),
        "quantity": Integer(),
        "price_data": Object(
            properties={"currency": String(), "unit_amount": Integer(), "unit_amount_decimal": Number()}
        ),
        "adjustable_quantity": Object(properties={"enabled": Boolean(), "maximum": Integer()}),
        "amount": Removed(since="2022-08-01", legacy_line_item=True, was=Integer()),
    }
)
PARAMS = Object(
    properties={
        "success_url": String(),
        "allow_promotion_codes": Boolean(),
        "expires_at": Integer(format="unix-time"),
        "line_items": Array(items=LINE_ITEM),
        "payment_method_types": Array(items=String()),
        "expand": Array(items=String()),
        "metadata": Map(values=String()),
        "discounts": AnyOf(options=(Array(items=Object(properties={"coupon": String()})), String(enum=("",)))),
        "shipping_rates": Removed(since="2022-08-01", was=Array(items=String())),
        "customer": Expandable(resources=("customer",)),
        "percent": Number(),
    }
)


def sdk_body(params: dict[str, Any]) -> str:
    """What stripe's ``_APIRequestor._args_for_request_with_retries`` makes of ``params`` (stripe 16)."""
    return urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")


def error_of(pairs: list[tuple[str, str]], schema: Node | None = PARAMS) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        decode(pairs, schema)
    return caught.value


# ------------------------------------------------------------------------------------------------ format_param


def test_format_param_writes_stripe_paths():
    assert format_param(("line_items", 0, "price_data", "currency")) == "line_items[0][price_data][currency]"
    assert format_param(["metadata", "0"]) == "metadata[0]"
    assert format_param(("mode",)) == "mode"
    assert format_param(()) == ""


# ------------------------------------------------------------------------------------------------------ encode


def test_encode_nests_dicts_and_lists_of_dicts_in_order():
    params = {
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 2000}, "quantity": 2}],
        "metadata": {"order": "42"},
        "expand": ["line_items", "customer"],
    }
    assert encode(params) == [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "2000"),
        ("line_items[0][quantity]", "2"),
        ("metadata[order]", "42"),
        ("expand[0]", "line_items"),
        ("expand[1]", "customer"),
    ]


def test_encode_scalars():
    params = {
        "yes": True,
        "no": False,
        "int": -7,
        "float": 1.5,
        "big_float": 1e20,
        "small_float": 1e-05,
        "decimal": Decimal("1.10"),
        "empty": "",
        "in_list": [True, False],
    }
    assert encode(params) == [
        ("yes", "true"),
        ("no", "false"),
        ("int", "-7"),
        ("float", "1.5"),
        ("big_float", "1e+20"),
        ("small_float", "1e-05"),
        ("decimal", "1.10"),
        ("empty", ""),
        ("in_list[0]", "true"),
        ("in_list[1]", "false"),
    ]


def test_encode_skips_none_and_empty_containers_but_keeps_list_positions():
    params = {"a": None, "b": [], "c": {}, "d": {"e": None, "f": []}, "g": ["x", None, {}, "y"], "h": ("t",)}
    assert encode(params) == [("g[0]", "x"), ("g[3]", "y"), ("h[0]", "t")]


def test_encode_lists_in_lists_and_int_keys():
    assert encode({"a": [[1, [True]]], "m": {0: "zero"}}) == [
        ("a[0][0]", "1"),
        ("a[0][1][0]", "true"),
        ("m[0]", "zero"),
    ]


def test_encode_datetimes_and_objects_with_an_id():
    moment = datetime.datetime(2022, 8, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))

    class Customer:
        id = "cus_123"

    assert encode({"expires_at": moment, "customer": Customer()}) == [
        ("expires_at", "1659348000"),
        ("customer", "cus_123"),
    ]


def test_encode_sends_a_stripe_object_as_its_id_and_a_nested_one_as_its_fields():
    customer = stripe.StripeObject.construct_from({"id": "cus_123", "email": "a@example.com"}, "sk_test_123")
    price_data = stripe.StripeObject.construct_from({"currency": "usd"}, "sk_test_123")
    params = {"customer": customer, "line_items": [{"price_data": price_data}]}
    assert encode(params) == [("customer", "cus_123"), ("line_items[0][price_data][currency]", "usd")]
    assert encode_body(params) == sdk_body(params)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"a": object()}, "a"),
        ({"a": {"b": [1, {"c": object()}]}}, "a[b][1][c]"),
        ({"a": [object()]}, "a[0]"),
        ({"a": datetime.date(2022, 8, 1)}, "a"),
        ({"a": b"bytes"}, "a"),
    ],
)
def test_encode_names_the_param_it_cannot_encode(params: dict[str, Any], path: str):
    with pytest.raises(TypeError, match="cannot encode the value of ") as caught:
        encode(params)
    assert str(caught.value).startswith(f"cannot encode the value of {path}: ")
    with pytest.raises(TypeError, match="cannot encode the value of"):
        encode_body(params)


def test_encode_rejects_keys_that_are_not_str_or_int():
    with pytest.raises(TypeError, match=r"key \(1, 2\) in metadata"):
        encode({"metadata": {(1, 2): "x"}})


# ------------------------------------------------------------------------------------------------- encode_body


def test_encode_body_leaves_brackets_and_escapes_the_rest():
    params = {"metadata": {"note": "a b&c=d/é+[x]"}, "success_url": "https://e.com/s?id={CHECKOUT_SESSION_ID}"}
    body = encode_body(params)
    assert body == (
        "metadata[note]=a+b%26c%3Dd%2F%C3%A9%2B[x]&success_url=https%3A%2F%2Fe.com%2Fs%3Fid%3D%7BCHECKOUT_SESSION_ID%7D"
    )
    assert body == sdk_body(params)


def test_encode_body_keeps_the_sdks_quirks_for_items_directly_in_a_list():
    moment = datetime.datetime(2022, 8, 1, tzinfo=datetime.timezone.utc)
    params = {"flags": [True, None, moment], "nested": [[True, None, False]], "at": moment, "yes": True}
    body = encode_body(params)
    assert body == (
        "flags[0]=True&flags[1]=None&flags[2]=2022-08-01+00%3A00%3A00%2B00%3A00"
        "&nested[0][0]=true&nested[0][2]=false&at=1659312000&yes=true"
    )
    assert body == sdk_body(params)
    # encode() converts them like any other value instead.
    assert encode({"flags": [True, None, moment]}) == [("flags[0]", "true"), ("flags[2]", "1659312000")]


def test_encode_body_of_nothing_is_empty():
    assert encode_body({}) == "" == sdk_body({})
    assert encode_body({"a": None, "b": [], "c": {}}) == ""


def _session_json(**extra: Any) -> dict[str, Any]:
    return {"id": "cs_test_a1", "object": "checkout.session", **extra}


@responses.activate
def test_encode_body_is_the_body_the_sdk_posts():
    responses.post(SESSIONS_URL, json=_session_json())
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://example.com/cancel",
        "line_items": [
            {
                "price_data": {"currency": "usd", "product_data": {"name": "T shirt"}, "unit_amount": 2000},
                "quantity": 2,
            },
            {"price": "price_123", "quantity": 1, "adjustable_quantity": {"enabled": True, "maximum": 10}},
        ],
        "payment_method_types": ["card"],
        "allow_promotion_codes": False,
        "metadata": {"order": "42", "note": "ü & [x]", "unset": ""},
        "discounts": [],
        "client_reference_id": None,
        "expires_at": datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc),
        "payment_intent_data": {"application_fee_amount": 10, "metadata": {}},
    }
    client = stripe.StripeClient("sk_test_123", max_network_retries=0)
    client.v1.checkout.sessions.create(params=params)

    sent = responses.calls[0].request.body
    sent = sent.decode() if isinstance(sent, bytes) else sent
    assert sent == encode_body(params)
    # And the fake reads the SDK's body as it reads encode()'s pairs.
    assert decode(parse_qsl(sent, keep_blank_values=True), PARAMS) == decode(encode(params), PARAMS)


@responses.activate
def test_encode_body_is_the_query_the_sdk_gets():
    responses.get(f"{SESSIONS_URL}/cs_test_a1", json=_session_json())
    params = {"expand": ["line_items", "customer"]}
    client = stripe.StripeClient("sk_test_123", max_network_retries=0)
    client.v1.checkout.sessions.retrieve("cs_test_a1", params=params)

    assert encode_body(params) == "expand[0]=line_items&expand[1]=customer"
    # The SDK writes the brackets plain into the URL, but requests (urllib3) escapes them again on the way out,
    # so on the wire a GET query has %5B/%5D; the fake reads both.
    query = urlsplit(responses.calls[0].request.url).query
    assert query == encode_body(params).replace("[", "%5B").replace("]", "%5D")
    assert decode(parse_qsl(query), PARAMS) == params


# ------------------------------------------------------------------------------------------------------ decode


def test_decode_without_a_schema_makes_lists_of_indexed_keys():
    pairs = [
        ("line_items[1][price]", "price_b"),
        ("line_items[0][price]", "price_a"),
        ("line_items[0][quantity]", "2"),
        ("metadata[order]", "42"),
        ("expand[]", "line_items"),
        ("expand[]", "customer"),
        ("mixed[0]", "a"),
        ("mixed[x]", "b"),
    ]
    assert decode(pairs) == {
        "line_items": [{"price": "price_a", "quantity": "2"}, {"price": "price_b"}],
        "metadata": {"order": "42"},
        "expand": ["line_items", "customer"],
        "mixed": {"0": "a", "x": "b"},
    }


def test_decode_orders_by_index_and_closes_gaps_without_allocating():
    pairs = [("a[99999999999999999999999999]", "last"), ("a[10]", "ten"), ("a[9]", "nine"), ("a[00]", "zero")]
    assert decode(pairs) == {"a": ["zero", "nine", "ten", "last"]}
    assert decode([("a[" + "9" * 10_000 + "]", "x")]) == {"a": ["x"]}


def test_decode_takes_only_ascii_digits_for_indices():
    assert decode([("a[\u00b2]", "x"), ("b[\u0661]", "y")]) == {"a": {"\u00b2": "x"}, "b": {"\u0661": "y"}}
    error = error_of([("expand[\u0661]", "x")])
    assert (error.message, error.param) == ("Invalid array", "expand")


def test_decode_indexed_then_appended_items():
    assert decode([("a[]", "c"), ("a[1]", "b"), ("a[0]", "a")]) == {"a": ["a", "b", "c"]}


def test_decode_appended_hashes_group_until_a_key_repeats():
    pairs = [("a[][b]", "1"), ("a[][c]", "2"), ("a[][b]", "3"), ("a[][d][]", "4"), ("a[][d][]", "5")]
    assert decode(pairs) == {"a": [{"b": "1", "c": "2"}, {"b": "3", "d": ["4", "5"]}]}


def test_decode_last_of_repeated_keys_wins():
    pairs = [("a", "1"), ("a", "2"), ("b[0]", "x"), ("b[0]", "y"), ("b[1]", "p"), ("b[01]", "q")]
    assert decode(pairs) == {"a": "2", "b": ["y", "q"]}


def test_decode_follows_the_schema():
    pairs = [
        ("success_url", "https://example.com"),
        ("allow_promotion_codes", "true"),
        ("expires_at", "1659312000"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "2000"),
        ("line_items[0][price_data][unit_amount_decimal]", "12.5"),
        ("line_items[0][quantity]", "2"),
        ("line_items[0][adjustable_quantity][enabled]", "false"),
        ("line_items[1][price_data][unit_amount_decimal]", "7"),
        ("payment_method_types[]", "card"),
        ("metadata[0]", "zero"),
        ("metadata[1]", "one"),
        ("customer", "cus_123"),
        ("percent", "1e-05"),
    ]
    assert decode(pairs, PARAMS) == {
        "success_url": "https://example.com",
        "allow_promotion_codes": True,
        "expires_at": 1659312000,
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 2000, "unit_amount_decimal": 12.5},
                "quantity": 2,
                "adjustable_quantity": {"enabled": False},
            },
            {"price_data": {"unit_amount_decimal": 7}},
        ],
        "payment_method_types": ["card"],
        "metadata": {"0": "zero", "1": "one"},
        "customer": "cus_123",
        "percent": 1e-05,
    }
    decoded = decode(pairs, PARAMS)
    assert type(decoded["line_items"][1]["price_data"]["unit_amount_decimal"]) is int
    assert type(decoded["line_items"][0]["price_data"]["unit_amount_decimal"]) is float


def test_decode_keeps_empty_strings_for_every_kind():
    pairs = [
        (name, "")
        for name in ("success_url", "allow_promotion_codes", "expires_at", "line_items", "metadata", "percent")
    ]
    assert decode(pairs, PARAMS) == dict.fromkeys(
        ("success_url", "allow_promotion_codes", "expires_at", "line_items", "metadata", "percent"), ""
    )


def test_decode_keeps_unknown_keys_as_decoded_without_a_schema():
    pairs = [("foo", "1"), ("bar[0]", "x"), ("line_items[0][nope][1]", "y"), ("metadata[a]", "b")]
    assert decode(pairs, PARAMS) == {
        "foo": "1",
        "bar": ["x"],
        "line_items": [{"nope": ["y"]}],
        "metadata": {"a": "b"},
    }


def test_decode_passes_a_hash_where_a_scalar_belongs_on_to_validation():
    pairs = [("metadata[a][b]", "c"), ("success_url[0]", "x"), ("expires_at[x]", "1")]
    assert decode(pairs, PARAMS) == {"metadata": {"a": {"b": "c"}}, "success_url": ["x"], "expires_at": {"x": "1"}}


def test_decode_any_of_takes_the_first_option_that_fits():
    assert decode([("discounts[0][coupon]", "SAVE")], PARAMS) == {"discounts": [{"coupon": "SAVE"}]}
    assert decode([("discounts", "")], PARAMS) == {"discounts": ""}
    # No option takes a scalar: the array option gives it a string (validation rejects the enum later)...
    assert decode([("discounts", "abc")], PARAMS) == {"discounts": "abc"}
    # ...and an int option is tried before a string one.
    either = Object(properties={"x": AnyOf(options=(Integer(), String()))})
    assert decode([("x", "5")], either) == {"x": 5}
    assert decode([("x", "five")], either) == {"x": "five"}
    only_scalars = Object(properties={"x": AnyOf(options=(Integer(), Boolean()))})
    assert decode([("x[a]", "1")], only_scalars) == {"x": {"a": "1"}}
    error = error_of([("x", "maybe")], only_scalars)
    assert (error.message, error.code, error.param) == ("Invalid integer: maybe", "parameter_invalid_integer", "x")


def test_decode_removed_params_by_what_they_were():
    pairs = [("shipping_rates[0]", "shr_1"), ("line_items[0][amount]", "500")]
    assert decode(pairs, PARAMS) == {"shipping_rates": ["shr_1"], "line_items": [{"amount": 500}]}


def test_decode_takes_a_map_schema_for_the_whole_params():
    assert decode([("0", "1")], Map(values=Integer())) == {"0": 1}


def test_decode_refuses_a_schema_that_is_not_a_hash():
    with pytest.raises(TypeError, match="Object or Map"):
        decode([("a", "b")], Array())


def test_every_node_kind_has_a_decoder():
    assert set(codec._DECODERS) == set(NODE_KINDS)


def test_decode_handles_subclasses_of_node_kinds():
    class Cents(Integer):
        pass

    assert decode([("a", "5")], Object(properties={"a": Cents()})) == {"a": 5}


# ------------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("pairs", "message", "code", "param"),
    [
        # Seen live.
        (
            [("line_items[0][quantity]", "abc")],
            "Invalid integer: abc",
            "parameter_invalid_integer",
            "line_items[0][quantity]",
        ),
        ([("expires_at", "1.5")], "Invalid integer: 1.5", "parameter_invalid_integer", "expires_at"),
        ([("expires_at", " 1")], "Invalid integer:  1", "parameter_invalid_integer", "expires_at"),
        ([("expires_at", "\u0661\u0662")], "Invalid integer: \u0661\u0662", "parameter_invalid_integer", "expires_at"),
        ([("expires_at", "1_000")], "Invalid integer: 1_000", "parameter_invalid_integer", "expires_at"),
        ([("expires_at", "9" * 5000)], "Invalid integer: " + "9" * 5000, "parameter_invalid_integer", "expires_at"),
        ([("payment_method_types", "card")], "Invalid array", None, "payment_method_types"),
        # Guesses.
        (
            [("allow_promotion_codes", "True")],
            "Invalid boolean: True",
            None,
            "allow_promotion_codes",
        ),
        (
            [("line_items[0][adjustable_quantity][enabled]", "1")],
            "Invalid boolean: 1",
            None,
            "line_items[0][adjustable_quantity][enabled]",
        ),
        ([("percent", "abc")], "Invalid decimal: abc", None, "percent"),
        ([("percent", "nan")], "Invalid decimal: nan", None, "percent"),
        ([("percent", "1e400")], "Invalid decimal: 1e400", None, "percent"),
        ([("metadata", "x")], "Invalid hash", None, "metadata"),
        ([("line_items[0]", "x")], "Invalid hash", None, "line_items[0]"),
        ([("metadata", "1"), ("metadata[b]", "2")], "Invalid hash", None, "metadata"),
        ([("metadata[b]", "2"), ("metadata", "1")], "Invalid hash", None, "metadata"),
        ([("metadata[]", "x")], "Invalid hash", None, "metadata"),
        ([("expand", "x"), ("expand[0]", "y")], "Invalid array", None, "expand"),
        ([("expand[0]", "x"), ("expand[a]", "y")], "Invalid array", None, "expand"),
        ([("line_items[0][price]", "p"), ("line_items[x][price]", "q")], "Invalid array", None, "line_items"),
    ],
)
def test_decode_errors(pairs: list[tuple[str, str]], message: str, code: str | None, param: str):
    error = error_of(pairs)
    assert (error.message, error.code, error.param, error.http_status) == (message, code, param, 400)
    assert error.type == "invalid_request_error"
    assert error.to_dict()["error"].get("doc_url") == (
        None if code is None else "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
    )


@pytest.mark.parametrize(
    ("pairs", "message", "param"),
    [
        ([("a", "1"), ("a[b]", "2")], "Invalid hash", "a"),
        ([("a[]", "1"), ("a[b]", "2")], "Invalid array", "a"),
        ([("a[0]", "1"), ("a", "2")], "Invalid array", "a"),
        ([("a[b][0]", "1"), ("a[b]", "2")], "Invalid array", "a[b]"),
    ],
)
def test_decode_errors_without_a_schema(pairs: list[tuple[str, str]], message: str, param: str):
    error = error_of(pairs, None)
    assert (error.message, error.code, error.param, error.http_status) == (message, None, param, 400)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("a[b", "Invalid parameter name: a[b"),
        ("a]", "Invalid parameter name: a]"),
        ("[x]", "Invalid parameter name: [x]"),
        ("a[b]c", "Invalid parameter name: a[b]c"),
        ("a[b]]", "Invalid parameter name: a[b]]"),
        ("a[[b]]", "Invalid parameter name: a[[b]]"),
        ("a]b[c]", "Invalid parameter name: a]b[c]"),
        ("", "Invalid parameter name: (empty)"),
    ],
)
def test_decode_rejects_malformed_keys(key: str, message: str):
    for schema in (None, PARAMS):
        error = error_of([(key, "x")], schema)
        assert (error.message, error.code, error.param, error.http_status) == (message, None, key or None, 400)


# ------------------------------------------------------------------------------------------ property tests

KEY_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="[]"), min_size=1, max_size=6)
VALUE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
SCALAR_NODES = st.sampled_from([String(), Integer(), Number(), Boolean()])


def _containers(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        children.map(lambda items: Array(items=items)),
        children.map(lambda values: Map(values=values)),
        st.dictionaries(KEY_TEXT, children, min_size=1, max_size=4).map(lambda props: Object(properties=props)),
        children.map(lambda was: Removed(was=was)),
        # An AnyOf of a scalar and a container, in either order: a value drawn from one option decodes by it.
        st.tuples(SCALAR_NODES, children.map(lambda items: Array(items=items)), st.booleans()).map(
            lambda t: AnyOf(options=(t[0], t[1]) if t[2] else (t[1], t[0]))
        ),
        st.tuples(SCALAR_NODES, st.dictionaries(KEY_TEXT, children, min_size=1, max_size=3)).map(
            lambda t: AnyOf(options=(Object(properties=t[1]), t[0]))
        ),
    )


NODE_TREES = st.recursive(SCALAR_NODES, _containers, max_leaves=12)
TOP_SCHEMAS = st.dictionaries(KEY_TEXT, NODE_TREES, min_size=1, max_size=5).map(lambda props: Object(properties=props))


def _value_for(node: Node) -> st.SearchStrategy[Any]:
    """Values that ``node`` describes, with every list and dict non-empty (empty ones vanish on the wire)."""
    if isinstance(node, String):
        return VALUE_TEXT
    if isinstance(node, Integer):
        return st.integers()
    if isinstance(node, Number):
        return st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(node, Boolean):
        return st.booleans()
    if isinstance(node, Array):
        return st.lists(st.deferred(lambda: _value_for(node.items)), min_size=1, max_size=3)
    if isinstance(node, Map):
        return st.dictionaries(KEY_TEXT, st.deferred(lambda: _value_for(node.values)), min_size=1, max_size=3)
    if isinstance(node, Object):
        return _object_value(node)
    if isinstance(node, AnyOf):
        return st.sampled_from(node.options).flatmap(_value_for)
    if isinstance(node, Removed):
        return _value_for(node.was)
    raise AssertionError(node)


@st.composite
def _object_value(draw: st.DrawFn, node: Object) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(node.properties)), min_size=1, unique=True))
    return {name: draw(_value_for(node.properties[name])) for name in names}


SCHEMA_AND_PARAMS = TOP_SCHEMAS.flatmap(lambda schema: st.tuples(st.just(schema), _value_for(schema)))


def _same(left: Any, right: Any) -> bool:
    """Equal, and of the same types all the way down (so True is not 1 and 1 is not 1.0)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return bool(left == right)


@settings(max_examples=1000)
@given(SCHEMA_AND_PARAMS)
def test_decode_inverts_encode(schema_and_params: tuple[Object, dict[str, Any]]):
    schema, params = schema_and_params
    decoded = decode(encode(params), schema)
    assert _same(decoded, params), (decoded, params)


def _sdk_values(depth: int) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.decimals(allow_nan=False, places=3),
        VALUE_TEXT,
        st.datetimes(
            min_value=datetime.datetime(1971, 1, 1),
            max_value=datetime.datetime(2100, 1, 1),
            timezones=st.none()
            | st.builds(datetime.timezone, st.timedeltas(datetime.timedelta(hours=-23), datetime.timedelta(hours=23))),
        ),
    )
    if depth == 0:
        return scalars
    children = st.deferred(lambda: _sdk_values(depth - 1))
    any_keys = st.text(st.characters(blacklist_categories=("Cs",)), max_size=4)
    return st.one_of(
        scalars,
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(any_keys, children, max_size=3),
    )


SDK_PARAMS = st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=5), _sdk_values(3))


@settings(max_examples=1000)
@given(SDK_PARAMS)
def test_encode_body_matches_the_sdk_byte_for_byte(params: dict[str, Any]):
    assert encode_body(params) == sdk_body(params)


@settings(max_examples=1000)
@given(SCHEMA_AND_PARAMS)
def test_encode_body_matches_the_sdk_for_schema_shaped_params(schema_and_params: tuple[Object, dict[str, Any]]):
    _, params = schema_and_params
    assert encode_body(params) == sdk_body(params)


JUNK_KEYS = st.text(alphabet="ab0[]", max_size=10) | st.text(max_size=10)
JUNK_PAIRS = st.lists(st.tuples(JUNK_KEYS, st.text(alphabet="ab01-.e", max_size=5) | st.text(max_size=5)))


def _decodes_or_is_rejected(pairs: list[tuple[str, str]], schema: Node | None) -> None:
    rejection: InvalidRequestError | None = None
    try:
        result = decode(pairs, schema)
    except InvalidRequestError as error:
        rejection = error
    if rejection is None:
        assert isinstance(result, dict)
    else:
        assert rejection.http_status == 400
        assert rejection.message


@settings(max_examples=1000)
@given(JUNK_PAIRS, st.none() | TOP_SCHEMAS)
def test_decode_of_junk_gives_a_dict_or_an_invalid_request(pairs: list[tuple[str, str]], schema: Node | None):
    _decodes_or_is_rejected(pairs, schema)


JUNK_PARAMS_KEYS = st.sampled_from(
    [
        "success_url",
        "allow_promotion_codes",
        "expires_at",
        "line_items",
        "payment_method_types",
        "metadata",
        "discounts",
        "shipping_rates",
        "customer",
        "percent",
        "expand",
    ]
)


@settings(max_examples=1000)
@given(
    st.lists(
        st.tuples(
            st.tuples(JUNK_PARAMS_KEYS, st.text(alphabet="01[]aeq", max_size=12)).map("".join),
            st.text(alphabet="01-.eatrue", max_size=5),
        )
    )
)
def test_decode_of_junk_against_a_checkout_schema(pairs: list[tuple[str, str]]):
    _decodes_or_is_rejected(pairs, PARAMS)


def test_decode_of_junk_against_the_generated_create_schema():
    from pytest_checkout.schema.v2022_08_01 import CREATE_PARAMS

    @settings(max_examples=300)
    @given(
        st.lists(
            st.tuples(
                st.tuples(st.sampled_from(sorted(CREATE_PARAMS.properties)), st.text("01[]ab", max_size=10)).map(
                    "".join
                ),
                st.text("01-.etrua", max_size=5),
            )
        )
    )
    def check(pairs: list[tuple[str, str]]) -> None:
        _decodes_or_is_rejected(pairs, CREATE_PARAMS)

    check()


def test_decode_output_is_fresh_for_each_call():
    pairs = [("metadata[a]", "b")]
    first = decode(pairs, PARAMS)
    first["metadata"]["a"] = "changed"
    assert decode(pairs, PARAMS) == {"metadata": {"a": "b"}}


def test_body_round_trips_through_the_sdk_string():
    params = {"line_items": [{"price": "p", "quantity": 3}], "metadata": {"k": "a&b=c [d]"}}
    body = encode_body(params)
    assert decode(parse_qsl(body, keep_blank_values=True), PARAMS) == {
        "line_items": [{"price": "p", "quantity": 3}],
        "metadata": {"k": "a&b=c [d]"},
    }
