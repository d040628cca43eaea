"""Cassettes that answer Stripe requests the way Stripe requests differ: an indexed vcrpy cassette.

vcrpy matches a request by asking every matcher about every recorded interaction, so a replay costs the size of
the cassette per request. Here a request is reduced once to its key: the method, the path and the parameters
(query and body decoded as nested data with the project's codec, so field order does not count), after the
user's normaliser. Recorded requests are indexed by that key, and identical requests replay in recorded order.
Headers never count: ``Authorization``, ``Idempotency-Key`` and the client user agents differ on every run.

A request the cassette can not answer raises ``CassetteMiss``: it names the cassette file, the request, the
nearest recorded request with what differs, and the command that records it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from vcr.cassette import Cassette, CassetteContextDecorator
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.patch import CassettePatcherBuilder

from pytest_checkout import codec
from pytest_checkout.httputil import header, parse_form

__all__ = [
    "CassetteMiss",
    "CheckoutCassetteContext",
    "IndexedCassette",
    "Normalizer",
    "RequestKey",
    "checkout_matcher",
    "request_key",
    "request_params",
]

#: A user's hook for values that change between runs by nature: ``normalize(method, path, params) -> params``.
Normalizer = Callable[[str, str, dict[str, Any]], dict[str, Any]]
#: What a request is matched on: method, path and its parameters as canonical JSON.
RequestKey = tuple[str, str, str]


def request_params(request: Any) -> dict[str, Any]:
    """A vcrpy request's parameters: its query and its body, decoded as nested data (JSON bodies as JSON)."""
    split = urlsplit(request.uri)
    params: dict[str, Any] = codec.decode(parse_form(split.query)) if split.query else {}
    body = request.body
    text = bytes(body).decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else body or ""
    if text:
        content_type = header(request.headers, "Content-Type") or ""
        if "json" in content_type.lower():
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = {"": text}
            params.update(loaded if isinstance(loaded, dict) else {"": loaded})
        else:
            params.update(codec.decode(parse_form(text)))
    return params


def request_key(request: Any, normalize: Normalizer | None = None) -> RequestKey:
    """The key a request is matched on (see the module's docstring)."""
    method = str(request.method).upper()
    path = urlsplit(request.uri).path or "/"
    params = request_params(request)
    if normalize is not None:
        params = normalize(method, path, params)
    return method, path, json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def checkout_matcher(normalize: Normalizer | None = None) -> Callable[[Any, Any], None]:
    """A vcrpy matcher comparing two requests by their keys (for cassettes used without the index)."""

    def checkout(r1: Any, r2: Any) -> None:
        first, second = request_key(r1, normalize), request_key(r2, normalize)
        assert first == second, _describe_difference(first, second)

    return checkout


class CassetteMiss(CannotOverwriteExistingCassetteException):  # type: ignore[misc]  # vcrpy has no hints
    """A request the cassette has no answer for, in a mode that may not record it.

    A subclass of vcrpy's own error, so everything that handles vcrpy's handles this; its message says what
    to do. ``request`` is the key of the request, ``nearest`` the closest recorded key (or None).
    """

    def __init__(self, cassette: IndexedCassette, failed_request: Any, key: RequestKey) -> None:
        self.cassette = cassette
        self.failed_request = failed_request
        self.similar_requests: list[Any] = []
        self.request = key
        self.nearest = cassette.nearest(key)
        self.reason = "no_match" if self.nearest is not None else "nothing_similar"
        Exception.__init__(self, cassette.miss_message(key, self.nearest))


#: vcrpy's patch groups and the library each patches (vcrpy ``CassettePatcherBuilder.build``).
_PATCH_GROUP_LIBRARIES = {
    "requests": "requests",
    "boto3": "botocore",
    "urllib3": "urllib3",
    "httplib2": "httplib2",
    "tornado": "tornado",
    "aiohttp": "aiohttp",
    "httpx": "httpx",
    "httpx2": "httpx2",
}


@functools.cache
def absent_patch_groups() -> frozenset[str]:
    """vcrpy's patch groups whose library is not installed, looked up once per process.

    vcrpy tries to import each library at every cassette's entry, and a failed import searches the whole of
    ``sys.path``: skipping the groups it would find nothing for is the same patching, at a fraction of the cost
    (``bench/bench_cassettes.py``, entering and leaving a cassette).
    """
    return frozenset(
        group for group, library in _PATCH_GROUP_LIBRARIES.items() if importlib.util.find_spec(library) is None
    )


class _Playing:
    """The cassette that the shared patches answer from: the innermost one open, in any thread.

    vcrpy's stubs read their cassette's attributes; this one hands each read to the top of ``stack``. Only
    ``skip_patchers`` and ``custom_patches`` are its own: the patches are built for exactly these.
    """

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.skip_patchers = absent_patch_groups()
        self.custom_patches: tuple[Any, ...] = ()

    def __getattr__(self, name: str) -> Any:
        stack = self.__dict__.get("stack")
        if not stack:
            raise AttributeError(f"no cassette is open to answer {name!r}")
        return getattr(stack[-1], name)


