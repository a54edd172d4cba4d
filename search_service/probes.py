"""The health probes' paths, and the access-log filter that keeps their successes out of the log."""

import logging

PROBE_PATHS = frozenset({"/health", "/ready"})


class WithoutSuccessfulProbes(logging.Filter):
    """Drops uvicorn's access-log line of a probe answered 2xx.

    Docker's HEALTHCHECK calls /health every 10 s and orchestrators probe as often: their lines would outnumber
    everything else in a quiet service's log, and only a failing probe is news, so failures are still logged.
    The probes themselves are untouched. uvicorn's access records carry (client, method, path with query,
    HTTP version, status) as their arguments.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            _, _, path, _, status = args
            return not (path in PROBE_PATHS and isinstance(status, int) and 200 <= status < 300)
        return True
