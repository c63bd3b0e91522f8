"""Chart history per endpoint: what the dashboard draws when an endpoint is clicked.

``environment.stats.history`` holds the totals over the whole run; this holds the same points
for each endpoint, recorded once a second while a test runs. Both are bounded the same way:
a ring that, when full, keeps every other point and from then on records every other call,
so the whole run stays visible at half the resolution. At most ``max_endpoints`` endpoints are
followed (the first ones seen); the rest have no history of their own.

Pure: time and the entries are passed in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from swarm.stats.entries import StatsEntry

Point = dict[str, Any]

#: Points kept per endpoint: an hour at one a second before the first halving.
MAX_POINTS = 3600
#: Endpoints followed.
MAX_ENDPOINTS = 100


class DownsamplingRing:
    """At most ``capacity`` points spread evenly over everything ever appended."""

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError(f"capacity must be 2 or more, not {capacity}")
        self._points: deque[Point] = deque(maxlen=capacity)
        self._stride = 1
        self._calls = 0

    def append(self, point: Point) -> None:
        """Keep ``point`` if it falls on the current stride; halve the points when full."""
        self._calls += 1
        if self._calls % self._stride:
            return
        self._points.append(point)
        if len(self._points) == self._points.maxlen:
            kept = list(self._points)[1::2]
            self._points.clear()
            self._points.extend(kept)
            self._stride *= 2

    def __iter__(self) -> Iterator[Point]:
        return iter(list(self._points))

    def __len__(self) -> int:
        return len(self._points)


def endpoint_point(entry: StatsEntry, now: float, user_count: int) -> Point:
    """One chart point of ``entry``: the keys of a point of ``RequestStats.history``."""
    p50 = p95 = 0.0
    if entry.use_response_times_cache and entry.num_requests:
        p50, p95 = entry.current_histogram().percentiles((0.5, 0.95))
    return {
        "time": datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timestamp": now,
        "user_count": user_count,
        "current_rps": entry.current_rps,
        "current_fail_per_sec": entry.current_fail_per_sec,
        "response_time_percentile_0.5": p50,
        "response_time_percentile_0.95": p95,
    }


class EndpointHistory:
    """A :class:`DownsamplingRing` of points per (name, method)."""

    def __init__(self, max_points: int = MAX_POINTS, max_endpoints: int = MAX_ENDPOINTS) -> None:
        self.max_points = max_points
        self.max_endpoints = max_endpoints
        self._rings: dict[tuple[str, str], DownsamplingRing] = {}

    def record(self, entries: Iterable[StatsEntry], now: float, user_count: int) -> None:
        """Add a point for each entry (new endpoints while fewer than ``max_endpoints``)."""
        for entry in entries:
            key = (entry.name, entry.method)
            ring = self._rings.get(key)
            if ring is None:
                if len(self._rings) >= self.max_endpoints:
                    continue
                ring = self._rings[key] = DownsamplingRing(self.max_points)
            ring.append(endpoint_point(entry, now, user_count))

    def points(self, name: str, method: str) -> list[Point]:
        """The points of one endpoint, oldest first (none for an endpoint not followed)."""
        ring = self._rings.get((name, method))
        return list(ring) if ring is not None else []

    def clear(self) -> None:
        """Forget everything: a new test, or statistics reset."""
        self._rings.clear()
