"""Hypothesis against the answer cache: any search, asked twice in one worker with any If-None-Match, is answered
the second time as the first (or 304 when the tag is its own), and never with a 5xx."""

import asyncio
from typing import Any

import httpx
from hypothesis import event, given
from hypothesis import strategies as st

from config.asgi import application
from search_service.elastic import close_client
from search_service.mapping.loaded import forget_index_fields
from tests.test_api_fuzz import VALUE_TEXT, fuzz_settings

LATIN_1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40)
search_params = st.fixed_dictionaries(
    {},
    optional={
        "q": st.one_of(VALUE_TEXT, st.sampled_from(["json", "dumps", "json dumps", "kind:function", "pick*"])),
        "mode": st.sampled_from(["query_string", "simple", "other"]),
        "size": st.sampled_from(["0", "1", "10", "-1", "x"]),
        "page": st.sampled_from(["1", "2", "0"]),
        "filter": st.sampled_from(["kind:function", "module:json", "cost:1", "kind:"]),
        "facets": st.sampled_from(["kind", "module", "cost"]),
    },
)
validators = st.one_of(st.none(), LATIN_1, st.just("*"), st.just("own"), st.just("W/own"))


async def twice(params: dict[str, Any], validator: str | None) -> tuple[httpx.Response, httpx.Response]:
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            first = await client.get("/search", params=params)
            headers: dict[bytes, bytes] = {}
            if validator is not None:
                own = first.headers.get("ETag", '"none"')
                value = validator.replace("own", own) if validator in ("own", "W/own") else validator
                headers[b"If-None-Match"] = value.encode("latin-1")
            second = await client.get("/search", params=params, headers=headers)
            return first, second
    finally:
        await close_client()
        forget_index_fields()


@given(params=search_params, validator=validators)
@fuzz_settings
def test_any_search_asked_twice_is_answered_alike_and_never_a_5xx(configure_service, params, validator):
    first, second = asyncio.run(twice(params, validator))

    assert first.status_code < 500, first.text
    assert second.status_code < 500, second.text
    event(f"{first.status_code} then {second.status_code}")
    if first.status_code != 200:
        assert second.status_code == first.status_code
        assert "ETag" not in second.headers
    elif second.status_code == 304:
        assert validator is not None
        assert second.content == b""
        assert second.headers["ETag"] == first.headers["ETag"]
    else:
        assert second.status_code == 200
        assert second.content == first.content
