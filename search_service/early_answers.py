"""Answers given before Django sees a request — protocol.py's 400, 408, 431 and 503, asgi.py's 413, 429 and
WebSocket 400 — and the access line and metric each has, as the middlewares write them for every other answer
(docs/security.md lists them)."""

from django.conf import settings

# The metrics' endpoint of an answer given before any route could be known (400 invalid_request, 408, 431, 503).
UNPARSED = "unparsed"
WEBSOCKET_NOT_SUPPORTED = "websocket_not_supported"
WEBSOCKET_DETAIL = "This API speaks plain HTTP: send the GET without Upgrade"


def record_early_answer(
    *, request_id: str, method: str | None, path: str | None, status: int, duration: float, client: str | None
) -> None:
    """The access line (SEARCH_ACCESS_LOG) and the request metric (SEARCH_METRICS) of an answer given before
    Django; `path` None when no request target was read, counted under the endpoint `unparsed`."""
    config = settings.SEARCH
    if config.search_access_log:
        from search_service.access_log import log_early_answer  # imports the models: after Django's setup

        log_early_answer(
            request_id=request_id, method=method, path=path, status=status, duration=duration, client=client
        )
    if config.search_metrics:
        from search_service.metrics.middleware import endpoint_of_path
        from search_service.metrics.series import observe_request

        observe_request(UNPARSED if path is None else endpoint_of_path(path), status, duration)
