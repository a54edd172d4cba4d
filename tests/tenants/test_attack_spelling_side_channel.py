"""Other tenants' words near a tenant's typo: the term suggester draws its candidates from the whole index, ranked by
index-wide frequency (8 a field under a token), before they are counted within the tenant; a fuzzy query's
expansions likewise. A tenant's own correction must survive a few crowding words, and nothing of theirs may show."""

from typing import Any

import pytest

from tests.conftest import temporary_index
from tests.tenants.conftest import TENANT_ENVIRONMENT, TENANT_MAPPING, as_token

pytestmark = pytest.mark.django_db(transaction=True)


def north_docs() -> list[dict[str, Any]]:
    return [
        {"_id": f"n{n}", "title": f"kettle {n}", "body": "a kettle", "account": "north", "status": "open", "price": n}
        for n in range(25)
    ]


def south_docs() -> list[dict[str, Any]]:
    # three words one edit from `kettla`, each far more frequent index-wide than north's `kettle`
    return [
        {"_id": f"s{w}{n}", "title": f"{w} {n}", "body": f"a {w}", "account": "south", "status": "open", "price": 1000}
        for w in ("kettlb", "kettlc", "kettld")
        for n in range(60)
    ]


async def suggestions_for_north(
    api: Any, configure_service: Any, token_of: Any, documents: list[dict[str, Any]]
) -> list[str]:
    with temporary_index("attack-spell", TENANT_MAPPING, documents) as name:
        configure_service(elasticsearch_index=name, **TENANT_ENVIRONMENT)
        north = as_token(token_of("account:north"))
        answer = await api.get("/search", params={"q": "kettla"}, headers=north)
        assert answer.status_code == 200, answer.text
        suggestions: list[str] = answer.json()["suggestions"]
        return suggestions


async def test_norths_correction_does_not_depend_on_souths_words(api, configure_service, parent, token_of):
    alone = await suggestions_for_north(api, configure_service, token_of, north_docs())
    assert alone == ["kettle"], alone  # the control: north's own word is offered
    crowded = await suggestions_for_north(api, configure_service, token_of, north_docs() + south_docs())
    assert crowded == alone, f"south's documents changed north's suggestions: {alone} -> {crowded}"


def south_vocabulary() -> list[dict[str, Any]]:
    # 29 distinct words one edit from `kettla`, all sorting before north's `kettle`: more than the tolerant pass's
    # fuzzy expansions (FUZZY_MAX_EXPANSIONS = 20), which Elasticsearch picks from the whole index's terms
    words = [f"kettla{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + ["kettlb", "kettlc", "kettld"]
    return [
        {"_id": f"s-{w}", "title": w, "body": w, "account": "south", "status": "open", "price": 1000} for w in words
    ]


async def tolerant_answer_for_north(
    api: Any, configure_service: Any, token_of: Any, documents: list[dict[str, Any]]
) -> dict[str, Any]:
    with temporary_index("attack-fuzzy", TENANT_MAPPING, documents) as name:
        configure_service(elasticsearch_index=name, **TENANT_ENVIRONMENT)
        north = as_token(token_of("account:north"))
        answer = await api.get("/search", params={"q": "kettla", "mode": "simple"}, headers=north)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


async def test_souths_words_can_crowd_norths_typo_matches_but_never_show(
    api: Any, configure_service: Any, parent: str, token_of: Any
) -> None:
    """A known limit (docs/tenant-tokens.md#limits): Elasticsearch picks a fuzzy query's expansions from the whole
    index's terms before any filter, so another tenant's many near words can leave a tenant's own typo with fewer
    matches (here none). What it finds is still only its own."""
    alone = await tolerant_answer_for_north(api, configure_service, token_of, north_docs())
    assert alone["total"]["value"] == 25
    crowded = await tolerant_answer_for_north(api, configure_service, token_of, north_docs() + south_vocabulary())
    assert crowded["total"]["value"] <= 25
    assert {hit["source"]["account"] for hit in crowded["hits"]} <= {"north"}
    assert not any("kettl" in suggestion and "kettle" not in suggestion for suggestion in crowded["suggestions"])
