"""verify: a cassette's requests replayed on a fresh fake, and what its answers do differently.

The cassettes are recorded here, with vcrpy and the official SDK, against the fake served on 127.0.0.1 (a
server with another seed and clock than the fake that verifies, so ids and times differ as they would against
live Stripe). Every request goes to loopback, with a timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
import vcr
from vcr.request import Request

from pytest_checkout.fake.server import Server
from pytest_checkout.recording.persist import CassetteFileError, CassetteNotFoundError, CheckoutPersister
from pytest_checkout.recording.verify import MISSING, Difference, verify_cassette, verify_command
from pytest_checkout.versions import API_VERSION

TIMEOUT = 10  # seconds: any one request, or one CLI run
ROOT = Path(__file__).resolve().parent.parent
PARAMS: dict[str, Any] = {
    "mode": "payment",
    "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example/cart",
    "line_items": [
        {"price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000}, "quantity": 2}
    ],
}
CALLS = ["create", "retrieve", "list", "list_line_items", "expire", "error"]


def sdk(server: Server) -> stripe.StripeClient:
    session = requests.Session()
    session.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    return stripe.StripeClient(
        "sk_test_recordedkey123",
        base_addresses={"api": server.url},
        stripe_version=API_VERSION,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=TIMEOUT, session=session),
    )


def record(path: Path) -> str:
    """Record the six calls against a served fake; returns the recorded session's id."""
    with Server(port=0, seed="recording", now=1_660_000_000) as server:
        client = sdk(server)
        with vcr.VCR().use_cassette(str(path), record_mode="all", persister=CheckoutPersister):
            session = client.v1.checkout.sessions.create(params=PARAMS)
            client.v1.checkout.sessions.retrieve(session.id)
            client.v1.checkout.sessions.list(params={"limit": 3})
            client.v1.checkout.sessions.line_items.list(session.id, params={"expand": ["data.price.product"]})
            client.v1.checkout.sessions.expire(session.id)
            with pytest.raises(stripe.InvalidRequestError, match="Invalid mode"):
                client.v1.checkout.sessions.create(params={**PARAMS, "mode": "bogus"})
    return str(session.id)


@pytest.fixture(params=[".yaml", ".json"])
def cassette(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"checkout{request.param}"
    record(path)
    return path


def edit_response(path: Path, index: int, edit: Any) -> None:
    """Change the JSON body of the recorded response ``index`` in place, through the persister."""
    recorded, responses, *_ = CheckoutPersister.load_cassette(path)
    body = json.loads(responses[index]["body"]["string"])
    edit(body)
    responses[index]["body"]["string"] = json.dumps(body).encode()
    CheckoutPersister.save_cassette(path, {"requests": recorded, "responses": responses})


def hand_edited(path: Path) -> Path:
    copy = path.with_name(f"edited{path.suffix}")
    copy.write_bytes(path.read_bytes())
    edit_response(copy, 1, lambda body: body.update(amount_total=4100))
    edit_response(copy, 5, lambda body: body["error"].update(message="Invalid mode: pick another."))
    return copy


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_checkout", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 3,
        check=False,
    )


# -- the report -----------------------------------------------------------------------------------------------


def test_a_recording_of_the_fake_has_no_differences(cassette: Path) -> None:
    report = verify_cassette(cassette)
    assert [(i.index, i.method) for i in report.interactions] == [
        (0, "POST"),
        (1, "GET"),
        (2, "GET"),
        (3, "GET"),
        (4, "POST"),
        (5, "POST"),
    ]
    assert [i.differences for i in report.interactions] == [[]] * 6
    assert report.ok
    assert all(interaction.ok for interaction in report.interactions)
    assert report.interactions[0].path == "/v1/checkout/sessions"
    assert report.interactions[3].path.endswith("/line_items")


