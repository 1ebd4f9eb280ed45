"""The per-process memo: least recently used out once the weights pass the limit read at each store."""

from __future__ import annotations

from lib.memo import WeightedMemo


def test_the_least_recently_used_go_first_once_the_weight_passes_the_limit():
    limit = [10]
    memo = WeightedMemo(lambda: limit[0])
    memo.put("a", "A", 4)
    memo.put("b", "B", 4)
    assert memo.get("a") == "A"  # now b is the least recently used
    memo.put("c", "C", 4)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == ("A", None, "C") and memo.weight == 8


def test_nothing_heavier_than_the_limit_and_nothing_at_all_when_it_is_zero():
    limit = [5]
    memo = WeightedMemo(lambda: limit[0])
    memo.put("big", "x", 6)
    assert memo.get("big") is None
    limit[0] = 0
    memo.put("empty", [], 0)  # an empty value still weighs one: never free, never unbounded
    assert memo.get("empty") is None and len(memo) == 0


def test_storing_a_key_again_replaces_it_and_its_weight():
    memo = WeightedMemo(lambda: 10)
    memo.put("a", "old", 6)
    memo.put("a", "new", 3)
    assert memo.get("a") == "new" and memo.weight == 3 and len(memo) == 1
