"""Two tenants in one index of this suite's own making, their parent key, and tokens made as a key's holder makes
them (tenants/token.py, with the settings' rules)."""

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

from search_service.tenants.token import make_token
from search_service.tenants.verify import token_rules
from tests.conftest import temporary_index
from tests.keys.conftest import make_key, write_last_uses  # noqa: F401 - the keys' fixtures, for these tests too

TENANT_MAPPING: dict[str, Any] = {
    "properties": {
        "title": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "body": {"type": "text"},
        "account": {"type": "keyword"},
        "status": {"type": "keyword"},
        "price": {"type": "integer"},
    }
}
NORTH, SOUTH = "north", "south"
PER_TENANT = 30
ADJECTIVES = ["brass", "paper", "storm", "tiny", "solar"]


def tenant_documents() -> list[dict[str, Any]]:
    """North sells lanterns priced 1-30, open or closed; south sells zeppelins priced 1001-1030, some archived (a
    status only south has). Both write `shared`; each has a duplicate and a typo of its own word."""
    documents = []
    for n in range(1, PER_TENANT + 1):
        adjective = ADJECTIVES[n % len(ADJECTIVES)]
        documents.append(
            {
                "_id": f"n{n}",
                "title": f"{'lantren' if n == 7 else 'lantern'} {adjective} {n}",
                "body": f"A shared {adjective} lantern for the north, model {n}",
                "account": NORTH,
                "status": "open" if n % 2 else "closed",
                "price": n,
            }
        )
        documents.append(
            {
                "_id": f"s{n}",
                "title": f"{'zepelin' if n == 7 else 'zeppelin'} {adjective} {n}",
                "body": f"A shared {adjective} zeppelin with quixotic marmalade, model {n}",
                "account": SOUTH,
                "status": "archived" if n % 3 == 0 else "open",
                "price": 1000 + n,
            }
        )
    documents.append({**documents[0], "_id": "n-duplicate"})
    documents.append({**documents[1], "_id": "s-duplicate"})
    return documents


TENANT_ENVIRONMENT: dict[str, Any] = {
    "search_fields": "title^2,body",
    "search_query_fields": "title,body,status,account",
    "search_source_fields": "title,body,account,status,price",
    "search_filter_fields": "account,status,price",
    "search_facet_fields": "account,status",
    "search_sort_fields": "price",
    "search_rank_field": "",
    "search_suggest_field": "title.keyword",
}


@pytest.fixture(scope="session")
def tenant_index(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index("tenants", TENANT_MAPPING, tenant_documents()) as name:
        yield name


@pytest.fixture
def tenants_served(configure_service, tenant_index) -> Callable[..., None]:
    """The service pointed at the two tenants' index; call again with more settings."""

    def configure(**overrides: Any) -> None:
        configure_service(elasticsearch_index=tenant_index, **(TENANT_ENVIRONMENT | overrides))

    configure()
    return configure


@pytest.fixture
async def parent(tenants_served, make_key) -> str:  # noqa: F811 - make_key is the fixture imported above
    key: str = await make_key("tenants' parent")
    return key


@pytest.fixture
def token_of(parent) -> Callable[..., str]:
    """A token of the parent key for `filters` (a key's holder makes it offline, with the service's rules)."""

    def make(*filters: str, **options: Any) -> str:
        arguments: dict[str, Any] = {"ttl": 600} | options
        return make_token(parent, filters=list(filters), rules=token_rules(settings.SEARCH), **arguments)

    return make


def as_token(token: str) -> dict[str, str]:
    return {"X-API-Key": token}


MakeKey = Callable[..., Awaitable[str]]
