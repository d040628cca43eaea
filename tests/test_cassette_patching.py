"""vcrpy patches only the HTTP libraries that are installed (it tries to import every one at each cassette)."""

from __future__ import annotations

import importlib.util

from pytest_checkout.recording.cassette import _PATCH_GROUP_LIBRARIES, IndexedCassette, absent_patch_groups


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
