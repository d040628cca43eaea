"""Cassette files: ``CheckoutPersister``, a vcrpy persister that loads safely and writes atomically.

vcrpy asks its persister for two things, as ``vcr.persisters.filesystem.FilesystemPersister`` gives them:
``load_cassette(path, serializer)`` returns the recorded requests and responses (and the cassette's metadata
third, when it has any), and ``save_cassette(path, cassette_dict, serializer)`` writes them. This one differs
from vcrpy's own in four ways.

**Safe loading, whatever serializer is passed.** A cassette is data, so it is read as data: a path ending in
``.json`` with ``json``, any other with a safe YAML loader (libyaml's ``CSafeLoader`` when PyYAML has it). The
``serializer`` vcrpy passes is never used to load or save, so a serializer built on ``yaml.unsafe_load`` can not
bring code execution back. The only Python tags read are the harmless ones vcrpy itself writes for old cassettes
and file-like bodies (``!!python/str``, ``!!python/unicode``, ``!!python/tuple``, ``_io.BytesIO`` and
``builtins.iter`` bodies), each rebuilt from plain data; any other (``!!python/object/apply:os.system``) is
refused before anything is built.

**Errors that say what is wrong.** A missing or empty file raises vcrpy's ``CassetteNotFoundError``, so vcrpy
records it. Anything else that can not be read (not YAML or JSON, not UTF-8, not a mapping with a list of
``interactions``, a field of the wrong type, a file that can not be opened) raises ``CassetteFileError``, whose
one-line message names the file and the problem. It is not vcrpy's ``CassetteDecodeError``, which vcrpy treats
as an empty cassette and would record over.

**Atomic writes.** The whole cassette is serialized first, then written to a temporary file in the same folder
(``.NAME.PID.RANDOM.tmp``), flushed to disk with ``fsync`` and moved over the old file with ``os.replace``.
A reader sees the old cassette or the new one, never half of one. If anything fails, the old file is left as it
was and the temporary file is removed. The folder is made if it is missing, and an existing cassette's
permissions are kept.

**One writer at a time.** Two processes saving the same cassette (two pytest-xdist workers) take turns on an
exclusive ``fcntl.flock`` of a sibling lock file, ``NAME.lock``, removed again after each write. Where there is
no ``fcntl`` (Windows), ``LOCKING`` is False and writes rely on the atomic replace alone: the last writer wins,
and no one ever reads a torn file, but two writers are not put in turn (and Windows may refuse a replace while
another process holds the file open).
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request

try:
    import fcntl as _fcntl_module
except ImportError:  # pragma: no cover - Windows
    _fcntl: ModuleType | None = None
else:
    _fcntl = _fcntl_module

__all__ = ["LOCKING", "CassetteFileError", "CassetteNotFoundError", "CheckoutPersister"]

#: Whether concurrent writers of one cassette take turns on a lock (False where there is no ``fcntl``).
LOCKING = _fcntl is not None

#: The cassette format vcrpy writes (``vcr.serialize.CASSETTE_FORMAT_VERSION``).
FORMAT_VERSION = 1

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class CassetteFileError(ValueError):
    """A cassette file exists but can not be read as a cassette.

    ``str(error)`` is one line, ``cassette PATH: PROBLEM``; ``path`` and ``problem`` hold the two parts.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = " ".join(problem.split())
        super().__init__(f"cassette {self.path}: {self.problem}")


# -- the YAML loader -----------------------------------------------------------------------------------------------


_YAML_STR = "tag:yaml.org,2002:str"
_YAML_MAP = "tag:yaml.org,2002:map"
_YAML_SEQ = "tag:yaml.org,2002:seq"
_YAML_MERGE = "tag:yaml.org,2002:merge"


