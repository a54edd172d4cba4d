"""Settings of the answer cache (answer_cache/): how long a search's answer is reused, how much memory a worker gives
it, and the Redis a fleet may share it through."""

from pydantic import BaseModel, Field, field_validator

REDIS_SCHEMES = ("redis://", "rediss://")


class CacheSettings(BaseModel):
    # 60 s, as Typesense's cache_ttl: a new index behind the alias (manage.py index) is seen at once whatever the TTL
    # (answer_cache/generation.py), so the TTL bounds only how long an edit made in place waits, and a minute is what
    # search engines' users are used to; a search asked once a second is sent to Elasticsearch once in 60. With 10 s,
    # the benchmark's Zipf mix missed 29% of the time at the rate one worker serves it.
    search_cache_ttl: float = Field(
        default=60.0,
        ge=0,
        le=86_400,
        description="Seconds a first page's answer is reused for the same search, from each worker's memory (and "
        "`SEARCH_CACHE_URL`'s Redis), and what `Cache-Control: max-age` tells browsers and proxies (what remains of "
        "it). An edit to a document shows after at most this (plus the index's refresh); swapping the index behind "
        "the alias (`manage.py index`) retires every answer within a second. `0` turns caching off. "
        "[The answer cache](operations.md#the-answer-cache).",
    )
    search_cache_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        le=64 * 1024**3,
        description="The memory each worker keeps cached answers in, in bytes (the answers' JSON and their keys); "
        "the least recently used go first. `0` turns caching off.",
    )
    search_cache_url: str = Field(
        default="",
        description="A Redis (`redis://[:password@]host[:port][/db]`, or `rediss://` for TLS) every worker and "
        "replica shares cached answers through, behind each worker's own memory; may be the rate limits' Redis. "
        "Empty: each worker caches alone. A Redis that fails or is slow counts as a miss (a warning a minute at "
        "most).",
    )

    @field_validator("search_cache_url")
    @classmethod
    def _check_cache_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(REDIS_SCHEMES):
            # Never the value itself: it may hold a password.
            raise ValueError("must be empty, or a Redis URL: redis://host:port/db, or rediss:// for TLS")
        return value
