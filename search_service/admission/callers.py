"""Who a caller is, for admission and rate limits, and how a refusal is answered."""

import asyncio
import functools
import ipaddress

# IPv6 clients get a whole /64 each from their provider, so one address per /64 is one client.
IPV6_CLIENT_PREFIX = 64
# What the limits count for a request with a verified API key: `key:<prefix>`, whatever address it comes from.
KEY_IDENTITY = "key:"


class Refused(Exception):
    """A request turned away with 429; `retry_after` in whole seconds."""

    def __init__(self, code: str, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


async def delay_refusal(refused: Refused, delay: float) -> None:
    """Hold a refusal back `delay` seconds (at most its Retry-After) before it is answered.

    Refusing is cheap but not free: a client that retries at once on 50 connections got ~1,900 refusals a
    second and a whole core of the worker (make bench, attack scenario), slowing everyone else. Waiting costs
    nothing but an open connection, and a well-behaved client waits Retry-After anyway."""
    if delay > 0:
        await asyncio.sleep(min(delay, refused.retry_after))


@functools.lru_cache(maxsize=4096)  # pure, and parsing an address cost ~8 µs of a cached answer's ~60
def client_key(address: str | None) -> str:
    """The identity a rate limit counts: the client's address (already taken from X-Forwarded-For by uvicorn
    when the peer is a trusted proxy), IPv6 addresses grouped by /64."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(parsed)