class _CassetteLoader(_SafeLoader):  # type: ignore[valid-type,misc]  # a class chosen at import time
    """PyYAML's safe loader, plus the few Python tags vcrpy writes that are only data underneath.

    Its constructor builds plain strings, mappings and lists itself and hands every other node to PyYAML's
    safe constructor. A cassette is almost all strings, mappings and lists, and PyYAML's constructor (in
    Python even over libyaml's parser) spent half of a small cassette's load on its generic machinery
    (``bench/bench_cassettes.py``, entering and leaving a cassette). A node met twice (a YAML alias) is built
    once and shared, as PyYAML does, so an alias bomb costs no more here than there.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # libyaml's parser asks for the tag of every node. Most of a cassette's scalars are quoted, or start
        # with a character that no implicit type (bool, int, float, null, timestamp, ...) starts with: those are
        # strings without the trip through the regular expressions.
        if kind is yaml.ScalarNode and not self.yaml_path_resolvers:
            resolvers = self.yaml_implicit_resolvers
            if not implicit[0] or (value and value[0] not in resolvers and None not in resolvers):
                return _YAML_STR
        return super().resolve(kind, value, implicit)

    def construct_document(self, node: Any) -> Any:
        built: dict[int, Any] = {}
        fallback = super().construct_object

        def build(node: Any) -> Any:
            tag = node.tag
            if tag == _YAML_STR:
                return node.value
            known = built.get(id(node))
            if known is not None:
                return known
            if tag == _YAML_MAP and not any(key.tag == _YAML_MERGE for key, _ in node.value):
                mapping: dict[Any, Any] = {}
                built[id(node)] = mapping
                for key_node, value_node in node.value:
                    key, value = build(key_node), build(value_node)
                    try:
                        mapping[key] = value
                    except TypeError:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                        ) from None
                return mapping
            if tag == _YAML_SEQ:
                sequence: list[Any] = []
                built[id(node)] = sequence
                sequence.extend(build(item) for item in node.value)
                return sequence
            value = built[id(node)] = fallback(node, deep=True)
            return value

        try:
            return build(node)
        finally:
            # What PyYAML's construct_document resets after a document.
            self.constructed_objects: dict[Any, Any] = {}
            self.recursive_objects: dict[Any, Any] = {}
            self.state_generators: list[Any] = []
            self.deep_construct = False


def _scalar_text(loader: Any, node: Any) -> str:
    return str(loader.construct_scalar(node))


def _as_tuple(loader: Any, node: Any) -> tuple[Any, ...]:
    return tuple(loader.construct_sequence(node, deep=True))


def _pickled(loader: Any, node: Any, key: str) -> list[Any]:
    # ``!!python/object/new:X`` and ``/apply:X`` hold a mapping (``args:``, ``state:``) or a bare list of args.
    if isinstance(node, yaml.SequenceNode):
        return list(loader.construct_sequence(node, deep=True)) if key == "args" else []
    mapping = loader.construct_mapping(node, deep=True)
    value = mapping.get(key, ())
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _bytes_body(loader: Any, node: Any) -> io.BytesIO:
    # A file-like request body, as vcrpy writes it: the buffer's bytes come first in its state.
    state = _pickled(loader, node, "state")
    content = state[0] if state else b""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if not isinstance(content, bytes):
        raise yaml.constructor.ConstructorError(None, None, "a BytesIO body holds no bytes", node.start_mark)
    return io.BytesIO(content)


def _iterator_body(loader: Any, node: Any) -> Iterator[Any]:
    # An iterator request body, as vcrpy writes it: ``iter`` applied to the list of its chunks.
    args = _pickled(loader, node, "args")
    chunks = args[0] if args else []
    if not isinstance(chunks, (list, tuple)):
        raise yaml.constructor.ConstructorError(None, None, "an iterator body holds no list", node.start_mark)
    return iter(list(chunks))


_CassetteLoader.add_constructor("tag:yaml.org,2002:python/str", _scalar_text)
_CassetteLoader.add_constructor("tag:yaml.org,2002:python/unicode", _scalar_text)
_CassetteLoader.add_constructor("tag:yaml.org,2002:python/tuple", _as_tuple)
_CassetteLoader.add_constructor("tag:yaml.org,2002:python/object/new:_io.BytesIO", _bytes_body)
_CassetteLoader.add_constructor("tag:yaml.org,2002:python/object/apply:builtins.iter", _iterator_body)

_UNKNOWN_TAG = re.compile(r"could not determine a constructor for the tag '([^']*)'")


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = str(getattr(error, "problem", None) or error)
    tag = _UNKNOWN_TAG.search(problem)
    if tag is not None:
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        return f"refused the YAML tag {shown}{where}: a cassette holds plain data, and only that is loaded"
    context = getattr(error, "context", None)
    return f"is not valid YAML{where}: {problem}" + (f" ({context})" if context else "")


# -- loading -------------------------------------------------------------------------------------------------------


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CassetteNotFoundError(f"no cassette at {path}") from None
    except OSError as error:
        raise CassetteFileError(path, f"can not be read: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start : error.start + 1].hex()
        raise CassetteFileError(
            path, f"is not UTF-8 text: byte 0x{byte} at offset {error.start} (line {line})"
        ) from None
    return text.removeprefix("\ufeff")


def _parse(path: Path, text: str) -> Any:
    if _is_json(path):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise CassetteFileError(
                path, f"is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
        except RecursionError:
            raise CassetteFileError(path, "is not valid JSON: nested too deeply") from None
    try:
        return yaml.load(text, Loader=_CassetteLoader)  # a safe loader: see _CassetteLoader
    except yaml.YAMLError as error:
        raise CassetteFileError(path, _yaml_problem(error)) from None
    except RecursionError:
        raise CassetteFileError(path, "is not valid YAML: nested too deeply") from None


_TYPE_NAMES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bytes: "bytes",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")


class _Shape:
    """Checks one cassette's structure, naming the first field that is not what vcrpy needs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> CassetteFileError:
        return CassetteFileError(self.path, f"{where} {problem}")

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"is {_type_name(value)}, not a mapping")
        return value

    def field(self, parent: Mapping[str, Any], key: str, where: str, kinds: tuple[type, ...], wanted: str) -> Any:
        if key not in parent:
            raise self.fail(where or "the cassette", f"has no {key!r}")
        value = parent[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(f"{where}.{key}" if where else key, f"is {_type_name(value)}, not {wanted}")
        return value

    def headers(self, parent: Mapping[str, Any], where: str) -> dict[str, list[str]]:
        headers = self.field(parent, "headers", where, (Mapping,), "a mapping")
        out: dict[str, list[str]] = {}
        for name, value in headers.items():
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            if not isinstance(name, str) or not all(isinstance(item, (str, bytes)) for item in values):
                raise self.fail(f"{where}.headers", f"has {name!r}: {value!r}, not a name and string values")
            out[name] = values
        return out

    def request(self, raw: Any, where: str) -> Any:
        request = self.mapping(raw, where)
        method = self.field(request, "method", where, (str,), "a string")
        uri = self.field(request, "uri", where, (str,), "a string")
        body = request.get("body")
        if not isinstance(body, (str, bytes, io.BytesIO, Iterator, list, type(None))):
            raise self.fail(f"{where}.body", f"is {_type_name(body)}, not a string")
        return Request(method, uri, body, self.headers(request, where))

    def response(self, raw: Any, where: str) -> dict[str, Any]:
        response = dict(self.mapping(raw, where))
        status = self.field(response, "status", where, (Mapping,), "a mapping")
        self.field(status, "code", f"{where}.status", (int,), "an integer")
        self.field(status, "message", f"{where}.status", (str,), "a string")
        response["headers"] = self.headers(response, where)
        body = dict(self.field(response, "body", where, (Mapping,), "a mapping"))
        text = self.field(body, "string", f"{where}.body", (str, bytes, type(None)), "a string")
        if isinstance(text, str):
            body["string"] = text.encode("utf-8", "surrogatepass")
        response["body"] = body
        return response


def _interactions(path: Path, data: Any) -> tuple[list[Any], list[dict[str, Any]], dict[str, Any]]:
    shape = _Shape(path)
    if isinstance(data, list) and data and isinstance(data[0], Mapping) and "request" in data[0]:
        raise CassetteFileError(path, "is a list of interactions from vcrpy before 1.0; record it again")
    if not isinstance(data, Mapping):
        raise CassetteFileError(path, f"holds {_type_name(data)}, not a mapping with 'interactions'")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise CassetteFileError(path, f"has format version {version!r}; this reads version {FORMAT_VERSION}")
    interactions = shape.field(data, "interactions", "", (list,), "a list")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise CassetteFileError(path, f"has metadata that is {_type_name(metadata)}, not a mapping")
    requests: list[Any] = []
    responses: list[dict[str, Any]] = []
    for index, raw in enumerate(interactions):
        where = f"interaction {index}"
        interaction = shape.mapping(raw, where)
        requests.append(shape.request(interaction.get("request"), f"{where}: request"))
        responses.append(shape.response(interaction.get("response"), f"{where}: response"))
    return requests, responses, dict(metadata)


# -- saving --------------------------------------------------------------------------------------------------------


def _plain(value: Any, where: str, *, binary_ok: bool) -> Any:
    """``value`` as plain data for a file: bytes as text where they are UTF-8 (as vcrpy writes them)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            if binary_ok:
                return raw
            raise TypeError(
                f"{where} holds bytes that are not UTF-8 text, which JSON can not keep; use a .yaml cassette"
            ) from None
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item, f"{where}.{key}", binary_ok=binary_ok) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]", binary_ok=binary_ok) for i, item in enumerate(value)]
    if isinstance(value, io.BytesIO):
        return _plain(value.getvalue(), where, binary_ok=binary_ok)
    raise TypeError(f"{where} is a {type(value).__name__}, which a cassette can not hold")


def _request_dict(request: Any) -> dict[str, Any]:
    body = getattr(request, "body_bytes", None)
    if body is None:
        body = request.body
    if isinstance(body, io.BytesIO):
        body = body.getvalue()
    elif isinstance(body, list):
        body = b"".join(part if isinstance(part, bytes) else str(part).encode("utf-8") for part in body)
    return {
        "method": request.method,
        "uri": request.uri,
        "body": body,
        "headers": {name: [value] for name, value in request.headers.items()},
    }


def _serialize(path: Path, cassette_dict: Mapping[str, Any]) -> bytes:
    as_json = _is_json(path)
    requests = list(cassette_dict.get("requests", ()))
    responses = list(cassette_dict.get("responses", ()))
    if len(requests) != len(responses):
        raise ValueError(f"cassette {path}: {len(requests)} requests but {len(responses)} responses")
    interactions = [
        {
            "request": _plain(_request_dict(request), f"interaction {i}: request", binary_ok=not as_json),
            "response": _plain(response, f"interaction {i}: response", binary_ok=not as_json),
        }
        for i, (request, response) in enumerate(zip(requests, responses, strict=True))
    ]
    data: dict[str, Any] = {"version": FORMAT_VERSION, "interactions": interactions}
    if cassette_dict.get("metadata"):
        data["metadata"] = _plain(cassette_dict["metadata"], "metadata", binary_ok=not as_json)
    if as_json:
        # vcrpy's jsonserializer format, so either persister reads what the other wrote.
        return (json.dumps(data, indent=4) + "\n").encode("utf-8")
    text: str = yaml.dump(data, Dumper=_SafeDumper)
    return text.encode("utf-8")


@contextmanager
def _write_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` of ``NAME.lock`` beside ``path`` (nothing where there is no ``fcntl``).

    The lock file is removed when the writer is done. A writer that was waiting on the removed file finds that
    the name now points elsewhere (or nowhere) and locks again, so two writers never hold the lock at once.
    """
    if _fcntl is None:  # pragma: no cover - Windows: the atomic replace alone
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX)
            held = os.fstat(fd)
            try:
                named = os.stat(lock_path)
            except FileNotFoundError:
                current = False
            else:
                current = (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)
        except BaseException:
            os.close(fd)
            raise
        if current:
            break
        os.close(fd)
    try:
        yield
    finally:
        with suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)  # releases the lock


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, ``fsync`` it and move it over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(fd, "wb") as stream:
            with suppress(FileNotFoundError):
                os.chmod(stream.fileno(), stat.S_IMODE(os.stat(path).st_mode))
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    # The rename itself survives a crash only once the folder is on disk; not every system can open a folder.
    if os.name != "posix":  # pragma: no cover
        return
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class CheckoutPersister:
    """A vcrpy persister: safe loading, clear errors, atomic and locked writes (see the module's docstring).

    Pass it to vcrpy as ``persister=CheckoutPersister`` (or ``VCR().register_persister(CheckoutPersister)``).
    """

    @classmethod
    def load_cassette(cls, cassette_path: str | os.PathLike[str], serializer: Any = None) -> tuple[Any, ...]:
        """``(requests, responses)``, plus the cassette's metadata third when it has any, as vcrpy expects.

        Raises ``CassetteNotFoundError`` for a missing or empty file and ``CassetteFileError`` for one that can
        not be read. ``serializer`` is accepted for vcrpy and not used: the file's name decides (``.json`` is
        JSON, any other YAML), and loading is always safe.
        """
        path = Path(cassette_path)
        if path.is_dir():
            raise CassetteFileError(path, "is a folder, not a file")
        text = _read_text(path)
        if not text.strip():
            # As vcrpy does: an empty file is a cassette still to record.
            raise CassetteNotFoundError(f"the cassette {path} is empty")
        requests, responses, metadata = _interactions(path, _parse(path, text))
        if metadata:
            return requests, responses, metadata
        return requests, responses

    @staticmethod
    def save_cassette(
        cassette_path: str | os.PathLike[str], cassette_dict: Mapping[str, Any], serializer: Any = None
    ) -> None:
        """Write ``cassette_dict`` (vcrpy's ``requests``, ``responses`` and ``metadata``) atomically.

        Serialized in full before the file is touched; a ``.json`` path as vcrpy's jsonserializer writes it
        (a body that is not UTF-8 is a ``TypeError`` there), any other as safe YAML. ``serializer`` is
        accepted for vcrpy and not used, so what is written is what ``load_cassette`` reads.
        """
        path = Path(cassette_path)
        data = _serialize(path, cassette_dict)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _write_lock(path):
            _write_atomically(path, data)
