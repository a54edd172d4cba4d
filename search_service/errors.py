"""The one place where failures become HTTP responses: each has a status and a stable `error` code."""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse
from elasticsearch import (
    ApiError,
    ConnectionError,
    ConnectionTimeout,
    SerializationError,
    TransportError,
    UnsupportedProductError,
)
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from search_service.admission import Refused
from search_service.analytics.reports import ReportsUnavailable, ReportTimedOut
from search_service.credentials import EndpointOff, KeysUnavailable, NotAuthenticated, NotPermitted
from search_service.elastic import describe_version_refusal, refuses_client_version
from search_service.elastic_errors import (
    classify_refusal,
    describe_attempts,
    describe_query_error,
    describe_unavailable,
    locate_query_error,
)
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.mapping.loaded import FieldSettingsMismatch, IndexMissing
from search_service.parameters import InvalidParameter
from search_service.query.diagnose import SIMPLE_MODE_HINT
from search_service.query.policy import QueryRefused
from search_service.renderers import render_json

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

# What Django raises while reading what a client sent (request.GET, request.body: wherever they are first read,
# which for query parameters is inside the view's parameter parsing). The client's fault, so 4xx, each with its
# own code; SuspiciousOperation is the base of Django's family. Details never echo the request.
CLIENT_FAULTS: dict[type[Exception], tuple[int, str, str]] = {
    TooManyFieldsSent: (400, "too_many_parameters", "At most {max_fields} query parameters are accepted"),
    TooManyFilesSent: (400, "too_many_files", "Too many files in the request"),
    RequestDataTooBig: (413, "request_too_large", "The request body is larger than {max_body} bytes"),
    DisallowedHost: (400, "invalid_host", "The Host header is not one this service answers for"),
    SuspiciousOperation: (400, "bad_request", "The request is malformed"),
    BadRequest: (400, "bad_request", "The request is malformed"),
}


def error_response(
    status: int,
    error: str,
    detail: str,
    *,
    retry_after: int | None = None,
    position: int | None = None,
    hint: str | None = None,
) -> HttpResponse:
    """The one shape of every error answer (schemas.ErrorResponse); `position` and `hint` only when known."""
    data: dict[str, Any] = {"error": error, "detail": detail}
    if position is not None:
        data["position"] = position
    if hint is not None:
        data["hint"] = hint
    response = render_json(data, status=status)
    if retry_after is None and status == 503:
        retry_after = RETRY_AFTER_SECONDS
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def configuration_mismatch() -> HttpResponse:
    """The answer while the field settings do not fit the index. The lines naming the variables and fields were
    logged when the mapping was checked (mapping/loaded.py): they are the operator's, not the caller's."""
    return error_response(
        503, "configuration_mismatch", "The service's field settings do not fit the index; see the service's log"
    )


