"""The pytest plugin, registered through the ``pytest11`` entry point as ``checkout``.

Fixtures, each an override point of its own:

- ``checkout_fake``: a ``CheckoutFake`` answering ``https://api.stripe.com`` for the test, reset after it.
- ``checkout_api_key``: the test-mode key the client fixtures use.
- ``checkout_client``: this package's ``Client`` bound to the fake.
- ``stripe_client``: the official ``stripe.StripeClient`` bound to the fake (needs the ``stripe`` package).
- ``checkout_webhook_secret``: a webhook signing secret made for the test, never written anywhere.

The marker ``@pytest.mark.checkout(seed=..., now=..., api_base=...)`` configures the fake of one test.

Cassettes (record and replay of real Stripe traffic, ``pytest_checkout.recording``):

- ``@pytest.mark.checkout_cassette`` (an optional name, ``record_mode=``, ``verify=True`` to check the fake
  against the cassette after the test): the test runs on a cassette, not on the fake. ``checkout_cassette``
  yields the active cassette; ``checkout_cassette_dir``, ``checkout_vcr_config`` and ``checkout_normalize`` are
  the override points.
- ``--checkout-record-mode`` (over the marker, over the ``checkout_record_mode`` ini value; default ``none``).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_checkout.client import Client
from pytest_checkout.fake import CheckoutFake, mock_checkout
from pytest_checkout.recording import LIVE_KEY_PREFIXES, RECORD_MODES
from pytest_checkout.versions import API_VERSION

_MARKER_KEYS = frozenset({"seed", "now", "api_base", "api_version", "strict_versions"})


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's options, in its own group of ``--help``, and its ini values."""
    group = parser.getgroup("checkout", "pytest-checkout (Stripe Checkout fake, cassettes)")
    group.addoption(
        "--checkout-record-mode",
        choices=RECORD_MODES,
        default=None,
        help="how checkout_cassette tests use their cassettes: none (replay only; the default, and CI's), once "
        "(record a missing cassette), new_episodes (record what is missing), all (record everything again), "
        "rewrite (delete and record anew). Over the marker's record_mode=, over the checkout_record_mode ini. "
        "Recording sends requests to STRIPE_API_BASE (default https://api.stripe.com) with STRIPE_API_KEY, "
        "which must be a test-mode key.",
    )
    parser.addini("checkout_record_mode", "default record mode of checkout_cassette tests (none)", default="none")
    parser.addini("checkout_cassette_dir", "where cassettes live, from the rootdir (cassettes)", default="cassettes")
    parser.addini(
        "checkout_fail_on_unused",
        "fail a replayed test that left recorded interactions unplayed (default: only report them)",
        type="bool",
        default=False,
    )
    parser.addini(
        "checkout_scrub_pii",
        "also replace emails, names, phones and addresses in recorded cassettes (default off)",
        type="bool",
        default=False,
    )


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    """Register the markers, so ``--strict-markers`` accepts them, and the Hypothesis profiles."""
    from pytest_checkout.profiles import register_profiles

    register_profiles()
    config.addinivalue_line(
        "markers",
        "checkout(seed=0, now=None, api_base='https://api.stripe.com', api_version='2022-08-01', "
        "strict_versions=False): configure the checkout_fake of this test",
    )
    config.addinivalue_line(
        "markers",
        "checkout_cassette(name=None, record_mode=None, verify=False): run the test on a cassette of real Stripe "
        "traffic (cassettes/<module>/<test>.yaml) instead of the fake; verify=True also checks the fake against it",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item: a failed test's cassette is not saved."""
    report = yield
    setattr(item, f"_checkout_report_{report.when}", report)
    return report


def pytest_report_header(config: pytest.Config) -> str:
    """Say which Stripe API versions the plugin models, so a run's log shows it."""
    from pytest_checkout import versions

    modelled = ", ".join(v.name for v in versions.all_versions())
    return f"pytest-checkout: Stripe API versions {modelled} (Checkout Sessions; default {API_VERSION})"


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("checkout")
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError(
            "@pytest.mark.checkout takes keyword arguments only: " + ", ".join(f"{k}=" for k in sorted(_MARKER_KEYS))
        )
    unknown = set(marker.kwargs) - _MARKER_KEYS
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.checkout got unknown arguments {sorted(unknown)}; it takes {sorted(_MARKER_KEYS)}"
        )
    return dict(marker.kwargs)


