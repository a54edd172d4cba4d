"""Version names and which old versions a load deletes, with no server."""

from datetime import UTC, datetime

import pytest

from search_service.indexing.versions import is_version, new_index_name, versions_to_delete


def test_a_version_is_named_after_its_alias_and_utc_time_to_the_millisecond():
    made = datetime(2026, 12, 4, 18, 15, 0, 123456, tzinfo=UTC)

    assert new_index_name("products", made) == "products-20261204t181500123"
    assert new_index_name("Products", made) == "products-20261204t181500123"  # an index name must be lower case


def test_names_sort_in_the_order_they_were_made():
    times = [datetime(2026, 1, 1, 9, 59, 59, 999000, tzinfo=UTC), datetime(2026, 1, 1, 10, 0, 0, 1000, tzinfo=UTC)]
    names = [new_index_name("a", t) for t in times]

    assert sorted(names) == names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("products-20261204t181500123", True),
        ("products-20261204t18150012", False),
        ("products-20261204t1815001234", False),
        ("products-backup", False),
        ("products-2026", False),
        ("products", False),
        ("products-20261204t181500123-old", False),
        ("other-20261204t181500123", False),
        ("products.x-20261204t181500123", False),
        ("productsx20261204t181500123", False),
    ],
)
def test_only_the_exact_pattern_is_a_version(name, expected):
    assert is_version(name, "products") is expected


def test_a_dot_in_the_alias_is_not_a_wildcard():
    assert not is_version("aXb-20261204t181500123", "a.b")
    assert is_version("a.b-20261204t181500123", "a.b")


V1, V2, V3, V4 = (f"p-2026010{n}t000000000" for n in range(1, 5))


@pytest.mark.parametrize(
    ("keep", "deleted"),
    [(1, [V1, V2]), (2, [V1]), (3, []), (10, [])],
)
def test_keep_counts_the_new_version(keep, deleted):
    indices: dict[str, list[str]] = {V1: [], V2: [], V3: []}

    assert versions_to_delete(indices, alias="p", new=V3, keep=keep) == deleted


def test_indices_that_are_not_versions_are_never_deleted():
    indices: dict[str, list[str]] = {V1: [], "p-backup": [], "p-2020": [], "px-20200101t000000000": [], V2: []}

    assert versions_to_delete(indices, alias="p", new=V2, keep=1) == [V1]


def test_a_newer_version_belongs_to_another_load_still_running():
    assert versions_to_delete({V1: [], V2: [], V3: []}, alias="p", new=V2, keep=1) == [V1]


def test_a_version_someone_gave_an_alias_to_is_kept():
    indices = {V1: ["pinned"], V2: [], V3: []}

    assert versions_to_delete(indices, alias="p", new=V3, keep=1) == [V2]


def test_keep_must_count_the_new_version():
    with pytest.raises(ValueError, match="at least 1"):
        versions_to_delete({}, alias="p", new=V1, keep=0)
