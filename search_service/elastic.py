"""The Elasticsearch client's lifecycle: one AsyncElasticsearch per worker process, closed on ASGI shutdown."""

import asyncio
import time
from importlib.metadata import version
from typing import Any

from django.conf import settings
from elastic_transport import AiohttpHttpNode, BaseNode, ConnectionTimeout, HttpHeaders, NodePool, SerializationError
from elastic_transport._node import NodeApiResponse  # the nodes' public return type, exported one level down
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import ApiError, AsyncElasticsearch
from elasticsearch.serializer import OrjsonSerializer

from search_service.metrics.series import elasticsearch_operation, observe_elasticsearch
from search_service.settings import ServiceSettings

_client: AsyncElasticsearch | None = None
CLIENT_VERSION = version("elasticsearch")

# What Elasticsearch answers with; the client would also accept text/* (as a str) and other binary formats.
JSON_MIMETYPES = frozenset({"application/json", "application/vnd.elasticsearch+json"})


class PooledAiohttpNode(AiohttpHttpNode):
    """elastic-transport's aiohttp node with the pool size it was asked for, a timeout that fires on time, and
    JSON answers only.

    Pool size: it passes `connections_per_node` to aiohttp as the per-host limit but leaves the connector's total
    limit at aiohttp's default of 100, so a worker never had more than 100 requests in flight, whatever
    ELASTICSEARCH_CONNECTIONS_PER_NODE said: the 101st concurrent search queued (found by the slow-upstream
    benchmark: 1,000 requests took 30 s). The per-node limit alone is the bound we want.
    """

    def _create_aiohttp_session(self) -> None:
        super()._create_aiohttp_session()
        assert self.session is not None
        self.session.connector._limit = 0  # type: ignore[union-attr]  # 0: no total limit (aiohttp's own value)

    async def perform_request(  # type: ignore[override]  # as the parent's
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        """One attempt, timed into the metrics with its error if it fails (SEARCH_METRICS)."""
        if not settings.SEARCH.search_metrics:
            return await self._perform_on_time(method, target, body, headers, request_timeout)
        began = time.perf_counter()
        operation = elasticsearch_operation(target)
        try:
            response = await self._perform_on_time(method, target, body, headers, request_timeout)
        except Exception as error:  # re-raised: only counted on its way to the error map
            observe_elasticsearch(operation, time.perf_counter() - began, type(error).__name__)
            raise
        status = response.meta.status
        observe_elasticsearch(operation, time.perf_counter() - began, None if status < 400 else f"http_{status}")
        return response

    async def _perform_on_time(
        self,
        method: str,
        target: str,
        body: bytes | None,
        headers: HttpHeaders | None,
        request_timeout: DefaultType | float | None,
    ) -> NodeApiResponse:
        """One attempt, bounded by `request_timeout` to within milliseconds, and refused unless it is JSON.

        The parent gives aiohttp a ClientTimeout with aiohttp's default `ceil_threshold` of 5 s, and aiohttp
        rounds every timeout of 5 s or more up to the next whole second of the loop's clock: with the default
        ELASTICSEARCH_REQUEST_TIMEOUT=5 a search against a stalled node answered 504 after anywhere from 5.0 to
        6.0 s (5.3-6.4 s under load), where a timeout of 1 s was exact. asyncio.timeout does not round;
        aiohttp's own timer stays as a backstop that can only fire later. Either covers the wait for a pooled
        connection, connecting and reading.
        """
        timeout = self.config.request_timeout if isinstance(request_timeout, DefaultType) else request_timeout
        try:
            async with asyncio.timeout(timeout):
                response = await super().perform_request(method, target, body, headers, request_timeout)
        except TimeoutError as error:
            # The node in the message: the log then says which node stalled (errors.py).
            message = f"Connection timed out during request to {self.base_url} (after {timeout} s)"
            raise ConnectionTimeout(message, errors=(error,)) from None
        # A proxy's error page or a stranger on the port: the client would hand the view a str for any text/*.
        mimetype = response.meta.mimetype
        if 200 <= response.meta.status < 300 and response.body and mimetype not in JSON_MIMETYPES:
            raise SerializationError(f"Elasticsearch answered {response.meta.status} with {mimetype}, not JSON")
        return response


class SteadyNodePool(NodePool):
    """elastic-transport's node pool, where a node marked dead stays out of the rotation for its whole timeout.

    The pool queues a node for resurrection each time a request fails on it. When several requests were in flight on
    a node as it died (or refused them as it started), each failure queued an entry and doubled its timeout, and the
    earliest entry brought it back while the latest said it was dead: a request whose first attempt had just failed
    on the node could be retried on that same node and answer 503 although two nodes were up (the kill test, a node
    rejoining on a loaded machine). Here the failures of requests already in flight when a node was marked dead count
    once, and only its latest timeout brings it back.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dead_until: dict[Any, float] = {}  # NodeConfig: when the node's current timeout ends

    def mark_dead(self, node: BaseNode, _now: float | None = None) -> None:
        now = time.time() if _now is None else _now
        if node.config in self._dead_until and node.config not in self._alive_nodes:
            return  # dead already: this request was sent to it before another one's failure said so
        super().mark_dead(node, _now=now)
        # The parent's timeout, to know when it ends. With every node down each request fails on one, so the count
        # runs into the thousands: the power is capped where it passes any maximum, before it overflows a float.
        failures = self._dead_consecutive_failures[node.config]
        power = 2.0 ** min(failures - 1, 64)
        self._dead_until[node.config] = now + min(self._dead_node_backoff_factor * power, self._max_dead_node_backoff)

    def mark_live(self, node: BaseNode) -> None:
        super().mark_live(node)
        self._dead_until.pop(node.config, None)

    def resurrect(self, force: bool = False) -> BaseNode | None:  # type: ignore[override]  # the parent's overloads
        if force:
            return super().resurrect(True)  # no node is alive: any will do
        while True:
            node = super().resurrect(False)
            if node is None or self._dead_until.get(node.config, 0.0) <= time.time():
                return node
            # The entry of an earlier failure: the node failed again since and waits out its latest timeout.
            del self._alive_nodes[node.config]


def client_options(config: ServiceSettings) -> dict[str, Any]:
    """The keyword arguments for AsyncElasticsearch that `config` describes."""
    options: dict[str, Any] = {
        "request_timeout": config.elasticsearch_request_timeout,
        "max_retries": config.elasticsearch_max_retries,
        # A timed-out search is not retried: retrying would multiply the caller's wait by max_retries + 1
        # against a cluster that is already struggling.
        "retry_on_timeout": False,
        # Nor is an answer retried, whatever its status (the client retries 429, 502, 503 and 504 by default, and
        # marks the node dead for each): right away, shards still unassigned, a cluster still overloaded or a
        # gateway still timing out answer the same, and the caller waits twice for it.
        "retry_on_status": (),
        "connections_per_node": config.elasticsearch_connections_per_node,
        "verify_certs": config.elasticsearch_verify_certs,
        # The client uses the standard library's json unless told otherwise; hits are most of the bytes.
        "serializer": OrjsonSerializer(),
    }
    if config.elasticsearch_cloud_id is not None:
        options["cloud_id"] = config.elasticsearch_cloud_id  # one HTTPS node, the deployment's endpoint
    else:
        options["hosts"] = [str(host) for host in config.elasticsearch_hosts]
    if config.elasticsearch_ca_certs is not None:
        options["ca_certs"] = str(config.elasticsearch_ca_certs)
    if config.elasticsearch_api_key is not None:
        options["api_key"] = config.elasticsearch_api_key.get_secret_value()
    if config.elasticsearch_username is not None and config.elasticsearch_password is not None:
        options["basic_auth"] = (
            config.elasticsearch_username,
            config.elasticsearch_password.get_secret_value(),
        )
    return options


def refuses_client_version(error: ApiError) -> bool:
    """Elasticsearch refused the request because of the client's version, not because of what it asked.

    A server accepts clients of its own major and the one below (REST compatibility); a newer client (9.x against an
    8.19 server) is refused on every request with 400 `media_type_header_exception`. A HEAD request (`indices.exists`)
    gets the same 400 without a body, and a HEAD carries nothing else a server could refuse with 400.
    """
    if error.meta.status != 400:
        return False
    if not error.body:
        return True
    body_error = error.body.get("error") if isinstance(error.body, dict) else None
    return isinstance(body_error, dict) and body_error.get("type") == "media_type_header_exception"


def describe_version_refusal(error: ApiError) -> str:
    """One line for the operator: what was refused and how to fix it (client and server majors)."""
    body_error = error.body.get("error") if isinstance(error.body, dict) else None
    cause = body_error.get("caused_by") if isinstance(body_error, dict) else None
    reason = cause.get("reason") if isinstance(cause, dict) else None
    said = f"it says: {str(reason)[:300]}" if reason else "it answered 400 without a body"
    client_major = CLIENT_VERSION.split(".")[0]
    return (
        f"Elasticsearch refuses this client's version (elasticsearch-py {CLIENT_VERSION}; {said}). A server accepts "
        f"clients of its own major and the one below: pin `elasticsearch[async]` in pyproject.toml to the server's "
        f"major (now {client_major}.x), or upgrade the server"
    )


async def server_version(client: AsyncElasticsearch) -> str | None:
    """The version of the node that answers, or None if it does not say: it is for the operator's eyes, and a
    readiness probe must not fail over it. Nodes info rather than `GET /`: the root info API is a module some
    distributions lack; the cluster privilege `monitor` allows it."""
    answer = (await client.nodes.info(node_id="_local", filter_path="nodes.*.version")).body
    nodes = answer.get("nodes") if isinstance(answer, dict) else None
    found = list(nodes.values()) if isinstance(nodes, dict) else []
    versions = [node.get("version") for node in found if isinstance(node, dict)]
    return versions[0] if len(versions) == 1 and isinstance(versions[0], str) else None


def get_client() -> AsyncElasticsearch:
    """The worker's client, created on first use.

    It must be created inside the running event loop: elastic-transport binds its aiohttp session to the
    loop that makes the first request, so a client built at import time would belong to no loop or the
    wrong one.
    """
    global _client
    if _client is None:
        _client = AsyncElasticsearch(
            **client_options(settings.SEARCH), node_class=PooledAiohttpNode, node_pool_class=SteadyNodePool
        )
    return _client


async def close_client() -> None:
    """Close the worker's client, if one was made; the next `get_client()` builds a fresh one."""
    global _client
    if _client is not None:
        client, _client = _client, None
        await client.close()
