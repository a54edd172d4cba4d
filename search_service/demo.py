"""Demo documents: the docstrings of the running Python's standard library, so a new index has real data offline."""

import contextlib
import importlib
import importlib.util
import inspect
import io
import pkgutil
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

# Modules whose import has side effects (opening a browser, printing, starting a GUI) or that are not API.
SKIPPED_MODULES = frozenset(
    {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test", "lib2to3", "ensurepip"}
)

# `simple` splits `json.JSONDecoder.decode` into json / jsondecoder / decode, so `json` finds its members.
# Language analyzers such as `english` live in a module (analysis-common) that Elastic's test
# distribution lacks, so only core analyzers are used.
DEMO_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "module": {"type": "keyword"},
        "name": {"type": "text", "analyzer": "simple"},
        "qualname": {"type": "text", "analyzer": "simple", "fields": {"raw": {"type": "keyword"}}},
        "kind": {"type": "keyword"},
        "signature": {"type": "text", "analyzer": "simple"},
        "summary": {"type": "text"},
        "docstring": {"type": "text"},
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
    try:
        signature = str(inspect.signature(obj)) if callable(obj) else ""
    except (TypeError, ValueError):
        signature = ""  # many builtins have no introspectable signature
    full_name = module if kind == "module" else f"{module}.{qualname}"
    return {
        "_id": full_name,
        "module": module,
        "name": full_name.rpartition(".")[2],
        "qualname": full_name,
        "kind": kind,
        "signature": signature,
        "summary": docstring.strip().splitlines()[0],
        "docstring": docstring,
    }


def _kind(obj: object) -> str | None:
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function"
    return None


def stdlib_documents() -> Iterator[dict[str, Any]]:
    """One document per documented module, class, function and method defined in the standard library."""
    for module in _stdlib_modules():
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
