"""An index unlike the demo's, as a new user brings one: products with a text title and its keyword twin, brands and
categories, prices, ratings, a stock flag, release dates, tag arrays and an internal cost nobody may see. The data
has what real catalogues have: misspelt titles, duplicates, missing fields.

Shared by the tests that prove the service serves *any* mapping (tests/mapping/, the browser test, the fuzz run).
"""

from collections.abc import Iterator
from typing import Any

PRODUCT_MAPPING: dict[str, Any] = {
    "properties": {
        "title": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "description": {"type": "text"},
        "brand": {"type": "keyword"},
        "category": {"type": "keyword"},
        "price": {"type": "float"},
        "rating": {"type": "half_float"},
        "in_stock": {"type": "boolean"},
        "released": {"type": "date"},
        "tags": {"type": "keyword"},
        "sku": {"type": "keyword"},
        "cost": {"type": "float"},  # internal: never in a configuration the tests hand out
        "stock_count": {"type": "integer"},
    }
}

BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
CATEGORIES = ["kettles", "toasters", "blenders", "lamps"]
NOUNS = ["kettle", "toaster", "blender", "lamp"]
ADJECTIVES = ["steel", "compact", "retro", "smart", "quiet", "cordless"]
# What a catalogue typed by hand holds: the same product twice, misspellings.
TYPOS = {"kettle": "ketle", "toaster": "taoster", "blender": "blendr", "lamp": "lmap"}

# Environment a user would write for this index after `manage.py inspect_index` and an edit: the cost hidden.
PRODUCT_ENVIRONMENT: dict[str, Any] = {
    "search_fields": "title^3,description",
    "search_query_fields": "title,description,brand,category,tags",
    "search_source_fields": "title,description,brand,category,price,rating,in_stock,released,tags",
    "search_filter_fields": "brand,category,price,rating,in_stock,released,tags",
    "search_facet_fields": "brand,category,in_stock,tags",
    "search_sort_fields": "price,rating,released,title.keyword",
    "search_rank_field": "rating",
    "search_suggest_field": "title.keyword",
}


def product(n: int) -> dict[str, Any]:
    """The n-th product, deterministic. Every 7th has a misspelt noun, every 11th lacks a rating, every 13th has
    no release date."""
    noun = NOUNS[n % len(NOUNS)]
    adjective = ADJECTIVES[n % len(ADJECTIVES)]
    brand = BRANDS[n % len(BRANDS)]
    written = TYPOS[noun] if n % 7 == 0 else noun
    document: dict[str, Any] = {
        "_id": f"p{n:06d}",
        "title": f"{brand} {adjective} {written} {n}",
        "description": f"A {adjective} {noun} by {brand}, model {n}.",
        "brand": brand,
        "category": CATEGORIES[n % len(CATEGORIES)],
        "price": round(5 + (n * 37 % 500) + 0.99, 2),
        "in_stock": n % 3 != 0,
        "tags": [tag for tag, every in (("sale", 4), ("premium", 10), ("new", 6)) if n % every == 0],
        "sku": f"SKU-{n:06d}",
        "cost": round(2 + (n * 17 % 200) + 0.5, 2),
        "stock_count": n % 50,
    }
    if n % 11:
        document["rating"] = round(1 + (n % 9) * 0.5, 1)
    if n % 13:
        document["released"] = f"{2015 + n % 10}-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
    return document


def products(count: int) -> Iterator[dict[str, Any]]:
    """`count` products; the last two are duplicates of the first two under other ids (as re-imports make)."""
    for n in range(count - 2):
        yield product(n)
    for n in range(min(2, count)):
        yield product(n) | {"_id": f"dup{n:06d}"}
