"""`manage.py index` against the real node: load, report bad lines by number, swap the alias, prune versions."""

import asyncio
import io
import re
import sys
import time
from io import StringIO
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from elasticsearch import Elasticsearch, helpers

from search_service.indexing.versions import is_version
from tests.indexing.conftest import concrete_indices, write_lines
from tests.products import PRODUCT_MAPPING, products

FAILED_LINE = re.compile(r"^line (\d+): (.*)$", re.MULTILINE)


def index(*arguments: str) -> tuple[str, str]:
    """Run the command (no grace unless given: nothing searches these aliases); its stdout and stderr."""
    out, err = StringIO(), StringIO()
    grace = () if "--grace" in arguments else ("--grace", "0")
    call_command("index", *arguments, *grace, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def versions(es: Elasticsearch, alias: str) -> list[str]:
    return [name for name in concrete_indices(es, f"{alias}-*") if is_version(name, alias)]


def alias_targets(es: Elasticsearch, alias: str) -> list[str]:
    return sorted(es.indices.get_alias(name=alias).body)


def test_a_hundred_thousand_lines_with_ten_bad_ones(es, alias, mapping_file, tmp_path):
    """The ten bad lines are reported by number (not JSON, not an object, refused by the mapping), the 99,990
    others are searchable through the alias, and the exit status says something failed."""
    documents = list(products(100_000))
    not_json = {17: b'{"title": "cut short', 25_000: b"title,price", 50_001: b"{'single': 'quotes'}", 99_999: b"}"}
    not_objects = {2: b"[1, 2, 3]", 77_777: b'"just a string"'}
    # In different bulk chunks, the last line included; documents otherwise whole, with a price a float refuses.
    refused = {n: orjson.dumps(documents[n - 1] | {"price": "not-a-number"}) for n in (1, 33_333, 66_666, 100_000)}
    bad = not_json | not_objects | refused
    path = write_lines(tmp_path / "products.jsonl", (bad.get(n, d) for n, d in enumerate(documents, start=1)))

    began = time.perf_counter()
    with pytest.raises(CommandError, match="10 lines failed") as raised:
        call_command("index", str(path), "--mapping", str(mapping_file), "--grace", "0", stderr=(err := StringIO()))
    seconds = time.perf_counter() - began
    es.indices.refresh(index=alias)

    reported = {int(n): reason for n, reason in FAILED_LINE.findall(err.getvalue())}
    assert set(reported) == set(bad)
    assert all(reported[n].startswith("not JSON") for n in not_json)
    assert all(reported[n].startswith("not a JSON object") for n in not_objects)
    assert all("failed to parse field [price] of type [float]" in reported[n] for n in refused)
    assert es.count(index=alias)["count"] == 99_990
    assert "\n" not in str(raised.value)
    print(f"\n100,000 lines (10 bad) loaded in {seconds:.1f} s: {99_990 / seconds:,.0f} documents/s")


async def test_searches_during_a_reload_all_succeed(api, es, alias, mapping_file, tmp_path):
    """20 searches a second through the service while a second load runs and swaps the alias: none fails, every one
    counts every matching product (never an empty or half-built index), and the old index is gone after."""
    path = write_lines(tmp_path / "products.jsonl", products(20_000))
    await asyncio.to_thread(index, str(path), "--mapping", str(mapping_file))
    (first,) = alias_targets(es, alias)
    answers: list[tuple[int, int, int | None]] = []

    async def search() -> None:
        response = await api.get("/search", params={"q": "kettle", "size": 1})
        body = response.json()
        answers.append(
            (response.status_code, body.get("shards", {}).get("failed", 0), body.get("total", {}).get("value"))
        )

    await search()
    ((status, _, expected),) = answers
    assert status == 200
    assert expected is not None
    assert expected > 1000
    answers.clear()
    # The grace the command waits by default (ELASTICSEARCH_REQUEST_TIMEOUT, 5 s in the tests) before it deletes
    # the index that was serving: searches sent just before the swap end on it first.
    loading = asyncio.create_task(asyncio.to_thread(index, str(path), "--keep", "1", "--grace", "5"))
    searches: list[asyncio.Task[None]] = []
    sent_after_the_swap: list[bool] = []  # for each search, whether the alias had moved when it was sent
    began = time.monotonic()
    while not loading.done():
        sent_after_the_swap.append(await asyncio.to_thread(alias_targets, es, alias) != [first])
        searches.append(asyncio.create_task(search()))
        await asyncio.sleep(0.05)
    seconds = time.monotonic() - began
    out, _ = await loading
    await asyncio.gather(*searches)

    (second,) = alias_targets(es, alias)
    assert second != first
    assert versions(es, alias) == [second]
    assert f"deleted: {first}" in out
    # The swap happened under load: searches were sent while the old index served and after the alias moved
    # (however many a second this machine managed).
    assert set(sent_after_the_swap) == {False, True}
    failed = [answer for answer in answers if answer[:2] != (200, 0)]
    assert failed == []
    assert {total for _, _, total in answers} == {expected}
    print(f"\n{len(answers)} searches in {seconds:.1f} s during the reload and swap, {len(failed)} failed")


def test_a_concrete_index_of_the_alias_name_is_replaced_only_when_asked(es, alias, tmp_path):
    es.indices.create(index=alias, mappings=PRODUCT_MAPPING, settings={"number_of_replicas": 0})
    helpers.bulk(es, products(100), index=alias, refresh=True)
    path = write_lines(tmp_path / "products.jsonl", products(300))

    with pytest.raises(CommandError, match=f"{alias} is a concrete index, not an alias: rerun with --replace-index"):
        index(str(path))
    assert concrete_indices(es, f"{alias}*") == [alias]  # nothing made, nothing moved
    assert es.count(index=alias)["count"] == 100

    out, _ = index(str(path), "--replace-index")

    (new,) = alias_targets(es, alias)
    assert is_version(new, alias)
    assert concrete_indices(es, f"{alias}*") == [new]
    assert es.count(index=alias)["count"] == 300
    assert f"alias {alias}: the index {alias} (deleted) → {new}" in out
    # Without --mapping the replaced index's mapping is kept: brand stays a keyword (dynamic mapping: text).
    assert es.indices.get_mapping(index=new)[new]["mappings"]["properties"]["brand"] == {"type": "keyword"}


def test_keep_two_keeps_the_previous_version_and_never_touches_other_indices(es, alias, mapping_file, tmp_path):
    others = [f"{alias}-backup", f"{alias}-2020", f"{alias}-20200101t000000000-old", f"{alias}x-20200101t000000000"]
    for name in others:
        es.indices.create(index=name, settings={"number_of_replicas": 0})
    path = write_lines(tmp_path / "products.jsonl", products(50))

    made = []
    for arguments in (["--mapping", str(mapping_file)], [], []):
        index(str(path), "--keep", "2", *arguments)
        made.append(alias_targets(es, alias)[0])

    assert versions(es, alias) == made[1:]
    assert alias_targets(es, alias) == [made[2]]
    assert set(others) <= set(concrete_indices(es, f"{alias}*"))
    # The reloads had no --mapping: each kept the mapping of the version before (dynamic would make brand text).
    assert es.indices.get_mapping(index=made[2])[made[2]]["mappings"] == PRODUCT_MAPPING


def test_documents_from_stdin_with_and_without_ids(es, alias, monkeypatch):
    lines = b'{"_id": "k1", "title": "kettle"}\n{"title": "toaster"}\n\n{"_id": 7, "title": "lamp"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))

    out, err = index("-")

    es.indices.refresh(index=alias)
    assert es.get(index=alias, id="k1")["_source"] == {"title": "kettle"}  # _id is the id, not in the source
    assert es.get(index=alias, id="7")["_source"] == {"title": "lamp"}
    generated = es.search(index=alias, query={"match": {"title": "toaster"}})["hits"]["hits"]
    assert len(generated) == 1
    assert generated[0]["_id"] not in ("k1", "7")
    assert out.startswith("3 documents indexed, 0 lines failed")
    assert err == ""


def test_csv(es, alias, mapping_file, tmp_path):
    path = tmp_path / "products.csv"
    path.write_text("_id,title,price,in_stock\np1,Acme kettle,9.99,true\np2,Globex lamp,,false\np3,Hooli x,cheap,\n")

    with pytest.raises(CommandError, match="1 lines failed"):
        index(str(path), "--mapping", str(mapping_file))

    assert es.get(index=alias, id="p1")["_source"] == {"title": "Acme kettle", "price": "9.99", "in_stock": "true"}
    assert es.count(index=alias, query={"range": {"price": {"lt": 10}}})["count"] == 1  # "9.99" is a float there


def test_more_failures_than_max_errors_stops_and_leaves_the_alias(es, alias, mapping_file, tmp_path):
    good = write_lines(tmp_path / "good.jsonl", products(10))
    index(str(good), "--mapping", str(mapping_file))
    (before,) = alias_targets(es, alias)
    lines: list[dict[str, Any] | bytes] = [*products(20), *(b"not json" for _ in range(5)), *products(20)]
    bad = write_lines(tmp_path / "bad.jsonl", lines)

    err = StringIO()
    with pytest.raises(CommandError, match="more than --max-errors 3 lines failed"):
        call_command("index", str(bad), "--max-errors", "3", "--chunk-size", "5", "--grace", "0", stderr=err)

    assert alias_targets(es, alias) == [before]
    assert versions(es, alias) == [before]  # the new index deleted
    assert [int(n) for n, _ in FAILED_LINE.findall(err.getvalue())] == [21, 22, 23, 24, 25]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (b"{not json", "mapping.json: the mapping file is not JSON"),
        (b'{"propertes": {}}', "unexpected propertes"),
        (b'{"properties": {"price": {"type": "flot"}}}', "refused the mappings or settings: mapper_parsing_exception"),
        (b'{"settings": {"number_of_shards": "many"}}', "refused the mappings or settings: illegal_argument_exception"),
    ],
)
def test_a_mapping_that_cannot_be_used_is_one_line_and_creates_nothing(es, alias, tmp_path, mapping, message):
    (tmp_path / "mapping.json").write_bytes(mapping)
    path = write_lines(tmp_path / "products.jsonl", products(5))

    with pytest.raises(CommandError, match=re.escape(message)) as raised:
        index(str(path), "--mapping", str(tmp_path / "mapping.json"))

    assert "\n" not in str(raised.value)
    assert concrete_indices(es, f"{alias}*") == []


def test_an_input_with_no_document_moves_nothing(es, alias, tmp_path):
    path = write_lines(tmp_path / "empty.jsonl", [b"", b"[]"])

    with pytest.raises(CommandError, match=f"no document was indexed: the alias {alias} stays"):
        index(str(path))

    assert concrete_indices(es, f"{alias}*") == []


def test_a_missing_file_is_one_line(alias, tmp_path):
    with pytest.raises(CommandError, match=r"cannot read .*missing\.jsonl: No such file"):
        index(str(tmp_path / "missing.jsonl"))


def test_unreachable_elasticsearch_is_one_line(configure_service, alias, tmp_path):
    configure_service(elasticsearch_hosts="http://127.0.0.1:1", elasticsearch_max_retries=0)
    path = write_lines(tmp_path / "products.jsonl", products(5))

    with pytest.raises(CommandError, match="cannot reach Elasticsearch"):
        index(str(path))
