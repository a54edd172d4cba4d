"""Query-parameter checks beyond what a schema validates by itself: names no endpoint knows, and values whose
validity depends on the index's mapping (known only in the view, after it is read). Both are 422
`invalid_parameter` answers naming the parameter, as schema errors are (errors.py)."""

from collections.abc import Iterable

from ninja import Schema


class InvalidParameter(Exception):
    """A parameter's value refused by a check that needs the mapping (a filter value of the wrong type, stats on
    a keyword field)."""

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}")
        self.parameter = parameter
        self.detail = detail


# Sent by browsers and HTTP libraries to defeat caches (`_=1700000000`): harmless, so never a 422.
IGNORED_PARAMETERS = frozenset({"_"})
MAX_NAMES_QUOTED = 5


def known_parameters(*schemas: type[Schema]) -> frozenset[str]:
    """The names (and aliases) of the schemas' fields: what an endpoint reads."""
    names: set[str] = set(IGNORED_PARAMETERS)
    for schema in schemas:
        for name, info in schema.model_fields.items():
            names.add(info.alias or name)
    return frozenset(names)


def refuse_unknown_parameters(sent: Iterable[str], known: frozenset[str]) -> None:
    """InvalidParameter naming the parameters the endpoint does not read: `fields=title` or a misspelt `fliter=`
    used to be ignored, so the caller got an answer to a question they had not asked."""
    unknown = sorted({name for name in sent if name not in known})
    if unknown:
        named = ", ".join(name[:40] for name in unknown[:MAX_NAMES_QUOTED])
        more = f" and {len(unknown) - MAX_NAMES_QUOTED} more" if len(unknown) > MAX_NAMES_QUOTED else ""
        allowed = ", ".join(sorted(known - IGNORED_PARAMETERS)) or "no parameters"
        what = "unknown parameter" if len(unknown) == 1 else "unknown parameters"
        raise InvalidParameter(named + more, f"{what}; this endpoint reads {allowed}")
