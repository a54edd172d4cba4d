"""The relevance benchmark's metrics and typo generator (benchmarks/relevance/): pure functions, no server."""

import math
import random

import pytest

from benchmarks.relevance.make_judged import prefix_of
from benchmarks.relevance.metrics import dcg, hit_at_k, ndcg_at_k, percentile, reciprocal_rank, top1
from benchmarks.relevance.typos import NEIGHBOURS, edit_distance, make_typo


def test_hit_at_k_and_top1():
    grades = {"b": 1}
    assert hit_at_k(["a", "b", "c"], grades, 2) == 1.0
    assert hit_at_k(["a", "b", "c"], grades, 1) == 0.0
    assert hit_at_k([], grades, 5) == 0.0
    assert hit_at_k(["a", "b"], {"b": 0}, 5) == 0.0  # judged, but not relevant
    assert top1(["b", "a"], grades) == 1.0
    assert top1(["a", "b"], grades) == 0.0


def test_reciprocal_rank():
    assert reciprocal_rank(["x", "y", "a", "b"], {"a": 1, "b": 2}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a"], {"a": 2}) == 1.0
    assert reciprocal_rank([f"x{i}" for i in range(10)] + ["a"], {"a": 1}, k=10) == 0.0  # 11th: past k
    assert reciprocal_rank([], {"a": 1}) == 0.0


def test_ndcg_by_hand():
    # Ranked a, x, b with a graded 1, b graded 2 and c (not found) graded 1.
    # DCG  = (2^1-1)/log2(2) + 0 + (2^2-1)/log2(4)              = 1 + 1.5          = 2.5
    # IDCG = (2^2-1)/log2(2) + (2^1-1)/log2(3) + (2^1-1)/log2(4) = 3 + 0.63093 + 0.5 = 4.13093
    grades = {"a": 1, "b": 2, "c": 1}
    assert dcg([1, 0, 2]) == pytest.approx(2.5)
    assert ndcg_at_k(["a", "x", "b"], grades) == pytest.approx(2.5 / (3 + 1 / math.log2(3) + 0.5))
    assert ndcg_at_k(["a", "x", "b"], grades) == pytest.approx(0.60519, abs=1e-5)


def test_ndcg_bounds_and_cut_off():
    assert ndcg_at_k(["b", "a", "c"], {"a": 1, "b": 2, "c": 1}) == pytest.approx(1.0)  # the ideal order
    assert ndcg_at_k(["x", "y"], {"a": 1}) == 0.0
    assert ndcg_at_k(["a"], {}) == 0.0  # nothing judged relevant: 0, not a division by zero
    # A single relevant document at rank 2: 1/log2(3); at rank 3 with k=2 it does not count.
    assert ndcg_at_k(["x", "a"], {"a": 1}) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, k=2) == 0.0


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 0.5) == 10.0
    assert percentile([7.0], 0.95) == 7.0
    assert math.isnan(percentile([], 0.5))


NAMES = ["JSONDecoder", "defaultdict", "urlparse", "os.path.join", "json.dumps", "lru_cache", "b64encode", "deque"]


@pytest.mark.parametrize("name", NAMES)
def test_a_typo_is_one_edit_never_on_the_first_letter(name):
    for seed in range(50):
        typo, kind = make_typo(name, f"seed-{seed}")
        head, _, word = name.rpartition(".")
        typo_head, _, typo_word = typo.rpartition(".")
        assert typo_head == head  # only the last dotted part changes
        assert typo[0] == name[0]
        assert typo_word[0] == word[0]
        assert typo != name
        assert edit_distance(typo.lower(), name.lower()) == 1, (name, typo, kind)


def test_typo_kinds():
    kinds = {make_typo("defaultdict", str(seed))[1] for seed in range(200)}
    assert kinds == {"swap", "drop", "double", "neighbour"}
    for seed in range(200):
        typo, kind = make_typo("defaultdict", str(seed))
        assert len(typo) == len("defaultdict") + {"swap": 0, "drop": -1, "double": 1, "neighbour": 0}[kind]
        if kind == "neighbour":
            changed = next(i for i, (a, b) in enumerate(zip(typo, "defaultdict", strict=True)) if a != b)
            assert typo[changed] in NEIGHBOURS["defaultdict"[changed]]


def test_typos_are_deterministic():
    first = [make_typo(name, "s") for name in NAMES]
    random.seed(12345)  # the global generator plays no part
    assert [make_typo(name, "s") for name in NAMES] == first
    assert [make_typo(name, "s") for name in reversed(NAMES)] == first[::-1]  # each name's typo is its own


def test_a_typo_is_never_another_name():
    avoid = frozenset({"dequ", "dque", "deqe", "edque", "deuqe", "dequee"})
    for seed in range(50):
        assert make_typo("deque", str(seed), avoid)[0].lower() not in avoid


def test_typos_need_four_characters():
    with pytest.raises(ValueError, match="at least 4"):
        make_typo("json.len", "s")


def test_qwerty_neighbours():
    assert set(NEIGHBOURS["s"]) == set("adwezx")
    assert set(NEIGHBOURS["q"]) == set("wa")
    assert set(NEIGHBOURS["m"]) == set("njk")
    assert all(key not in near and near for key, near in NEIGHBOURS.items())


def test_edit_distance():
    assert edit_distance("abcd", "abdc") == 1
    assert edit_distance("abcd", "abd") == 1
    assert edit_distance("abcd", "abccd") == 1
    assert edit_distance("abcd", "abxd") == 1
    assert edit_distance("abcd", "badc") == 2


def test_prefix():
    assert prefix_of("JSONDecoder") == "JSONDec"  # ceil(0.6 * 11) = 7
    assert prefix_of("os.path.join") == "os.path.joi"  # ceil(0.6 * 4) = 3
    assert prefix_of("deque") == "deq"
    assert prefix_of("len") is None  # at least 3 characters is the whole name
