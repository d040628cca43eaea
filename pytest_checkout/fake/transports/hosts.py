"""Which URLs belong to a fake: the one place that compares a request's URL with an ``api_base``.

Every adapter asks ``ApiBase.target(url)`` (through ``activation.lookup``), so every road agrees on what counts
as Stripe: the scheme and host compared without case, a trailing dot on the host ignored (``api.stripe.com.`` is
the same DNS name), the default port of the scheme written or not (``:443``), and the path under the base's own
path, if it has one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

__all__ = ["ApiBase", "canonical_origin", "matches_api_base"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_END = "/?#"


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port of a URL, written one way: lower case, no trailing dot, the port always given."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _split(url: str) -> tuple[str, str, str] | None:
    """``(scheme, netloc, rest)`` of an absolute URL, or None; ``rest`` is the path, query and fragment."""
    scheme, sep, remainder = url.partition("://")
    if not sep or not scheme:
        return None
    end = len(remainder)
    for char in _PATH_END:
        found = remainder.find(char, 0, end)
        if found != -1:
            end = found
    return scheme, remainder[:end], remainder[end:]


# Cached: the few hosts a test talks to are parsed once, not on every request.
@functools.lru_cache(maxsize=512)
def _origin(scheme: str, netloc: str) -> Origin | None:
    scheme = scheme.lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port is None:
        return None
    # User info never reaches the server as part of the host (clients turn it into an Authorization header).
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host, bracket, after = hostport[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            return None
        port_text = after[1:]
    else:
        host, _, port_text = hostport.partition(":")
    host = host.lower().rstrip(".")
    if not host:
        return None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    else:
        port = default_port
    return Origin(scheme, host, port)


def canonical_origin(url: str) -> Origin | None:
    """The origin of an absolute http(s) URL written one way, or None when the URL is not one."""
    parts = _split(url)
    if parts is None:
        return None
    return _origin(parts[0], parts[1])


@dataclass(frozen=True)
class ApiBase:
    """A parsed ``api_base``: what a fake answers. Build it with ``ApiBase.parse``."""

    url: str
    origin: Origin
    #: The base's own path without its trailing slash: "" for ``https://api.stripe.com``.
    path: str
    #: The base written the way clients usually write it (``https://api.stripe.com``), for a cheap first test.
    prefix: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        host = f"[{self.origin.host}]" if ":" in self.origin.host else self.origin.host
        port = "" if self.origin.port == _DEFAULT_PORTS.get(self.origin.scheme) else f":{self.origin.port}"
        object.__setattr__(self, "prefix", f"{self.origin.scheme}://{host}{port}{self.path}")

    @classmethod
    def parse(cls, api_base: str) -> ApiBase:
        """Parse ``api_base``; a ``ValueError`` says what is wrong with it."""
        if not isinstance(api_base, str):
            raise TypeError(f"api_base must be a str such as 'https://api.stripe.com', got {type(api_base).__name__}")
        example = "an http(s) URL such as 'https://api.stripe.com' or 'http://127.0.0.1:12111'"
        parts = _split(api_base.strip())
        if parts is None or _origin(parts[0], parts[1]) is None:
            raise ValueError(f"api_base must be {example}, got {api_base!r}")
        scheme, netloc, rest = parts
        if "@" in netloc:
            raise ValueError(f"api_base must not carry user info (send the API key as a header), got {api_base!r}")
        if "?" in rest or "#" in rest:
            raise ValueError(f"api_base must not have a query or a fragment, got {api_base!r}")
        origin = _origin(scheme, netloc)
        assert origin is not None
        return cls(url=api_base.strip().rstrip("/"), origin=origin, path=rest.rstrip("/"))

    def target(self, url: str) -> str | None:
        """What ``url`` asks of this base: its path and query relative to the base, or None if it is not under it.

        For a base without a path (the usual case) this is the URL's own path and query.
        """
        # Most URLs spell the base exactly as ``prefix`` does: answer those without parsing anything.
        prefix = self.prefix
        if url.startswith(prefix) and (len(url) == len(prefix) or url[len(prefix)] in _PATH_END):
            rest = url[len(prefix) - len(self.path) :].partition("#")[0]
        else:
            parts = _split(url)
            if parts is None or _origin(parts[0], parts[1]) != self.origin:
                return None
            rest = parts[2].partition("#")[0]
        if not self.path:
            return rest if rest.startswith("/") else "/" + rest
        if rest == self.path or (rest.startswith(self.path) and rest[len(self.path)] in "/?"):
            tail = rest[len(self.path) :]
            return tail if tail.startswith("/") else "/" + tail
        return None

    def same_host_other_scheme(self, url: str) -> bool:
        """True for a plain-HTTP URL to the host of an HTTPS base: a request that would send the key in clear."""
        origin = canonical_origin(url)
        return (
            origin is not None
            and origin.scheme == "http"
            and self.origin.scheme == "https"
            and origin.host == self.origin.host
        )


def matches_api_base(url: str, api_base: str) -> bool:
    """True if ``url`` is under ``api_base``, however the host is spelt (case, trailing dot, default port)."""
    return ApiBase.parse(api_base).target(url) is not None
