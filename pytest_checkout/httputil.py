"""HTTP details shared by the client, the fake and the server: headers and API keys, each written once."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from http import HTTPStatus
from urllib.parse import unquote_plus

__all__ = ["API_KEY", "header", "is_live_key", "lowered_headers", "mask_key", "parse_form", "reason_phrase"]

#: A secret or restricted key as Stripe issues them: ``sk_test_...``, ``rk_live_...``.
API_KEY = re.compile(r"^(sk|rk)_(test|live)_[0-9A-Za-z]{1,255}$")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, looked up case-insensitively as HTTP wants; ``None`` when absent."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, found in headers.items():
        if key.lower() == lowered:
            return found
    return None


def lowered_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers by lower-case name: for code that reads several, one pass instead of a search per name.

    Of two spellings of one name the later wins (HTTP clients send each name once).
    """
    return {name.lower(): value for name, value in headers.items()}


def is_live_key(api_key: str | None) -> bool:
    """Whether a key is a live-mode one (``sk_live_``, ``rk_live_``): its requests act in live mode."""
    return bool(api_key) and "_live_" in str(api_key)


@functools.lru_cache(maxsize=256)  # every request logs its key masked; a client sends one key again and again
def mask_key(api_key: str) -> str:
    """``sk_test_...abcd``: enough to tell keys apart in a log or message, never enough to use one.

    A short key would be mostly revealed by its last four characters, so it shows none.
    """
    parts = api_key.split("_")
    prefix = f"{parts[0]}_{parts[1]}_" if len(parts) >= 3 and len(parts[0]) <= 4 else ""
    tail = api_key[-4:] if len(api_key) >= 16 else ""
    return f"{prefix}...{tail}"


def parse_form(text: str, max_fields: int | None = None, *, errors: str = "replace") -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, max_num_fields=max_fields)``, in a quarter of the time.

    Names whose only escapes are the brackets (``%5B``, ``%5D``: how the SDK writes nested names) are read with
    two replacements; other parts with ``%`` or ``+`` go through ``unquote_plus`` (which is what ``parse_qsl``
    does with every part). Raises ``ValueError`` for more than ``max_fields`` fields, as ``parse_qsl`` does. A
    property test holds the two equal.

    ``errors`` is how percent-escapes that are not UTF-8 (``%ff``) are decoded, as for ``bytes.decode``: by
    default each becomes U+FFFD, as with ``parse_qsl``; with ``"strict"`` they raise ``UnicodeDecodeError`` (a
    ``ValueError`` too, so catch it first to tell it from too many fields).
    """
    if not text:
        return []
    parts = text.split("&")
    if max_fields is not None and len(parts) > max_fields:
        raise ValueError(f"more than {max_fields} fields")
    out = []
    for part in parts:
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            # The SDK escapes the brackets of every nested name and nothing else of it.
            plain = name.replace("%5B", "[").replace("%5D", "]")
            name = plain if "%" not in plain and "+" not in plain else unquote_plus(name, errors=errors)
        if "%" in value or "+" in value:
            value = _unquote(value, errors) if len(value) <= _CACHED_LENGTH else unquote_plus(value, errors=errors)
        out.append((name, value))
    return out


#: Values up to this long are unquoted once and kept (4,096 of them at most: a few MB in the worst case).
_CACHED_LENGTH = 512


@functools.lru_cache(maxsize=4096)
def _unquote(value: str, errors: str) -> str:
    # Kept per value: an application sends the same URLs and names again and again, and unquote_plus is the
    # dearest step of reading a form.
    return unquote_plus(value, errors=errors)


def reason_phrase(status: int, unknown: str = "Unknown") -> str:
    """The reason phrase of an HTTP status (``404`` -> ``Not Found``); ``unknown`` for a code without one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return unknown


#: Control characters, which HTTP does not allow in a header value (RFC 9110, 5.5), tab excepted.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def escape_controls(value: str) -> str:
    """``value`` with its control characters written out (``\\x1b`` for ESC, ``\\x0d`` for a bare CR).

    A header value written into a warning or a log line (``Stripe-Version``), or echoed as a header
    (``Idempotency-Key``), can then neither forge a log line, nor colour a terminal, nor split an answer.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value) if _CONTROL.search(value) else value
