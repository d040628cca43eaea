"""The fake over real HTTP: a WSGI app around ``routes.handle`` and a small threaded HTTP/1.1 server to run it.

For code under test that runs in another process (a dev server, a container, a test suite in another
language), point its Stripe base URL at ``Server.url``::

    with Server(port=0) as server:      # a free port, served from a background thread
        client = stripe.StripeClient("sk_test_...", base_addresses={"api": server.url})
        ...
        server.fake.complete(session_id)

or from a shell: ``python -m pytest_checkout serve --port 12111``. A test that is not in Python plays the
customer and moves the clock over HTTP too, under ``/_pytest_checkout/`` (see ``testhelpers``).

The WSGI app only translates between WSGI and ``handle``: every answer, error and limit is the handler's, so
the server and ``mock_checkout`` answer the same request with the same bytes. The server keeps connections
open between requests (HTTP/1.1 keep-alive), as Stripe's own API does, so a client's connection pool is used
as it would be against Stripe.
"""

from __future__ import annotations

import io
import ipaddress
import string
import sys
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import quote

from pytest_checkout.fake import testhelpers
from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.http11 import CHUNK, DRAIN_LIMIT, REQUEST_TIMEOUT, ThreadingHTTPServer, read_chunked
from pytest_checkout.fake.routes import MAX_BODY, handle
from pytest_checkout.httputil import escape_controls, reason_phrase
from pytest_checkout.versions import API_VERSION

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "REQUEST_TIMEOUT", "Server", "banner", "make_wsgi_app", "serve"]

DEFAULT_HOST = "127.0.0.1"
#: stripe-mock's port, so tooling set up for it finds this fake at the same address.
DEFAULT_PORT = 12111

# RFC 3986 pchar (unreserved letters, digits and "-._~" are always kept by ``quote``): what a path may carry
# unescaped. "%" is not among them: PATH_INFO arrives decoded, so a literal "%" must travel as "%25" again.
_PATH_SAFE = "/:@!$&'()*+,;="
# A query string arrives still percent-encoded; only bytes that are not printable ASCII need escaping.
_QUERY_SAFE = string.punctuation


