"""A typed client for Stripe's Checkout Sessions API: version 2022-08-01 (the seed's), and today's.

It offers the API's operations as functions that take the client first::

    client = Client("sk_test_...")
    session = Session.create(client, {"mode": "payment", "success_url": ..., "cancel_url": ..., ...})
    Session.retrieve(client, session.id, expand=["line_items"])
    for s in Session.list(client, {"limit": 100}).auto_paging_iter(): ...
    Session.list_line_items(client, session.id)
    Session.expire(client, session.id)

``Session`` is typed by 2022-08-01's TypedDicts and answer. ``TodaySession`` has the same operations (and
``update``) typed by today's (2026-10-28.endive), and takes a client pinned to it::

    today = today_client("sk_test_...")
    session = TodaySession.create(today, {"mode": "payment", "ui_mode": "embedded_page", "return_url": ..., ...})
    session.client_secret

Methods and paths come from the generated ``OPERATIONS``, parameter types from the generated TypedDicts and
bodies from ``codec.encode_body``, so this module holds only the HTTP conversation: headers, retries, errors.
"""

from __future__ import annotations

import builtins
import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import requests
from typing_extensions import Self, TypedDict, Unpack

from pytest_checkout import codec
from pytest_checkout.errors import APIConnectionError, StripeError, error_from_response
from pytest_checkout.httputil import is_live_key, mask_key
from pytest_checkout.objects import ListObject, StripeObject
from pytest_checkout.schema.operations import Operation
from pytest_checkout.versions import API_VERSION, DEFAULT, TODAY, all_operations, today_types, types

LineItem = types.LineItem
SessionCreateParams = types.SessionCreateParams
SessionListLineItemsParams = types.SessionListLineItemsParams
SessionListParams = types.SessionListParams
OPERATIONS = DEFAULT.operations
#: The update endpoint: today's API (2024-07 on), which 2022-08-01 does not have.
UPDATE = all_operations()["update"]
SessionUpdateParams = today_types.SessionUpdateParams
#: Today's (2026-10-28.endive) types, for ``TodaySession``.
TodayLineItem = today_types.LineItem
TodaySessionCreateParams = today_types.SessionCreateParams
TodaySessionListParams = today_types.SessionListParams
TodaySessionListLineItemsParams = today_types.SessionListLineItemsParams

__all__ = [
    "DEFAULT_API_BASE",
    "Client",
    "ClientOptions",
    "LineItem",
    "Session",
    "TodayLineItem",
    "TodaySession",
    "today_client",
]

DEFAULT_API_BASE = "https://api.stripe.com"

# The official SDK's backoff: 0.5 s doubling per retry, at most 5 s, jittered into [d/2, d] but never below
# the initial delay.
_INITIAL_DELAY = 0.5
_MAX_DELAY = 5.0


def _package_version() -> str:
    try:
        return metadata.version("pytest-checkout")
    except metadata.PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled checkout
        return "0+unknown"


USER_AGENT = f"pytest-checkout/{_package_version()} (+https://pypi.org/project/pytest-checkout/)"