def test_recorded_ids_are_paired_with_the_fakes_and_sent_in_later_requests(cassette: Path) -> None:
    recorded_requests, _ = CheckoutPersister.load_cassette(cassette)[:2]
    session_id = recorded_requests[1].path.rsplit("/", 1)[1]
    report = verify_cassette(cassette)
    fake_id = report.ids[session_id]
    assert fake_id.startswith("cs_test_")
    assert fake_id != session_id  # another seed: the retrieve only found the session through the pairing
    assert {recorded.partition("_")[0] for recorded in report.ids} >= {"cs", "li", "price", "prod"}
    assert all(recorded != fake for recorded, fake in report.ids.items())


def test_a_hand_edited_field_and_message_are_reported(cassette: Path) -> None:
    report = verify_cassette(hand_edited(cassette))
    assert not report.ok
    assert [i.index for i in report.differing] == [1, 5]
    assert report.interactions[1].differences == [Difference("amount_total", 4100, 4000)]
    assert report.interactions[5].differences == [
        Difference(
            "error.message",
            "Invalid mode: pick another.",
            "Invalid mode: must be one of payment, setup, or subscription",
        )
    ]
    text = report.format()
    assert "amount_total: recorded 4100, fake 4000" in text
    assert "#0 POST /v1/checkout/sessions: no differences" in text
    assert "2 of 6 interactions differ" in text


def hand_written(path: Path, uri: str, request_body: str, status: int, body: dict[str, Any]) -> Path:
    """A one-interaction cassette, as a user's recording of live Stripe might hold."""
    response = {
        "status": {"code": status, "message": "OK"},
        "headers": {"Content-Type": ["application/json"], "Date": ["Mon, 08 Aug 2022 23:06:40 GMT"]},
        "body": {"string": json.dumps(body).encode()},
    }
    request = Request("POST", uri, request_body, {"Authorization": "Bearer sk_test_REDACTED"})
    CheckoutPersister.save_cassette(path, {"requests": [request], "responses": [response]})
    return path


def fake_answer(form: str) -> dict[str, Any]:
    from pytest_checkout.fake import CheckoutFake
    from pytest_checkout.fake.routes import handle

    answer = handle(CheckoutFake(), "POST", "/v1/customers", {"Authorization": "Bearer sk_test_x"}, form)
    body: dict[str, Any] = answer.json()
    return body


def test_missing_and_extra_fields_and_types_are_differences(tmp_path: Path) -> None:
    form = "email=ada%40example.com&name=Ada"
    body = fake_answer(form)
    body["id"] = "cus_LiveRecorded12345"
    body["created"] = 1_660_000_000  # another time: not a difference
    body["recorded_only"] = {"a": 1}
    del body["email"]
    body["livemode"] = 0  # an integer where the fake has a boolean
    body["name"] = "Ada"
    path = hand_written(tmp_path / "c.yaml", "https://api.stripe.com/v1/customers", form, 200, body)
    differences = {d.path: d for d in verify_cassette(path).interactions[0].differences}
    assert set(differences) == {"recorded_only", "email", "livemode"}
    assert differences["recorded_only"] == Difference("recorded_only", {"a": 1}, MISSING)
    assert differences["email"] == Difference("email", MISSING, "ada@example.com")
    assert str(differences["email"]) == "email: recorded (missing), fake 'ada@example.com'"
    assert differences["livemode"] == Difference("livemode", 0, False)


def test_a_status_that_differs_shows_the_error_behind_it(tmp_path: Path) -> None:
    body = {"id": "cs_test_a1RecordedSession0000000000", "object": "checkout.session"}
    path = hand_written(tmp_path / "c.json", "https://api.stripe.com/v1/checkout/sessions", "mode=payment", 200, body)
    differences = verify_cassette(path).interactions[0].differences
    assert differences[0] == Difference("(status)", 200, 400)
    assert [d.path for d in differences] == ["(status)", "error.type", "error.message"]
    assert differences[1].fake == "invalid_request_error"