class _Swap:
    """One attribute swapped in and back out, as ``mock.patch.object(target, name, new)`` does, for less.

    ``mock.patch`` spends most of its time on what a plain swap does not need (specs, autospec, the registry of
    active patches); with thirty of vcrpy's patches per cassette that was a fifth of entering one.
    """

    __slots__ = ("local", "name", "new", "original", "target")

    def __init__(self, target: Any, name: str, new: Any) -> None:
        self.target, self.name, self.new = target, name, new
        self.original: Any = None
        self.local = False

    @classmethod
    def of(cls, patcher: Any) -> Any:
        """``patcher`` as a ``_Swap`` where it is a plain ``mock.patch.object`` with a replacement; else itself."""
        plain = (
            type(patcher).__name__ == "_patch"
            and getattr(patcher, "new", mock.DEFAULT) is not mock.DEFAULT
            and not getattr(patcher, "create", True)
            and not getattr(patcher, "additional_patchers", True)
            and all(getattr(patcher, name, 1) is None for name in ("spec", "spec_set", "autospec", "new_callable"))
        )
        return cls(patcher.getter(), patcher.attribute, patcher.new) if plain else patcher

    def __enter__(self) -> None:
        try:
            self.original, self.local = self.target.__dict__[self.name], True
        except (AttributeError, KeyError):
            self.original, self.local = getattr(self.target, self.name), False
        setattr(self.target, self.name, self.new)

    def __exit__(self, *exc_info: object) -> None:
        if self.local:
            setattr(self.target, self.name, self.original)
        else:
            delattr(self.target, self.name)
            if not hasattr(self.target, self.name):
                setattr(self.target, self.name, self.original)
        self.original = None


class _SharedPatches:
    """vcrpy's patches, built once per process against ``_Playing`` and applied while any cassette is open.

    vcrpy builds its patches anew for each cassette: a subclass of every stub connection class, a wrapper per
    patched function, and an import attempt of every optional library (a failed import searches the whole of
    ``sys.path`` each time). That was half the time of entering and leaving a small cassette
    (``bench/bench_cassettes.py``). Built once, entering the first cassette applies them and leaving the last
    removes them; a nested cassette only becomes the one that answers. A cassette with ``custom_patches`` or
    other ``skip_patchers`` than these is patched by vcrpy its own way (``CheckoutCassetteContext``).
    """

    def __init__(self) -> None:
        self.playing = _Playing()
        self._lock = threading.Lock()
        self._patchers: list[Any] | None = None
        self._applied: contextlib.ExitStack | None = None

    def fits(self, cassette: Any) -> bool:
        return not cassette.custom_patches and frozenset(cassette.skip_patchers) == self.playing.skip_patchers

    def push(self, cassette: Any) -> None:
        with self._lock:
            self.playing.stack.append(cassette)
            if self._applied is not None:
                return
            try:
                if self._patchers is None:
                    self._patchers = [_Swap.of(patcher) for patcher in CassettePatcherBuilder(self.playing).build()]
                applied = contextlib.ExitStack()
                with applied:
                    for patcher in self._patchers:
                        applied.enter_context(patcher)
                    self._applied = applied.pop_all()
            except BaseException:
                self.playing.stack.remove(cassette)
                raise

    def pop(self, cassette: Any) -> None:
        with self._lock:
            stack = self.playing.stack
            for index in range(len(stack) - 1, -1, -1):
                if stack[index] is cassette:
                    del stack[index]
                    break
            if stack or self._applied is None:
                return
            applied, self._applied = self._applied, None
            try:
                applied.close()
            finally:
                # vcrpy's connection removers remember the pools they closed connections of: forget them, so
                # that the shared patches hold no pool past the last cassette.
                for patcher in self._patchers or ():
                    pools = getattr(patcher, "_connection_pool_to_connections", None)
                    if isinstance(pools, dict):
                        pools.clear()


_SHARED = _SharedPatches()


class CheckoutCassetteContext(CassetteContextDecorator):  # type: ignore[misc]  # vcrpy has no type hints
    """vcrpy's cassette context, with the patches shared by every cassette that fits them (``_SharedPatches``)."""

    def _patch_generator(self, cassette: Any) -> Iterator[Any]:
        if not _SHARED.fits(cassette):
            yield from super()._patch_generator(cassette)
            return
        _SHARED.push(cassette)
        try:
            yield cassette
        finally:
            _SHARED.pop(cassette)


