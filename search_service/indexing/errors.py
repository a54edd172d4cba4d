"""Why a load stopped, as one line for the operator: the loader's own refusals, and Elasticsearch's answers."""

from typing import Any

from elasticsearch import ApiError, TransportError

from search_service.elastic import describe_version_refusal, refuses_client_version
from search_service.indexing.source import BadLine


class LoadError(Exception):
    """A load that stopped before moving the alias; its message is the whole story, for one line on stderr."""


class DefinitionError(LoadError):
    """The mapping file cannot be read as an index definition."""


class AliasIsAnIndex(LoadError):
    """The alias's name is taken by a concrete index, which only an explicit choice may replace."""


class TooManyFailures(LoadError):
    """More lines failed than --max-errors allows: the new index is deleted and the alias stays."""

    def __init__(self, message: str, failures: list[BadLine], failed: int) -> None:
        super().__init__(message)
        self.failures = failures  # the first ones, by line number
        self.failed = failed


class NothingIndexed(LoadError):
    """Not one document made it: moving the alias would empty the search."""


class AliasMoved(LoadError):
    """Someone else moved the alias while this load ran (another load, an operator)."""


def describe_elasticsearch_failure(error: ApiError | TransportError) -> str:
    """One line for a failure the operator can fix: the cause, not the stack."""
    if isinstance(error, TransportError):
        return f"cannot reach Elasticsearch: {error}"
    if refuses_client_version(error):
        return describe_version_refusal(error)
    if error.meta.status in (401, 403):
        return (
            f"Elasticsearch refused the credentials ({error.meta.status} {error.message}): check "
            "ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD or ELASTICSEARCH_API_KEY and its privileges"
        )
    return f"Elasticsearch answered {error.meta.status}: {error_reason(error.body) or error.message}"


def error_reason(body: Any) -> str:
    """`type: reason` of an error Elasticsearch answered (a request's or a bulk item's), with its deepest cause,
    which is often the part that names the field or the setting (`caused_by`)."""
    error = body.get("error") if isinstance(body, dict) and "error" in body else body
    if not isinstance(error, dict):
        return str(error or "")[:300]
    said = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    cause = error.get("caused_by")
    while isinstance(cause, dict) and isinstance(cause.get("caused_by"), dict):
        cause = cause["caused_by"]
    deepest = cause.get("reason") if isinstance(cause, dict) else None
    if isinstance(cause, dict) and isinstance(deepest, str) and deepest not in said:
        said += f" ({cause.get('type')}: {deepest})"
    return said[:300]
