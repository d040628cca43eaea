"""CheckoutPersister: safe loading, errors that name the file, atomic and locked writes.

No network: cassettes are built by hand, or written by vcrpy's own persister for comparison.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml
from vcr.cassette import Cassette
from vcr.persisters.filesystem import CassetteDecodeError, FilesystemPersister
from vcr.request import Request
from vcr.serializers import jsonserializer, yamlserializer

from pytest_checkout.recording import persist
from pytest_checkout.recording.persist import CassetteFileError, CassetteNotFoundError, CheckoutPersister

TIMEOUT = 60  # seconds: the processes of the concurrency test


def interactions(count: int = 2, *, binary: bool = False) -> dict[str, Any]:
    """A cassette dict as vcrpy hands it to a persister."""
    requests = [
        Request(
            "POST",
            f"https://api.stripe.com/v1/checkout/sessions?n={n}",
            f"mode=payment&n={n}&name=%C3%A9t%C3%A9",
            {"Authorization": "Bearer sk_test_placeholder", "Content-Type": "application/x-www-form-urlencoded"},
        )
        for n in range(count)
    ]
    responses = [
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"], "Request-Id": [f"req_{n:014d}"]},
            "body": {"string": b"\xff\xfe\x00" if binary else json.dumps({"id": f"cs_test_{n}", "n": n}).encode()},
        }
        for n in range(count)
    ]
    return {"requests": requests, "responses": responses}


def loaded(path: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    requests, responses, *_ = CheckoutPersister.load_cassette(path, yamlserializer)
    return requests, responses


def as_plain(requests: list[Any]) -> list[tuple[str, str, Any, dict[str, Any]]]:
    return [(r.method, r.uri, r.body, dict(r.headers)) for r in requests]


def assert_no_traceback_behind(error: BaseException) -> None:
    """Raised "from None" (or outside any handler): no YAML or JSON traceback is chained to it."""
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def folder_names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# -- round trips -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cassette.yaml", "cassette.json"])
def test_what_is_saved_loads_back(tmp_path: Path, name: str) -> None:
    cassette = interactions(3)
    path = tmp_path / name
    CheckoutPersister.save_cassette(path, cassette, yamlserializer)
    requests, responses = loaded(path)
    assert as_plain(requests) == as_plain(cassette["requests"])
    assert responses == cassette["responses"]
    assert all(isinstance(response["body"]["string"], bytes) for response in responses)
    assert folder_names(tmp_path) == [name]  # no temporary or lock file left


def test_json_is_written_as_vcrpys_jsonserializer_writes_it(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    CheckoutPersister.save_cassette(ours, interactions(2), jsonserializer)
    FilesystemPersister.save_cassette(theirs, interactions(2), jsonserializer)
    assert ours.read_text() == theirs.read_text()


@pytest.mark.parametrize("serializer", [yamlserializer, jsonserializer])
def test_vcrpy_and_this_persister_read_each_others_cassettes(tmp_path: Path, serializer: Any) -> None:
    suffix = ".json" if serializer is jsonserializer else ".yaml"
    cassette = interactions(2)
    theirs, ours = tmp_path / f"theirs{suffix}", tmp_path / f"ours{suffix}"
    FilesystemPersister.save_cassette(theirs, interactions(2), serializer)
    CheckoutPersister.save_cassette(ours, interactions(2), serializer)
    requests, responses = loaded(theirs)
    assert as_plain(requests) == as_plain(cassette["requests"])
    assert responses == cassette["responses"]
    requests, responses, *_ = FilesystemPersister.load_cassette(ours, serializer)
    assert as_plain(requests) == as_plain(cassette["requests"])
    assert responses == cassette["responses"]


def test_binary_bodies_and_file_like_requests_keep_their_bytes_in_yaml(tmp_path: Path) -> None:
    cassette = interactions(1, binary=True)
    cassette["requests"].append(Request("POST", "https://api.stripe.com/v1/files", io.BytesIO(b"\x00\x01"), {}))
    cassette["responses"].append(cassette["responses"][0])
    path = tmp_path / "binary.yaml"
    CheckoutPersister.save_cassette(path, cassette)
    requests, responses = loaded(path)
    assert [r["body"]["string"] for r in responses] == [b"\xff\xfe\x00", b"\xff\xfe\x00"]
    assert requests[1].body == b"\x00\x01"
    assert "python/" not in path.read_text()  # plain YAML only (!!binary is YAML's own)


def test_the_python_tags_vcrpy_writes_for_bodies_load_as_data(tmp_path: Path) -> None:
    # vcrpy's own persister writes file-like and iterator bodies with Python tags; they load as plain bytes.
    cassette = {
        "requests": [
            Request("POST", "https://api.stripe.com/v1/a", io.BytesIO(b"a=1"), {}),
            Request("POST", "https://api.stripe.com/v1/b", iter([b"b=", b"2"]), {}),
        ],
        "responses": interactions(2)["responses"],
    }
    path = tmp_path / "vcrpy.yaml"
    FilesystemPersister.save_cassette(path, cassette, yamlserializer)
    assert "!!python/object/new:_io.BytesIO" in path.read_text()
    requests, _ = loaded(path)
    assert requests[0].body.read() == b"a=1"
    assert b"".join(requests[1].body) == b"b=2"


def test_metadata_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "meta.yaml"
    CheckoutPersister.save_cassette(path, {**interactions(1), "metadata": {"recorded_with": "sk_test_..."}})
    requests, responses, metadata = CheckoutPersister.load_cassette(path, yamlserializer)
    assert (len(requests), len(responses), metadata) == (1, 1, {"recorded_with": "sk_test_..."})
    assert len(CheckoutPersister.load_cassette(tmp_path / "meta.yaml", None)) == 3
    CheckoutPersister.save_cassette(path, interactions(1))
    assert len(CheckoutPersister.load_cassette(path, None)) == 2


# -- safe loading ---------------------------------------------------------------------------------------------------


class UnsafeSerializer:
    """A serializer a user might register: it would run any Python tag. The persister must never call it."""

    calls = 0

    @classmethod
    def deserialize(cls, text: str) -> Any:
        cls.calls += 1
        return yaml.unsafe_load(text)

    @classmethod
    def serialize(cls, data: Any) -> str:
        cls.calls += 1
        return yaml.dump(data)


EXPLOITS = [
    "!!python/object/apply:os.system ['touch {marker}']\n",
    "interactions:\n- request: !!python/object/apply:os.system ['touch {marker}']\n  response: {{}}\nversion: 1\n",
    "interactions: !!python/object/apply:subprocess.call [['touch', '{marker}']]\n",
    "interactions: !!python/object/new:os.system ['touch {marker}']\n",
    "interactions: [!!python/name:os.system ]\n",
]


@pytest.mark.parametrize("serializer", [yamlserializer, jsonserializer, UnsafeSerializer, None])
@pytest.mark.parametrize("exploit", EXPLOITS)
def test_a_cassette_with_python_tags_is_refused_and_nothing_runs(tmp_path: Path, exploit: str, serializer: Any) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(exploit.format(marker=marker))
    UnsafeSerializer.calls = 0
    with pytest.raises(CassetteFileError, match=r"refused the YAML tag !!python/") as refused:
        CheckoutPersister.load_cassette(path, serializer)
    assert not marker.exists()
    assert UnsafeSerializer.calls == 0
    assert str(path) in str(refused.value)


def test_the_exploit_would_run_under_an_unsafe_loader(tmp_path: Path) -> None:
    """The control of the test above: the same file does run a command when loaded unsafely."""
    marker = tmp_path / "pwned"
    yaml.unsafe_load(EXPLOITS[0].format(marker=marker))
    assert marker.exists()


def test_json_cassettes_are_read_as_json_whatever_the_serializer(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    CheckoutPersister.save_cassette(path, interactions(1), yamlserializer)
    UnsafeSerializer.calls = 0
    requests, _ = loaded(path)
    assert len(requests) == 1
    assert UnsafeSerializer.calls == 0
    path.write_text("interactions: []\n")  # YAML in a .json file is not JSON
    with pytest.raises(CassetteFileError, match=r"is not valid JSON at line 1, column 1"):
        CheckoutPersister.load_cassette(path, UnsafeSerializer)


# -- missing, empty, corrupt ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [None, b"", b"  \n\n\t"])
def test_a_missing_or_empty_cassette_is_not_found(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "c.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CassetteNotFoundError):
        CheckoutPersister.load_cassette(path, yamlserializer)


def test_vcrpy_starts_an_empty_cassette_where_none_is_found(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    for name in ("missing.yaml", "empty.yaml"):
        cassette = Cassette.load(path=str(tmp_path / name), persister=CheckoutPersister)
        assert len(cassette) == 0


VALID_REQUEST = "request: {method: GET, uri: 'https://api.stripe.com/v1/x', body: null, headers: {}}"
VALID_RESPONSE = "response: {status: {code: 200, message: OK}, headers: {}, body: {string: ''}}"
CORRUPT = [
    ("interactions: [\n  - a\n", r"is not valid YAML at line 2, column 3: did not find expected node content"),
    ("interactions:\n\t- a\n", r"is not valid YAML at line 2"),
    ("'unclosed\n", r"is not valid YAML"),
    ("- 1\n- 2\n", r"holds a list, not a mapping with 'interactions'"),
    ("just text\n", r"holds a string, not a mapping"),
    ("~\n", r"holds null, not a mapping"),
    ("- request: {}\n  response: {}\n", r"vcrpy before 1\.0"),
    ("version: 1\n", r"the cassette has no 'interactions'"),
    ("interactions: {}\n", r"interactions is a mapping, not a list"),
    ("version: 2\ninteractions: []\n", r"has format version 2; this reads version 1"),
    ("interactions: []\nmetadata: [1]\n", r"metadata that is a list"),
    ("interactions: [1]\n", r"interaction 0 is an integer, not a mapping"),
    (f"interactions:\n- {{{VALID_RESPONSE}}}\n", r"interaction 0: request is null, not a mapping"),
    (
        f"interactions:\n- {{request: {{uri: x, body: null, headers: {{}}}}, {VALID_RESPONSE}}}\n",
        r"interaction 0: request has no 'method'",
    ),
    (
        f"interactions:\n- {{request: {{method: 1, uri: x, body: null, headers: {{}}}}, {VALID_RESPONSE}}}\n",
        r"interaction 0: request\.method is an integer, not a string",
    ),
    (
        f"interactions:\n- {{request: {{method: GET, uri: x, body: null, headers: []}}, {VALID_RESPONSE}}}\n",
        r"interaction 0: request\.headers is a list, not a mapping",
    ),
    (
        f"interactions:\n- {{request: {{method: GET, uri: x, body: {{}}, headers: {{}}}}, {VALID_RESPONSE}}}\n",
        r"interaction 0: request\.body is a mapping, not a string",
    ),
    (
        f"interactions:\n- {{{VALID_REQUEST}, "
        "response: {status: {code: '200', message: OK}, headers: {}, body: {string: ''}}}\n",
        r"interaction 0: response\.status\.code is a string, not an integer",
    ),
    (
        f"interactions:\n- {{{VALID_REQUEST}, "
        "response: {status: {code: true, message: OK}, headers: {}, body: {string: ''}}}\n",
        r"response\.status\.code is a boolean, not an integer",
    ),
    (
        f"interactions:\n- {{{VALID_REQUEST}, {VALID_RESPONSE}}}\n- {{{VALID_REQUEST}, "
        "response: {status: {code: 200, message: OK}, headers: {}, body: {string: 12}}}\n",
        r"interaction 1: response\.body\.string is an integer, not a string",
    ),
    (
        f"interactions:\n- {{{VALID_REQUEST}, response: {{status: {{code: 200, message: OK}}, headers: {{}}}}}}\n",
        r"interaction 0: response has no 'body'",
    ),
    (
        f"interactions:\n- {{{VALID_REQUEST}, "
        "response: {status: {code: 200, message: OK}, headers: {a: [{}]}, body: {string: ''}}}\n",
        r"interaction 0: response\.headers has 'a'",
    ),
]


@pytest.mark.parametrize(("content", "problem"), CORRUPT)
def test_a_corrupt_cassette_is_named_with_its_problem_in_one_line(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(CassetteFileError, match=problem) as raised:
        CheckoutPersister.load_cassette(path, yamlserializer)
    error = raised.value
    message = str(error)
    assert message.startswith(f"cassette {path}: ")
    assert "\n" not in message
    assert isinstance(error, ValueError)
    assert not isinstance(error, CassetteDecodeError)
    assert (error.path, error.problem) == (str(path), message.removeprefix(f"cassette {path}: "))
    assert_no_traceback_behind(error)


def test_the_shape_checks_accept_a_valid_hand_written_cassette(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(f"interactions:\n- {{{VALID_REQUEST}, {VALID_RESPONSE}}}\n")
    requests, responses = loaded(path)
    assert (requests[0].method, responses[0]["body"]["string"]) == ("GET", b"")


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("bad.yaml", b"interactions: []\n# caf\xe9\n", r"is not UTF-8 text: byte 0xe9 at offset 22 \(line 2\)"),
        ("bad.json", b'{"interactions": [\xff]}', r"is not UTF-8 text: byte 0xff at offset 18 \(line 1\)"),
        ("bad.json", b'{"interactions": [}', r"is not valid JSON at line 1, column 19: Expecting value"),
        ("bad.json", b'{"version": 1}', r"the cassette has no 'interactions'"),
        ("bad.json", b"[1]", r"holds a list"),
    ],
)
def test_undecodable_and_bad_json_cassettes(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CassetteFileError, match=problem) as raised:
        CheckoutPersister.load_cassette(path, jsonserializer)
    assert "\n" not in str(raised.value)
    assert_no_traceback_behind(raised.value)


def test_a_folder_where_the_cassette_should_be_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").mkdir()
    with pytest.raises(CassetteFileError, match=r"c\.yaml: is a folder, not a file"):
        CheckoutPersister.load_cassette(tmp_path / "c.yaml", yamlserializer)


def test_vcrpy_does_not_swallow_a_corrupt_cassette(tmp_path: Path) -> None:
    """vcrpy treats its own CassetteDecodeError as an empty cassette and would record over the file."""
    path = tmp_path / "bad.yaml"
    path.write_text("interactions: [\n")
    with (
        pytest.raises(CassetteFileError, match="is not valid YAML"),
        vcr.VCR(record_mode="all").use_cassette(str(path), persister=CheckoutPersister),
    ):
        pass  # pragma: no cover - never entered
    assert path.read_text() == "interactions: [\n"


# -- atomic writes -------------------------------------------------------------------------------------------------


def test_the_folder_is_made_if_missing(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.yaml"
    CheckoutPersister.save_cassette(path, interactions(1))
    assert len(loaded(path)[0]) == 1


def test_the_file_is_synced_before_it_replaces_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def replace(source: Any, target: Any) -> None:
        assert Path(source).parent == tmp_path
        assert Path(source).name.startswith(".c.yaml.")
        calls.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    CheckoutPersister.save_cassette(path, interactions(1))
    assert calls[:2] == ["fsync", "replace"]


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "c.yaml"
    CheckoutPersister.save_cassette(path, interactions(1))
    before = path.read_bytes()

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    if failing == "write":
        monkeypatch.setattr(os, "fdopen", _full_disk(os.fdopen))
    else:
        monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        CheckoutPersister.save_cassette(path, interactions(5))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert folder_names(tmp_path) == ["c.yaml"]


def _full_disk(real_fdopen: Any) -> Any:
    """``os.fdopen`` whose stream fails to write, as on a full disk."""

    def fdopen(fd: int, mode: str) -> Any:
        stream = real_fdopen(fd, mode)

        class Full:
            def __enter__(self) -> Full:
                return self

            def __exit__(self, *exc: object) -> None:
                stream.close()

            def fileno(self) -> int:
                return int(stream.fileno())

            def write(self, data: bytes) -> int:
                raise OSError(28, "No space left on device")

        return Full()

    return fdopen


def test_a_cassette_that_can_not_be_serialized_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    CheckoutPersister.save_cassette(path, interactions(1))
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"interaction 0: response\.body\.string holds bytes that are not UTF-8"):
        CheckoutPersister.save_cassette(path, interactions(1, binary=True))
    assert path.read_bytes() == before
    assert folder_names(tmp_path) == ["c.json"]


def test_an_existing_cassettes_permissions_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    CheckoutPersister.save_cassette(path, interactions(1))
    path.chmod(0o640)
    CheckoutPersister.save_cassette(path, interactions(2))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert len(loaded(path)[0]) == 2


def test_a_new_cassette_gets_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    CheckoutPersister.save_cassette(path, interactions(1))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


# -- concurrent writers --------------------------------------------------------------------------------------------


@pytest.mark.skipif(not persist.LOCKING, reason="no fcntl on this platform")
def test_writers_of_one_cassette_take_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    active, most = 0, 0
    guard = threading.Lock()
    real_write = persist._write_atomically

    def write(target: Path, data: bytes) -> None:
        nonlocal active, most
        with guard:
            active += 1
            most = max(most, active)
        time.sleep(0.002)
        try:
            real_write(target, data)
        finally:
            with guard:
                active -= 1

    monkeypatch.setattr(persist, "_write_atomically", write)
    errors: list[BaseException] = []

    def writer(count: int) -> None:
        try:
            for _ in range(8):
                CheckoutPersister.save_cassette(path, interactions(count))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not errors
    assert most == 1
    assert len(loaded(path)[0]) in {1, 2, 3, 4}
    assert folder_names(tmp_path) == ["c.yaml"]


def test_without_fcntl_the_atomic_replace_alone_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(persist, "_fcntl", None)
    path = tmp_path / "c.yaml"
    seen: list[list[str]] = []
    real_write = persist._write_atomically

    def write(target: Path, data: bytes) -> None:
        seen.append(folder_names(tmp_path))
        real_write(target, data)

    monkeypatch.setattr(persist, "_write_atomically", write)
    CheckoutPersister.save_cassette(path, interactions(2))
    assert seen == [[]]  # no lock file was made
    assert len(loaded(path)[0]) == 2


WRITER = """
import sys
from pathlib import Path
from tests.test_recording_persist import interactions
from pytest_checkout.recording.persist import CheckoutPersister
path, count = Path(sys.argv[1]), int(sys.argv[2])
for _ in range(25):
    CheckoutPersister.save_cassette(path, interactions(count))
