"""Record and replay of real Stripe traffic, on vcrpy: cassettes matched as Stripe requests differ, scrubbed of
secrets, written atomically, and checked against the fake.

The pieces: ``cassette`` (the indexed cassette and its matching), ``scrub`` (what never reaches a file),
``scan`` (finding secrets in files), ``persist`` (safe loading, atomic writes), ``verify`` (the fake against
recordings). ``open_cassette`` is what the pytest plugin calls; vcrpy is imported only when a cassette is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["LIVE_KEY_PREFIXES", "RECORD_MODES", "is_recording", "open_cassette"]

#: ``--checkout-record-mode`` values, with pytest-recording's meanings: ``none`` replays only (a request the
#: cassette lacks is an error), ``once`` records a cassette that does not exist yet and replays one that does,
#: ``new_episodes`` replays what it has and records the rest, ``all`` records every request again, ``rewrite``
#: deletes the cassette first and records it anew.
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
#: Keys that act on real money: recording refuses them before any request leaves.
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


def is_recording(record_mode: str, path: Path) -> bool:
    """Whether a cassette in ``record_mode`` at ``path`` may send requests to Stripe."""
    if record_mode not in RECORD_MODES:
        raise ValueError(f"unknown record mode {record_mode!r}; one of {', '.join(RECORD_MODES)}")
    if record_mode == "none":
        return False
    if record_mode == "once":
        return not path.is_file() or path.stat().st_size == 0
    return True


def open_cassette(
    path: Path,
    *,
    record_mode: str,
    vcr_config: Mapping[str, Any] | None = None,
    normalize: Any = None,
    rerecord: str = "",
    pii: bool = False,
) -> Any:
    """A vcrpy cassette context (enter it to get the ``IndexedCassette``) for ``path`` in ``record_mode``.

    ``vcr_config`` are vcrpy options that override this package's (``checkout_vcr_config``); the scrubbers run
    before the user's own ``before_record_*`` hooks. ``record_on_exception`` is off: the caller decides whether
    a failed test's cassette is saved, by passing the exception to ``__exit__``.
    """
    import vcr

    from pytest_checkout.recording.cassette import CheckoutCassetteContext, IndexedCassette, checkout_matcher
    from pytest_checkout.recording.persist import CheckoutPersister
    from pytest_checkout.recording.scrub import make_scrubbers

    if record_mode not in RECORD_MODES:
        raise ValueError(f"unknown record mode {record_mode!r}; one of {', '.join(RECORD_MODES)}")
    if record_mode == "rewrite":
        if path.exists():
            os.remove(path)
        mode = "all"
    else:
        mode = record_mode
    options = dict(vcr_config or {})
    scrub_request, scrub_response = make_scrubbers(pii=pii)
    options["before_record_request"] = _chain(scrub_request, options.get("before_record_request"))
    options["before_record_response"] = _chain(scrub_response, options.get("before_record_response"))
    matcher = checkout_matcher(normalize)
    recorder = vcr.VCR(record_mode=mode, record_on_exception=False, decode_compressed_response=True)
    recorder.register_matcher("checkout", matcher)
    options.setdefault("match_on", ["checkout"])
    options.setdefault("serializer", "json" if path.suffix == ".json" else "yaml")
    options.setdefault("persister", CheckoutPersister)
    config = recorder.get_merged_config(path=str(path), **options)
    config["normalize"] = normalize
    config["rerecord"] = rerecord
    return CheckoutCassetteContext(IndexedCassette, lambda: dict(config))


def _chain(first: Any, then: Any) -> Any:
    """``first`` then the user's hook (one function or several), each seeing what the last gave."""
    if then is None:
        return first
    hooks = list(then) if isinstance(then, (list, tuple)) else [then]

    def chained(value: Any) -> Any:
        value = first(value)
        for hook in hooks:
            if value is None:
                return None
            value = hook(value)
        return value

    return chained
