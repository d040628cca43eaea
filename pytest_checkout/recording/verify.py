"""The fake against recordings: replay a cassette's requests on a fresh fake and report where its answers differ.

``verify_cassette(path)`` loads a cassette (with ``CheckoutPersister``) and sends each recorded request, in
order, to a new ``CheckoutFake`` through ``routes.handle``: the same method, path, query, headers and body, with
the placeholder key ``sk_test_verify`` in place of the recorded ``Authorization``. It compares the fake's answer
with the recorded one:

- the HTTP status;
- for an error, the error's ``type``, ``code``, ``param`` and ``message``;
- for an object, the set of fields at every level and each field's value.

Values that differ by nature between two runs are normalised, not compared: ids (the fake makes its own), unix
times (``created``, ``expires_at``, any ``..._at``), URLs that carry ids (a session's ``url``, a list's ``url``),
client secrets and request ids. A recorded id and the fake's id in the same place of the two answers are paired,
and the pairing is kept: a later request's path, query and body have the recorded ids replaced by the fake's
before it is sent, and a later answer that shows another id where a paired one was expected is a difference.
The fake's clock starts at the recording's first ``Date`` and follows the recorded ``Date`` of each answer, so
time passes for the fake as it did when the cassette was recorded.

``python -m pytest_checkout verify CASSETTE...`` prints the report of each cassette (``verify_command``).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from pytest_checkout.fake import testhelpers
from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.routes import FakeResponse, handle
from pytest_checkout.recording.persist import CassetteFileError, CassetteNotFoundError, CheckoutPersister

__all__ = [
    "MISSING",
    "VERIFY_API_KEY",
    "Difference",
    "InteractionReport",
    "VerifyReport",
    "verify_cassette",
    "verify_command",
]

#: The key every replayed request carries instead of the recorded one (a test-mode account of the fake).
VERIFY_API_KEY = "sk_test_verify"


class _Missing:
    """A field one side has and the other does not."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(missing)"

    def __bool__(self) -> bool:
        return False


#: The value of a ``Difference`` on the side that lacks the field.
MISSING: Any = _Missing()


@dataclass(frozen=True)
class Difference:
    """One place where the fake's answer is not the recorded one.

    ``path`` is the field's place in the JSON answer (``customer_details.address.city``, ``data[0].price.id``),
    or ``(status)`` for the HTTP status and ``(body)`` for a body that is not JSON. ``recorded`` and ``fake``
    are the two values; ``MISSING`` where a side has no such field.
    """

    path: str
    recorded: Any
    fake: Any

    def __str__(self) -> str:
        return f"{self.path}: recorded {_show(self.recorded)}, fake {_show(self.fake)}"


@dataclass
class InteractionReport:
    """What differed in one recorded interaction: its ``index`` in the cassette, method and recorded path."""

    index: int
    method: str
    path: str
    differences: list[Difference] = field(default_factory=list)
    #: Why the request was not sent to the fake (not a Stripe API path), or None.
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        """No differences."""
        return not self.differences


