"""Webhook delivery: the request Stripe would POST for an event, and its delivery to the application.

:func:`webhook_request` signs an :class:`~pytest_checkout.fake.events.Event` with the endpoint secret and builds
a :class:`WebhookRequest`, which delivers itself to the application under test: to a WSGI app, a test client
(Flask, Django, Starlette/httpx style) or a plain ``handler(body, headers)`` callable. Events themselves and
their signature are in ``events.py``.

The secret is only an argument of :func:`webhook_request`: no object here keeps it.
"""

from __future__ import annotations

import inspect
import io
import json
import random
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote_to_bytes

from pytest_checkout.fake.events import Event, sign

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["Delivery", "WebhookRequest", "WebhookResponse", "deliver", "webhook_request"]

T = TypeVar("T")

_CONTENT_TYPE = "application/json; charset=utf-8"
_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


@dataclass
class WebhookResponse:
    """What a WSGI application answered to a webhook request."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")


@dataclass(frozen=True)
class WebhookRequest:
    """A signed webhook request: the body and headers Stripe would POST for ``event``.

    Deliver it with :meth:`post_to` (which picks the way from the target) or one of ``to_wsgi``,
    ``to_test_client``, ``to_callable``. Each delivery gets its own copy of ``headers``.
    """

    body: bytes
    headers: dict[str, str]
    event: Event

    def __repr__(self) -> str:
        # Short, and nothing but what the request holds: the secret only ever passed through ``sign``.
        names = ", ".join(self.headers)
        return (
            f"WebhookRequest(event={self.event.id!r}, type={self.event.type!r}, body=<{len(self.body)} bytes>, "
            f"headers=[{names}])"
        )

    @property
    def signature(self) -> str:
        """The ``Stripe-Signature`` header value."""
        return self.headers["Stripe-Signature"]

    def to_callable(self, handler: Callable[[bytes, dict[str, str]], T]) -> T:
        """Call ``handler(body, headers)`` and return what it returns."""
        return handler(self.body, dict(self.headers))

    def to_test_client(self, client: Any, path: str = "/webhook") -> Any:
        """POST with a framework's test client and return its response, whatever type that is.

        The client's class says how it wants a raw body:

        - Django's ``django.test.Client`` (any class from a ``django`` module): ``data=body`` and
          ``content_type=``, other headers as ``HTTP_...`` keywords (works on every Django version);
        - Starlette's / FastAPI's ``TestClient`` and ``httpx.Client`` (any class from an ``httpx``,
          ``starlette`` or ``fastapi`` module): ``content=body`` (httpx deprecates ``data=`` for bytes);
        - anything else, Flask's ``app.test_client()`` and ``requests.Session`` among them:
          ``post(path, data=body, headers=headers)``.
        """
        post = getattr(client, "post", None)
        if not callable(post):
            raise TypeError(f"{type(client).__name__} has no post method; it is not a test client")
        modules = _mro_modules(client)
        if "django" in modules:
            extra = {_cgi_name(name): value for name, value in self.headers.items() if name.lower() != "content-type"}
            return post(path, data=self.body, content_type=self.headers["Content-Type"], **extra)
        if modules & {"httpx", "starlette", "fastapi"}:
            return post(path, content=self.body, headers=dict(self.headers))
        return post(path, data=self.body, headers=dict(self.headers))

    def to_wsgi(self, app: WSGIApplication, path: str = "/webhook") -> WebhookResponse:
        """Call a WSGI application with this request, as a server would (PEP 3333), and collect its answer.

        ``path`` may carry a query string (``/webhook?account=1``). The host is ``localhost:80`` over ``http``;
        ``wsgi.errors`` is the current ``sys.stderr``, so what the application logs there shows in pytest's
        captured output. The body is read to the end and the iterable closed, as servers must.
        """
        started: list[tuple[str, list[tuple[str, str]]]] = []
        chunks: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            if started and exc_info is None:
                raise RuntimeError("the WSGI application called start_response twice without exc_info")
            # Nothing reaches a client before the application is done, so a second call (with exc_info, after
            # an error) may always replace the first: PEP 3333 only forbids that once headers are sent.
            started[:] = [(status, list(headers))]
            return chunks.append

        result = app(self._environ(path), start_response)
        try:
            for chunk in result:
                chunks.append(bytes(chunk))
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        if not started:
            raise RuntimeError("the WSGI application returned without calling start_response")
        status_line, header_list = started[0]
        code = status_line.split(" ", 1)[0]
        if not (len(code) == 3 and code.isdigit()):
            raise ValueError(f"the WSGI application answered a malformed status {status_line!r}")
        headers: dict[str, str] = {}
        for name, value in header_list:
            # Repeated headers are joined as HTTP allows (RFC 9110, 5.3); a dict keeps one value per name.
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return WebhookResponse(status=int(code), headers=headers, body=b"".join(chunks))

    def post_to(self, target: object, path: str = "/webhook") -> Any:
        """Deliver to ``target``, choosing the way from what it is, in this order:

        1. a Flask application or Django's ``WSGIHandler`` (checked first: Flask apps have a ``post`` route
           decorator) → :meth:`to_wsgi`, answering a :class:`WebhookResponse`;
        2. a Starlette, FastAPI or Quart application → ``TypeError``: those are ASGI, wrap them in their
           ``TestClient`` / ``test_client()``;
        3. anything with a ``post`` method (a test client) → :meth:`to_test_client`, answering the client's response;
        4. a callable whose signature has exactly two positional parameters named as PEP 3333 writes them (the
           first ``environ`` or ``env``, or the second ``start_response``) → :meth:`to_wsgi`;
        5. any other callable that accepts two positional arguments → :meth:`to_callable`, as
           ``handler(body, headers)``, answering what it returns.

        The names decide between 4 and 5 because ``handler(body, headers)`` has two positional parameters
        too. For a WSGI app with other names call :meth:`to_wsgi` directly.
        """
        classes = _mro_classes(target)
        if classes & _WSGI_APPS:
            return self.to_wsgi(_as_wsgi(target), path)
        if classes & _ASGI_APPS:
            raise TypeError(
                f"{type(target).__name__} is an ASGI application; post to its test client instead "
                "(starlette.testclient.TestClient(app), or app.test_client() for Quart)"
            )
        if callable(getattr(target, "post", None)):
            return self.to_test_client(target, path)
        if callable(target):
            names = _positional_parameters(target)
            if names is not None and len(names) == 2 and _wsgi_names(names):
                return self.to_wsgi(_as_wsgi(target), path)
            if _accepts_two(target):
                return self.to_callable(_as_handler(target))
        raise TypeError(
            f"cannot deliver a webhook to {target!r}: expected a WSGI application, a test client with a post "
            "method, or a callable handler(body, headers)"
        )

    def _environ(self, path: str) -> WSGIEnvironment:
        path_part, _, query = path.partition("?")
        if not path_part.startswith("/"):
            raise ValueError(f"the path must start with '/', got {path!r}")
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            # PEP 3333 strings are bytes read as latin-1: the decoded path's UTF-8 bytes, the raw query string.
            "PATH_INFO": _latin1(unquote_to_bytes(path_part)),
            "QUERY_STRING": _latin1(query.encode("utf-8")),
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "localhost",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(self.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            environ[_cgi_name(name)] = value
        # CGI names these two without the HTTP_ prefix (and wsgiref's validator rejects HTTP_CONTENT_TYPE).
        environ["CONTENT_TYPE"] = environ.pop("HTTP_CONTENT_TYPE", "")
        environ["CONTENT_LENGTH"] = str(len(self.body))
        return environ


def webhook_request(event: Event | Mapping[str, Any], secret: str, *, timestamp: int | None = None) -> WebhookRequest:
    """Sign ``event`` with the endpoint ``secret`` and build the request Stripe would send.

    ``event`` is an :class:`Event` or an event dict (a recorded one, say) with exactly the keys of
    ``Event.to_dict()``; a dict is read with :meth:`Event.from_dict`, so every key and value of it is sent, in
    Stripe's key order. ``timestamp`` is the signature's time (default: now).
    """
    if isinstance(event, Event):
        the_event = event
    elif isinstance(event, Mapping):
        the_event = Event.from_dict(event)
    else:
        raise TypeError(f"expected an Event or an event dict, got {type(event).__name__}")
    body = the_event.payload()
    if timestamp is None:
        # The real clock, not the fake's: stripe.Webhook.construct_event compares the signature's time with
        # time.time() and refuses one more than 300 s old, so a fake clock moved forward (or frozen long ago)
        # would make every request fail verification. The event's ``created`` is where the fake's time goes.
        timestamp = int(time.time())
    headers = {
        "Content-Type": _CONTENT_TYPE,
        "Stripe-Signature": sign(body, secret, timestamp),
        "User-Agent": _USER_AGENT,
    }
    return WebhookRequest(body=body, headers=headers, event=the_event)


# --- delivery helpers -------------------------------------------------------------------------------------------

#: Classes (module, name) whose instances are WSGI applications although they also have a ``post`` attribute
#: (Flask's route decorator) or no telling signature.
_WSGI_APPS = frozenset({("flask.app", "Flask"), ("django.core.handlers.wsgi", "WSGIHandler")})
#: ASGI application classes, which cannot be called as WSGI and whose ``post`` is a route decorator.
_ASGI_APPS = frozenset({("starlette.applications", "Starlette"), ("quart.app", "Quart")})

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _mro_classes(obj: object) -> set[tuple[str, str]]:
    return {(cls.__module__, cls.__qualname__) for cls in type(obj).__mro__}


def _mro_modules(obj: object) -> set[str]:
    """The top-level packages of the classes ``obj`` is an instance of (``django``, ``httpx``, ...)."""
    return {cls.__module__.split(".", 1)[0] for cls in type(obj).__mro__}


def _positional_parameters(target: object) -> list[str] | None:
    """Names of the positional parameters, or None if there is ``*args`` or no signature to read."""
    try:
        signature = inspect.signature(target)  # type: ignore[arg-type]  # callable() was checked by the caller
    except (TypeError, ValueError):
        return None
    parameters = list(signature.parameters.values())
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    return [p.name for p in parameters if p.kind in _POSITIONAL]


def _wsgi_names(parameters: list[str]) -> bool:
    return parameters[0] in ("environ", "env") or parameters[1] == "start_response"


def _accepts_two(target: object) -> bool:
    """Whether ``target(body, headers)`` binds; True when there is no signature to read (some builtins)."""
    try:
        signature = inspect.signature(target)  # type: ignore[arg-type]  # callable() was checked by the caller
    except (TypeError, ValueError):
        return True
    try:
        signature.bind(b"", {})
    except TypeError:
        return False
    return True


def _as_wsgi(target: object) -> WSGIApplication:
    # post_to decided from the target's class or signature that it is a WSGI application.
    app: WSGIApplication = target  # type: ignore[assignment]
    return app


def _as_handler(target: object) -> Callable[[bytes, dict[str, str]], Any]:
    # post_to checked that the target takes two positional arguments.
    handler: Callable[[bytes, dict[str, str]], Any] = target  # type: ignore[assignment]
    return handler


def _cgi_name(header: str) -> str:
    """``Stripe-Signature`` → ``HTTP_STRIPE_SIGNATURE``, as a WSGI environ (and Django's ``META``) has it."""
    return "HTTP_" + header.upper().replace("-", "_")


def _latin1(raw: bytes) -> str:
    return raw.decode("latin-1")


@dataclass(frozen=True)
class Delivery:
    """One webhook delivered by ``CheckoutFake.deliver``: the event, and what the application answered."""

    event: Event
    response: Any


def deliver(
    events: Sequence[Event],
    to: object,
    *,
    secret: str,
    path: str = "/webhook",
    twice: bool | Collection[str] = False,
    shuffle: bool | int = False,
    seed: int | str = 0,
) -> list[Delivery]:
    """Post ``events`` to ``to``, each signed with ``secret``, the way ``stripe listen --forward-to`` does.

    Stripe promises neither once-only nor in-order delivery, and handlers must cope: ``twice`` delivers every
    event twice (``True``) or those whose id or type is in it, the copy right after the first; ``shuffle``
    delivers in a random order (an int is the seed, ``True`` uses ``seed``), the same order on every run.
    """
    order = list(events)
    if shuffle is not False:
        random.Random(seed if shuffle is True else shuffle).shuffle(order)
    out = []
    for event in order:
        copies = 2 if twice is True or (twice and (event.id in twice or event.type in twice)) else 1
        for _ in range(copies):
            out.append(Delivery(event, webhook_request(event, secret).post_to(to, path)))
    return out