def _wsgi_bytes(value: str) -> bytes:
    """The bytes behind a WSGI "native string" (PEP 3333: bytes decoded as latin-1)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        # A server that broke the convention and decoded as UTF-8; take its word for the characters.
        return value.encode("utf-8")


def _header_name(key: str) -> str:
    # HTTP_IDEMPOTENCY_KEY -> Idempotency-Key. The handler looks headers up case-insensitively.
    return key.replace("_", "-").title()


def _request_target(environ: WSGIEnvironment) -> tuple[str, str]:
    # PATH_INFO is percent-decoded and then latin-1 decoded by the server; re-encoding the bytes gives the path
    # as a client sends it, so the handler's own unquoting of the session id decodes UTF-8 exactly once. Only
    # an encoded "/" (%2F) cannot be told from a real one: WSGI loses that distinction.
    # SCRIPT_NAME is left out on purpose: mounted under a prefix, the app still sees Stripe's /v1/... paths.
    path = quote(_wsgi_bytes(environ.get("PATH_INFO") or "/"), safe=_PATH_SAFE) or "/"
    query = quote(_wsgi_bytes(environ.get("QUERY_STRING") or ""), safe=_QUERY_SAFE)
    return path, query


def _request_headers(environ: WSGIEnvironment) -> dict[str, str]:
    # Values stay WSGI native strings (latin-1 for the raw bytes): the handler only compares and echoes them
    # (Idempotency-Key), so they go back out byte for byte. Only control characters arrive escaped.
    headers = {
        _header_name(key[5:]): escape_controls(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["Content-Length"] = environ["CONTENT_LENGTH"]
    return headers


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # PEP 3333: a missing or unusable length means no body
    if length <= 0 and not environ.get("CONTENT_LENGTH"):
        # No length at all: a chunked body, under a WSGI server that passes it on without one (this package's
        # own server gives the length it found).
        return _read_unframed(environ)
    if length <= 0:
        return b""
    stream = environ["wsgi.input"]
    # One byte past the cap is enough for the handler to refuse the body with its own 413; reading the rest
    # into memory would let a client make the server hold any amount.
    wanted = min(length, MAX_BODY + 1)
    parts: list[bytes] = []
    got = 0
    try:
        while got < wanted:
            chunk = stream.read(min(CHUNK, wanted - got))
            if not chunk:
                break  # the client sent less than it announced
            parts.append(chunk)
            got += len(chunk)
        drained = got
        while drained < min(length, DRAIN_LIMIT):
            chunk = stream.read(min(CHUNK, length - drained))
            if not chunk:
                break
            drained += len(chunk)
    except TimeoutError as error:
        # A client that stalls mid-body is treated like one that hung up: servers drop such connections
        # quietly instead of logging a traceback and answering nobody.
        raise ConnectionAbortedError("the client stopped sending its request body") from error
    return b"".join(parts)


def _read_unframed(environ: WSGIEnvironment) -> bytes:
    """A body sent without ``Content-Length``: as the WSGI server hands it over, or no body.

    A server that sets ``wsgi.input_terminated`` (gunicorn, Werkzeug, mod_wsgi) has undone the chunking and ends
    the input with the body: it is read to its end. One that passes ``Transfer-Encoding: chunked`` on with the
    raw stream, as wsgiref does, leaves the chunks to the application: they are read here, exactly up to their
    end. Either way at most ``MAX_BODY + 1`` bytes are kept (enough for the handler's 413).
    """
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        if environ.get("wsgi.input_terminated"):
            kept = bytearray()
            drained = 0
            while drained <= DRAIN_LIMIT:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                drained += len(chunk)
                if len(kept) <= MAX_BODY:
                    kept += chunk[: MAX_BODY + 1 - len(kept)]
            return bytes(kept)
        codings = [c.strip().lower() for c in str(environ.get("HTTP_TRANSFER_ENCODING") or "").split(",")]
        if codings[-1] == "chunked":
            return read_chunked(stream if isinstance(stream, io.BufferedIOBase) else _Reader(stream))[0]
    except TimeoutError as error:
        raise ConnectionAbortedError("the client stopped sending its request body") from error
    return b""


class _Reader(io.BufferedIOBase):
    """A WSGI input stream (``read`` and ``readline`` with a size, as PEP 3333 asks) as ``read_chunked`` reads."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return bytes(self._stream.read(size if size is not None else -1))

    def readline(self, size: int | None = -1) -> bytes:
        return bytes(self._stream.readline(size if size is not None else -1))


def _native(value: str) -> str:
    # WSGI wants header values as latin-1 native strings; anything wider travels as its UTF-8 bytes.
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")
    return value


def make_wsgi_app(fake: CheckoutFake, *, test_helpers: bool = True) -> WSGIApplication:
    """A WSGI application answering Stripe's Checkout endpoints from ``fake`` through ``routes.handle``.

    It runs under any WSGI server (``Server`` runs it under its own HTTP/1.1 one); every answer under ``/v1/``
    is the handler's. With ``test_helpers`` (the default) it also answers the test's helpers under
    ``/_pytest_checkout/`` (complete a session, move the clock, list events, ...; see ``testhelpers``), a
    prefix no Stripe path can have.
    """

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD") or "GET"
        path, query = _request_target(environ)
        headers = _request_headers(environ)
        body = _read_body(environ)
        answer = testhelpers.answer(fake, method, path, query, body, headers) if test_helpers else None
        if answer is None:
            answer = handle(fake, method, f"{path}?{query}" if query else path, headers, body)
        response_headers = [(name, _native(value)) for name, value in answer.headers.items()]
        if not any(name.lower() == "content-length" for name, _ in response_headers):
            response_headers.append(("Content-Length", str(len(answer.body))))
        start_response(f"{answer.status} {reason_phrase(answer.status)}", response_headers)
        # HTTP forbids a body in the answer to HEAD (its headers, Content-Length included, stay as for GET).
        return [] if method.upper() == "HEAD" else [answer.body]

    return app


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.partition("%")[0]).is_loopback
    except ValueError:
        return False