@dataclass
class VerifyReport:
    """The report of one cassette: one ``InteractionReport`` per recorded interaction, in order."""

    cassette: Path
    interactions: list[InteractionReport] = field(default_factory=list)
    #: The pairing of recorded ids with the fake's ids, as learned from the answers.
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No interaction differs."""
        return all(interaction.ok for interaction in self.interactions)

    @property
    def differing(self) -> list[InteractionReport]:
        """The interactions with differences."""
        return [interaction for interaction in self.interactions if not interaction.ok]

    def format(self) -> str:
        """The report as text: a line for the cassette, then each interaction and what differs in it."""
        count = len(self.interactions)
        summary = (
            "no differences"
            if self.ok
            else f"{len(self.differing)} of {count} interaction{'s' if count != 1 else ''} differ"
        )
        lines = [f"{self.cassette}: {count} interaction{'s' if count != 1 else ''}, {summary}"]
        for interaction in self.interactions:
            head = f"  #{interaction.index} {interaction.method} {interaction.path}"
            if interaction.skipped:
                lines.append(f"{head}: skipped ({interaction.skipped})")
            elif interaction.ok:
                lines.append(f"{head}: no differences")
            else:
                lines.append(f"{head}:")
                lines.extend(f"      {difference}" for difference in interaction.differences)
        return "\n".join(lines)


def _show(value: Any, limit: int = 120) -> str:
    if value is MISSING:
        return "(missing)"
    text = repr(value) if isinstance(value, str) else json.dumps(value, sort_keys=True, default=repr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- ids -----------------------------------------------------------------------------------------------------------

#: Prefixes of the ids paired between a recording and the fake (a Checkout Session's includes its mode).
ID_PREFIXES = (
    "cs_test",
    "cs_live",
    "pi",
    "cus",
    "li",
    "price",
    "prod",
    "seti",
    "sub",
    "si",
    "pm",
    "ch",
    "evt",
    "in",
    "promo",
    "shr",
)
# Stripe's ids (and the fake's) have at least 14 letters and digits after the prefix; words such as
# ``price_data`` or ``in_progress`` have fewer.
_ID_BODY = r"[A-Za-z0-9]{14,}"
_ID = re.compile(rf"(?<![A-Za-z0-9_])(?:{'|'.join(ID_PREFIXES)})_{_ID_BODY}(?![A-Za-z0-9])")
_WHOLE_ID = re.compile(rf"(?:{'|'.join(ID_PREFIXES)})_{_ID_BODY}")
_REQUEST_ID = re.compile(r"req_[A-Za-z0-9]{8,}")
_ANY_REQUEST_ID = re.compile(r"(?<![A-Za-z0-9_])req_[A-Za-z0-9]{8,}(?![A-Za-z0-9])")
_CLIENT_SECRET = re.compile(r"[a-z]+_[A-Za-z0-9]+_secret_[A-Za-z0-9]+")
# An API key in a message (Stripe masks most of it); the replay sends another key.
_API_KEY = re.compile(r"(?<![A-Za-z0-9_])(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*]+")
_TIMESTAMP_FIELDS = frozenset(
    {
        "created",
        "updated",
        "date",
        "start_date",
        "billing_cycle_anchor",
        "current_period_start",
        "current_period_end",
        "trial_start",
        "trial_end",
        "period_start",
        "period_end",
    }
)


def _kind(identifier: str) -> str:
    prefix, _, rest = identifier.partition("_")
    if prefix == "cs":
        return f"cs_{rest.partition('_')[0]}"
    return prefix


class _Ids:
    """Recorded ids paired with the fake's, both ways, so that one id never stands for two."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}

    def pair(self, recorded: str, fake: str) -> bool:
        """Pair the two (if neither is paired yet); whether they are consistent with the pairs so far."""
        if _kind(recorded) != _kind(fake):
            return False
        known = self.forward.get(recorded)
        if known is not None:
            return known == fake
        if self.backward.get(fake, recorded) != recorded:
            return False
        self.forward[recorded] = fake
        self.backward[fake] = recorded
        return True

    def substitute(self, text: str) -> str:
        """``text`` with each paired recorded id replaced by the fake's."""
        if not self.forward:
            return text
        return _ID.sub(lambda match: self.forward.get(match.group(0), match.group(0)), text)


def _normal_url(url: str) -> str:
    # Ids, request ids and the opaque fragment (Stripe's encoded session data) are not compared.
    url = url.partition("#")[0]
    url = _ID.sub(lambda match: f"<{_kind(match.group(0))}>", url)
    return _ANY_REQUEST_ID.sub("<req>", url)


def _is_url(value: str) -> bool:
    return value.startswith(("https://", "http://", "/v1/"))


def _normal_message(message: Any, ids: _Ids | None = None) -> Any:
    if not isinstance(message, str):
        return message
    if ids is not None:
        message = ids.substitute(message)
    message = _API_KEY.sub("<api key>", message)
    return _ANY_REQUEST_ID.sub("<req>", message)