class Client:
    """The connection settings the ``Session`` operations use: key, base URL, version, retries.

    ``http`` lets the caller share a ``requests.Session`` (connection pooling, adapters, ``responses`` or the
    fake); ``sleep`` is what waits between retries, so tests can pass a no-op.
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        api_version: str = API_VERSION,
        http: requests.Session | None = None,
        timeout: float = 80,
        max_network_retries: int = 0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("api_key must be a non-empty string such as 'sk_test_...'")
        # A key with whitespace or control characters would make requests refuse the header with a message
        # that quotes the header value, that is the key; refuse it here without echoing it.
        if any(ch.isspace() or not ch.isprintable() for ch in api_key):
            raise ValueError(
                f"api_key ({mask_key(api_key.strip())}) contains whitespace or control characters; "
                "check how it was read (a trailing newline from a file or an environment variable?)"
            )
        if not isinstance(api_base, str):
            raise ValueError("api_base must be a URL string such as 'https://api.stripe.com'")
        split = urlsplit(api_base)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise ValueError(
                f"api_base must be an absolute http(s) URL such as 'https://api.stripe.com', got {api_base!r}"
            )
        if split.query or split.fragment:
            raise ValueError(f"api_base must not carry a query or fragment, got {api_base!r}")
        if not isinstance(api_version, str) or not api_version.strip():
            raise ValueError("api_version must be a non-empty string such as '2022-08-01'")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if isinstance(max_network_retries, bool) or not isinstance(max_network_retries, int):
            raise ValueError(f"max_network_retries must be an integer, got {max_network_retries!r}")
        if max_network_retries < 0:
            raise ValueError(f"max_network_retries must be 0 or more, got {max_network_retries}")
        self._api_key = api_key
        self.api_base = api_base.rstrip("/")
        self.api_version = api_version
        self.timeout = float(timeout)
        self.max_network_retries = max_network_retries
        self._sleep = sleep
        # Only a session this client made is closed by ``close()``; a shared one belongs to the caller.
        self._owns_http = http is None
        self.http: requests.Session = http if http is not None else requests.Session()

    def __repr__(self) -> str:
        return (
            f"Client(api_key={mask_key(self._api_key)!r}, api_base={self.api_base!r}, "
            f"api_version={self.api_version!r}, max_network_retries={self.max_network_retries})"
        )

    @property
    def livemode(self) -> bool:
        """Whether the key is a live-mode key (``sk_live_``/``rk_live_``)."""
        return is_live_key(self._api_key)

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Send one API request (retrying as configured) and return the decoded JSON object of the answer.

        ``path`` starts with ``/v1/``; ``params`` travel as the form body of a POST or the query of a GET.
        Raises the ``StripeError`` subclass the answer stands for, or ``APIConnectionError``.
        """
        method = method.upper()
        url = self.api_base + path
        encoded = codec.encode_body(params or {})
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Stripe-Version": self.api_version,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        body: str | None = None
        target = url
        if method == "POST":
            if idempotency_key is not None and not idempotency_key.strip():
                raise ValueError("idempotency_key must be a non-empty string or None")
            # One key for every attempt of this call: a retry after a lost answer must replay the first
            # request's result on Stripe's side, not create a second session.
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = encoded
        elif encoded:
            # requests (urllib3) escapes the brackets of a query again, to %5B/%5D; the official SDK goes
            # through the same step, so the URL on the wire is the one it sends too.
            target = f"{url}?{encoded}"
        try:
            return self._send(method, url, target, headers, body)
        except StripeError as exc:
            self._scrub(exc)
            raise

    def _send(self, method: str, url: str, target: str, headers: dict[str, str], body: str | None) -> dict[str, Any]:
        # ``url`` (no query) is what messages name: a query may hold a customer's email address.
        attempt = 0
        while True:
            attempt += 1
            retries_left = attempt <= self.max_network_retries
            try:
                response = self.http.request(
                    method, target, headers=headers, data=body, timeout=self.timeout, allow_redirects=False
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if retries_left:
                    self._sleep(self._backoff(attempt))
                    continue
                tried = f" after {attempt} attempts" if attempt > 1 else ""
                raise APIConnectionError(f"Could not connect to Stripe ({method} {url}){tried}: {exc}") from exc
            except requests.RequestException as exc:
                # Anything else requests raises (an invalid URL, say) will not get better by retrying.
                raise APIConnectionError(f"Request to Stripe failed ({method} {url}): {exc}") from exc
            status = response.status_code
            response_headers = dict(response.headers)
            if 200 <= status < 300:
                return self._decode(response, method, url, response_headers)
            if retries_left and self._should_retry(status, response.headers):
                self._sleep(self._backoff(attempt))
                continue
            raise error_from_response(status, response.content, response_headers, url=url)

    @staticmethod
    def _should_retry(status: int, headers: Mapping[str, str]) -> bool:
        # As the official SDK: Stripe's own verdict wins when it gives one (it says false where a retry would
        # just replay the same answer, true for lock timeouts); otherwise only conflicts, rate limits and
        # server errors are worth another try. 400/401/402/403/404 are the caller's to fix.
        verdict = headers.get("Stripe-Should-Retry")
        if verdict == "false":
            return False
        if verdict == "true":
            return True
        return status in (409, 429) or status >= 500

    def _backoff(self, attempt: int) -> float:
        delay = min(_INITIAL_DELAY * 2.0 ** min(attempt - 1, 16), _MAX_DELAY)
        # Jitter spreads out clients that failed together so they do not retry in lockstep.
        delay *= 0.5 * (1 + random.random())
        return max(_INITIAL_DELAY, delay)

    @staticmethod
    def _decode(response: requests.Response, method: str, url: str, headers: Mapping[str, str]) -> dict[str, Any]:
        try:
            decoded = json.loads(response.content)
        except ValueError:
            raise APIConnectionError(
                f"Invalid response body from Stripe ({method} {url}): not JSON "
                f"(HTTP {response.status_code}): {response.content[:200]!r}",
                http_status=response.status_code,
                headers=headers,
            ) from None
        if not isinstance(decoded, dict):
            raise APIConnectionError(
                f"Invalid response body from Stripe ({method} {url}): expected a JSON object, "
                f"got {type(decoded).__name__} (HTTP {response.status_code})",
                http_status=response.status_code,
                headers=headers,
            )
        return decoded

    def _scrub(self, exc: StripeError) -> None:
        # Our own messages never hold the key, but an answer's text (a proxy's error page, say) might echo
        # the Authorization header back; what we raise must not carry it into logs.
        if self._api_key in exc.message:
            exc.message = exc.message.replace(self._api_key, mask_key(self._api_key))
            exc.args = (exc.message,)


def _checked_id(id: str, what: str = "session id") -> str:
    # An empty id would make the path end in a slash, which Stripe answers with a puzzling 404 about list URLs.
    if not isinstance(id, str) or not id.strip():
        raise ValueError(f"{what} must be a non-empty string, got {id!r}")
    return quote(id, safe="")


def _expand_params(expand: list[str] | None) -> dict[str, Any]:
    if expand is None:
        return {}
    # A bare string would be encoded letter by letter (expand[0]=l, expand[1]=i, ...).
    if isinstance(expand, str) or not all(isinstance(e, str) for e in expand):
        raise TypeError(f"expand must be a list of strings, got {expand!r}")
    return {"expand": list(expand)}


def _decode_list(answer: Mapping[str, Any], item_class: type[StripeObject], method: str, url: str) -> ListObject[Any]:
    try:
        return ListObject.from_dict(answer, item_class)
    except (TypeError, ValueError) as exc:
        raise APIConnectionError(f"Invalid list object from Stripe ({method} {url}): {exc}") from exc


def _pager(
    fetch: Callable[[dict[str, Any]], ListObject[Any]],
    params: Mapping[str, Any],
    page: ListObject[Any],
) -> Callable[[str], ListObject[Any]]:
    """The ``next_page`` hook of ``page``: the same filters, moved one page along."""

    def next_page(last_id: str) -> ListObject[Any]:
        following = dict(params)
        if "ending_before" in following and "starting_after" not in following:
            # A list opened with ending_before walks towards newer objects; keep walking that way.
            first_id = getattr(page.data[0], "id", None) if page.data else None
            following["ending_before"] = first_id if isinstance(first_id, str) else last_id
        else:
            following["starting_after"] = last_id
        return fetch(following)

    return next_page


class _SessionCalls(StripeObject):
    """The HTTP conversation every Session class shares: request, decode into the class, page on.

    A Session class names the operations it calls (``_OPERATIONS``, its API version's) and, if its types are one
    version's only, the version a ``Client`` must be pinned to (``_PINNED``); its public classmethods are typed
    by that version's TypedDicts and call the ones below.
    """

    _OPERATIONS: ClassVar[Mapping[str, Operation]]
    _PINNED: ClassVar[str | None] = None

    @classmethod
    def _check_client(cls, client: Client) -> None:
        pinned = cls._PINNED
        if pinned is not None and client.api_version != pinned:
            raise ValueError(
                f"{cls.__name__} is typed by API version {pinned}, but the Client is pinned to "
                f"{client.api_version!r}: build it with Client(api_key, api_version={pinned!r}) "
                "(or today_client(api_key))"
            )

    @classmethod
    def _call(
        cls,
        client: Client,
        name: str,
        id: str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Self:
        """One operation that answers a session: ``name`` of ``_OPERATIONS``, for the session ``id`` if given."""
        cls._check_client(client)
        op = cls._OPERATIONS[name]
        path = op.path if id is None else op.path.format(session=_checked_id(id))
        answer = client.request(op.method, path, params, idempotency_key=idempotency_key)
        return cls._build(client, answer, op.method, client.api_base + path)

    # The pagers below call these with plain dicts (the caller's filters plus a cursor), which the public,
    # TypedDict-typed signatures would refuse.

    @classmethod
    def _list_page(cls, client: Client, query: dict[str, Any]) -> ListObject[Self]:
        cls._check_client(client)
        op = cls._OPERATIONS["list"]
        answer = client.request(op.method, op.path, query)
        page: ListObject[Self] = _decode_list(answer, cls, op.method, client.api_base + op.path)
        for session in page.data:
            session._attach_line_item_pager(client)
        page.next_page = _pager(lambda following: cls._list_page(client, following), query, page)
        return page

    @classmethod
    def _line_items_page(cls, client: Client, id: str, query: dict[str, Any]) -> ListObject[Any]:
        cls._check_client(client)
        op = cls._OPERATIONS["list_line_items"]
        path = op.path.format(session=_checked_id(id))
        answer = client.request(op.method, path, query)
        url = client.api_base + path
        page = _decode_list(answer, cls.LISTS["line_items"], op.method, url)
        page.next_page = _pager(lambda following: cls._line_items_page(client, id, following), query, page)
        return page

    @classmethod
    def _build(cls, client: Client, answer: Mapping[str, Any], method: str, url: str) -> Self:
        try:
            session = cls.from_dict(answer)
        except (TypeError, ValueError) as exc:
            raise APIConnectionError(f"Invalid checkout.session from Stripe ({method} {url}): {exc}") from exc
        session._attach_line_item_pager(client)
        return session

    def _attach_line_item_pager(self, client: Client) -> None:
        # An expanded ``line_items`` holds only the first handful; paging on from it goes through the line items
        # endpoint of this session, with this client.
        line_items = getattr(self, "line_items", None)
        session_id = getattr(self, "id", None)
        if isinstance(line_items, ListObject) and isinstance(session_id, str) and session_id:
            line_items.next_page = _pager(
                lambda following: type(self)._line_items_page(client, session_id, following), {}, line_items
            )


# Inside the Session classes the name ``list`` is the classmethod, so annotations there spell ``builtins.list``.
@dataclass(frozen=True)
class Session(_SessionCalls, types.Session):
    """A Checkout Session (``checkout.session``), with the operations of the API as classmethods (the seed's five,
    and today's ``update``).

    Each takes the ``Client`` first.
    """

    # Spelled out (rather than inherited) so the expanded ``line_items`` and ``list_line_items`` provably
    # decode into the same class.
    LISTS: ClassVar[dict[str, type[StripeObject]]] = {"line_items": LineItem}
    _OPERATIONS: ClassVar[Mapping[str, Operation]] = {**OPERATIONS, "update": UPDATE}

    @classmethod
    def create(cls, client: Client, params: SessionCreateParams, *, idempotency_key: str | None = None) -> Session:
        """Create a Checkout Session (``POST /v1/checkout/sessions``)."""
        return cls._call(client, "create", params=params, idempotency_key=idempotency_key)

    @classmethod
    def retrieve(cls, client: Client, id: str, expand: builtins.list[str] | None = None) -> Session:
        """Retrieve a Checkout Session by id; ``expand=["line_items"]`` includes its first line items."""
        return cls._call(client, "retrieve", id, _expand_params(expand))

    @classmethod
    def list(cls, client: Client, params: SessionListParams | None = None) -> ListObject[Session]:
        """One page of Checkout Sessions, newest first; ``auto_paging_iter()`` walks the pages after it."""
        return cls._list_page(client, dict(params or {}))

    @classmethod
    def list_line_items(
        cls, client: Client, id: str, params: SessionListLineItemsParams | None = None
    ) -> ListObject[LineItem]:
        """One page of a Checkout Session's line items; ``auto_paging_iter()`` walks the pages after it."""
        return cls._line_items_page(client, id, dict(params or {}))

    @classmethod
    def expire(
        cls,
        client: Client,
        id: str,
        expand: builtins.list[str] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Session:
        """Expire an open Checkout Session so it can no longer be paid."""
        return cls._call(client, "expire", id, _expand_params(expand), idempotency_key=idempotency_key)

    @classmethod
    def update(
        cls, client: Client, id: str, params: SessionUpdateParams, *, idempotency_key: str | None = None
    ) -> Session:
        """Update an open Checkout Session (``POST /v1/checkout/sessions/{id}``: ``metadata``, shipping...).

        The endpoint is today's API (2024-07 on): a client on 2022-08-01 (the default) gets Stripe's 404, so
        build the ``Client`` with ``api_version="2026-10-28.endive"`` (or another version that has it), or use
        ``TodaySession``, typed by today's answer too.
        """
        return cls._call(client, "update", id, params, idempotency_key=idempotency_key)


# -- today's version ---------------------------------------------------------------------------------------------


class ClientOptions(TypedDict, total=False):
    """The keyword options of ``Client`` but ``api_version``: what ``today_client`` passes on."""

    api_base: str
    http: requests.Session | None
    timeout: float
    max_network_retries: int
    sleep: Callable[[float], None]


def today_client(api_key: str, **options: Unpack[ClientOptions]) -> Client:
    """A ``Client`` pinned to today's API version (2026-10-28.endive), the one ``TodaySession`` needs."""
    return Client(api_key, api_version=TodaySession.API_VERSION, **options)


@dataclass(frozen=True)
class TodaySession(_SessionCalls, today_types.Session):
    """A Checkout Session of today's API version (2026-10-28.endive): its fields, parameters and operations.

    The same operations as ``Session``, typed by today's TypedDicts (``ui_mode="embedded_page"``,
    ``allowed_payment_method_types``, ``custom_fields``; ``status`` and ``created`` list filters) and answering
    today's session (``client_secret``, ``collected_information``...). Each takes a ``Client`` pinned to
    ``API_VERSION`` (``today_client(api_key)`` builds one); a client pinned to another version is refused with
    ``ValueError``, since its answers would not have the shape these types promise.
    """

    #: The version a ``Client`` must be pinned to.
    API_VERSION: ClassVar[str] = TODAY.name
    LISTS: ClassVar[dict[str, type[StripeObject]]] = {"line_items": TodayLineItem}
    _OPERATIONS: ClassVar[Mapping[str, Operation]] = TODAY.operations
    _PINNED: ClassVar[str | None] = TODAY.name

    @classmethod
    def create(
        cls, client: Client, params: TodaySessionCreateParams, *, idempotency_key: str | None = None
    ) -> TodaySession:
        """Create a Checkout Session (``POST /v1/checkout/sessions``)."""
        return cls._call(client, "create", params=params, idempotency_key=idempotency_key)

    @classmethod
    def retrieve(cls, client: Client, id: str, expand: builtins.list[str] | None = None) -> TodaySession:
        """Retrieve a Checkout Session by id; ``expand=["line_items"]`` includes its first line items."""
        return cls._call(client, "retrieve", id, _expand_params(expand))

    @classmethod
    def list(cls, client: Client, params: TodaySessionListParams | None = None) -> ListObject[TodaySession]:
        """One page of Checkout Sessions, newest first; ``auto_paging_iter()`` walks the pages after it."""
        return cls._list_page(client, dict(params or {}))

    @classmethod
    def list_line_items(
        cls, client: Client, id: str, params: TodaySessionListLineItemsParams | None = None
    ) -> ListObject[TodayLineItem]:
        """One page of a Checkout Session's line items; ``auto_paging_iter()`` walks the pages after it."""
        return cls._line_items_page(client, id, dict(params or {}))

    @classmethod
    def expire(
        cls,
        client: Client,
        id: str,
        expand: builtins.list[str] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TodaySession:
        """Expire an open Checkout Session so it can no longer be paid."""
        return cls._call(client, "expire", id, _expand_params(expand), idempotency_key=idempotency_key)

    @classmethod
    def update(
        cls, client: Client, id: str, params: SessionUpdateParams, *, idempotency_key: str | None = None
    ) -> TodaySession:
        """Update an open Checkout Session (``POST /v1/checkout/sessions/{id}``: ``metadata``, shipping...)."""
        return cls._call(client, "update", id, params, idempotency_key=idempotency_key)
