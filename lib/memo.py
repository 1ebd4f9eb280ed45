"""A per-process memo bounded by the total weight of what it holds (lines, not entries).

functools.lru_cache bounds by count, and cachetools fixes its size when built; these
limits are settings read at each store (a deploy tunes them, tests turn them off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class WeightedMemo:
    """Least recently used first out, once the weights add up past `limit()`; thread-safe."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.weight = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if (item := self._items.get(key)) is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, weight: int) -> None:
        """Keep `value`, unless it alone weighs more than the limit (0 keeps nothing)."""
        limit = self._limit()
        weight = max(weight, 1)  # an empty value still takes a place
        if weight > limit:
            return
        with self._lock:
            if (old := self._items.pop(key, None)) is not None:
                self.weight -= old[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while self.weight > limit:
                _, (_, dropped) = self._items.popitem(last=False)
                self.weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0

    def __len__(self) -> int:
        return len(self._items)
