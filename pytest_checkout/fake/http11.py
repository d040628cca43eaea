"""HTTP/1.1 over a socket for the served fake: connections kept alive, requests read, answers written.

``server.py`` runs a WSGI app (the fake's) on the ``ThreadingHTTPServer`` defined here. This module knows HTTP
and nothing of Stripe: request lines and headers (parsed here, faster than ``http.server``'s parser), bodies by
``Content-Length`` or chunked, ``Expect: 100-continue``, keep-alive and ``Connection: close``, timeouts for idle
or stalled clients, and logs that never show a key or a secret. Of Stripe it knows only the error envelope: a
request it cannot read (a URL over 64 KB, a malformed header) is refused in Stripe's JSON, as the handler's
errors are, so a client reads it the same way.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import re
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pytest_checkout.fake import exceptions
from pytest_checkout.fake.routes import MAX_BODY
from pytest_checkout.httputil import mask_key, reason_phrase

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = [
    "CHUNK",
    "DRAIN_LIMIT",
    "MAX_LINE",
    "REQUEST_TIMEOUT",
    "RequestHandler",
    "ThreadingHTTPServer",
    "read_chunked",
]

#: Seconds a connection may stay silent (while sending its request, or idle between two requests) before the
#: server gives up on it.
REQUEST_TIMEOUT = 30.0
# Drain at most this much of a body beyond what is read, so a client sending a too-large body still gets to
# read the handler's 413 instead of a connection reset; past it the connection is simply closed.
DRAIN_LIMIT = 16 * MAX_BODY
CHUNK = 64 * 1024

#: The longest request line (so the longest URL, nearly), header line or chunk-size line read, in bytes
#: (http.server's own limit for the first two). A longer request line is answered 414, a longer header 431.
MAX_LINE = 65536


# API keys and webhook signing secrets as they may appear anywhere in a log line (pasted into a query string).
_KEY_LIKE = re.compile(r"\b(?P<prefix>(?:sk|rk|pk)_(?:test|live)_|whsec_)(?P<rest>[0-9A-Za-z_]+)")


# A secret passed by name in a URL (the signed_webhook helper refuses it there, but the line is logged first).
_SECRET_PARAM = re.compile(r"(?i)\b(secret=)[^&\s\"]*")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


# A header name (RFC 9110 token); whitespace before the colon in particular is refused (RFC 9112, 5.1).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


# A Content-Length this server takes as framing: ASCII digits only (str.isdigit() would let "²" through).
_LENGTH = re.compile(r"[0-9]{1,18}")


# The most header lines a request may have (http.client's limit).
_MAX_HEADERS = 100


def _mask(match: re.Match[str]) -> str:
    # API keys as the fake masks them everywhere ("sk_test_...p7dc"); a webhook secret shows nothing of itself.
    whole = match.group()
    return "whsec_..." if whole.startswith("whsec_") else mask_key(whole)


def _redact(line: str) -> str:
    line = _KEY_LIKE.sub(_mask, _SECRET_PARAM.sub(r"\1[redacted]", line))
    # A request line is the client's text: escape control characters so it cannot forge log lines.
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", line)


class _Body(io.RawIOBase):
    """``wsgi.input`` for a body framed by Content-Length: reads stop at its end, and it knows if it got there.

    On a kept-alive connection the next request follows the body at once, so nothing past ``length`` may be
    read; and if the application left part of the body unread, the connection cannot carry another request.
    """

    def __init__(self, stream: io.BufferedIOBase, length: int) -> None:
        super().__init__()
        self._stream = stream
        self.left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.left <= 0 or not len(view):
            return 0
        data = self._stream.read(min(len(view), self.left))
        if not data:
            self.left = -1  # the client hung up before sending it all: never complete
            return 0
        view[: len(data)] = data
        self.left -= len(data)
        return len(data)

    @property
    def complete(self) -> bool:
        """Whether the whole announced body was read."""
        return self.left == 0


def read_chunked(stream: io.BufferedIOBase) -> tuple[bytes, int, bool]:
    """A ``Transfer-Encoding: chunked`` body: (its first ``MAX_BODY + 1`` bytes, its size, whether it was whole).

    Bounded as a Content-Length body is: at most one byte past the cap is kept (enough for the handler's 413),
    at most ``DRAIN_LIMIT`` bytes are read; malformed framing or a client that hangs up ends it, not whole.
    """
    kept = bytearray()
    size_seen = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        size_text = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not _HEX.fullmatch(size_text):
            return bytes(kept), size_seen, False
        size = int(size_text, 16)
        if size == 0:
            break
        if size_seen + size > DRAIN_LIMIT:
            return bytes(kept), size_seen + size, False
        left = size
        while left:
            chunk = stream.read(min(CHUNK, left))
            if not chunk:
                return bytes(kept), size_seen, False
            if len(kept) <= MAX_BODY:
                kept += chunk[: MAX_BODY + 1 - len(kept)]
            left -= len(chunk)
        size_seen += size
        if stream.readline(MAX_LINE + 1) not in (b"\r\n", b"\n"):
            return bytes(kept), size_seen, False
    for _ in range(100):  # trailer fields, read and dropped (the handler takes no trailers), then a blank line
        line = stream.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return bytes(kept), size_seen, True
        if not line.endswith(b"\n"):
            break
    return bytes(kept), size_seen, False


class RequestHandler(http.server.BaseHTTPRequestHandler):
    """One connection: HTTP/1.1 requests answered by the server's WSGI app until either side closes it.

    Every method goes to the app (Stripe's 404 for the ones it has no route for), as under wsgiref. The
    socket timeout bounds both a request that stalls and the wait for the next one on an idle connection.
    Logging is off unless the server is verbose.
    """

    protocol_version = "HTTP/1.1"
    server_version = "pytest-checkout"
    timeout = REQUEST_TIMEOUT
    #: The request's header fields in order, and their values by lower-case name.
    fields: list[tuple[str, str]]
    field_values: dict[str, list[str]]
    # An answer is written in one piece; without this, a client's delayed ACK could still hold it up.
    disable_nagle_algorithm = True
    server: ThreadingHTTPServer

    def version_string(self) -> str:
        """The ``Server`` header: the name alone (http.server would add Python's version to it)."""
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.server.track(self)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self)

    def handle_one_request(self) -> None:
        self.close_connection = True
        try:
            # Idle until the next request's first byte: the server closes connections that wait here when it
            # shuts down, while a request that has started is answered.
            if not self.rfile.peek(1):  # type: ignore[attr-defined]  # a BufferedReader (rbufsize -1)
                return
        except OSError:  # TimeoutError (idle too long) included, and a socket the server shut down
            return
        if not self.server.request_started(self):
            return
        try:
            self._one_request()
        except (TimeoutError, ConnectionError):
            # A client that stalls or hangs up mid-request is dropped quietly, without an answer nobody reads.
            # ConnectionAbortedError is _read_body's word for a stalled body.
            self.close_connection = True
        finally:
            self.server.request_done(self)

    def parse_request(self) -> bool:
        """The request line and headers, checked as ``http.server`` checks them; False once an error is answered.

        The request line's rules are http.server's own (400 for a malformed line or version, 505 for HTTP/2 and
        later). The headers are read here rather than by the ``email`` parser http.server uses: that parser
        costs several times what the rest of the server does per request.
        """
        self.command = ""  # until the request line is read (send_error looks at it)
        self.request_version = version = self.default_request_version
        self.close_connection = True
        self.requestline = requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = requestline.split()
        if not words:
            return False
        if len(words) >= 3:
            version = words[-1]
            numbers = version[5:].split(".") if version.startswith("HTTP/") else []
            if len(numbers) != 2 or not all(n.isdigit() and n.isascii() and len(n) <= 10 for n in numbers):
                self.send_error(HTTPStatus.BAD_REQUEST, explain=f"Bad request version ({version!r})")
                return False
            number = (int(numbers[0]), int(numbers[1]))
            if number >= (1, 1):
                self.close_connection = False
            if number >= (2, 0):
                self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, explain=f"Invalid HTTP version ({version[5:]})")
                return False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST, explain=f"Bad request syntax ({requestline!r})")
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(HTTPStatus.BAD_REQUEST, explain=f"Bad HTTP/0.9 request type ({command!r})")
                return False
        # http.server folds leading slashes into one (a guard against open redirects); so does this server.
        self.command, self.path = command, "/" + path.lstrip("/") if path.startswith("//") else path
        fields = self._read_headers()
        if fields is None:
            return False
        # Kept as (name, value) pairs in order, not in the email.message.Message of http.server (``headers``,
        # left unset): building and reading one costs more than the rest of the request's handling.
        self.fields = fields
        values: dict[str, list[str]] = {}
        self.field_values = values
        for name, value in fields:
            values.setdefault(name.lower(), []).append(value)
        # Connection is a list of options, possibly over several fields ("keep-alive, Upgrade").
        options = {o.strip().lower() for v in values.get("connection", []) for o in v.split(",")}
        if "close" in options:
            self.close_connection = True
        elif "keep-alive" in options:
            self.close_connection = False
        if values.get("expect", [""])[0].lower() == "100-continue" and self.request_version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def _read_headers(self) -> list[tuple[str, str]] | None:
        fields: list[tuple[str, str]] = []
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                self.send_error(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, explain=f"a header line is longer than {MAX_LINE} bytes"
                )
                return None
            if line in (b"\r\n", b"\n", b""):  # the blank line that ends them (or a client that hung up)
                return fields
            if len(fields) >= _MAX_HEADERS:
                self.send_error(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, explain=f"more than {_MAX_HEADERS} header lines"
                )
                return None
            text = line.decode("iso-8859-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and fields:
                # An obsolete line folding: RFC 9112 lets a server replace it with a space.
                name, value = fields[-1]
                fields[-1] = (name, f"{value} {text.strip()}")
                continue
            name, colon, value = text.partition(":")
            if not colon or not _TOKEN.fullmatch(name):
                self.send_error(HTTPStatus.BAD_REQUEST, explain="a header line is not NAME: VALUE")
                return None
            fields.append((name, value.strip(" \t")))

    def _one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        if len(self.raw_requestline) > MAX_LINE:
            self.requestline = self.request_version = self.command = ""
            # Read what is left of the request's head first: closing a socket with unread data resets it, and
            # the client could lose the answer with it.
            self._drain_head()
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return
        if not self.raw_requestline or not self.parse_request():
            return  # the client hung up, or parse_request has answered a malformed request itself
        stream, framed = self._body_stream()
        environ = self._environ(stream)
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            started[:] = [(status, headers)]
            return lambda data: None  # the app returns its body; nothing is written before it is done

        result = self.server.app(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        if not framed or (isinstance(stream, _Body) and not stream.complete):
            # Where this request's body ends is unknown, or part of it is still unread: whatever follows on the
            # connection cannot be read as the next request.
            self.close_connection = True
        status, headers = started[0]
        self._send(status, headers, b"" if self.command == "HEAD" else payload)

    def _drain_head(self) -> None:
        """Read and drop the rest of a request line that was too long, and the header lines after it.

        At most ``DRAIN_LIMIT`` bytes; a body, if the request has one, is left (the connection closes anyway).
        """
        budget = DRAIN_LIMIT
        line = self.raw_requestline
        while not line.endswith(b"\n") and budget > 0:  # the rest of the request line
            line = self.rfile.readline(min(MAX_LINE + 1, budget))
            if not line:
                return
            budget -= len(line)
        while budget > 0:  # the header lines, up to the blank line that ends them
            line = self.rfile.readline(min(MAX_LINE + 1, budget))
            if line in (b"\r\n", b"\n", b""):
                return
            budget -= len(line)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Refuse a request the server cannot read, in Stripe's error envelope (``http.server`` writes HTML).

        The connection is closed after it: what follows on it cannot be trusted to start a request.
        """
        if code == HTTPStatus.REQUEST_URI_TOO_LONG:
            error = exceptions.uri_too_long(MAX_LINE)
        else:
            reason = explain or message or reason_phrase(code)
            # The reason may quote the client's request line: a short quote is enough.
            error = exceptions.bad_http_request(code, reason if len(reason) <= 200 else reason[:200] + "...")
        self.log_error("code %d, message %s", code, error.message)
        self.close_connection = True
        if self.request_version == "HTTP/0.9" and len(self.requestline.split()) != 2:
            # The version is still the default because the request line was refused before it was read (HTTP/2,
            # a bad version): not an HTTP/0.9 request, so the answer gets a status line and headers.
            self.request_version = ""
        body = json.dumps(error.to_dict(), separators=(",", ":")).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            # As the handler's own 4xx answers say: sending it again would only get the same answer.
            ("Stripe-Should-Retry", "false"),
        ]
        self._send(f"{int(code)} {reason_phrase(code)}", headers, b"" if self.command == "HEAD" else body)

    def _body_stream(self) -> tuple[_Body | io.BytesIO, bool]:
        """The request body as ``wsgi.input``, and whether its end is known (so the connection can be reused)."""
        codings = [c.strip().lower() for v in self.field_values.get("transfer-encoding", []) for c in v.split(",")]
        lengths = self.field_values.get("content-length", [])
        if codings:
            if codings[-1] != "chunked":
                return io.BytesIO(), False  # a coding the server cannot undo: no body, and no telling its end
            body, size, whole = read_chunked(self.rfile)
            # The body goes on with the length it turned out to have; a length given as well meant nothing
            # (and is a request-smuggling sign, after which RFC 9112 wants the connection closed).
            framing = ("content-length", "transfer-encoding")
            self.fields = [(n, v) for n, v in self.fields if n.lower() not in framing] + [("Content-Length", str(size))]
            return io.BytesIO(body), whole and not lengths
        if not lengths:
            return io.BytesIO(), True
        if len(set(lengths)) != 1 or not _LENGTH.fullmatch(lengths[0].strip()):
            # Passed on as it is (the app reads an unusable length as no body), but the body's end is unknown.
            return io.BytesIO(), False
        return _Body(self.rfile, int(lengths[0])), True

    def _environ(self, stream: _Body | io.BytesIO) -> WSGIEnvironment:
        target = self.path
        if not target.startswith("/") and "://" in target:
            # The absolute form (http://host/path), which a server must accept: only its path and query count.
            split = urlsplit(target)
            target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        raw_path, _, query = target.partition("?")
        host, port = self.server.server_address[:2]
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            # As wsgiref has it: percent-decoded, the bytes as latin-1 (PEP 3333's native strings).
            "PATH_INFO": unquote(raw_path, "iso-8859-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "SERVER_SOFTWARE": self.version_string(),
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": stream,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.fields:
            key = name.replace("-", "_").upper()
            value = value.strip()
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ.setdefault(key, value)
            elif "HTTP_" + key in environ:
                environ["HTTP_" + key] += "," + value  # a repeated header, joined as HTTP allows
            else:
                environ["HTTP_" + key] = value
        return environ

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        if self.request_version == "HTTP/0.9":
            self.wfile.write(body)  # a simple response: no status line, no headers (and no second request)
            self.log_request(int(status[:3]), len(body))
            return
        lines = [
            f"{self.protocol_version} {status}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
        ]
        lines.extend(f"{name}: {value}" for name, value in headers)
        if self.close_connection or self.server.closing:
            self.close_connection = True
            lines.append("Connection: close")
        elif self.request_version == "HTTP/1.0":
            lines.append("Connection: keep-alive")  # reached only when the 1.0 client asked for it
        # One write for status, headers and body: one segment on the wire for a small answer.
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self.log_request(int(status[:3]), len(body))

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line, status and size are ever logged, never headers (so never Authorization); keys
        # that a client put into the URL itself are masked too.
        if not self.server.verbose:
            return
        text = _redact(format % args)
        sys.stderr.write(f"{self.address_string()} - [{self.log_date_time_string()}] {text}\n")


class ThreadingHTTPServer(http.server.ThreadingHTTPServer):
    """One daemon thread per connection (a stuck client never holds up the others or exit), and the open
    connections known, so that closing the server also closes the idle ones a client's pool keeps."""

    daemon_threads = True
    # Bursts of parallel clients (a test's worker threads) queue instead of being refused.
    request_queue_size = 64
    # Never share the port with another listener: a second server on it must fail with "address in use".
    allow_reuse_port = False

    def __init__(self, address: tuple[str, int], app: WSGIApplication, verbose: bool) -> None:
        self.app = app
        self.verbose = verbose
        self.closing = False
        #: Connections accepted since listening.
        self.accepted = 0
        # Each open connection, and whether a request on it is being answered.
        self._connections: dict[RequestHandler, bool] = {}
        self._connections_lock = threading.Lock()
        # Must be known before the base class makes the socket.
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up with socket.getfqdn, which can wait on DNS for seconds;
        # the bound address is all the server needs.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Counted here, in the accepting thread, so the count is final once the serving loop has stopped.
        with self._connections_lock:
            self.accepted += 1
        super().process_request(request, client_address)

    def track(self, handler: RequestHandler) -> None:
        """A connection's thread started (called from that thread)."""
        with self._connections_lock:
            self._connections[handler] = False
            closing = self.closing
        if closing:
            _hang_up(handler.connection)  # accepted just as the server closed: do not wait for its request

    def untrack(self, handler: RequestHandler) -> None:
        """A connection is done."""
        with self._connections_lock:
            self._connections.pop(handler, None)

    def request_started(self, handler: RequestHandler) -> bool:
        """A request arrived on ``handler``'s connection; False once the server is closing (do not answer)."""
        with self._connections_lock:
            if self.closing:
                return False
            self._connections[handler] = True
            return True

    def request_done(self, handler: RequestHandler) -> None:
        """The request on ``handler``'s connection was answered; once closing, the connection closes too."""
        with self._connections_lock:
            if handler in self._connections:
                self._connections[handler] = False
            if self.closing:
                handler.close_connection = True

    def server_close(self) -> None:
        with self._connections_lock:
            self.closing = True
            idle = [handler for handler, busy in self._connections.items() if not busy]
        super().server_close()
        # A connection waiting for its next request would otherwise keep its thread (and the fake) answering
        # until the client closed it or REQUEST_TIMEOUT passed, after the server was shut down.
        for handler in idle:
            _hang_up(handler.connection)


def _hang_up(connection: socket.socket) -> None:
    # shutdown() rather than close(): the handler's thread, blocked reading, wakes with end-of-file and closes
    # the socket itself.
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
