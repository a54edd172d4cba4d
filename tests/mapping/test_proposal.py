"""`inspect_index`'s proposal: settings that pass the mapping check of the index they were made from."""

from typing import Any

from search_service.demo import DEMO_MAPPING
from search_service.mapping.check import check_mapping
from search_service.mapping.fields import index_fields_from_mapping
from search_service.mapping.proposal import propose_settings
from search_service.settings import ServiceSettings
from tests.products import PRODUCT_MAPPING


def settings_from(lines: list[str]) -> ServiceSettings:
    values: dict[str, Any] = {name.lower(): value for name, value in (line.split("=", 1) for line in lines)}
    return ServiceSettings(**values)


def test_the_proposal_for_the_products_fits_them_and_ranks_by_rating():
    fields = index_fields_from_mapping("products", {"products-1": {"mappings": PRODUCT_MAPPING}})
    proposal = propose_settings(fields)
    config = settings_from(proposal.lines)

    assert check_mapping(config, fields).errors == []
    assert config.search_rank_field == "rating"
    assert config.search_suggest_field == "title.keyword"
    assert "title^3" in config.search_fields
    assert "in_stock" in config.search_facet_fields
    assert "price" in config.search_sort_fields
    assert "brand" not in config.search_sort_fields
    # A proposal, not a decision: the hidden-looking field is listed, and the note says to review it.
    assert "cost" in config.search_source_fields
    assert any("must not see" in note for note in proposal.notes)


def test_the_proposal_for_the_demo_fits_it():
    fields = index_fields_from_mapping("documents", {"documents": {"mappings": DEMO_MAPPING}})
    config = settings_from(propose_settings(fields).lines)

    assert check_mapping(config, fields).errors == []
    assert config.search_rank_field == "popularity"
    assert config.search_suggest_field == "qualname.raw"


def test_an_index_without_text_fields_still_gets_settings_that_fit():
    fields = index_fields_from_mapping("k", {"k": {"mappings": {"properties": {"code": {"type": "keyword"}}}}})
    config = settings_from(propose_settings(fields).lines)

    assert check_mapping(config, fields).errors == []
