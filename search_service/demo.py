"""Demo documents: the docstrings of the running Python's standard library, so a new index has real data offline."""

import ast
import builtins
import contextlib
import gc
import importlib
import importlib.util
import inspect
import io
import os
import pkgutil
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

# Modules whose import has side effects (opening a browser, printing, starting a GUI) or that are not API.
SKIPPED_MODULES = frozenset(
    {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test", "lib2to3", "ensurepip"}
)

# A default longer than this in a signature is not worth reading (and may be runtime state): it reads `…`.
MAX_DEFAULT_REPR = 80
# A string default equal to an environment variable's value is redacted when at least this long (shorter ones,
# `1` or `utf-8`, are everyday defaults that an environment may happen to hold too).
MIN_ENVIRONMENT_VALUE = 8

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


_BUILTIN_NAMES = frozenset(name for name in vars(builtins) if not name.startswith("_"))


def _dotted_name(node: ast.expr) -> str | None:
    """`os.path.join` for the expression `os.path.join`; None for anything but names and attributes."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree, in no particular order: ast.walk's result at twice its speed (no generator per
    node), which is a quarter of a second on the standard library."""
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, ast.AST):
            continue  # a list field's plain values: `global x` holds names as strings
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(value)
            elif isinstance(value, ast.AST):
                stack.append(value)


def referenced_names(tree: ast.Module, package: str) -> set[str]:
    """The dotted names a module's source uses through imports, as written: `import json` gives `json`,
    `from os import path` then `path.join(...)` gives `os.path` and `os.path.join`, a bare `open(...)`
    gives `builtins.open`. Static and approximate: an alias counts wherever it is bound (function-local
    imports too), and a builtin's name counts unless the module binds that name itself anywhere."""
    aliases: dict[str, str] = {}
    references: set[str] = set()
    loaded: set[str] = set()
    bound: set[str] = set()
    chains: set[str] = set()
    for node in _nodes(tree):
        if isinstance(node, ast.Attribute):
            if (chain := _dotted_name(node)) is not None:
                chains.add(chain)
        elif isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                references.add(alias.name)
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:  # `import xml.dom.minidom` binds `xml`
                    top = alias.name.partition(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # `from .decoder import X` inside package `json`: json.decoder.X
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            references.add(base)
            for alias in node.names:
                if alias.name != "*":
                    references.add(f"{base}.{alias.name}")
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    for chain in chains:
        root, _, rest = chain.partition(".")
        if root in aliases:
            references.add(f"{aliases[root]}.{rest}")
    references.update(f"builtins.{name}" for name in (loaded & _BUILTIN_NAMES) - bound - aliases.keys())
    return references


def _document_id(name: str, modules: dict[str, ModuleType]) -> str | None:
    """The demo's `_id` for what a dotted name denotes: `os.path.join` is `posixpath.join`, `builtins.open`
    is `io.open`, as `_document` names them (by where the object is defined). None if nothing is there."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (module := modules.get(".".join(parts[:end]))) is not None:
            break
    else:
        return None
    if end == len(parts):
        return module.__name__
    # vars(), not getattr(): a module's __getattr__ may warn or import.
    member = vars(module).get(parts[end])
    if member is None:
        return None
    defined_in, qualname = getattr(member, "__module__", None), getattr(member, "__qualname__", None)
    head = (
        f"{defined_in}.{qualname}"
        if isinstance(defined_in, str) and isinstance(qualname, str)
        else f"{module.__name__}.{parts[end]}"
    )
    return ".".join([head, *parts[end + 1 :]])


def _package(module: ModuleType) -> str:
    return module.__name__.partition(".")[0]


def reference_counts(modules: Iterable[ModuleType]) -> Counter[str]:
    """For each document id, how many top-level standard-library packages use it (import the module, or
    name the member), read from the modules' sources with `ast`. A package counts once however many of its
    modules use the name (the 120 `encodings.*` codecs all import `codecs`), and never for its own names."""
    users: dict[str, set[str]] = {}
    document_ids: dict[str, str | None] = {}  # the same names recur in hundreds of modules
    # Parsing builds millions of AST nodes, which set off the cyclic garbage collector hundreds of times, each
    # pass walking every object of the 450 modules imported; the nodes hold no cycles (refcounting frees each
    # tree), so it is paused: 0.9 s of 2.6 s.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for module in modules:
            spec = module.__spec__
            if spec is None or not spec.origin or not spec.origin.endswith(".py"):
                continue  # built in (sys, time) or an extension module: used, but it has no source to read
            with open(spec.origin, "rb") as source:
                tree = ast.parse(source.read(), filename=spec.origin)
            package = _package(module)
            for name in referenced_names(tree, spec.parent or ""):
                if name not in document_ids:
                    document_ids[name] = _document_id(name, sys.modules)
                document_id = document_ids[name]
                if document_id is not None and document_id.partition(".")[0] != package:
                    users.setdefault(document_id, set()).add(package)
    finally:
        if collecting:
            gc.enable()
    return Counter({document_id: len(packages) for document_id, packages in users.items()})


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
    for module in modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reading a deprecated module's docstrings warns (typing.io)
            documents = list(_module_documents(module))
        for doc in documents:
            doc["popularity"] = counts[module.__name__] + (counts[doc["_id"]] if doc["kind"] != "module" else 0)
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
