"""``python -m pytest_checkout``: command-line tools: ``serve``, the fake over HTTP; ``scan``, secrets in files;
``verify``, the fake against recorded cassettes.

::

    python -m pytest_checkout serve --host 127.0.0.1 --port 12111 [--seed N] [--now UNIX] [--verbose]

Exit status: 0 after Ctrl+C (or SIGTERM), 1 if the server cannot listen (port in use, unknown host), 2 for a
usage error.

::

    python -m pytest_checkout scan PATH [PATH ...]

Prints ``file:line: kind: masked`` for each secret in the files (a directory is walked for ``*.yaml``, ``*.yml``
and ``*.json``; see ``pytest_checkout.recording.scan``). Exit status: 1 if any was found, 0 if none, 2 for a
usage error (a path that does not exist).

::

    python -m pytest_checkout verify CASSETTE [CASSETTE ...]

Replays each cassette's requests on a fresh fake and prints, per interaction, what the fake answers differently
(see ``pytest_checkout.recording.verify``). Exit status: 1 if any interaction differs, 0 if none, 2 for a usage
error or a cassette that cannot be read.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from pytest_checkout.fake.server import DEFAULT_HOST, DEFAULT_PORT, banner, serve
from pytest_checkout.versions import API_VERSION

__all__ = ["build_parser", "main"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {port}")
    return port


def _version() -> str:
    """The installed distribution's version (``pyproject.toml``), or "unknown" when run from an uninstalled tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-checkout")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m pytest_checkout``."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_checkout",
        description=f"pytest-checkout: a fake of Stripe Checkout Sessions (API {API_VERSION}).",
    )
    parser.add_argument("--version", action="version", version=f"pytest-checkout {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve_parser = commands.add_parser(
        "serve",
        help="serve the fake over HTTP until Ctrl+C",
        description="Serve the fake of Stripe's Checkout Sessions endpoints over HTTP until Ctrl+C. Point a "
        "Stripe client's API base at the printed URL. Tests play the customer and move the clock through the "
        "helpers under /_pytest_checkout/ (see docs/served.md). State lives in memory and is lost on exit.",
    )
    serve_parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; any other than loopback draws a warning)",
    )
    serve_parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    serve_parser.add_argument("--seed", type=int, default=0, help="seed of the ids, for repeatable runs (default 0)")
    serve_parser.add_argument(
        "--now", type=int, default=None, metavar="UNIX", help="the fake's clock, in Unix seconds (default: now)"
    )
    serve_parser.add_argument("--verbose", action="store_true", help="log one line per request to stderr")
    scan_parser = commands.add_parser(
        "scan",
        help="find secrets (API keys, webhook and client secrets, bearer tokens) in cassettes",
        description="Report each Stripe secret key, restricted key, webhook secret, client secret or bearer token "
        "in the files, masked, as file:line: kind: excerpt. A directory is walked for *.yaml, *.yml and *.json. "
        "The placeholders the recording scrubber writes are not reported. Exit status 1 if anything is found.",
    )
    scan_parser.add_argument("paths", nargs="+", metavar="PATH", help="a file, or a directory to walk")
    verify_parser = commands.add_parser(
        "verify",
        help="replay cassettes on the fake and report where its answers differ from the recorded ones",
        description="Send each recorded request of the cassettes, in order, to a fresh fake and compare its "
        "answers with the recorded ones: status, error type, code, param and message, and every field of an "
        "object. Ids, unix times, URLs carrying ids, client secrets and request ids are normalised. Exit status "
        "1 if anything differs, 2 if a cassette cannot be read.",
    )
    verify_parser.add_argument("cassettes", nargs="+", metavar="CASSETTE", help="a cassette file (.yaml or .json)")
    return parser


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # A service manager's (or a test's) polite stop ends like Ctrl+C: socket closed, exit status 0.
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    listening = False

    def ready(url: str) -> None:
        nonlocal listening
        listening = True
        # Flushed: whoever started this process waits for the line to learn that (and where) it listens.
        print(banner(url), flush=True)

    try:
        serve(args.host, args.port, seed=args.seed, now=args.now, ready=ready, verbose=args.verbose)
    except KeyboardInterrupt:
        return 0
    except OSError as error:
        if listening:
            raise  # not a start-up problem: let the traceback show it
        if error.errno == errno.EADDRINUSE:
            reason = "the address is already in use (another server on this port? choose another --port)"
        else:
            reason = error.strerror or str(error)
        print(f"pytest-checkout: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    return 0


def _scan(paths: Sequence[str]) -> int:
    from pytest_checkout.recording.scan import scan_paths

    try:
        findings = scan_paths(paths)
    except OSError as error:  # no such path, or one that can not be read
        print(f"pytest-checkout scan: {error}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"pytest-checkout scan: {len(findings)} secret(s) found; re-record with the scrubber, or replace them",
            file=sys.stderr,
        )
    return 1 if findings else 0


def _verify(cassettes: Sequence[str]) -> int:
    from pytest_checkout.recording.verify import verify_command

    return verify_command(cassettes)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "scan":
        return _scan(args.paths)
    if args.command == "verify":
        return _verify(args.cassettes)
    # Python maps SIGINT to KeyboardInterrupt only if the parent left it at its default; a process started in
    # the background by a shell inherits it ignored, and Ctrl+C (or a test's SIGINT) would do nothing.
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return _serve(args)
    except KeyboardInterrupt:  # pragma: no cover - a Ctrl+C between two statements outside serve()
        return 0


if __name__ == "__main__":
    sys.exit(main())
