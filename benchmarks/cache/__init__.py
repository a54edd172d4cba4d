"""The answer cache scenario (`make bench BENCH_ARGS="--only cache"`): what the cache (search_service/answer_cache/)
buys and what it costs, measured against the targets of its issue. Writes docs/benchmarks/cache.md.

1. A Zipf mix (s = 1) over 10,000 distinct searches made from the demo corpus, through one service worker with the
   cache at its defaults, against Elasticsearch's own `_search` sent the same mix straight, in the same run.
2. CPU per cache hit: the worker's CPU (from /proc) per request in a run where every request is a hit.
3. Misses: a never-repeating sequence of distinct searches, cache on against cache off, in alternate runs: what the
   cache adds to a search it cannot answer (the key, the generation, the single flight, the store).
4. The seed's slow-upstream scenario with the cache: bursts of identical searches (one should reach Elasticsearch)
   and of distinct ones (async concurrency alone) through a proxy delaying every answer 3 s.
5. Memory: a million distinct searches into the service's AnswerCache in a process of its own, RSS against the
   byte bound.

workload.py makes the searches and sequences, throughput.py runs wrk (1 to 3), slow.py the bursts (4) with burst.py's
asyncio sender, memory.py the memory run (5), probe.py reads /metrics and /proc; sections.py and report.py write the
report; scenario.py runs it all, in that order (about 12 minutes with the defaults).
"""

from benchmarks.cache.scenario import add_arguments, run_from_arguments

__all__ = ["add_arguments", "run_from_arguments"]