"""


def test_two_processes_writing_one_cassette_never_leave_a_torn_file(tmp_path: Path) -> None:
    """Two pytest-xdist workers recording the same cassette: a reader always sees one whole cassette."""
    path = tmp_path / "c.yaml"
    CheckoutPersister.save_cassette(path, interactions(1))
    root = Path(__file__).resolve().parent.parent
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(count)], cwd=root)
        for count in (40, 60)  # large enough that a torn write would be caught half-way
    ]
    reads = 0
    deadline = time.monotonic() + TIMEOUT
    try:
        while any(writer.poll() is None for writer in writers) and time.monotonic() < deadline:
            assert len(loaded(path)[0]) in {1, 40, 60}
            reads += 1
    finally:
        for writer in writers:
            writer.wait(TIMEOUT)
    assert [writer.returncode for writer in writers] == [0, 0]
    assert reads > 0
    assert len(loaded(path)[0]) in {40, 60}
    assert folder_names(tmp_path) == ["c.yaml"]


# -- the constructor: plain strings, mappings and lists built directly, the rest by PyYAML ----------------------

EVERY_KIND = """\
text: plain
quoted: '007'
number: 42
hex: 0x1f
real: 1.5
yes: true
nothing: null
stamp: 2026-12-01
raw: !!binary aGk=
nested: {list: [1, two, [3]], empty: {}}
base: &base {code: 200, message: OK}
merged: {<<: *base, message: Created}
shared: *base
"""


def test_the_constructor_builds_what_pyyamls_safe_loader_builds() -> None:
    ours = yaml.load(EVERY_KIND, Loader=persist._CassetteLoader)
    assert ours == yaml.safe_load(EVERY_KIND)
    assert ours["merged"] == {"code": 200, "message": "Created"}
    assert ours["raw"] == b"hi"
    assert ours["shared"] is ours["base"]  # an alias is one object, as PyYAML makes it


def test_an_alias_bomb_costs_no_more_than_under_pyyaml() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    start = time.perf_counter()
    loaded = yaml.load("\n".join(levels), Loader=persist._CassetteLoader)  # 10**9 strings if expanded
    assert time.perf_counter() - start < 5
    assert loaded["a8"][0] is loaded["a7"]


def test_a_cyclic_alias_loads_as_a_cycle() -> None:
    loaded = yaml.load("&loop [*loop]", Loader=persist._CassetteLoader)
    assert loaded[0] is loaded


def test_an_unhashable_key_is_a_cassette_error(tmp_path: Path) -> None:
    path = tmp_path / "key.yaml"
    path.write_text("interactions: []\n? [a, list]\n: value\n")
    with pytest.raises(CassetteFileError, match=r"is not valid YAML at line \d+.*unhashable key"):
        CheckoutPersister.load_cassette(path)
