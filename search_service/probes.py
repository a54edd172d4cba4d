"""The health probes' paths, and which of their answers the access log leaves out."""

PROBE_PATHS = frozenset({"/health", "/ready"})


def is_successful_probe(path: str, status: int) -> bool:
    """A probe answered 2xx: not logged (access_log.py).

    Docker's HEALTHCHECK calls /health every 10 s and orchestrators probe as often: their lines would outnumber
    everything else in a quiet service's log, and only a failing probe is news, so failures are still logged.
    """
    return path in PROBE_PATHS and 200 <= status < 300
