"""The attack scenario (`make bench BENCH_ARGS="--only attack"`): does one caller's expensive traffic slow
everyone else's search?

An ordinary search is timed at rest, then again while 50 connections send, for 20 s, the costliest queries
the service's default policy accepts: first from one client (all connections one address), then as a
distributed attack (every request from one of 50 addresses). Clients are told apart as the service tells
them apart behind a proxy, by X-Forwarded-For from the trusted 127.0.0.1 (scripts/serve's default), so no
traffic leaves loopback. The victim is a client of its own. Writes docs/benchmarks/attack.md.

`--service-dir` (repeatable) runs the same attack against other checkouts (for example the code before the
query policy, in a throwaway `git worktree`), each served by its own `scripts/serve`, in the same run.
"""

from benchmarks.attack.scenario import add_arguments, run_from_arguments

__all__ = ["add_arguments", "run_from_arguments"]
