"""The one place where failures become HTTP responses: each has a status and a stable `error` code."""

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, TransportError
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from search_service.admission import Refused
from search_service.query.policy import QueryRefused
from search_service.query.response import UnexpectedAnswer

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MAX_REASON_LENGTH = 500


def describe_query_error(body: Any) -> str:
    """Elasticsearch's reason for refusing a query, cut to what helps the user fix it.

    Parse failures nest: query_shard_exception -> parse_exception -> parse_exception, the inner ones
    carrying a long list of expected tokens. Keep the first line of each level, drop levels already
    quoted by the one above, and leave out index names, UUIDs and node ids.
    """
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "Elasticsearch could not run this query"
    failed_shards = error.get("failed_shards") or []
    cause: Any = failed_shards[0].get("reason") if failed_shards else error
    reasons: list[str] = []
    while isinstance(cause, dict):
        first_line = str(cause.get("reason") or "").strip().splitlines()[:1]
        if first_line and not any(first_line[0] in earlier for earlier in reasons):
            reasons.append(first_line[0])
        cause = cause.get("caused_by")
    reason = ": ".join(reasons) or "Elasticsearch could not run this query"
    return reason[:MAX_REASON_LENGTH]


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, error: str, detail: str, *, retry_after: int | None = None
) -> HttpResponse:
    response = api.create_response(request, {"error": error, "detail": detail}, status=status)
    if retry_after is None and status == 503:
        retry_after = RETRY_AFTER_SECONDS
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """`size: must be at most 100; q: Field required` — the parameter first, as the user wrote it."""
    parts = []
    for problem in errors:
        location = [str(part) for part in problem.get("loc", ()) if part not in ("query", "body", "path")]
        message = str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(location) or 'request'}: {message}")
    return "; ".join(parts)


def register_error_handlers(api: NinjaAPI) -> None:
    """Install the handlers on `api`. Ninja looks them up along each exception's class hierarchy."""

    @api.exception_handler(ValidationError)
    def invalid_parameter(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(api, request, 422, "invalid_parameter", describe_validation_errors(exc.errors))

    @api.exception_handler(QueryRefused)
    def query_refused(request: HttpRequest, exc: QueryRefused) -> HttpResponse:
        return error_response(api, request, 400, exc.code, exc.detail)

    @api.exception_handler(Refused)
    def too_many_requests(request: HttpRequest, exc: Refused) -> HttpResponse:
        return error_response(api, request, 429, exc.code, exc.detail, retry_after=exc.retry_after)

    @api.exception_handler(UnexpectedAnswer)
    def unexpected_answer(request: HttpRequest, exc: UnexpectedAnswer) -> HttpResponse:
        logger.error("Elasticsearch's answer is not a search result: %s", exc)
        return error_response(
            api, request, 502, "elasticsearch_bad_answer", "Elasticsearch answered with something that is not a result"
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(api, request, exc.status_code, "http_error", str(exc))

    @api.exception_handler(ConnectionTimeout)
    def elasticsearch_timeout(request: HttpRequest, exc: ConnectionTimeout) -> HttpResponse:
        logger.warning("Elasticsearch timed out: %s", exc)
        return error_response(api, request, 504, "elasticsearch_timeout", "Elasticsearch did not answer in time")

    @api.exception_handler(ConnectionError)
    def elasticsearch_unreachable(request: HttpRequest, exc: ConnectionError) -> HttpResponse:
        logger.warning("Elasticsearch unreachable: %s", exc)
        return error_response(
            api, request, 503, "elasticsearch_unavailable", "Elasticsearch cannot be reached; try again later"
        )

    @api.exception_handler(TransportError)
    def elasticsearch_transport_error(request: HttpRequest, exc: TransportError) -> HttpResponse:
        logger.error("Elasticsearch transport error: %s", exc)
        return error_response(api, request, 502, "elasticsearch_error", "Elasticsearch failed to answer")

    @api.exception_handler(ApiError)
    def elasticsearch_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        status = exc.meta.status
        if status == 400:
            return error_response(api, request, 400, "invalid_query", describe_query_error(exc.body))
        if status == 404:
            logger.error("Elasticsearch index missing: %s", exc)
            return error_response(
                api, request, 503, "index_unavailable", "The search index does not exist yet; try again later"
            )
        if status == 429:
            logger.warning("Elasticsearch is rejecting work: %s", exc)
            return error_response(
                api, request, 503, "elasticsearch_overloaded", "Elasticsearch is overloaded; try again later"
            )
        if status in (401, 403):
            logger.error("Elasticsearch refused the service's credentials: %s", exc)
        else:
            logger.error("Elasticsearch answered %s: %s", status, exc)
        return error_response(api, request, 502, "elasticsearch_error", "Elasticsearch refused the request")

    @api.exception_handler(Exception)
    def unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug: log it with its traceback for us, answer without one for the caller.
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(api, request, 500, "internal_error", "An unexpected error occurred")
