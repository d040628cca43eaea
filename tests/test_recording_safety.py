"""The safety half of recording: what the scrubbers keep out of cassettes, and the scan that checks files.

Every secret here is built at run time (``"sk_" + "live_" + token_hex``), so no secret-looking literal is ever
committed; the last tests hold the repository itself to the scan.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr import matchers
from vcr.cassette import Cassette
from vcr.request import Request
from vcr.serialize import serialize
from vcr.serializers import jsonserializer, yamlserializer

from pytest_checkout.recording import scrub
from pytest_checkout.recording.scan import Finding, mask, scan_paths, scan_text
from pytest_checkout.recording.scrub import make_scrubbers, scrub_request, scrub_response

ROOT = Path(__file__).resolve().parent.parent


# -- secrets, made now ----------------------------------------------------------------------------------------------


def secret_key(mode: str = "live") -> str:
    return "sk_" + mode + "_" + secrets.token_hex(12)


def restricted_key(mode: str = "test") -> str:
    return "rk_" + mode + "_" + secrets.token_hex(12)


def webhook_secret() -> str:
    return "whsec_" + secrets.token_hex(16)


def client_secret(prefix: str = "cs_test") -> str:
    return prefix + "_" + secrets.token_hex(16) + "_secret_" + secrets.token_hex(12)


def bearer_token() -> str:
    return "eyJ" + secrets.token_hex(10) + "." + secrets.token_hex(10)


def form(pairs: dict[str, str]) -> bytes:
    return "&".join(f"{k}={v}" for k, v in pairs.items()).encode()


def response(body: Any, headers: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"status": {"code": 200, "message": "OK"}, "headers": headers or {}, "body": {"string": body}}


def snapshot(request: Request) -> tuple[Any, ...]:
    return request.method, request.uri, request.body, dict(request.headers)


# -- requests -------------------------------------------------------------------------------------------------------


def test_a_request_with_every_secret_comes_out_clean() -> None:
    key, restricted, hook, session_secret = secret_key(), restricted_key(), webhook_secret(), client_secret()
    intent_secret, setup_secret = client_secret("pi"), client_secret("seti")
    body = form({"a": key, "b": restricted, "c": hook, "d": session_secret, "e": setup_secret})
    request = Request(
        "POST",
        f"https://api.stripe.com/v1/payment_intents/pi_1?client_secret={intent_secret}&key={key}",
        body,
        {
            "Authorization": f"Bearer {key}",
            "Stripe-Account": "acct_" + secrets.token_hex(8),
            "X-Stripe-Client-User-Agent": '{"uname": "my-laptop"}',
            "X-Stripe-Client-Telemetry": '{"last_request_metrics": {}}',
            "User-Agent": "Stripe/v1 PythonBindings/11.0.0 MyShop/2.1",
            "Cookie": "session=" + secrets.token_hex(8),
            "Content-Length": str(len(body)),
            "Idempotency-Key": "kept-as-is",
            "X-Forwarded-Secret": hook,
        },
    )
    before = snapshot(request)

    scrubbed = scrub_request(request)

    assert snapshot(request) == before  # the request that goes to Stripe is never touched
    text = scrubbed.uri + scrubbed.body.decode() + repr(dict(scrubbed.headers))
    for secret in (key, restricted, hook, session_secret, intent_secret, setup_secret):
        assert secret not in text
    assert scan_text(text) == []
    headers = scrubbed.headers
    assert headers["Authorization"] == "Bearer sk_test_REDACTED"
    assert headers["Stripe-Account"] == "acct_REDACTED"
    assert headers["User-Agent"] == scrub.USER_AGENT_PLACEHOLDER
    for removed in ("X-Stripe-Client-User-Agent", "X-Stripe-Client-Telemetry", "Cookie"):
        assert removed not in headers
    assert headers["Idempotency-Key"] == "kept-as-is"
    assert headers["X-Forwarded-Secret"] == "whsec_REDACTED"
    assert headers["Content-Length"] == str(len(scrubbed.body))
    assert scrubbed.query == sorted(
        [("client_secret", intent_secret.split("_secret_")[0] + "_secret_REDACTED"), ("key", "sk_live_REDACTED")]
    )
    assert scrubbed.body == form(
        {
            "a": "sk_live_REDACTED",
            "b": "rk_test_REDACTED",
            "c": "whsec_REDACTED",
            "d": session_secret.split("_secret_")[0] + "_secret_REDACTED",
            "e": setup_secret.split("_secret_")[0] + "_secret_REDACTED",
        }
    )


@pytest.mark.parametrize("scheme", ["Bearer", "Basic", "bearer"])
def test_authorization_keeps_its_scheme_word(scheme: str) -> None:
    key = secret_key("test")
    credential = base64.b64encode(f"{key}:".encode()).decode() if scheme == "Basic" else key
    request = Request("GET", "https://api.stripe.com/v1/customers", None, {"authorization": f"{scheme} {credential}"})

    value = scrub_request(request).headers["Authorization"]

    assert value.split(" ")[0].lower() == scheme.lower()
    assert credential not in value
    if scheme == "Basic":
        assert base64.b64decode(value.split(" ")[1]) == b"sk_test_REDACTED:"


def test_file_and_iterator_bodies_keep_their_shape() -> None:
    key = secret_key()
    data = form({"api_key": key})
    clean = b"api_key=sk_live_REDACTED"

    from_file = scrub_request(Request("POST", "https://api.stripe.com/v1/x", BytesIO(data), {}))
    assert isinstance(from_file.body, BytesIO)
    assert from_file.body.read() == clean

    chunks = iter([data[:15], data[15:]])  # the key is split between the two chunks
    from_iterator = scrub_request(Request("POST", "https://api.stripe.com/v1/x", chunks, {}))
    assert not isinstance(from_iterator.body, (bytes, BytesIO))
    assert b"".join(from_iterator.body) == clean


def test_scrubbing_twice_changes_nothing_so_live_requests_match_recorded_ones() -> None:
    email_body = form({"customer_email": "shopper%40mail.example", "key": secret_key()})
    request = Request("POST", "https://api.stripe.com/v1/x?k=" + secret_key(), email_body, {"Authorization": "x"})
    for pii in (False, True):
        once = scrub_request(request, pii=pii)
        assert snapshot(scrub_request(once, pii=pii)) == snapshot(once)


def test_a_cassette_keeps_no_secret_and_still_matches_the_next_live_request() -> None:
    before_request, before_response = make_scrubbers()
    intent_secret = client_secret("pi")
    uri = f"https://api.stripe.com/v1/payment_intents/pi_1?client_secret={intent_secret}"
    cassette = Cassette(
        "unused.yaml",
        before_record_request=before_request,
        before_record_response=before_response,
        match_on=[matchers.method, matchers.uri, matchers.body],
        allow_playback_repeats=True,
    )
    recorded_key = secret_key("test")
    body = json.dumps({"id": "pi_1", "object": "payment_intent", "client_secret": intent_secret}).encode()
    cassette.append(
        Request("GET", uri, None, {"Authorization": f"Bearer {recorded_key}"}),
        response(body, {"Content-Type": ["application/json"], "Set-Cookie": ["machine=1"]}),
    )

    for serializer in (yamlserializer, jsonserializer):
        text = serialize({"requests": cassette.requests, "responses": cassette.responses}, serializer)
        assert recorded_key not in text
        assert intent_secret not in text
        assert "machine=1" not in text
        assert scan_text(text) == []

    # Replay, on another machine with another key: the live request is scrubbed the same way before matching.
    live = Request("GET", uri, None, {"Authorization": f"Bearer {secret_key('test')}"})
    assert cassette.can_play_response_for(live)


# -- responses ------------------------------------------------------------------------------------------------------


def session_json(secret: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": secret.split("_secret_")[0],
        "object": "checkout.session",
        "client_secret": secret,
        "payment_intent": {"object": "payment_intent", "client_secret": client_secret("pi")},
        "line_items": {"data": [{"setup": {"client_secret": "not shaped like one"}}]},
        "customer_email": "shopper@mail.example",
        "customer_details": {
            "email": "shopper@mail.example",
            "name": "Ada Shopper",
            "phone": "+33612345678",
            "address": {
                "line1": "1 Rue X",
                "line2": None,
                "city": "Paris",
                "state": None,
                "postal_code": "75001",
                "country": "FR",
            },
            "tax_exempt": "none",
        },
        "shipping_details": {"name": "Ada Shopper", "address": {"line1": "1 Rue X", "country": "FR"}},
        "amount_total": 4000,
        **fields,
    }


def test_a_response_loses_cookies_client_secrets_and_secrets_in_headers() -> None:
    session_secret, hook = client_secret(), webhook_secret()
    data = session_json(session_secret, metadata={"note": hook}, nothing={"client_secret": None})
    text = json.dumps(data, indent=2)
    original = response(
        text.encode(),
        {
            "Set-Cookie": ["__stripe_mid=1; Secure"],
            "X-Debug": [f"Bearer {bearer_token()}"],
            "Stripe-Account": ["acct_" + secrets.token_hex(8)],
            "Content-Length": [str(len(text))],
            "Request-Id": ["req_123"],
        },
    )
    before = json.dumps(original, default=repr)

    scrubbed = scrub_response(original)

    assert json.dumps(original, default=repr) == before  # never mutated
    assert "Set-Cookie" not in scrubbed["headers"]
    assert scrubbed["headers"]["X-Debug"] == ["Bearer sk_test_REDACTED"]
    assert scrubbed["headers"]["Stripe-Account"] == ["acct_REDACTED"]
    assert scrubbed["headers"]["Request-Id"] == ["req_123"]
    assert scrubbed["status"] == original["status"]
    out = json.loads(scrubbed["body"]["string"])  # still valid JSON
    assert out["client_secret"] == data["id"] + "_secret_REDACTED"
    assert out["payment_intent"]["client_secret"].endswith("_secret_REDACTED")
    assert out["line_items"]["data"][0]["setup"]["client_secret"] == scrub.CLIENT_SECRET_PLACEHOLDER
    assert out["nothing"] == {"client_secret": None}
    assert out["metadata"] == {"note": "whsec_REDACTED"}
    assert out["customer_details"] == data["customer_details"]  # personal data stays without pii
    assert out["amount_total"] == 4000
    assert scrubbed["headers"]["Content-Length"] == [str(len(scrubbed["body"]["string"]))]
    assert scan_text(json.dumps(scrubbed, default=bytes.decode)) == []


@pytest.mark.parametrize("kind", [bytes, str])
def test_the_body_keeps_its_type_and_its_formatting(kind: Callable[..., Any]) -> None:
    key = secret_key()
    text = json.dumps({"id": "we_1", "object": "webhook_endpoint", "secret": webhook_secret(), "key": key}, indent=2)
    body = text.encode() if kind is bytes else text

    scrubbed = scrub_response(response(body))["body"]["string"]

    assert type(scrubbed) is kind
    as_text = scrubbed.decode() if isinstance(scrubbed, bytes) else scrubbed
    assert as_text.splitlines()[0:2] == text.splitlines()[0:2]  # only the secrets' text changed
    assert json.loads(as_text)["secret"] == "whsec_REDACTED"
    assert json.loads(as_text)["key"] == "sk_live_REDACTED"


def test_binary_and_plain_text_bodies_are_scrubbed_byte_for_byte() -> None:
    key = secret_key()
    binary = b"\xff\xfe\x00" + key.encode() + b"\x80"
    assert scrub_response(response(binary))["body"]["string"] == b"\xff\xfe\x00sk_live_REDACTED\x80"
    assert scrub_response(response(f"key: {key}"))["body"]["string"] == "key: sk_live_REDACTED"
    assert scrub_response(response(None))["body"]["string"] is None


def test_a_compressed_body_is_decompressed_then_scrubbed() -> None:
    data = session_json(client_secret())
    compressed = response(gzip.compress(json.dumps(data).encode()), {"Content-Encoding": ["gzip"]})

    scrubbed = scrub_response(compressed)

    out = json.loads(scrubbed["body"]["string"])
    assert out["client_secret"].endswith("_secret_REDACTED")
    assert all(name.lower() != "content-encoding" for name in scrubbed["headers"])
    with pytest.raises(ValueError, match="cannot scrub a response body in Content-Encoding 'zz'"):
        scrub_response(response(b"\x00", {"Content-Encoding": ["zz"]}))


# -- personal data --------------------------------------------------------------------------------------------------


def test_without_pii_personal_data_is_kept() -> None:
    data = session_json(client_secret())
    before_request, before_response = make_scrubbers()
    body = form({"customer_email": "shopper%40mail.example"})

    assert before_request(Request("POST", "https://api.stripe.com/v1/x", body, {})).body == body
    out = json.loads(before_response(response(json.dumps(data)))["body"]["string"])
    assert out["customer_details"] == data["customer_details"]
    assert out["customer_email"] == "shopper@mail.example"


def test_with_pii_sessions_and_customers_get_placeholders_and_keep_country_and_types() -> None:
    before_request, before_response = make_scrubbers(pii=True)
    customer = {
        "id": "cus_1",
        "object": "customer",
        "email": "shopper@mail.example",
        "name": None,
        "phone": "+33612345678",
        "address": {"line1": "1 Rue X", "city": "Paris", "country": "FR", "state": None},
        "shipping": {"name": "Ada Shopper", "phone": None, "address": {"city": "Paris", "country": "FR"}},
        "balance": 0,
    }
    event = {"object": "event", "data": {"object": session_json(client_secret(), customer=customer)}}
    listing = {"object": "list", "data": [event], "has_more": False}

    out = json.loads(before_response(response(json.dumps(listing, indent=2).encode()))["body"]["string"])

    session = out["data"][0]["data"]["object"]
    assert session["customer_email"] == scrub.PII_EMAIL == "jenny.rosen@example.com"
    assert session["customer_details"] == {
        "email": "jenny.rosen@example.com",
        "name": "Jenny Rosen",
        "phone": scrub.PII_PHONE,
        "address": {
            "line1": "510 Townsend St",
            "line2": None,
            "city": "San Francisco",
            "state": None,
            "postal_code": "94103",
            "country": "FR",
        },
        "tax_exempt": "none",
    }
    assert session["shipping_details"] == {
        "name": "Jenny Rosen",
        "address": {"line1": "510 Townsend St", "country": "FR"},
    }
    assert session["amount_total"] == 4000
    got = session["customer"]
    assert (got["email"], got["name"], got["phone"], got["balance"]) == (
        "jenny.rosen@example.com",
        None,
        "+15555550100",
        0,
    )
    assert got["address"] == {"line1": "510 Townsend St", "city": "San Francisco", "country": "FR", "state": None}
    assert got["shipping"] == {
        "name": "Jenny Rosen",
        "phone": None,
        "address": {"city": "San Francisco", "country": "FR"},
    }
    assert "shopper" not in json.dumps(out).lower()

    request = Request(
        "POST",
        "https://api.stripe.com/v1/customers?email=shopper%40mail.example",
        form(
            {
                "customer_email": "shopper%2Btag%40mail.example",
                "line_items[0][price_data][product_data][name]": "T-shirt",
            }
        ),
        {},
    )
    scrubbed = before_request(request)
    assert scrubbed.body == form(
        {"customer_email": "jenny.rosen%40example.com", "line_items[0][price_data][product_data][name]": "T-shirt"}
    )
    assert scrubbed.query == [("email", "jenny.rosen@example.com")]


# -- the scan -------------------------------------------------------------------------------------------------------

KINDS: dict[str, Callable[[], str]] = {
    "secret key": secret_key,
    "restricted key": restricted_key,
    "webhook secret": webhook_secret,
    "client secret": client_secret,
}


@pytest.mark.parametrize("kind", [*KINDS, "test-mode secret key", "payment intent client secret", "bearer token"])
def test_the_scan_finds_each_kind_on_its_line_masked(kind: str) -> None:
    made = {
        "test-mode secret key": lambda: secret_key("test"),
        "payment intent client secret": lambda: client_secret("pi"),
        "bearer token": bearer_token,
    }.get(kind) or KINDS[kind]
    secret = made()
    line = f"Bearer {secret}" if kind == "bearer token" else f'"value": "{secret}"'
    text = f"interactions:\n- request:\n    body: {line}\n    uri: https://api.stripe.com/v1/x\n"

    (finding,) = scan_text(text, "cassettes/x.yaml")

    expected_kind = {"test-mode secret key": "secret key", "payment intent client secret": "client secret"}
    assert finding.kind == expected_kind.get(kind, kind)
    assert (finding.path, finding.line) == ("cassettes/x.yaml", 3)
    masked = f"{secret[:8]}...{secret[-4:]}"
    assert finding.excerpt == (f"Bearer {masked}" if kind == "bearer token" else masked)
    assert secret not in str(finding)
    assert str(finding) == f"cassettes/x.yaml:3: {finding.kind}: {finding.excerpt}"


def test_a_key_after_bearer_is_one_finding_of_the_key() -> None:
    assert [f.kind for f in scan_text(f"Authorization: Bearer {secret_key()}")] == ["secret key"]


def test_a_bearer_token_folded_onto_the_next_line_is_found() -> None:
    (finding,) = scan_text(f"headers:\n  - Bearer\n    {bearer_token()}\n")
    assert (finding.kind, finding.line) == ("bearer token", 2)


def test_short_and_prose_strings_are_not_secrets() -> None:
    text = "sk_test_123 whsec_test Bearer instruments are paper api_key_secret_value pi_1_secret_2"
    assert scan_text(text) == []


def test_placeholders_are_not_findings() -> None:
    placeholders = [
        "sk_live_REDACTED",
        "sk_test_REDACTED",
        "rk_live_REDACTED",
        "rk_test_REDACTED",
        "whsec_REDACTED",
        client_secret().split("_secret_")[0] + "_secret_REDACTED",
        scrub.STRIPE_ACCOUNT_PLACEHOLDER,
        scrub.CLIENT_SECRET_PLACEHOLDER,
        scrub.USER_AGENT_PLACEHOLDER,
        scrub.PII_EMAIL,
        *scrub.AUTHORIZATION_PLACEHOLDERS.values(),
    ]
    assert scan_text("\n".join(placeholders)) == []
    everything = " ".join(f() for f in (*KINDS.values(), bearer_token)) + f" Bearer {bearer_token()}"
    assert len(scan_text(everything)) == 5
    assert scan_text(scrub.scrub_text(everything)) == []


def test_mask_shows_at_most_the_first_8_and_the_last_4() -> None:
    assert mask("abcdefghijklmnopqrstuvwxyz") == "abcdefgh...wxyz"
    assert mask("abcdefghij") == "abcde..."


def test_scan_paths_walks_directories_for_cassette_files(tmp_path: Path) -> None:
    key = secret_key()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "one.yaml").write_text(f"x: 1\ny: {key}\n")
    (tmp_path / "a" / "two.JSON").write_text(json.dumps({"k": key}))
    (tmp_path / "a" / "three.yml").write_text("nothing here\n")
    (tmp_path / "a" / "notes.txt").write_text(key)  # not a cassette: a walk skips it
    named = tmp_path / "named.txt"
    named.write_text(f"\n\n{key}")  # named explicitly: scanned whatever its name

    found = scan_paths([tmp_path / "a", str(named)])

    assert [(Path(f.path).name, f.line, f.kind) for f in found] == [
        ("one.yaml", 2, "secret key"),
        ("two.JSON", 1, "secret key"),
        ("named.txt", 3, "secret key"),
    ]
    assert all(isinstance(f, Finding) for f in found)
    with pytest.raises(FileNotFoundError, match="no-such"):
        scan_paths([tmp_path / "no-such"])


def run_scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_checkout", "scan", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def test_the_scan_command_exits_1_on_findings_0_without_and_2_for_a_usage_error(tmp_path: Path) -> None:
    key = secret_key()
    dirty = tmp_path / "cassettes" / "dirty.yaml"
    dirty.parent.mkdir()
    dirty.write_text(f"a: 1\nkey: {key}\n")
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({"Authorization": ["Bearer sk_test_REDACTED"]}))

    found = run_scan(str(tmp_path))
    assert found.returncode == 1, found.stderr
    assert found.stdout == f"{dirty}:2: secret key: {key[:8]}...{key[-4:]}\n"
    assert key not in found.stdout + found.stderr

    nothing = run_scan(str(clean))
    assert (nothing.returncode, nothing.stdout) == (0, "")

    missing = run_scan(str(clean), str(tmp_path / "missing"))
    assert missing.returncode == 2
    assert "missing" in missing.stderr
    assert run_scan().returncode == 2  # no path at all: argparse's usage error


# -- pre-commit, and the repository itself --------------------------------------------------------------------------


def test_the_pre_commit_hook_runs_the_scan_on_cassettes() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "pytest-checkout-scan"]
    assert hook["entry"] == "python -m pytest_checkout scan"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    for path in ("cassettes/test_shop/test_pay.yaml", "tests/cassettes/a.yml", "cassettes/b.json"):
        assert files.search(path), path
    for path in ("src/shop.py", "cassettes/README.md", "config.yaml", "notcassettes/a.yaml"):
        assert not files.search(path), path


def test_the_repository_passes_its_own_scan() -> None:
    roots = [ROOT / name for name in ("tests", "docs", "cassettes") if (ROOT / name).exists()]
    # This project's own safety files, whatever their suffix: none may hold a secret-looking literal.
    mine = [
        Path(__file__),
        ROOT / "docs" / "cassettes-security.md",
        ROOT / "pytest_checkout" / "recording" / "scrub.py",
        ROOT / "pytest_checkout" / "recording" / "scan.py",
        ROOT / ".pre-commit-hooks.yaml",
    ]
    assert scan_paths([*roots, *mine]) == []
