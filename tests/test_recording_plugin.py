"""The cassette half of the plugin, through ``pytester``: record against the fake served on 127.0.0.1 (the real
API is out of reach here; users record live Stripe with their own test keys), then replay with nothing listening.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

# Imported here, so that the in-process pytester runs do not import them afresh each time: PyYAML's C loader
# does not survive its Python module being imported twice in one process ("no constructor for the tag None").
import vcr
import vcr.serializers.yamlserializer  # noqa: F401
import yaml

from pytest_checkout.fake.server import Server

NOW = 1_700_000_000

APP_TEST = """
import pytest

PARAMS = {
    "mode": "payment",
    "success_url": "https://shop.example/ok",
    "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "Tee"}, "unit_amount": 2000},
                    "quantity": QUANTITY}],
}


@pytest.mark.checkout_cassette
def test_buy(stripe_client):
    created = stripe_client.v1.checkout.sessions.create(params=PARAMS)
    again = stripe_client.v1.checkout.sessions.retrieve(created.id)
    assert again.amount_total == 2000 * QUANTITY
"""


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(port=0, now=NOW) as running:
        yield running


def new_test_key() -> str:
    return "sk_test_" + secrets.token_hex(12)


def recording_env(monkeypatch: pytest.MonkeyPatch, server: Server) -> str:
    key = new_test_key()
    monkeypatch.setenv("STRIPE_API_BASE", server.url)
    monkeypatch.setenv("STRIPE_API_KEY", key)
    return key


def app(pytester: pytest.Pytester, quantity: int = 1) -> None:
    pytester.makepyfile(test_app=APP_TEST.replace("QUANTITY", str(quantity)))


def cassette_of(pytester: pytest.Pytester, name: str = "test_buy") -> Path:
    return pytester.path / "cassettes" / "test_app" / f"{name}.yaml"


def test_the_options_are_in_the_plugins_own_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    assert "pytest-checkout (Stripe Checkout fake, cassettes):" in text
    group = text.split("pytest-checkout (Stripe Checkout fake, cassettes):")[1]
    assert "--checkout-record-mode" in group
    assert "{none,once,new_episodes,all,rewrite}" in group
    assert "checkout_cassette_dir" in text


def test_record_once_then_replay_with_nothing_listening(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = recording_env(monkeypatch, server)
    app(pytester)
    pytester.runpytest("--checkout-record-mode=once").assert_outcomes(passed=1)
    path = cassette_of(pytester)
    text = path.read_text()
    assert text.count("uri:") == 2
    assert key not in text
    assert key[-8:] not in text
    served = len(server.fake.requests)
    assert served == 2
    # Replay: the default mode, no key, and the server's requests do not grow.
    monkeypatch.delenv("STRIPE_API_KEY")
    monkeypatch.setenv("STRIPE_API_BASE", "https://api.stripe.com")
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(server.fake.requests) == served


def test_a_request_the_cassette_lacks_names_the_file_the_nearest_and_the_command(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    app(pytester, quantity=1)
    pytester.runpytest("--checkout-record-mode=once").assert_outcomes(passed=1)
    monkeypatch.delenv("STRIPE_API_KEY")
    app(pytester, quantity=3)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "has no recorded answer for this request" in text
    assert str(cassette_of(pytester)) in text
    assert "line_items[0][quantity]: '3', recorded '1'" in text
    assert "--checkout-record-mode=new_episodes" in text


def test_a_live_key_is_refused_before_any_request(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", server.url)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_" + "live_" + secrets.token_hex(12))
    app(pytester)
    result = pytester.runpytest("--checkout-record-mode=all")
    assert "refuses to record with a live-mode key" in result.stdout.str()
    assert result.ret != 0
    assert len(server.fake.requests) == 0
    assert not cassette_of(pytester).exists()


def test_recording_without_a_key_says_what_to_set(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    app(pytester)
    result = pytester.runpytest("--checkout-record-mode=once")
    assert "recording a cassette needs STRIPE_API_KEY" in result.stdout.str()


def test_a_failing_test_does_not_write_its_cassette(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makepyfile(
        test_app="""
        import pytest

        @pytest.mark.checkout_cassette
        def test_buy(stripe_client):
            stripe_client.v1.checkout.sessions.list()
            assert False, "the test fails after a request"
        """
    )
    pytester.runpytest("--checkout-record-mode=all").assert_outcomes(failed=1)
    assert not cassette_of(pytester).exists()


def test_names_classes_parameters_and_the_markers_name(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makepyfile(
        test_app="""
        import pytest

        class TestShop:
            @pytest.mark.checkout_cassette
            @pytest.mark.parametrize("kind", ["a/b", 'c:d*"e'])
            def test_list(self, stripe_client, kind):
                stripe_client.v1.checkout.sessions.list()

        @pytest.mark.checkout_cassette("shared_name")
        def test_named(stripe_client):
            stripe_client.v1.checkout.sessions.list()
        """
    )
    pytester.runpytest("--checkout-record-mode=once").assert_outcomes(passed=3)
    names = sorted(p.name for p in (pytester.path / "cassettes" / "test_app").iterdir() if p.suffix == ".yaml")
    assert names == ["TestShop.test_list[a_b].yaml", "TestShop.test_list[c_d__e].yaml", "shared_name.yaml"]


def test_the_cassette_folder_from_the_ini_and_from_a_fixture(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makeini("[pytest]\ncheckout_cassette_dir = recorded\n")
    app(pytester)
    pytester.runpytest("--checkout-record-mode=once").assert_outcomes(passed=1)
    assert (pytester.path / "recorded" / "test_app" / "test_buy.yaml").is_file()
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def checkout_cassette_dir(tmp_path_factory):
            return tmp_path_factory.getbasetemp() / "elsewhere"
        """
    )
    result = pytester.runpytest("--checkout-record-mode=once", "-s")
    result.assert_outcomes(passed=1)
    assert len(list(pytester.path.parent.rglob("elsewhere/test_app/test_buy.yaml"))) == 1