def test_objects_made_before_the_recording_are_registered_on_a_fake_given(tmp_path: Path) -> None:
    from pytest_checkout.fake import CheckoutFake
    from pytest_checkout.fake.routes import handle

    price = "price_MadeInTheDashboard0001"
    form = "mode=payment&success_url=https%3A%2F%2Fa.example%2Fs&line_items[0][price]=" + price
    form += "&line_items[0][quantity]=1"

    def prepared() -> CheckoutFake:
        fake = CheckoutFake(seed="stripe")
        fake.add_price(id=price, unit_amount=1500, product_name="Coffee box")
        return fake

    recorded = handle(prepared(), "POST", "/v1/checkout/sessions", {"Authorization": "Bearer sk_test_x"}, form)
    assert recorded.status == 200
    uri = "https://api.stripe.com/v1/checkout/sessions"
    path = hand_written(tmp_path / "c.yaml", uri, form, 200, recorded.json())
    assert verify_cassette(path, fake=prepared()).ok
    alone = verify_cassette(path).interactions[0].differences
    assert alone[0] == Difference("(status)", 200, 400)
    assert alone[2] == Difference("error.message", MISSING, f"No such price: '{price}'")


def test_interactions_with_other_hosts_paths_are_skipped(tmp_path: Path) -> None:
    path = hand_written(tmp_path / "c.yaml", "https://shop.example/api/orders", "", 200, {"ok": True})
    report = verify_cassette(path)
    assert report.ok
    assert report.interactions[0].skipped is not None
    assert "skipped" in report.format()


def test_unreadable_cassettes_raise_the_persisters_errors(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError):
        verify_cassette(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("interactions: [")
    with pytest.raises(CassetteFileError):
        verify_cassette(tmp_path / "bad.yaml")


# -- the command line ---------------------------------------------------------------------------------------------


def test_the_command_reports_each_cassette_and_exits_by_what_it_found(tmp_path: Path) -> None:
    clean = tmp_path / "clean.yaml"
    record(clean)
    edited = hand_edited(clean)

    ok = cli("verify", str(clean))
    assert (ok.returncode, ok.stderr) == (0, "")
    assert f"{clean}: 6 interactions, no differences" in ok.stdout
    assert ok.stdout.count(": no differences") == 6  # each interaction

    differs = cli("verify", str(clean), str(edited))
    assert differs.returncode == 1
    assert f"{edited}: 6 interactions, 2 of 6 interactions differ" in differs.stdout
    assert "      amount_total: recorded 4100, fake 4000" in differs.stdout
    assert "      error.message: recorded 'Invalid mode: pick another.', fake 'Invalid mode: must be" in differs.stdout


def test_the_command_exits_2_for_a_usage_error_or_an_unreadable_cassette(tmp_path: Path) -> None:
    no_arguments = cli("verify")
    assert no_arguments.returncode == 2
    assert "CASSETTE" in no_arguments.stderr

    missing = cli("verify", str(tmp_path / "missing.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"pytest-checkout verify: cassette {tmp_path / 'missing.yaml'} does not exist"

    corrupt = tmp_path / "corrupt.yaml"
    corrupt.write_text("interactions: !!python/object/apply:os.system ['true']\n")
    refused = cli("verify", str(corrupt))
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(f"pytest-checkout verify: cassette {corrupt}: refused the YAML tag")
    assert "Traceback" not in refused.stderr


def test_verify_is_listed_in_the_help() -> None:
    shown = cli("--help")
    assert shown.returncode == 0
    assert "verify" in shown.stdout


def test_verify_command_writes_to_the_streams_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    path = hand_written(tmp_path / "c.yaml", "https://shop.example/x", "", 200, {})
    out, err = io.StringIO(), io.StringIO()
    assert verify_command([str(path), str(tmp_path / "none.yaml")], out, err) == 2
    assert "skipped" in out.getvalue()
    assert "does not exist" in err.getvalue()
    assert capsys.readouterr() == ("", "")
