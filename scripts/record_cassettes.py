#!/usr/bin/env python
"""Record the project's own cassettes (``cassettes/``) against the fake served on 127.0.0.1.

The real API is out of reach where this project is built, so its cassettes are recordings of the fake, made
the way a user records live Stripe: ``STRIPE_API_BASE`` points at the server, ``STRIPE_API_KEY`` is a test key
(made up here, and scrubbed from the files), and the replay tests run once with ``--checkout-record-mode``.

    python scripts/record_cassettes.py   # rewrite the cassettes of tests/test_cassettes_replay.py and of the shop
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_checkout.fake.server import Server  # noqa: E402

#: The fake's clock while recording, so the recorded timestamps are the same on every recording.
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def main() -> int:
    with Server(port=0, seed=2026, now=NOW) as server:
        env = {
            **os.environ,
            "STRIPE_API_BASE": server.url,
            "STRIPE_API_KEY": "sk_test_" + secrets.token_hex(12),
        }
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_cassettes_replay.py",
            "examples/shop/test_shop_cassettes.py",
            "--checkout-record-mode=rewrite",
        ]
        return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