def _on_cassette(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("checkout_cassette") is not None


@pytest.fixture
def checkout_fake(request: pytest.FixtureRequest) -> Iterator[CheckoutFake]:
    """A stateful fake of Stripe Checkout answering the test's requests; reset after the test.

    In a ``checkout_cassette`` test the cassette answers instead, and this is a stand-in whose every helper
    raises: only the fake can play the customer (``complete``) or move time.
    """
    if _on_cassette(request):
        yield _NoFakeOnCassette(request.node.nodeid)  # type: ignore[misc]
        return
    with mock_checkout(**_marker_options(request)) as fake:
        yield fake


@pytest.fixture(scope="session")
def checkout_fake_factory() -> Callable[..., mock_checkout]:
    """Make a fresh fake per Hypothesis example: ``with checkout_fake_factory(seed=0, now=None) as fake:``.

    Session-scoped and stateless, so a ``@given`` test may use it (``checkout_fake`` is one fake per test,
    shared by every example, which Hypothesis's ``function_scoped_fixture`` health check refuses). Each ``with``
    activates a new ``CheckoutFake`` (``mock_checkout``) and resets it at the end of the block.
    """
    return mock_checkout


class _NoFakeOnCassette:
    """What ``checkout_fake`` is under a cassette: a clear error for each helper a test reaches for."""

    def __init__(self, nodeid: str) -> None:
        self._nodeid = nodeid

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            f"{self._nodeid} runs on a cassette of recorded Stripe traffic, so checkout_fake.{name} is not there: "
            "only the fake can play the customer (complete, settle_async_payment) or move its clock. Test that "
            "part on the fake (without @pytest.mark.checkout_cassette), or record what the customer did on "
            "Stripe's own pages."
        )


@pytest.fixture
def checkout_api_key(request: pytest.FixtureRequest) -> str:
    """The test-mode API key the client fixtures send (override to test another account or live mode).

    Under a cassette: ``STRIPE_API_KEY`` when recording (a live key is refused), else a placeholder, since a
    replay never sends one.
    """
    if _on_cassette(request) and getattr(request.getfixturevalue("checkout_cassette"), "checkout_recording", False):
        return _recording_key()
    return "sk_test_pytestcheckout"


@pytest.fixture
def checkout_api_base(request: pytest.FixtureRequest) -> str:
    """Where the client fixtures send requests: the fake's base, or under a cassette ``STRIPE_API_BASE``."""
    if _on_cassette(request):
        return os.environ.get("STRIPE_API_BASE") or "https://api.stripe.com"
    fake: CheckoutFake = request.getfixturevalue("checkout_fake")
    return fake.api_base


@pytest.fixture
def checkout_client(request: pytest.FixtureRequest, checkout_api_key: str, checkout_api_base: str) -> Iterator[Client]:
    """The typed Session client (``pytest_checkout.Client``), bound to ``checkout_fake`` (or to the cassette)."""
    if not _on_cassette(request):
        request.getfixturevalue("checkout_fake")
    with Client(checkout_api_key, api_base=checkout_api_base) as client:
        yield client