def test_command_line_over_marker_over_ini(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makeini("[pytest]\ncheckout_record_mode = once\n")
    pytester.makepyfile(
        test_app="""
        import pytest

        @pytest.mark.checkout_cassette(record_mode="none")
        def test_marked(checkout_cassette):
            print("MODE", checkout_cassette.record_mode.value)

        @pytest.mark.checkout_cassette
        def test_plain(checkout_cassette):
            print("MODE", checkout_cassette.record_mode.value)
        """
    )
    marked_and_ini = pytester.runpytest("-s").stdout.str()
    assert marked_and_ini.count("MODE none") == 1
    assert marked_and_ini.count("MODE once") == 1
    assert pytester.runpytest("-s", "--checkout-record-mode=all").stdout.str().count("MODE all") == 2


def test_the_fakes_helpers_under_a_cassette_say_only_the_fake_plays_the_customer(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_app="""
        import pytest

        @pytest.mark.checkout_cassette
        def test_pay(checkout_fake):
            checkout_fake.complete("cs_test_1")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert "only the fake can play the customer" in result.stdout.str()


def test_repeated_identical_requests_replay_in_recorded_order(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makepyfile(
        test_app="""
        import pytest

        PARAMS = {"mode": "setup", "success_url": "https://x.example/ok", "payment_method_types": ["card"]}

        @pytest.mark.checkout_cassette
        def test_twice(stripe_client):
            first = stripe_client.v1.checkout.sessions.create(params=PARAMS)
            second = stripe_client.v1.checkout.sessions.create(params=PARAMS)
            print("IDS", first.id, second.id)
            assert first.id != second.id
        """
    )
    recorded = pytester.runpytest("--checkout-record-mode=once", "-s")
    recorded.assert_outcomes(passed=1)
    monkeypatch.delenv("STRIPE_API_KEY")
    replayed = pytester.runpytest("-s")
    replayed.assert_outcomes(passed=1)
    ids = re.search(r"IDS (\S+) (\S+)", recorded.stdout.str())
    assert ids is not None
    assert ids.group(0) in replayed.stdout.str()


def test_a_normaliser_matches_values_that_change_on_every_run(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def checkout_normalize():
            def normalize(method, path, params):
                params.pop("client_reference_id", None)  # a per-run order number, say
                return params
            return normalize
        """
    )
    pytester.makepyfile(
        test_app="""
        import time
        import pytest

        @pytest.mark.checkout_cassette
        def test_ref(stripe_client):
            stripe_client.v1.checkout.sessions.create(params={
                "mode": "setup", "success_url": "https://x.example/ok", "payment_method_types": ["card"],
                "client_reference_id": str(time.time_ns()),
            })
        """
    )
    pytester.runpytest("--checkout-record-mode=once").assert_outcomes(passed=1)
    monkeypatch.delenv("STRIPE_API_KEY")
    pytester.runpytest().assert_outcomes(passed=1)


def test_unplayed_interactions_are_reported_and_an_ini_makes_them_fail(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    app(pytester)
    pytester.runpytest("--checkout-record-mode=once").assert_outcomes(passed=1)
    monkeypatch.delenv("STRIPE_API_KEY")
    pytester.makepyfile(
        test_app="""
        import pytest

        @pytest.mark.checkout_cassette
        def test_buy(stripe_client):
            pass
        """
    )
    reported = pytester.runpytest()
    reported.assert_outcomes(passed=1)
    assert "2 of 2 recorded interactions were not played" in reported.stdout.str()
    pytester.makeini("[pytest]\ncheckout_fail_on_unused = true\n")
    failing = pytester.runpytest()
    assert failing.ret != 0
    assert "were not played" in failing.stdout.str()


def test_module_style_the_seed_client_and_async_replay(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makepyfile(
        test_app="""
        import asyncio
        import pytest
        import stripe
        from pytest_checkout.client import Session

        PARAMS = {"mode": "setup", "success_url": "https://x.example/ok", "payment_method_types": ["card"]}

        @pytest.mark.checkout_cassette
        def test_module_style(checkout_api_key, checkout_api_base, monkeypatch):
            monkeypatch.setattr(stripe, "api_key", checkout_api_key)
            monkeypatch.setattr(stripe, "api_base", checkout_api_base)
            monkeypatch.setattr(stripe, "max_network_retries", 0)
            monkeypatch.setattr(stripe, "api_version", "2022-08-01")  # PARAMS are 2022-08-01's
            assert stripe.checkout.Session.create(**PARAMS).status == "open"

        @pytest.mark.checkout_cassette
        def test_seed_client(checkout_client):
            assert Session.create(checkout_client, PARAMS).status == "open"

        @pytest.mark.checkout_cassette
        def test_async(checkout_api_key, checkout_api_base):
            client = stripe.StripeClient(checkout_api_key, base_addresses={"api": checkout_api_base},
                                         http_client=stripe.HTTPXClient(), max_network_retries=0,
                                         stripe_version="2022-08-01")
            session = asyncio.run(client.v1.checkout.sessions.create_async(params=PARAMS))
            assert session.status == "open"
        """
    )
    pytester.runpytest("--checkout-record-mode=once", "-W", "ignore::DeprecationWarning").assert_outcomes(passed=3)
    monkeypatch.delenv("STRIPE_API_KEY")
    monkeypatch.setenv("STRIPE_API_BASE", "https://api.stripe.com")
    pytester.runpytest("-W", "ignore::DeprecationWarning").assert_outcomes(passed=3)


def test_installed_next_to_pytest_recording_neither_breaks_the_other(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pytest_recording", reason="pytest-recording is in the test extras")
    recording_env(monkeypatch, server)
    pytester.makepyfile(
        test_app="""
        import os
        import pytest
        import requests

        @pytest.mark.vcr
        def test_theirs():
            base = os.environ["STRIPE_API_BASE"]
            assert requests.get(base + "/v1/checkout/sessions", auth=("sk_test_x", "")).status_code == 200

        @pytest.mark.checkout_cassette
        def test_ours(stripe_client):
            stripe_client.v1.checkout.sessions.list()
        """
    )
    # In a subprocess: pytest-recording's module does not survive pytester's in-process re-imports.
    result = pytester.runpytest_subprocess("--record-mode=once", "--checkout-record-mode=once")
    result.assert_outcomes(passed=2)
    assert (pytester.path / "cassettes" / "test_app" / "test_theirs.yaml").is_file()  # pytest-recording's
    assert (pytester.path / "cassettes" / "test_app" / "test_ours.yaml").is_file()
    assert "--checkout-record-mode" in pytester.runpytest("--help").stdout.str()


def test_a_cassette_pytest_recording_wrote_replays_unchanged(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pytest_recording", reason="pytest-recording is in the test extras")
    recording_env(monkeypatch, server)
    pytester.makepyfile(
        test_app="""
        import pytest

        PARAMS = {"mode": "setup", "success_url": "https://x.example/ok", "payment_method_types": ["card"]}

        @pytest.mark.vcr
        def test_buy():
            import os
            import stripe
            base = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
            key = os.environ.get("STRIPE_API_KEY", "sk_test_replay")
            client = stripe.StripeClient(key, base_addresses={"api": base},
                                         http_client=stripe.RequestsClient(), max_network_retries=0,
                                         stripe_version="2022-08-01")
            assert client.v1.checkout.sessions.create(params=PARAMS).status == "open"
        """
    )
    # pytest-recording records (its default folder: cassettes/<module>/<test>.yaml beside the module).
    pytester.runpytest_subprocess("--record-mode=once").assert_outcomes(passed=1)
    recorded = pytester.path / "cassettes" / "test_app" / "test_buy.yaml"
    assert recorded.is_file()
    before = recorded.read_bytes()
    # The same test moved to this plugin's marker replays that file, as it is, with nothing listening.
    monkeypatch.delenv("STRIPE_API_KEY")
    pytester.makepyfile(
        test_app=(pytester.path / "test_app.py")
        .read_text()
        .replace("@pytest.mark.vcr", "@pytest.mark.checkout_cassette")
    )
    served = len(server.fake.requests)
    pytester.runpytest("-p", "no:recording").assert_outcomes(passed=1)
    assert len(server.fake.requests) == served
    assert recorded.read_bytes() == before


def test_a_corrupt_cassette_is_named_with_its_problem(pytester: pytest.Pytester) -> None:
    app(pytester)
    path = cassette_of(pytester)
    path.parent.mkdir(parents=True)
    path.write_text("interactions: [\n  - request: {uri: \n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    text = result.stdout.str()
    assert f"cassette {path}" in text
    assert "is not valid YAML" in text
    assert "Traceback" not in text


def test_the_marker_verifies_the_fake_against_the_recording(
    pytester: pytest.Pytester, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording_env(monkeypatch, server)
    pytester.makepyfile(
        test_app="""
        import pytest

        PARAMS = {"mode": "setup", "success_url": "https://x.example/ok", "payment_method_types": ["card"]}

        @pytest.mark.checkout_cassette(verify=True)
        def test_setup(stripe_client):
            created = stripe_client.v1.checkout.sessions.create(params=PARAMS)
            stripe_client.v1.checkout.sessions.retrieve(created.id)
        """
    )
    pytester.runpytest("--checkout-record-mode=once").assert_outcomes(passed=1)
    monkeypatch.delenv("STRIPE_API_KEY")
    pytester.runpytest().assert_outcomes(passed=1)
    # Edit what Stripe "answered": the fake now differs from the recording, and the test says where.
    path = cassette_of(pytester, "test_setup")
    data = yaml.safe_load(path.read_text())
    body = data["interactions"][0]["response"]["body"]
    answer = json.loads(body["string"])
    answer["mode"] = "payment"
    body["string"] = json.dumps(answer)
    path.write_text(yaml.safe_dump(data))
    result = pytester.runpytest()
    assert result.ret != 0
    assert "the fake answers otherwise than this recording" in result.stdout.str()
    assert "mode" in result.stdout.str()
