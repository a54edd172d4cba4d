"""The public names a demo document is known by besides its own: `os.path.join` for `posixpath.join`, `os.getcwd`
for `posix.getcwd`, `builtins.open` for `io.open`, `random.randint` for `random.Random.randint`.

A document is named by where its object is defined (demo._document), which is often not where people reach it.
Its aliases are read from the standard library itself: each module's public names (`__all__`; every public name
of `builtins`) whose object is another document's, under the module's own name and under the names `sys.modules`
also gives it (`os.path` is `posixpath`). Without `__all__` a module's imports look like its API
(`inspect.namedtuple`), so such modules give none. Deterministic for a given Python, no I/O.
"""

import builtins
import inspect
import sys
from collections.abc import Collection, Iterable, Mapping
from types import ModuleType

# At most this many aliases a document, the most used modules' first: 385 documents of 7,000 have any, and the
# most any has on Python 3.11 is 5 (`builtins.OSError`: `IOError`, `os.error`, `socket.error`, ...).
MAX_ALIASES = 5


def module_names(modules: Iterable[ModuleType]) -> dict[str, ModuleType]:
    """Each module by its own name, and by every public name it is importable as (`os.path`: posixpath)."""
    names = {module.__name__: module for module in modules}
    for key, module in sorted(sys.modules.items()):
        public = not any(part.startswith("_") for part in key.split("."))
        if public and isinstance(module, ModuleType) and key != module.__name__ and module.__name__ in names:
            names.setdefault(key, module)
    return names


def exported_names(module: ModuleType) -> list[str]:
    """The names a module offers as its API: `__all__`'s public names; every public name of `builtins`."""
    if module is builtins:
        return sorted(name for name in vars(builtins) if not name.startswith("_"))
    exported = vars(module).get("__all__")
    if not isinstance(exported, list | tuple):
        return []
    return sorted({name for name in exported if isinstance(name, str) and not name.startswith("_")})


def target_id(member: object) -> str | None:
    """The document id of what a name denotes, as demo._document names it: where it is defined. A bound method
    (`random.randint`, a method of the module's hidden `Random` instance) is its function's."""
    if isinstance(member, ModuleType):
        return member.__name__
    if inspect.ismethod(member):
        member = member.__func__
    defined_in, qualname = getattr(member, "__module__", None), getattr(member, "__qualname__", None)
    if isinstance(defined_in, str) and isinstance(qualname, str):
        return f"{defined_in}.{qualname}"
    return None


def public_aliases(
    modules: Iterable[ModuleType], document_ids: Collection[str], popularity: Mapping[str, int]
) -> dict[str, list[str]]:
    """For each document id, the other public names of its object, at most MAX_ALIASES of them, those of the
    modules more packages use (`popularity`, keyed by document id) first, then alphabetically."""
    names = module_names(modules)
    found: dict[str, set[str]] = {}
    for name, module in names.items():
        if name != module.__name__ and module.__name__ in document_ids:
            found.setdefault(module.__name__, set()).add(name)  # the module itself: `os.path`
        namespace = vars(module)  # not getattr(): a module's __getattr__ may warn or import
        for exported in exported_names(module):
            if exported not in namespace:
                continue
            alias, document_id = f"{name}.{exported}", target_id(namespace[exported])
            if document_id is not None and document_id != alias and document_id in document_ids:
                found.setdefault(document_id, set()).add(alias)

    def rank(alias: str) -> tuple[int, str]:
        holder = names.get(alias.rpartition(".")[0])
        return -popularity.get(holder.__name__, 0) if holder is not None else 0, alias

    return {document_id: sorted(aliases, key=rank)[:MAX_ALIASES] for document_id, aliases in sorted(found.items())}