# -- comparing -----------------------------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Comparison:
    def __init__(self, ids: _Ids) -> None:
        self.ids = ids
        self.differences: list[Difference] = []

    def differ(self, path: str, recorded: Any, fake: Any) -> None:
        self.differences.append(Difference(path or "(body)", recorded, fake))

    def walk(self, recorded: Any, fake: Any, path: str = "", key: str = "") -> None:
        if isinstance(recorded, Mapping) and isinstance(fake, Mapping):
            for name, value in recorded.items():
                child = _join(path, str(name))
                if name in fake:
                    self.walk(value, fake[name], child, str(name))
                else:
                    self.differ(child, value, MISSING)
            for name, value in fake.items():
                if name not in recorded:
                    self.differ(_join(path, str(name)), MISSING, value)
        elif isinstance(recorded, list) and isinstance(fake, list):
            for index, (one, other) in enumerate(zip(recorded, fake, strict=False)):
                self.walk(one, other, f"{path}[{index}]", key)
            for index in range(len(fake), len(recorded)):
                self.differ(f"{path}[{index}]", recorded[index], MISSING)
            for index in range(len(recorded), len(fake)):
                self.differ(f"{path}[{index}]", MISSING, fake[index])
        elif not self.same(recorded, fake, key):
            self.differ(path, recorded, fake)

    def same(self, recorded: Any, fake: Any, key: str) -> bool:
        if isinstance(recorded, bool) or isinstance(fake, bool):
            return recorded is fake
        if isinstance(recorded, str) and isinstance(fake, str):
            return self.same_text(recorded, fake, key)
        if isinstance(recorded, int) and isinstance(fake, int) and _is_time_field(key):
            return True
        if type(recorded) is not type(fake) and not (
            isinstance(recorded, (int, float)) and isinstance(fake, (int, float))
        ):
            return False
        return bool(recorded == fake)

    def same_text(self, recorded: str, fake: str, key: str) -> bool:
        if recorded == fake:
            if _WHOLE_ID.fullmatch(recorded):
                self.ids.pair(recorded, fake)
            return True
        if _WHOLE_ID.fullmatch(recorded) and _WHOLE_ID.fullmatch(fake):
            return self.ids.pair(recorded, fake)
        if _REQUEST_ID.fullmatch(recorded) and _REQUEST_ID.fullmatch(fake):
            return True
        if key == "client_secret" or (_CLIENT_SECRET.fullmatch(recorded) and _CLIENT_SECRET.fullmatch(fake)):
            return True
        if _is_url(recorded) and _is_url(fake):
            return _normal_url(recorded) == _normal_url(fake)
        return self.ids.substitute(recorded) == fake


def _is_time_field(key: str) -> bool:
    return key in _TIMESTAMP_FIELDS or key.endswith("_at")


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            if isinstance(value, (list, tuple)):
                value = value[0] if value else ""
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def _decoded_body(response: Mapping[str, Any]) -> bytes:
    body = response.get("body", {}).get("string") or b""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    encoding = (_header(response.get("headers", {}), "Content-Encoding") or "").strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw) if raw[:1] == b"\x78" else zlib.decompress(raw, -zlib.MAX_WBITS)
    except (OSError, zlib.error, EOFError):
        return raw
    return raw


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return MISSING


_ERROR_FIELDS = ("type", "code", "param", "message")


def _error_of(body: Any) -> Mapping[str, Any] | None:
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error: Mapping[str, Any] = body["error"]
        return error
    return None


def _compare(
    recorded_status: int, recorded_raw: bytes, answer: FakeResponse, ids: _Ids, method: str
) -> list[Difference]:
    comparison = _Comparison(ids)
    if recorded_status != answer.status:
        comparison.differ("(status)", recorded_status, answer.status)
    if method == "HEAD":
        return comparison.differences
    recorded, fake = _json(recorded_raw), _json(answer.body)
    recorded_error, fake_error = _error_of(recorded), _error_of(fake)
    recorded_failed, fake_failed = recorded_status >= 400, answer.status >= 400
    if recorded_failed or fake_failed:
        # An error is compared on what identifies it; for an error on one side only, it shows why.
        for name in _ERROR_FIELDS:
            mine = _normal_message(recorded_error.get(name), ids) if recorded_error is not None else MISSING
            theirs = _normal_message(fake_error.get(name)) if fake_error is not None else MISSING
            both = recorded_failed and fake_failed
            if (both and mine != theirs) or (not both and name in ("type", "message")):
                comparison.differ(f"error.{name}", mine, theirs)
        return comparison.differences
    if recorded is MISSING or fake is MISSING:
        if recorded_raw.strip() != answer.body.strip():
            comparison.differ(
                "(body)",
                recorded_raw.decode("utf-8", "replace") if recorded is MISSING else recorded,
                answer.body.decode("utf-8", "replace") if fake is MISSING else fake,
            )
        return comparison.differences
    comparison.walk(recorded, fake)
    return comparison.differences