@pytest.fixture
def stripe_client(request: pytest.FixtureRequest, checkout_api_key: str, checkout_api_base: str) -> Any:
    """The official ``stripe.StripeClient``, bound to ``checkout_fake``, without retries.

    Its HTTP client is the in-process ``CheckoutHTTPClient`` (sync and async alike, no HTTP library in
    between), and it pins ``Stripe-Version`` to the version the fake models, so the fake never warns. Under a
    cassette it is the SDK's own ``RequestsClient`` (sync) and ``HTTPXClient`` (async), which the cassette answers.
    """
    try:
        import stripe
    except ImportError:
        pytest.fail("the stripe_client fixture needs the official SDK: pip install stripe", pytrace=False)
    if _on_cassette(request):
        http_client: Any = stripe.RequestsClient()
    else:
        from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient

        http_client = CheckoutHTTPClient(request.getfixturevalue("checkout_fake"))
    return stripe.StripeClient(
        checkout_api_key,
        base_addresses={"api": checkout_api_base},
        max_network_retries=0,
        stripe_version=API_VERSION,
        http_client=http_client,
    )


# -- cassettes ---------------------------------------------------------------------------------------------------


@pytest.fixture
def checkout_cassette_dir(request: pytest.FixtureRequest) -> Path:
    """The folder of the cassettes: the ``checkout_cassette_dir`` ini value, from the rootdir (``cassettes``)."""
    return Path(request.config.rootpath, str(request.config.getini("checkout_cassette_dir")))


@pytest.fixture
def checkout_vcr_config() -> dict[str, Any]:
    """vcrpy options for the test's cassette, over the plugin's (``match_on``, ``before_record_request``, ...)."""
    return {}


@pytest.fixture
def checkout_normalize() -> Any:
    """``normalize(method, path, params) -> params`` before matching, for values that differ on every run."""
    return None


@pytest.fixture
def checkout_cassette(
    request: pytest.FixtureRequest,
    checkout_cassette_dir: Path,
    checkout_vcr_config: dict[str, Any],
    checkout_normalize: Any,
) -> Iterator[Any]:
    """The test's cassette, active for the whole test (a ``pytest_checkout.recording.cassette.IndexedCassette``)."""
    from pytest_checkout.recording import is_recording, open_cassette
    from pytest_checkout.recording.scan import scan_paths

    marker = request.node.get_closest_marker("checkout_cassette")
    name = (marker.args[0] if marker is not None and marker.args else None) or _cassette_name(request.node)
    file_name = _safe(name) if name.endswith((".yaml", ".json")) else f"{_safe(name)}.yaml"
    path = checkout_cassette_dir / _module_folder(request.node) / file_name
    mode = _record_mode(request, marker)
    recording = is_recording(mode, path)
    if recording:
        _recording_key()
    rerecord = f"pytest {request.node.nodeid!r} --checkout-record-mode=new_episodes"
    context = open_cassette(
        path,
        record_mode=mode,
        vcr_config=checkout_vcr_config,
        normalize=checkout_normalize,
        rerecord=rerecord,
        pii=bool(request.config.getini("checkout_scrub_pii")),
    )
    written_before = _stamp(path)
    try:
        cassette = context.__enter__()
    except ValueError as error:  # a corrupt cassette: the persister's message names the file and the problem
        pytest.fail(str(error), pytrace=False)
    cassette.checkout_recording = recording
    failed = False
    try:
        yield cassette
    finally:
        report = getattr(request.node, "_checkout_report_call", None)
        failed = report is not None and report.failed
        if failed:
            context.__exit__(RuntimeError, RuntimeError("the test failed"), None)
        else:
            context.__exit__(None, None, None)
    if cassette.misses and not failed:
        # The application swallowed the error the cassette raised (the test itself already says it otherwise).
        pytest.fail(
            "\n\n".join(cassette.miss_message(key, cassette.nearest(key)) for key in cassette.misses),
            pytrace=False,
        )
    if not failed and path.exists() and _stamp(path) != written_before:
        # Only a file this test wrote: a cassette it merely replayed (one pytest-recording wrote, say) is the
        # user's, to scan with `python -m pytest_checkout scan`.
        found = scan_paths([path])
        if found:
            path.unlink()
            pytest.fail(
                f"pytest-checkout deleted {path}: it would have kept a secret ("
                + "; ".join(f"line {f.line}: {f.kind}" for f in found)
                + "). Scrub it with checkout_vcr_config's before_record_request/before_record_response.",
                pytrace=False,
            )
    if marker is not None and marker.kwargs.get("verify") and not failed and path.is_file():
        from pytest_checkout.recording.verify import verify_cassette

        report = verify_cassette(path)
        if not report.ok:
            pytest.fail(
                "pytest-checkout: the fake answers otherwise than this recording:\n" + report.format(), pytrace=False
            )
    unplayed = len(cassette) - len(cassette.play_counts) if cassette.record_mode == "none" else 0
    if unplayed and not failed:
        message = f"{path}: {unplayed} of {len(cassette)} recorded interactions were not played"
        if request.config.getini("checkout_fail_on_unused"):
            pytest.fail(message, pytrace=False)
        request.node.user_properties.append(("checkout_unplayed", message))
        request.config.stash.setdefault(_UNPLAYED, []).append(message)


