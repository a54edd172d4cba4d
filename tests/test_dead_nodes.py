"""A node marked dead stays out of the rotation for its whole timeout (elastic.SteadyNodePool): no server needed.

The kill test on a loaded machine answered 503 while a node rejoined: two searches in flight on the starting node
failed at once, each queued it for resurrection, and the earlier entry brought it back just as a third search's
first attempt failed on it, so that search's one retry went to the same refusing node.
"""

import asyncio
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from elastic_transport import (
    ApiResponseMeta,
    AsyncTransport,
    BaseAsyncNode,
    ConnectionError,
    HttpHeaders,
    NodeConfig,
    NodePool,
)
from elastic_transport._node import NodeApiResponse

from search_service import elastic
from search_service.elastic import SteadyNodePool

HOSTS = ("es1", "es2", "es3")


class FakeNode(BaseAsyncNode):
    """A node that answers 200 unless its host is in `refusing`, when its connection is refused."""

    refusing: ClassVar[set[str]] = set()
    tried: ClassVar[list[str]] = []

    async def perform_request(self, method: str, target: str, *args: Any, **kwargs: Any) -> NodeApiResponse:  # type: ignore[override]
        self.tried.append(self.config.host)
        await asyncio.sleep(0)
        if self.config.host in self.refusing:
            raise ConnectionError("Cannot connect to host")
        meta = ApiResponseMeta(
            status=200,
            http_version="1.1",
            headers=HttpHeaders({"content-type": "application/json"}),
            duration=0.0,
            node=self.config,
        )
        return NodeApiResponse(meta, b"{}")

    async def close(self) -> None:  # type: ignore[override]  # as elastic-transport's own async nodes
        pass


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pools' wall clock, moved by the test: now[0] seconds."""
    now = [1_000.0]
    fake = SimpleNamespace(time=lambda: now[0])
    monkeypatch.setattr("elastic_transport._node_pool.time", fake)
    monkeypatch.setattr(elastic, "time", fake)
    return now


def make_pool(pool_class: type[NodePool]) -> NodePool:
    configs = [NodeConfig("http", host, 9200) for host in HOSTS]
    return pool_class(configs, node_class=FakeNode, randomize_nodes=False)


def node(pool: NodePool, host: str) -> BaseAsyncNode:
    return next(n for n in pool.all() if n.config.host == host)  # type: ignore[return-value]


def hosts_chosen(pool: NodePool, times: int) -> set[str]:
    return {pool.get().config.host for _ in range(times)}


def test_a_node_that_fails_again_is_not_brought_back_by_an_earlier_failure(clock: list[float]) -> None:
    pool = make_pool(SteadyNodePool)
    es3 = node(pool, "es3")
    pool.mark_dead(es3)  # its connection refused: out for 1 s
    clock[0] += 1.5
    assert "es3" in hosts_chosen(pool, 3)  # its timeout over: tried again
    # Two searches are sent to it before the first one's failure comes back; both fail.
    pool.mark_dead(es3)
    pool.mark_dead(es3)
    clock[0] += 2.5  # past the first failure's 2 s
    assert "es3" in hosts_chosen(pool, 3)
    pool.mark_dead(es3)  # a search's first attempt fails on it: out for 4 s

    # That search's retry, and every search for the next 4 s, goes to the two nodes that answer.
    assert hosts_chosen(pool, 30) == {"es1", "es2"}
    clock[0] += 3.9
    assert hosts_chosen(pool, 30) == {"es1", "es2"}
    clock[0] += 0.2
    assert "es3" in hosts_chosen(pool, 3)


def test_searches_in_flight_on_a_dying_node_count_as_one_failure(clock: list[float]) -> None:
    pool = make_pool(SteadyNodePool)
    es3 = node(pool, "es3")
    for _ in range(5):  # five searches were in flight on it when it was killed
        pool.mark_dead(es3)
    clock[0] += 1.1  # one failure's timeout, not the fifth's 16 s
    assert "es3" in hosts_chosen(pool, 3)
    pool.mark_dead(es3)  # still starting: its second failure, out for 2 s (not the sixth's 30 s)
    clock[0] += 1.9
    assert hosts_chosen(pool, 30) == {"es1", "es2"}
    clock[0] += 0.2
    assert "es3" in hosts_chosen(pool, 3)


def test_a_node_marked_live_and_dead_again_waits_its_new_timeout(clock: list[float]) -> None:
    pool = make_pool(SteadyNodePool)
    es3 = node(pool, "es3")
    pool.mark_dead(es3)
    clock[0] += 0.5
    pool.mark_live(es3)  # a search sent before it failed was answered after: it is back at once
    assert "es3" in hosts_chosen(pool, 3)
    clock[0] += 0.2
    pool.mark_dead(es3)  # refused again: out for 1 s from now, whatever its first failure's entry says
    clock[0] += 0.5
    assert hosts_chosen(pool, 30) == {"es1", "es2"}


def test_with_every_node_dead_one_is_still_tried(clock: list[float]) -> None:
    pool = make_pool(SteadyNodePool)
    for host in HOSTS:
        pool.mark_dead(node(pool, host))
    assert pool.get().config.host in HOSTS  # the cluster may be back: the request finds out


def test_thousands_of_failures_in_a_row_keep_the_longest_timeout(clock: list[float]) -> None:
    # With the whole cluster down for a minute and a half, each node failed over 1,000 times in a row (2 ** 1024
    # seconds is more than a float holds).
    pool = make_pool(SteadyNodePool)
    for _ in range(4_000):
        clock[0] += 0.05
        pool.mark_dead(pool.get())
    clock[0] += 29.9
    assert pool.get()  # all dead, still 30 s from their last failure: one is tried anyway
    clock[0] += 0.2
    assert hosts_chosen(pool, 30) == set(HOSTS)


async def test_no_search_fails_while_one_node_of_three_refuses_connections(clock: list[float]) -> None:
    """The whole client, as the service configures it (one retry): bursts of 30 searches, of which the third sent
    to es3 fail together, then, once every timeout has ended, 3 more. Each first attempt on es3 is retried on a node
    that answers (with elastic-transport's own pool, 50 of these 3,300 searches were retried on es3 and failed)."""
    FakeNode.refusing = {"es3"}
    FakeNode.tried = []
    transport = AsyncTransport(
        [NodeConfig("http", host, 9200) for host in HOSTS],
        node_class=FakeNode,
        node_pool_class=SteadyNodePool,
        randomize_nodes_in_pool=False,
        max_retries=1,
        retry_on_status=(),
        retry_on_timeout=False,
    )
    failed = 0

    async def search() -> None:
        nonlocal failed
        try:
            await transport.perform_request("GET", "/_search")
        except ConnectionError:
            failed += 1

    for _ in range(100):
        await asyncio.gather(*(search() for _ in range(30)))
        clock[0] += 100  # past the longest timeout (30 s)
        await asyncio.gather(*(search() for _ in range(3)))
    await transport.close()
    assert failed == 0
    assert FakeNode.tried.count("es3") >= 100  # it was tried again each time its timeout ended