def request_id_of(request: HttpRequest) -> str:
    """The request's id as the access log writes it (access_log.py), so a log line can be found from an answer."""
    return str(getattr(request, "request_id", "-"))


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

    def client_fault(status: int, error: str, detail: str) -> Callable[[HttpRequest, Exception], HttpResponse]:
        def handler(request: HttpRequest, exc: Exception) -> HttpResponse:
            limits = {
                "max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                "max_body": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            }
            return error_response(status, error, detail.format(**limits))

        return handler

    for exc_class, (status, error, detail) in CLIENT_FAULTS.items():
        api.exception_handler(exc_class)(client_fault(status, error, detail))

    @api.exception_handler(ValidationError)
    def invalid_parameter(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(422, "invalid_parameter", describe_validation_errors(exc.errors))

    @api.exception_handler(InvalidParameter)
    def invalid_parameter_for_index(request: HttpRequest, exc: InvalidParameter) -> HttpResponse:
        return error_response(422, "invalid_parameter", str(exc))

    @api.exception_handler(IndexMissing)
    def index_missing(request: HttpRequest, exc: IndexMissing) -> HttpResponse:
        logger.warning("Index %s does not exist", exc)
        return error_response(503, "index_unavailable", "The search index does not exist yet; try again later")

    @api.exception_handler(FieldSettingsMismatch)
    def settings_mismatch(request: HttpRequest, exc: FieldSettingsMismatch) -> HttpResponse:
        return configuration_mismatch()

    @api.exception_handler(AlgoliaRequestError)
    def instantsearch_refused(request: HttpRequest, exc: AlgoliaRequestError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message)

    @api.exception_handler(QueryRefused)
    def query_refused(request: HttpRequest, exc: QueryRefused) -> HttpResponse:
        return error_response(400, exc.code, exc.detail, position=exc.position, hint=exc.hint)

    @api.exception_handler(EndpointOff)
    def endpoint_off(request: HttpRequest, exc: EndpointOff) -> HttpResponse:
        return error_response(404, "not_found", "No such endpoint")

    @api.exception_handler(NotAuthenticated)
    def not_authenticated(request: HttpRequest, exc: NotAuthenticated) -> HttpResponse:
        response = error_response(401, exc.code, exc.detail)
        response["WWW-Authenticate"] = exc.challenge
        return response

    @api.exception_handler(NotPermitted)
    def not_permitted(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
        return error_response(403, "forbidden", exc.detail)

    @api.exception_handler(KeysUnavailable)
    def keys_unavailable(request: HttpRequest, exc: KeysUnavailable) -> HttpResponse:
        # Logged where it happened (keys/store.py), with the database's error.
        return error_response(503, "api_keys_unavailable", "API keys cannot be checked now; try again later")

    @api.exception_handler(Refused)
    def too_many_requests(request: HttpRequest, exc: Refused) -> HttpResponse:
        return error_response(429, exc.code, exc.detail, retry_after=exc.retry_after)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(exc.status_code, "http_error", str(exc))

    @api.exception_handler(ReportTimedOut)
    def report_timed_out(request: HttpRequest, exc: ReportTimedOut) -> HttpResponse:
        logger.warning("Analytics report stopped at ANALYTICS_REPORT_TIMEOUT: %s", exc)
        return error_response(
            504, "report_timeout", "The report took longer than ANALYTICS_REPORT_TIMEOUT; ask for a shorter window"
        )

    @api.exception_handler(ReportsUnavailable)
    def reports_unavailable(request: HttpRequest, exc: ReportsUnavailable) -> HttpResponse:
        logger.warning("Analytics report failed: %s", exc)
        return error_response(503, "analytics_unavailable", "The analytics database cannot answer now; try again later")

    @api.exception_handler(ConnectionTimeout)
    def elasticsearch_timeout(request: HttpRequest, exc: ConnectionTimeout) -> HttpResponse:
        logger.warning("Elasticsearch timed out for request %s: %s", request_id_of(request), describe_attempts(exc))
        return error_response(504, "elasticsearch_timeout", "Elasticsearch did not answer in time")

    @api.exception_handler(ConnectionError)
    def elasticsearch_unreachable(request: HttpRequest, exc: ConnectionError) -> HttpResponse:
        logger.warning("Elasticsearch unreachable for request %s: %s", request_id_of(request), describe_attempts(exc))
        return error_response(503, "elasticsearch_unavailable", "Elasticsearch cannot be reached; try again later")

    @api.exception_handler(SerializationError)
    @api.exception_handler(UnsupportedProductError)
    @api.exception_handler(ElasticsearchAnswerMalformed)
    def elasticsearch_bad_answer(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Not JSON, not from Elasticsearch (a proxy's error page, another server on the port), or JSON without
        # what the service relies on. Retrying will not help; an operator must look, so ERROR.
        logger.error("Elasticsearch's answer is malformed: %s", exc)
        return error_response(
            502, "elasticsearch_bad_answer", "Elasticsearch answered in a shape the service cannot use"
        )

    @api.exception_handler(TransportError)
    def elasticsearch_transport_error(request: HttpRequest, exc: TransportError) -> HttpResponse:
        logger.error("Elasticsearch transport error: %s", exc)
        return error_response(502, "elasticsearch_error", "Elasticsearch failed to answer")

    @api.exception_handler(ApiError)
    def elasticsearch_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        status = exc.meta.status
        if status == 400:
            if refuses_client_version(exc):
                # Every request fails until the operator installs a matching client: not the caller's query.
                logger.error("%s", describe_version_refusal(exc))
                return error_response(
                    502,
                    "elasticsearch_incompatible",
                    "The service's Elasticsearch client does not match the server's version",
                )
            # Our words to the caller; Elasticsearch's (index names, Java classes, parser states) to the log only.
            refusal = classify_refusal(exc.body)
            logger.warning(
                "Elasticsearch refused request %s (answered %s %s): %s",
                request_id_of(request),
                refusal.status,
                refusal.code,
                describe_query_error(exc.body),
            )
            if refusal.code == "invalid_query":
                position = locate_query_error(exc.body, request.GET.get("q"))
                # The mode=simple hint helps only a query_string `q`; a filter's refusal has nothing to do with it.
                query_string = (
                    request.GET.get("q", "").strip() and request.GET.get("mode", "query_string") == "query_string"
                )
                hint = SIMPLE_MODE_HINT if query_string else None
                return error_response(400, refusal.code, refusal.detail, position=position, hint=hint)
            return error_response(refusal.status, refusal.code, refusal.detail)
        if status == 404:
            logger.error("Elasticsearch index missing: %s", exc)
            return error_response(503, "index_unavailable", "The search index does not exist yet; try again later")
        if status == 429:
            logger.warning(
                "Elasticsearch is rejecting work for request %s: %s",
                request_id_of(request),
                describe_unavailable(exc.body),
            )
            return error_response(503, "elasticsearch_overloaded", "Elasticsearch is overloaded; try again later")
        if status in (502, 503):
            # Elasticsearch's own 503: the index's shards are unavailable (recovering after a restart, an index
            # being re-created). A 502 or 503 from a load balancer or gateway in front of it: no node behind it.
            # Both pass, so 503 with Retry-After, like a refused connection; not the service's fault, so WARNING.
            logger.warning(
                "Elasticsearch is unavailable for request %s (it answered %s): %s",
                request_id_of(request),
                status,
                describe_unavailable(exc.body),
            )
            return error_response(
                503,
                "elasticsearch_unavailable",
                "Elasticsearch cannot serve searches now; try again later",
            )
        if status == 504:
            # A gateway in front of the cluster (Elastic Cloud's proxy among them) gave up waiting on it.
            logger.warning("Elasticsearch's gateway timed out: %s", exc)
            return error_response(504, "elasticsearch_timeout", "Elasticsearch did not answer in time")
        # 401/403 and other statuses, 500 among them: Elasticsearch failed or refused; trying again will not help.
        if status in (401, 403):
            logger.error("Elasticsearch refused the service's credentials: %s", exc)
        else:
            logger.error("Elasticsearch answered %s: %s", status, exc)
        return error_response(502, "elasticsearch_error", "Elasticsearch refused the request")

    @api.exception_handler(Exception)
    def unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug: log it with its traceback for us, answer without one for the caller.
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "An unexpected error occurred")