class Server:
    """A ``CheckoutFake`` served over HTTP/1.1 (keep-alive) by a threaded server, one thread per connection.

    ``port=0`` takes a free port; ``url`` tells the address once listening. As a context manager it serves
    from a background thread::

        with Server(port=0) as server:
            requests.get(server.url + "/v1/checkout/sessions", auth=("sk_test_123", ""))

    ``fake`` serves an existing fake; otherwise a new one is made from ``seed`` and ``now`` (and its
    ``api_base`` set to ``url``). ``verbose`` logs one line per request to stderr. Any host may be bound, but
    one that is not loopback gets a warning on stderr: the fake takes any well-formed key. ``test_helpers``
    (default on) also answers the test's helpers under ``/_pytest_checkout/`` (see ``testhelpers``).
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        fake: CheckoutFake | None = None,
        seed: int | str = 0,
        now: int | float | None = None,
        verbose: bool = False,
        test_helpers: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.verbose = verbose
        self.test_helpers = test_helpers
        self._owns_fake = fake is None
        self.fake = fake if fake is not None else CheckoutFake(seed=seed, now=now)
        self._httpd: ThreadingHTTPServer | None = None
        self._accepted_before = 0
        self._thread: threading.Thread | None = None
        self._looping = False
        self._stopping = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else f"{self.host}:{self.port}, not listening"
        return f"Server({where})"

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the listening socket (the real port when ``port=0`` was asked for)."""
        if self._httpd is None:
            raise RuntimeError("the server is not listening; use start() or 'with Server(...) as server'")
        host, port = self._httpd.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections the server has accepted, over every time it listened.

        A client that keeps its connection alive (``requests.Session``, the official SDK, ``httpx.Client``)
        makes one for many requests.
        """
        with self._lock:
            httpd = self._httpd
            return self._accepted_before + (httpd.accepted if httpd is not None else 0)

    def _bind(self) -> ThreadingHTTPServer:
        with self._lock:
            if self._httpd is not None:
                return self._httpd
            app = make_wsgi_app(self.fake, test_helpers=self.test_helpers)
            httpd = ThreadingHTTPServer((self.host, self.port), app, self.verbose)
            self._httpd = httpd
            self._stopping = False
        if self._owns_fake:
            self.fake.api_base = self.url
        bound = str(httpd.server_address[0])
        if not _is_loopback(bound):
            print(
                f"pytest-checkout: warning: the fake is listening on {self.url}, reachable from other machines. "
                "It accepts any well-formed API key and keeps whatever is sent to it; bind 127.0.0.1 unless "
                "you mean this.",
                file=sys.stderr,
                flush=True,
            )
        return httpd

    def start(self) -> Server:
        """Listen and serve from a daemon thread; returns ``self``. Raises ``OSError`` if it cannot listen."""
        httpd = self._bind()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, args=(httpd,), name="pytest-checkout-server")
                self._thread.daemon = True
                self._thread.start()
        return self

    def serve_forever(self, ready: Callable[[str], object] | None = None) -> None:
        """Listen and serve in the calling thread until ``shutdown()`` (from another thread) or Ctrl+C.

        ``ready(url)`` is called once the socket listens, before the first request is served. The socket is
        closed on the way out, KeyboardInterrupt included (which propagates).
        """
        httpd = self._bind()
        try:
            if ready is not None:
                ready(self.url)
            self._loop(httpd)
        finally:
            self._close(httpd)

    def _loop(self, httpd: ThreadingHTTPServer) -> None:
        # socketserver's shutdown() waits for a loop that is running or about to run; it would wait forever
        # for one that never starts. Deciding under one lock whether the loop runs and whether shutdown()
        # waits for it closes that gap.
        with self._lock:
            if self._stopping:
                return
            self._looping = True
        try:
            httpd.serve_forever(poll_interval=0.05)
        finally:
            with self._lock:
                self._looping = False

    def shutdown(self) -> None:
        """Stop serving and close the socket; safe to call more than once. Requests in flight finish.

        Kept-alive connections waiting for their next request are closed as well; one whose request is being
        answered closes after that answer.

        Call it from another thread than the one in ``serve_forever`` (the context manager does).
        """
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._thread = None
            self._stopping = True
            looping = self._looping
        if httpd is None:
            return
        if looping:
            httpd.shutdown()  # returns once serve_forever has left its loop
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._close(httpd)

    def _close(self, httpd: ThreadingHTTPServer) -> None:
        with self._lock:
            if self._httpd is httpd:
                self._httpd = None
                self._accepted_before += httpd.accepted
        httpd.server_close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.shutdown()


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    fake: CheckoutFake | None = None,
    seed: int | str = 0,
    now: int | float | None = None,
    ready: Callable[[str], object] | None = None,
    verbose: bool = False,
) -> None:
    """Serve the fake in the calling thread until interrupted (KeyboardInterrupt propagates, socket closed).

    ``ready(url)`` is called once the socket listens. ``OSError`` before that means it could not listen
    (port in use, unknown host). See ``Server`` for the other arguments.
    """
    Server(host, port, fake=fake, seed=seed, now=now, verbose=verbose).serve_forever(ready)


def banner(url: str) -> str:
    """The line ``python -m pytest_checkout serve`` prints once it listens."""
    return f"pytest-checkout fake serving Stripe API {API_VERSION} at {url} (Ctrl+C to stop)"
