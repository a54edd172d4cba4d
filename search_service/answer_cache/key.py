"""The keys an answer goes by: the search (everything that shapes it, after the policy), and the search in one index
generation, which the answer is kept under. Pure."""

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson


def search_key(*, checked_text: str, parameters: Mapping[str, Any], tenant: str = "") -> bytes:
    """16 bytes naming one search: identical searches in flight share one making of the answer by it.

    `parameters` are the request's parameters as validated (defaults filled in, so `q=x` and `q=x&page=1` are one
    search); every parameter is in it, so a new one cannot be forgotten here. `checked_text` is what Elasticsearch
    is sent (the policy's rewrite of `q`); `tenant` the filter a caller is bound to, if any. What the settings
    shape (fields, highlighting, typos) is the same for the whole cache: a cache belongs to one configuration
    (answer_cache_for).
    """
    material = orjson.dumps([tenant, checked_text, parameters], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(material, digest_size=16).digest()


def stored_key(search: bytes, generation: str) -> bytes:
    """16 bytes naming the search's answer from one index generation (the concrete indices behind the configured
    name), so that a swapped alias never answers from the old index."""
    return hashlib.blake2b(search + generation.encode(), digest_size=16).digest()
