"""Every error message the fake answers with (moto's ``exceptions.py``): one function per error, fixed wording.

Validation's messages (parameters, rules) live in ``validation.py`` and ``rules.py``; these are the fake's own:
routing, authentication, objects that do not exist, states that forbid an operation, idempotency, and the
limits of the fake itself. Each says where its wording comes from when nobody has seen Stripe's.
"""

from __future__ import annotations

from pytest_checkout.errors import AuthenticationError, IdempotencyError, InvalidRequestError

__all__ = [
    "bad_http_request",
    "body_not_utf8",
    "body_too_large",
    "cannot_expand",
    "fake_cannot_expand",
    "fake_cannot_use",
    "idempotency_in_progress",
    "idempotency_mismatch",
    "invalid_api_key",
    "no_api_key",
    "no_such_cursor",
    "no_such_object",
    "no_such_resource",
    "no_such_session",
    "not_expirable",
    "publishable_key",
    "query_not_utf8",
    "too_deeply_nested",
    "too_many_parameters",
    "unrecognized_url",
    "uri_too_long",
]

_SUPPORT = "Please see https://stripe.com/docs or we can help at https://support.stripe.com/."


def no_such_session(session_id: str) -> InvalidRequestError:
    """404 for a session id the account does not have (seen)."""
    return InvalidRequestError(
        f"No such checkout.session: '{session_id}'", http_status=404, code="resource_missing", param="session"
    )


def no_such_object(
    kind: str, object_id: str, *, param: str | None = None, http_status: int = 404
) -> InvalidRequestError:
    """``No such price: 'price_...'`` and the like (seen for prices and customers)."""
    return InvalidRequestError(
        f"No such {kind}: '{object_id}'", http_status=http_status, code="resource_missing", param=param
    )


def no_such_resource(kind: str, object_id: str) -> InvalidRequestError:
    """404 for an id of ``kind`` (``price``, ``customer``, ...) the account does not have, on that object's GET.

    The wording is Stripe's ``No such <object>: '<id>'``: seen for prices and customers; for payment intents,
    subscriptions and setup intents as users quote Stripe's answers in public issue threads (setup intents as
    ``No such setupintent``, without the underscore); a guess for products. ``param`` is the spec's name of
    the path parameter, as ``session`` is for a session (seen); ``intent`` for a payment intent is quoted the
    same way. Unverified (a guess): the params ``price``, ``id`` (a product), ``customer``,
    ``subscription_exposed_id`` and a setup intent's ``intent``.
    """
    name, param = {
        "price": ("price", "price"),
        "product": ("product", "id"),
        "customer": ("customer", "customer"),
        "payment_intent": ("payment_intent", "intent"),
        "subscription": ("subscription", "subscription_exposed_id"),
        "setup_intent": ("setupintent", "intent"),
    }[kind]
    return no_such_object(name, object_id, param=param)


