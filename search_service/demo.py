"""Demo documents: the docstrings of the running Python's standard library, so a new index has real data offline."""

import contextlib
import importlib
import importlib.util
import inspect
import io
import os
import pkgutil
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from search_service.demo_aliases import public_aliases
from search_service.demo_popularity import reference_counts

# Modules whose import has side effects (opening a browser, printing, starting a GUI) or that are not API.
SKIPPED_MODULES = frozenset(
    {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test", "lib2to3", "ensurepip"}
)

# A default longer than this in a signature is not worth reading (and may be runtime state): it reads `…`.
MAX_DEFAULT_REPR = 80
# A string default equal to an environment variable's value is redacted when at least this long (shorter ones,
# `1` or `utf-8`, are everyday defaults that an environment may happen to hold too).
MIN_ENVIRONMENT_VALUE = 8

# `simple` splits `json.JSONDecoder.decode` into json / jsondecoder / decode, so `json` finds its members, but it
# drops digits: `b64decode` and `b16decode` are both b / decode. `standard` keeps them (b64decode, uuid4, sha256)
# but keeps `os.path.join` and `is_dataclass` whole. Elastic's test distribution lacks the module
# (analysis-common) of every tokenizer and filter that could do both (pattern, char_group, word_delimiter, a
# mapping char filter), so the names are read both ways: as `simple` in their own fields, and copied whole
# into `identifiers` for `standard`, which SEARCH_FIELDS searches as well (never in `_source`).
# `aliases` is indexed with the document's own qualname copied in: searched, it holds every name of the object,
# so that its words weigh what they weigh among all documents, not among the few hundred with an alias (there
# `os` and `path` were worth nothing, and `os.path.join` lost to os.get_exec_path). Its `_source` is the others.
_NAME = {"type": "text", "analyzer": "simple", "copy_to": "identifiers"}
DEMO_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "module": {"type": "keyword"},
        "name": {**_NAME},
        "qualname": {**_NAME, "copy_to": ["identifiers", "aliases"], "fields": {"raw": {"type": "keyword"}}},
        "aliases": {**_NAME},  # the other public names of the object (demo_aliases.py): `os.path.join`
        "identifiers": {"type": "text", "analyzer": "standard"},
        "kind": {"type": "keyword"},
        "signature": {"type": "text", "analyzer": "simple"},
        "summary": {"type": "text"},
        "docstring": {"type": "text"},
        "popularity": {"type": "integer"},
    },
}


def _stdlib_module_names() -> Iterator[str]:
    """Top-level modules and the direct submodules of packages (`json`, `json.decoder`, ...)."""
    for name in sorted(sys.stdlib_module_names):
        if name in SKIPPED_MODULES or name.startswith("_"):
            continue
        yield name
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for submodule in pkgutil.iter_modules(spec.submodule_search_locations):
                if not submodule.name.startswith(("_", "test")):
                    yield f"{name}.{submodule.name}"


def _stdlib_modules() -> Iterator[ModuleType]:
    for name in _stdlib_module_names():
        # Importing every module may warn (deprecations) or print; neither belongs in the loader's output.
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                yield importlib.import_module(name)
            except (ImportError, OSError, RuntimeError):
                continue  # absent on this platform or build (e.g. msvcrt, winreg, _tkinter missing)


def _document(module: str, qualname: str, kind: str, obj: object) -> dict[str, Any] | None:
    docstring = inspect.getdoc(obj)
    if not docstring:
        return None
    signature = _signature(obj)
    full_name = module if kind == "module" else f"{module}.{qualname}"
    return {
        "_id": full_name,
        "module": module,
        "name": full_name.rpartition(".")[2],
        "qualname": full_name,
        "aliases": [],  # stdlib_documents fills them in, once every document is known
        "kind": kind,
        "signature": signature,
        "summary": docstring.strip().splitlines()[0],
        "docstring": docstring,
    }


def _signature(obj: object) -> str:
    """The signature as written in help(), with defaults that are this process's own state left out.

    A default is evaluated at import: `cgi.parse(environ=os.environ)` prints the loader's whole environment
    (credentials included) and `platform.architecture(executable=sys.executable)` a local path. Those would
    be indexed and served to anyone, so such a default reads `…`.
    """
    if not callable(obj):
        return ""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""  # many builtins have no introspectable signature
    parameters = [
        parameter.replace(default=_Redacted()) if _is_local_state(parameter.default) else parameter
        for parameter in signature.parameters.values()
    ]
    return str(signature.replace(parameters=parameters))


class _Redacted:
    def __repr__(self) -> str:
        return "…"


# Where a default that names this machine would point: the interpreter, its prefixes, the working directory.
_LOCAL_PATHS = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, os.getcwd(), os.path.expanduser("~")} - {"/"})


def _is_local_state(default: object) -> bool:
    if default is os.environ or isinstance(default, type(os.environ)):
        return True
    if isinstance(default, (str, bytes)):
        text = os.fsdecode(default)
        secrets = (value for value in os.environ.values() if len(value) >= MIN_ENVIRONMENT_VALUE)
        return any(text.startswith(path) for path in _LOCAL_PATHS) or text in secrets
    return len(repr(default)) > MAX_DEFAULT_REPR


def _kind(obj: object) -> str | None:
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function"
    return None


def stdlib_documents() -> Iterator[dict[str, Any]]:
    """One document per documented module, class, function and method defined in the standard library, each
    with a `popularity`: how many other standard-library packages import its module, plus, for a member, how
    many name the member itself (reference_counts). So `os.path.join` gets 90 (57 packages import posixpath,
    as os.path, and 33 of them call join) and `shlex.join` 4 (4 + 0); `json.dumps` only 1, for the standard
    library itself hardly uses json. A method gets little more than its module: code reaches methods through
    instances, which reading the source cannot follow, so module-level names rank above methods of the same
    module."""
    modules = list(_stdlib_modules())
    counts = reference_counts(modules)
    documents: list[dict[str, Any]] = []
    for module in modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reading a deprecated module's docstrings warns (typing.io)
            documents.extend(_module_documents(module))
    aliases = public_aliases(modules, {doc["_id"] for doc in documents}, counts)
    for doc in documents:
        doc["popularity"] = counts[doc["module"]] + (counts[doc["_id"]] if doc["kind"] != "module" else 0)
        doc["aliases"] = aliases.get(doc["_id"], [])
        yield doc


def _module_documents(module: ModuleType) -> Iterator[dict[str, Any]]:
    if doc := _document(module.__name__, module.__name__, "module", module):
        yield doc
    for name, member in sorted(vars(module).items()):
        kind = _kind(member)
        # Only what the module defines: re-exports would duplicate documents under other names.
        if name.startswith("_") or kind is None or getattr(member, "__module__", None) != module.__name__:
            continue
        if doc := _document(module.__name__, name, kind, member):
            yield doc
        if kind == "class":
            yield from _methods(module.__name__, name, member)


def _methods(module: str, class_name: str, cls: object) -> Iterator[dict[str, Any]]:
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") or not callable(member):
            continue
        if doc := _document(module, f"{class_name}.{name}", "method", member):
            yield doc
