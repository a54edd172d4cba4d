"""What checking a tenant token costs the worker, in process (`python -m benchmarks.tenant_tokens`, run by the
toggles scenario in a process of its own): the first check of a token (its signature and claims' rules), and the
check of a token seen before, as keys/auth.py makes it (the parent from the key store's cache, the remembered
claims, the request's key). Prints one JSON object of microseconds, medians of several timed runs."""

import asyncio
import os
import time
from statistics import median

import orjson

RUNS = 7
CHECKS = 20_000
FIRST_CHECKS = 2_000


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from search_service.keys.format import generate_key
    from search_service.keys.store import KeyStore, ParentKey, VerifiedKey
    from search_service.tenants.token import make_token, read_token
    from search_service.tenants.verify import VerifiedTokens, tenant_key, token_rules

    rules = token_rules(settings.SEARCH)
    key = generate_key()
    token = make_token(key.key, filters=[f"{rules.filter_fields[0]}:x"], ttl=3_600, rules=rules)
    parent = ParentKey(VerifiedKey(1, key.prefix, frozenset({"search"}), None), key.key_hash)
    store = KeyStore(ttl=3_600, lookup_timeout=1, stale_for=0)
    store._remember(key.prefix, parent)  # as after the parent's first lookup
    tokens = VerifiedTokens(rules)

    async def check() -> VerifiedKey:
        prefix = tokens.parent_of(token)
        assert prefix is not None
        found = await store.find_parent(prefix)
        assert found is not None
        return tenant_key(found, tokens.claims(token, found))

    async def timed_checks() -> float:
        began = time.perf_counter()
        for _ in range(CHECKS):
            await check()
        return (time.perf_counter() - began) / CHECKS * 1e6

    def timed_first_checks() -> float:
        began = time.perf_counter()
        for _ in range(FIRST_CHECKS):
            read_token(token, key.key_hash, rules)
        return (time.perf_counter() - began) / FIRST_CHECKS * 1e6

    loop = asyncio.new_event_loop()
    loop.run_until_complete(timed_checks())  # warm-up
    first = median(timed_first_checks() for _ in range(RUNS))
    seen = median(loop.run_until_complete(timed_checks()) for _ in range(RUNS))
    print(orjson.dumps({"first_check_us": round(first, 2), "seen_before_us": round(seen, 2)}).decode())


if __name__ == "__main__":
    main()