# -- replaying -----------------------------------------------------------------------------------------------------


def _recorded_time(response: Mapping[str, Any]) -> int | None:
    value = _header(response.get("headers", {}), "Date")
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _request_headers(request: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        if str(name).lower() in ("authorization", "content-length", "host"):
            continue
        headers[str(name)] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    headers["Authorization"] = f"Bearer {VERIFY_API_KEY}"
    return headers


def _request_body(request: Any) -> bytes:
    body = getattr(request, "body_bytes", None)
    if body is None:
        body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    read = getattr(body, "read", None)
    return bytes(read()) if read is not None else b""


def _send(fake: CheckoutFake, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Any:
    helper = testhelpers.answer(fake, method, path, query, body, headers)
    if helper is not None:
        return helper
    return handle(fake, method, f"{path}?{query}" if query else path, headers, body)


def verify_cassette(path: str | os.PathLike[str], *, fake: CheckoutFake | None = None) -> VerifyReport:
    """Replay the cassette at ``path`` on a fresh fake and report what differs (see the module's docstring).

    ``fake`` replays on a fake of the caller's instead: one with the objects the recording names but did not
    create registered, under their recorded ids (``fake.add_price(id="price_...", ...)``, without ``api_key``
    or with ``api_key=VERIFY_API_KEY``). Its clock is only moved forward, to each answer's recorded ``Date``.

    Raises ``CassetteNotFoundError`` for a missing or empty cassette and ``CassetteFileError`` for one that can
    not be read.
    """
    cassette = Path(path)
    requests, responses, *_ = CheckoutPersister.load_cassette(cassette)
    times = [_recorded_time(response) for response in responses]
    if fake is None:
        fake = CheckoutFake(now=next((moment for moment in times if moment is not None), None))
    ids = _Ids()
    report = VerifyReport(cassette, ids=ids.forward)
    for index, (request, response) in enumerate(zip(requests, responses, strict=True)):
        method = str(request.method).upper()
        split = urlsplit(request.uri)
        recorded_path = split.path or "/"
        interaction = InteractionReport(index, method, recorded_path)
        report.interactions.append(interaction)
        if not recorded_path.startswith(("/v1/", testhelpers.PREFIX)):
            interaction.skipped = "not a Stripe API path; not sent to the fake"
            continue
        moment = times[index]
        if moment is not None and moment > fake.clock.now():
            fake.clock.set(moment)
        body = _request_body(request)
        with contextlib.suppress(UnicodeDecodeError):  # else sent as recorded, and refused as Stripe does
            body = ids.substitute(body.decode("utf-8")).encode("utf-8")
        answer = _send(
            fake, method, ids.substitute(recorded_path), ids.substitute(split.query), _request_headers(request), body
        )
        interaction.differences = _compare(
            int(response["status"]["code"]), _decoded_body(response), answer, ids, method
        )
    return report


def verify_command(cassettes: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``python -m pytest_checkout verify CASSETTE...``: print each cassette's report; the exit status.

    0 when no interaction differs, 1 when one does, 2 when a cassette can not be read (missing, empty or
    corrupt; the others are still verified).
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    status = 0
    for name in cassettes:
        try:
            report = verify_cassette(name)
        except CassetteNotFoundError:
            what = "is empty" if Path(name).is_file() else "does not exist"
            print(f"pytest-checkout verify: cassette {name} {what}", file=err)
            status = 2
            continue
        except CassetteFileError as error:
            print(f"pytest-checkout verify: {error}", file=err)
            status = 2
            continue
        print(report.format(), file=out)
        if not report.ok and status == 0:
            status = 1
    return status