_UNPLAYED = pytest.StashKey[list[str]]()


@pytest.fixture(autouse=True)
def _checkout_cassette_marker(request: pytest.FixtureRequest) -> None:
    """Activates ``checkout_cassette`` for a test with the ``checkout_cassette`` marker."""
    if _on_cassette(request):
        request.getfixturevalue("checkout_cassette")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Report the interactions cassettes held that no test played."""
    unplayed = config.stash.get(_UNPLAYED, [])
    if unplayed:
        terminalreporter.section("pytest-checkout: unplayed cassette interactions")
        for line in unplayed:
            terminalreporter.write_line(line)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _record_mode(request: pytest.FixtureRequest, marker: pytest.Mark | None) -> str:
    option = request.config.getoption("--checkout-record-mode")
    if option:
        return str(option)
    if marker is not None and marker.kwargs.get("record_mode"):
        mode = str(marker.kwargs["record_mode"])
    else:
        mode = str(request.config.getini("checkout_record_mode") or "none")
    if mode not in RECORD_MODES:
        raise pytest.UsageError(f"checkout record mode {mode!r} is not one of {', '.join(RECORD_MODES)}")
    return mode


def _recording_key() -> str:
    key = os.environ.get("STRIPE_API_KEY", "")
    if key.startswith(LIVE_KEY_PREFIXES):
        raise pytest.UsageError(
            "pytest-checkout refuses to record with a live-mode key (STRIPE_API_KEY starts with "
            f"{key[:8]!r}): recordings use Stripe's test mode only. Set STRIPE_API_KEY to an sk_test_ or rk_test_ key."
        )
    if not key:
        raise pytest.UsageError(
            "recording a cassette needs STRIPE_API_KEY (a test-mode key, sk_test_...) and, for a server other than "
            "Stripe's, STRIPE_API_BASE; or run with --checkout-record-mode=none to replay only"
        )
    return key


def _cassette_name(item: pytest.Item) -> str:
    # Class methods are Class.test; parametrized ids stay, made safe for every file system below.
    parts = item.nodeid.split("::")[1:]
    return ".".join(parts) or item.name


def _module_folder(item: pytest.Item) -> str:
    # The module's file name, as pytest-recording names its folders: its cassettes move over as they are.
    return _safe(Path(str(item.path)).stem)


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)


def _safe(name: str) -> str:
    """A file name that every file system takes: no reserved characters or names, no trailing dot or space."""
    safe = _UNSAFE.sub("_", name).rstrip(". ") or "_"
    if safe.split(".")[0].upper() in _RESERVED:
        safe = "_" + safe
    return safe[:200]


@pytest.fixture
def checkout_webhook_secret() -> str:
    """A webhook signing secret made for this test (random, so none is ever committed)."""
    return "whsec_" + secrets.token_hex(16)