class IndexedCassette(Cassette):  # type: ignore[misc]  # vcrpy has no type hints
    """A vcrpy ``Cassette`` that finds a request's recorded answers by key, in recorded order.

    Extra keywords (besides vcrpy's): ``normalize`` (a ``Normalizer``) and ``rerecord`` (the command line
    that records the test again, for the miss message).
    """

    def __init__(self, *args: Any, normalize: Normalizer | None = None, rerecord: str = "", **kwargs: Any) -> None:
        self.normalize = normalize
        self.rerecord = rerecord
        self._index: dict[RequestKey, list[int]] = {}
        # How many of ``data`` the index holds: what a cassette loads is indexed at its first request, so that a
        # cassette no request reaches (a test that fails or skips first) never decodes its interactions.
        self._indexed_upto = 0
        self.misses: list[RequestKey] = []
        self._loading = False
        super().__init__(*args, **kwargs)
        self.skip_patchers = frozenset(getattr(self, "skip_patchers", ())) | absent_patch_groups()
        # The index serves our matcher only; another match_on (from checkout_vcr_config) scans as vcrpy does.
        names = [getattr(m, "__name__", "") for m in self._match_on]
        self._indexed = names == ["checkout"]
        # vcrpy scrubs a live request three or four times on its way to an answer, the second time the copy the
        # first made: once is enough (scrubbing what is scrubbed changes nothing).
        scrub: Callable[[Any], Any] = getattr(self, "_before_record_request")  # noqa: B009 - set by vcrpy
        last: list[Any] = [None, None]

        def scrub_once(request: Any) -> Any:
            if request is last[1] and request is not None:
                return request
            if last[0] is not request:
                last[0], last[1] = request, scrub(request)
            return last[1]

        self._before_record_request = scrub_once

    def _load(self) -> None:
        self._loading = True
        try:
            super()._load()
        finally:
            self._loading = False

    def append(self, request: Any, response: Any) -> None:
        if self._loading:
            # What the file holds was scrubbed when it was written: keep it as it is (vcrpy would scrub and
            # deep-copy every interaction again on every load). It is indexed at the first request.
            self.data.append((request, response))
            return
        super().append(request, response)
        self._index_new()

    def _index_new(self) -> None:
        """Index what ``data`` holds beyond the index: the loaded interactions, then each one recorded."""
        index, data, normalize = self._index, self.data, self.normalize
        for position in range(self._indexed_upto, len(data)):
            index.setdefault(request_key(data[position][0], normalize), []).append(position)
        self._indexed_upto = len(data)

    def _responses(self, request: Any) -> Iterator[tuple[int, Any]]:
        if not self._indexed:
            yield from super()._responses(request)
            return
        request = self._before_record_request(request)
        if not request:
            return
        if self._indexed_upto < len(self.data):
            self._index_new()
        for index in self._index.get(self._key_of(request), ()):
            yield index, self.data[index][1]

    def _key_of(self, request: Any) -> RequestKey:
        cached = getattr(self, "_last_key", None)
        if cached is not None and cached[0] is request:
            return cached[1]  # type: ignore[no-any-return]
        key = request_key(request, self.normalize)
        self._last_key = (request, key)
        return key

    def can_play_response_for(self, request: Any) -> bool:
        playable = bool(super().can_play_response_for(request))
        if not playable and self.write_protected:
            scrubbed = self._before_record_request(request)
            if scrubbed:
                key = self._key_of(scrubbed)
                self.misses.append(key)
                raise CassetteMiss(self, request, key)
        return playable

    def find_requests_with_most_matches(self, request: Any) -> list[Any]:
        # vcrpy calls this for its own error message; ours (CassetteMiss) says more, for less.
        return []

    # -- what a miss says ------------------------------------------------------------------------------------------

    def nearest(self, key: RequestKey) -> RequestKey | None:
        """The recorded key closest to ``key``: same method and path first, then the fewest differing params."""
        if not self.data:
            return None
        keys = [request_key(request, self.normalize) for request, _ in self.data]

        def distance(other: RequestKey) -> tuple[int, int, int]:
            return (other[1] != key[1], other[0] != key[0], len(_param_diff(key[2], other[2])))

        return min(keys, key=distance)

    def miss_message(self, key: RequestKey, nearest: RequestKey | None) -> str:
        method, path, params = key
        lines = [
            f"pytest-checkout: the cassette {self._path} has no recorded answer for this request, and its record "
            f"mode ({getattr(self.record_mode, 'value', self.record_mode)}) may not record one:",
            f"  {method} {path} {params}",
        ]
        if nearest is None:
            lines.append("  The cassette is empty (or was not found).")
        else:
            lines.append(f"  Nearest recorded: {nearest[0]} {nearest[1]} {nearest[2]}")
            lines.extend(f"    {line}" for line in _describe_difference(key, nearest).splitlines())
        if self.rerecord:
            lines.append(f"  To record it: {self.rerecord}")
        return "\n".join(lines)


def _param_diff(first: str, second: str) -> list[str]:
    a, b = _flatten(json.loads(first)), _flatten(json.loads(second))
    out = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            out.append(f"{name}: {a[name]!r} is not in the recorded request")
        elif name not in a:
            out.append(f"{name}: the recorded request has {b[name]!r}")
        elif a[name] != b[name]:
            out.append(f"{name}: {a[name]!r}, recorded {b[name]!r}")
    return out


def _describe_difference(first: RequestKey, second: RequestKey) -> str:
    parts = []
    if first[0] != second[0]:
        parts.append(f"method: {first[0]}, recorded {second[0]}")
    if first[1] != second[1]:
        parts.append(f"path: {first[1]}, recorded {second[1]}")
    parts.extend(_param_diff(first[2], second[2]))
    return "\n".join(parts) or "no difference in method, path or params"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}[{key}]" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{index}]"))
        return out or {prefix: []}
    return {prefix: value}
