"""The demo documents' `popularity`: how many standard-library packages use each document's object, read from
their sources with `ast` (demo.stdlib_documents says what the counts mean)."""

import ast
import builtins
import gc
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

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
