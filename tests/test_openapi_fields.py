"""The OpenAPI document describes the configured index (its fields, their types, examples made from them), not the
demo: on the product catalogue, /openapi.json names brand, price and in_stock and never `kind:function`."""

from typing import Any

from tests.products import PRODUCT_ENVIRONMENT


def parameters(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in document["paths"]["/search"]["get"]["parameters"]}


async def test_the_document_names_the_configured_fields_with_their_types(api, configure_service, product_index):
    configure_service(elasticsearch_index=product_index, **PRODUCT_ENVIRONMENT)

    response = await api.get("/openapi.json")

    assert response.status_code == 200
    found = parameters(response.json())
    assert "`price` (float)" in found["filter"]["description"]
    assert "`in_stock` (boolean)" in found["filter"]["description"]
    assert found["filter"]["schema"]["examples"] == [["brand:value", "category:value"]]
    assert "`brand` (keyword)" in found["facets"]["description"]
    assert found["stats"]["schema"]["examples"] == [["price,rating"]]
    assert "`released` (date)" in found["stats"]["description"]
    assert "`title.keyword` (keyword)" in found["sort"]["description"]
    assert "`rating` (half_float)" in found["rank"]["description"]
    assert "examples" not in found["q"]["schema"]  # the demo's "json dumps" means nothing here
    text = response.text
    assert "kind:function" not in text
    assert "json dumps" not in text


async def test_the_demo_index_is_described_by_its_own_fields(api):
    found = parameters((await api.get("/openapi.json")).json())

    assert "`module` (keyword)" in found["filter"]["description"]
    assert found["stats"]["schema"]["examples"] == [["popularity"]]
