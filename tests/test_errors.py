"""The error envelope: written in one place, read in one place, and the two agree."""

from __future__ import annotations

import json

import pytest

import pytest_checkout
from pytest_checkout import errors


def test_envelope_leaves_absent_keys_out_and_adds_doc_url_only_with_a_code():
    with_code = errors.InvalidRequestError("Not a valid URL", code="url_invalid", param="success_url")
    assert with_code.to_dict() == {
        "error": {
            "type": "invalid_request_error",
            "code": "url_invalid",
            "doc_url": "https://stripe.com/docs/error-codes/url-invalid",
            "message": "Not a valid URL",
            "param": "success_url",
        }
    }
    bare = errors.InvalidRequestError("You may only specify one of these parameters: customer, customer_email.")
    assert bare.to_dict() == {
        "error": {
            "type": "invalid_request_error",
            "message": "You may only specify one of these parameters: customer, customer_email.",
        }
    }
    assert "null" not in json.dumps(bare.to_dict())


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidRequestError("x", code="parameter_missing", param="mode"), 400),
        (
            errors.InvalidRequestError(
                "No such checkout.session: 'cs_test_1'", code="resource_missing", http_status=404
            ),
            404,
        ),
        (errors.IdempotencyError("Keys for idempotent requests can only be used with the same parameters"), 400),
        (errors.AuthenticationError("You did not provide an API key."), 401),
        (errors.CardError("Your card was declined.", code="card_declined"), 402),
        (errors.PermissionDeniedError("The provided key does not have access."), 403),
        (errors.RateLimitError("Too many requests"), 429),
        (errors.APIError("Something went wrong on Stripe's end."), 500),
    ],
)
def test_what_is_written_reads_back_as_the_same_error(error, status):
    body = json.dumps(error.to_dict())
    read = errors.error_from_response(status, body, {"Request-Id": "req_abc"})
    assert type(read) is type(error)
    assert read.http_status == status == error.http_status
    assert (read.message, read.code, read.param, read.type) == (error.message, error.code, error.param, error.type)
    assert read.to_dict() == error.to_dict()
    assert read.request_id == "req_abc"


def test_bodies_that_are_not_the_envelope_become_clear_errors():
    not_json = errors.error_from_response(502, b"<html>Bad gateway</html>", url="https://api.stripe.com/v1/x")
    assert isinstance(not_json, errors.APIConnectionError)
    assert "https://api.stripe.com/v1/x" in not_json.message
    assert "not JSON" in not_json.message
    wrong_shape = errors.error_from_response(400, '{"message": "no envelope"}')
    assert isinstance(wrong_shape, errors.APIError)
    assert wrong_shape.http_status == 400
    assert "no envelope" in wrong_shape.message


def test_str_names_the_param():
    error = errors.InvalidRequestError("Missing required param: mode.", param="mode")
    assert str(error) == "Missing required param: mode. (param: mode)"
    assert "InvalidRequestError" in repr(error)


def test_public_api_is_exactly_all():
    # pytest rewrites the plugin's package and leaves names such as "@py_builtins"; those are not Python names.
    public = {name for name in dir(pytest_checkout) if not name.startswith("_") and name.isidentifier()}
    modules = {
        "client",
        "codec",
        "errors",
        "objects",
        "rules",
        "schema",
        "validation",
        "plugin",
        "fake",
        "versions",
        "httputil",
        "recording",
        "strategies",
        "machine",
        "profiles",
        "annotations",
    }
    assert public - modules == set(pytest_checkout.__all__)
    for name in pytest_checkout.__all__:
        assert getattr(pytest_checkout, name) is not None