def no_such_cursor(kind: str, object_id: str, param: str) -> InvalidRequestError:
    """A list cursor the list does not hold. Unverified: Stripe's exact answer to an unknown cursor."""
    return InvalidRequestError(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def not_expirable(status: str) -> InvalidRequestError:
    """Expire of a session that is not open (seen)."""
    return InvalidRequestError(
        'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of '
        f"`{status}`."
    )


def not_updatable(status: str) -> InvalidRequestError:
    """Update of a session that is not open (today's API). Unverified: the wording is modelled on the expire's."""
    return InvalidRequestError(
        'Only Checkout Sessions with a status in ["open"] can be updated. This Checkout Session has a status of '
        f"`{status}`."
    )


def no_such_line_item(item_id: str, param: str) -> InvalidRequestError:
    """An update names a line item the session does not have. Unverified: modelled on Stripe's "No such" errors."""
    return InvalidRequestError(f"No such line item: '{item_id}'", code="resource_missing", param=param)


def line_items_in_setup_mode() -> InvalidRequestError:
    """Line items in an update of a setup-mode session: the create's message (seen there), assumed here."""
    return InvalidRequestError("You can not pass `line_items` in `setup` mode.", param="line_items")


def line_item_currency(index: int, currency: str | None, session_currency: str | None) -> InvalidRequestError:
    """A line item added by an update in another currency than the session's. Unverified: the wording is modelled
    on the create's rule that all line items share one currency."""
    return InvalidRequestError(
        f"All line items must have the same currency; line_items[{index}] is in {currency} but the session is in "
        f"{session_currency}.",
        param=f"line_items[{index}]",
    )


def cannot_expand(path: str) -> InvalidRequestError:
    """An ``expand[]`` path that names no expandable field (Stripe's wording)."""
    return InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")


def fake_cannot_expand(path: str, what: str) -> InvalidRequestError:
    """An expansion Stripe allows but the fake has no objects for: said plainly, never answered wrongly."""
    return InvalidRequestError(f"pytest-checkout's fake cannot expand {path} on {what}.", param="expand")


def fake_cannot_use(param: str, what: str, reason: str) -> InvalidRequestError:
    """A parameter Stripe accepts whose effect the fake does not model (it names objects the fake lacks)."""
    return InvalidRequestError(f"pytest-checkout's fake cannot use {param} on {what}: {reason}.", param=param)


def unrecognized_url(method: str, path: str) -> InvalidRequestError:
    """404 for a path no route answers, with Stripe's extra hint for a trailing slash (seen)."""
    if path.endswith("/") and path != "/":
        return InvalidRequestError(
            f"Unrecognized request URL ({method}: {path}). If you are trying to list objects, remove the trailing "
            "slash. If you are trying to retrieve an object, make sure you passed a valid (non-empty) identifier in "
            f"your code. {_SUPPORT}",
            http_status=404,
        )
    return InvalidRequestError(f"Unrecognized request URL ({method}: {path}). {_SUPPORT}", http_status=404)


def no_api_key() -> AuthenticationError:
    """401 without a usable ``Authorization`` header (seen)."""
    return AuthenticationError(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using "
        "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
        "https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
    )


def publishable_key() -> AuthenticationError:
    """401 for a ``pk_`` key, which only Stripe.js may use (docs)."""
    return AuthenticationError(
        "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a "
        "list of your API keys at https://dashboard.stripe.com/account/apikeys."
    )


def invalid_api_key(key: str) -> AuthenticationError:
    """401 for a malformed key, shown as Stripe masks it (its first 8 and last 4 characters)."""
    shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
    return AuthenticationError(f"Invalid API Key provided: {shown}")


def no_access_to_account(masked_key: str, account: str) -> InvalidRequestError:
    """A ``Stripe-Account`` header that names no account the key can act on.

    The wording is Stripe's for a platform without access to the account (seen in public reports); its status
    (403) and that the fake gives it for any value that is not an ``acct_`` id are guesses.
    """
    return InvalidRequestError(
        f"The provided key '{masked_key}' does not have access to account '{account}' (or that account does not "
        "exist). Application access may have been revoked.",
        http_status=403,
    )


def idempotency_mismatch(key: str) -> IdempotencyError:
    """400 for a key reused with other parameters (seen)."""
    return IdempotencyError(
        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try "
        f"using a key other than '{key}' if you meant to execute a different request."
    )


def idempotency_in_progress() -> IdempotencyError:
    """409 while the first request with the key is still running (docs)."""
    return IdempotencyError(
        "There is currently another in-progress request using this Stripe token (probably the same idempotency "
        "key). Please try again later.",
        http_status=409,
        code="idempotency_key_in_use",
    )


def body_too_large(limit: int) -> InvalidRequestError:
    """413 for a body over the fake's cap (the fake's own limit)."""
    return InvalidRequestError(f"Request body too large: more than {limit} bytes.", http_status=413)


def body_not_utf8() -> InvalidRequestError:
    """A body that is not UTF-8. Unverified wording."""
    return InvalidRequestError("Invalid request: the body is not valid UTF-8.")


def too_many_parameters(limit: int) -> InvalidRequestError:
    """More form fields than the fake parses (a guess at Stripe's cap)."""
    return InvalidRequestError(f"Invalid request: more than {limit} parameters.")


def query_not_utf8() -> InvalidRequestError:
    """A query string whose percent-escapes are not UTF-8 (``%ff``), refused as a body that is not UTF-8 is.

    Unverified wording (a guess, modelled on ``body_not_utf8``).
    """
    return InvalidRequestError("Invalid request: the query string is not valid UTF-8.")


def too_deeply_nested(name: str, limit: int) -> InvalidRequestError:
    """A parameter name with more than ``limit`` levels of brackets (``a[b][c]...``): the fake's own limit.

    Guess: Stripe's wording (and its limit, if it has one) are not known. The name is shown cut short, and
    ``param`` is its top-level key, so that a long name cannot make a long answer.
    """
    shown = name if len(name) <= 60 else name[:60] + "..."
    top = name.partition("[")[0][:60]
    return InvalidRequestError(
        f"Invalid parameter name: {shown} is nested more than {limit} levels deep.", param=top or None
    )


def uri_too_long(limit: int) -> InvalidRequestError:
    """414 for a request line (method, URL, version) over ``limit`` bytes, from the served fake's HTTP layer.

    Guess: what Stripe answers to such a URL is not known; the status is HTTP's own for it (RFC 9110, 15.5.15).
    """
    return InvalidRequestError(f"Request-URI too long: the request line is longer than {limit} bytes.", http_status=414)


def bad_http_request(status: int, reason: str) -> InvalidRequestError:
    """What the served fake's HTTP layer answers to a request it cannot read (400, 431, 505, ...).

    The fake's own wording, not Stripe's: ``reason`` is the HTTP layer's short account of what was wrong.
    """
    return InvalidRequestError(f"Invalid HTTP request: {reason}.", http_status=status)
