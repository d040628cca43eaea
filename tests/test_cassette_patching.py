"""How cassettes patch HTTP libraries: only the installed ones, with patches built once and shared by every cassette."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from unittest import mock

import pytest
import requests
import urllib3.connectionpool

from pytest_checkout.recording import cassette as cassette_module
from pytest_checkout.recording import open_cassette
from pytest_checkout.recording.cassette import _PATCH_GROUP_LIBRARIES, IndexedCassette, absent_patch_groups
from pytest_checkout.recording.persist import CheckoutPersister


def test_the_groups_skipped_are_those_whose_library_is_absent() -> None:
    absent = absent_patch_groups()
    for group, library in _PATCH_GROUP_LIBRARIES.items():
        assert (group in absent) == (importlib.util.find_spec(library) is None), group
    # The roads the SDK takes are installed here, and patched.
    assert not absent & {"requests", "urllib3", "httpx", "aiohttp"}


def test_a_cassette_skips_them_and_patches_the_rest(tmp_path) -> None:
    cassette = IndexedCassette(str(tmp_path / "c.yaml"))
    assert cassette.skip_patchers >= absent_patch_groups()
    assert "httpx" not in cassette.skip_patchers


# -- the patches shared by every cassette -----------------------------------------------------------------------

URL = "https://api.stripe.com/v1/checkout/sessions"


def _cassette(path: Path, *answers: str) -> Path:
    """A cassette answering one POST of ``mode=payment`` with each of ``answers`` in turn."""
    from vcr.request import Request

    requests_ = [Request("POST", URL, "mode=payment", {"Content-Type": "application/x-www-form-urlencoded"})]
    responses = [
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": json.dumps({"id": answer}).encode()},
        }
        for answer in answers
    ]
    CheckoutPersister.save_cassette(str(path), {"requests": requests_ * len(answers), "responses": responses})
    return path


def _post(session: requests.Session | None = None) -> str:
    answer = (session or requests).post(URL, data="mode=payment", headers={"Content-Type": FORM}, timeout=5)
    return str(answer.json()["id"])


FORM = "application/x-www-form-urlencoded"


def _patched() -> bool:
    return urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls is not ORIGINAL_CONNECTION


ORIGINAL_CONNECTION = urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls


def test_the_patches_are_built_once_and_removed_with_the_last_cassette(tmp_path: Path) -> None:
    path = _cassette(tmp_path / "one.yaml", "cs_first")
    assert not _patched()
    with open_cassette(path, record_mode="none"):
        assert _patched()
        built = cassette_module._SHARED._patchers
        assert _post() == "cs_first"
    assert not _patched()
    with open_cassette(path, record_mode="none"):
        assert cassette_module._SHARED._patchers is built
        assert _post() == "cs_first"
    assert not _patched()
    # vcrpy's connection removers keep no pool once the last cassette is closed.
    for patcher in built or ():
        assert not getattr(patcher, "_connection_pool_to_connections", {})


def test_the_innermost_cassette_answers_and_the_outer_one_again_after_it(tmp_path: Path) -> None:
    outer = _cassette(tmp_path / "outer.yaml", "cs_outer_1", "cs_outer_2")
    inner = _cassette(tmp_path / "inner.yaml", "cs_inner")
    session = requests.Session()  # one pool: its connections outlive the inner cassette
    with open_cassette(outer, record_mode="none"):
        assert _post(session) == "cs_outer_1"
        with open_cassette(inner, record_mode="none") as playing:
            assert _post(session) == "cs_inner"
            assert playing.play_count == 1
        assert _post(session) == "cs_outer_2"
    assert not _patched()


def test_cassettes_closed_out_of_order_keep_the_patches_until_the_last(tmp_path: Path) -> None:
    first = open_cassette(_cassette(tmp_path / "a.yaml", "cs_a"), record_mode="none")
    second = open_cassette(_cassette(tmp_path / "b.yaml", "cs_b"), record_mode="none")
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert _patched()
    assert _post() == "cs_b"
    second.__exit__(None, None, None)
    assert not _patched()
    assert cassette_module._SHARED.playing.stack == []


def test_a_request_from_another_thread_is_answered_by_the_open_cassette(tmp_path: Path) -> None:
    path = _cassette(tmp_path / "thread.yaml", "cs_thread")
    answers: list[str] = []
    with open_cassette(path, record_mode="none"):
        worker = threading.Thread(target=lambda: answers.append(_post()))
        worker.start()
        worker.join(10)
    assert answers == ["cs_thread"]


def test_a_cassette_with_its_own_patches_is_patched_by_vcrpy_as_it_would_be(tmp_path: Path) -> None:
    class Target:
        value = "original"

    path = _cassette(tmp_path / "custom.yaml", "cs_custom")
    config = {"custom_patches": ((Target, "value", "patched"),)}
    with open_cassette(path, record_mode="none", vcr_config=config):
        assert Target.value == "patched"
        assert cassette_module._SHARED.playing.stack == []  # not through the shared patches
        assert _post() == "cs_custom"
    assert Target.value == "original"
    assert not _patched()


def test_no_open_cassette_leaves_the_shared_stand_in_without_answers() -> None:
    with pytest.raises(AttributeError, match="no cassette is open"):
        cassette_module._SHARED.playing.play_response  # noqa: B018 - the read is the test


def test_a_swap_puts_back_exactly_what_was_there() -> None:
    class Base:
        inherited = "base"

    class Child(Base):
        @staticmethod
        def local() -> str:
            return "local"

    raw = Child.__dict__["local"]
    swaps = [
        cassette_module._Swap.of(mock.patch.object(Child, "inherited", "new")),
        cassette_module._Swap.of(mock.patch.object(Child, "local", "new")),
    ]
    assert all(isinstance(swap, cassette_module._Swap) for swap in swaps)
    for swap in swaps:
        swap.__enter__()
    assert (Child.inherited, Child.local) == ("new", "new")
    for swap in reversed(swaps):
        swap.__exit__(None, None, None)
    assert "inherited" not in Child.__dict__  # inherited again, not copied down
    assert Child.inherited == "base"
    assert Child.__dict__["local"] is raw  # the staticmethod itself, not the function it gives


def test_a_patch_with_a_spec_is_left_to_mock() -> None:
    patcher = mock.patch.object(threading, "Thread", autospec=True)
    assert cassette_module._Swap.of(patcher) is patcher


# -- the match index -----------------------------------------------------------------------------------------------


def test_a_loaded_cassette_is_indexed_at_its_first_request_not_before(tmp_path, monkeypatch) -> None:
    path = _cassette(tmp_path / "three.yaml", "cs_1", "cs_2", "cs_3")
    keyed: list[object] = []
    original = cassette_module.request_key

    def counting(request: object, normalize: object = None) -> object:
        keyed.append(request)
        return original(request, normalize)  # type: ignore[arg-type]

    monkeypatch.setattr(cassette_module, "request_key", counting)
    with open_cassette(path, record_mode="none"):
        pass
    assert keyed == []  # entered and left without a request: nothing decoded
    with open_cassette(path, record_mode="none"):
        assert [_post(), _post(), _post()] == ["cs_1", "cs_2", "cs_3"]  # in recorded order
    # Three recorded interactions indexed once, plus each live request's own key.
    assert len(keyed) == 3 + 3
