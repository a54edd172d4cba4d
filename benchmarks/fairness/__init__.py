"""The fairness scenario (`make bench BENCH_ARGS="--only fairness"`), the measurements of issue 19: does every
caller get its fair share of Elasticsearch, with no refusal of honest traffic?

1. an honest burst from one client (100 and 1,000 at once) through the 3-s proxy, against the same burst
   straight to the proxy (throughput.py);
2. a heavy caller alone (64 connections, one address) with fair admission on and off (`SEARCH_ADMISSION=false`);
3. the heavy caller beside a light one;
4. three attacks, each with a victim: "costly cheap" queries from 10 API keys, did-you-mean amplification,
   one cursor replayed to open points in time (attacks.py, the attackers sent by sender.py);
5. admission's own cost per request, in process (cost.py);
6. bursts beside a CPU hog, and a cursor walk past 10,000 hits (extremes.py).

Every server runs `scripts/serve` with the service's defaults; callers are told apart by X-Forwarded-For from the
trusted 127.0.0.1, as in the attack scenario, or by API key. Writes docs/benchmarks/fairness.md (report.py).
"""

from benchmarks.fairness.scenario import add_arguments, run_from_arguments

__all__ = ["add_arguments", "run_from_arguments"]
