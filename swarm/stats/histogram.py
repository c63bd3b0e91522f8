"""A log-linear histogram of response times, mergeable without loss.

Values are milliseconds (floats, ``>= 0``). Each power of two is cut into 128 equal
sub-buckets, so a bucket is at most 1/128 of its lower bound wide and the midpoint of a bucket
is within 1/256 (0.4%) of any value in it. Exact zeros have a count of their own. Buckets are a
sparse ``dict``: only the buckets that were hit take memory, and a realistic run (0.01 ms to
60 s) touches at most a few thousand of them.

The exact ``min``, ``max``, ``count`` and ``total`` are kept beside the buckets, so a reported
percentile is clamped into ``[min, max]`` and ``percentile(1.0)`` is the true maximum.

Merging adds bucket counts, so merging the histograms of the parts of a sample set gives the
histogram of the whole set: this is what lets workers ship histograms and the master add them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from math import floor, frexp, ldexp
from typing import Any

#: Sub-buckets per power of two; a bucket's width is at most 1/SUB_BUCKETS of its lower bound.
SUB_BUCKETS = 128

#: ``bucket_key(v) == (e << KEY_SHIFT) + floor(m * KEY_SCALE)`` where ``m, e = frexp(v)``;
#: for code that computes keys inline on its hot path.
KEY_SHIFT = SUB_BUCKETS.bit_length() - 1
KEY_SCALE = 2.0 * SUB_BUCKETS

_MASK = SUB_BUCKETS - 1


def bucket_key(value_ms: float) -> int:
    """The bucket of a value ``> 0``: a key that sorts like the values it holds.

    ``frexp`` gives ``value = m * 2**e`` with ``0.5 <= m < 1``, so ``floor(m * 256)`` is one
    of 128 sub-buckets (128..255) of the power of two ``e``.
    """
    m, e = frexp(value_ms)
    return (e << KEY_SHIFT) + floor(m * KEY_SCALE)


def bucket_bounds(key: int) -> tuple[float, float]:
    """The half-open range ``[low, high)`` of the values that fall into bucket ``key``."""
    # key = e * 128 + s with 128 <= s < 256, so key >> 7 == e + 1, and the bucket's values
    # are [s, s + 1) * 2**(e - 8)
    exponent = (key >> KEY_SHIFT) - KEY_SHIFT - 2
    sub = (key & _MASK) + SUB_BUCKETS
    return ldexp(sub, exponent), ldexp(sub + 1, exponent)


def bucket_midpoint(key: int) -> float:
    """The value that stands for every sample in bucket ``key``."""
    low, high = bucket_bounds(key)
    return (low + high) / 2


def _rank(q: float, count: int) -> int:
    """The 1-based rank of the sample at quantile ``q``: ``ceil(q * count)``, at least 1.

    ``q * count`` is rounded first so that float noise (``0.7 * 10 == 7.000000000000001``)
    does not move the rank up by one.
    """
    return max(1, math.ceil(round(q * count, 9)))


class Histogram:
    """Counts of response times (ms) in log-linear buckets, with exact min/max/count/total.

    ``record`` is the hot path (once per request). Percentiles are the midpoint of the bucket
    holding the sample of rank ``ceil(q * count)``, clamped into ``[min, max]``.
    An empty histogram has ``count == 0``, ``min == inf`` and ``max == 0.0``.
    """

    __slots__ = ("count", "counts", "max", "min", "total", "zeros")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.zeros = 0
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = 0.0

    def record(self, value_ms: float) -> None:
        """Add one sample. Values ``<= 0`` (and NaN) count as exact zeros; it must be finite."""
        if value_ms > 0.0:
            m, e = frexp(value_ms)
            # floor and a rare KeyError cost less than int() and dict.get on this path
            key = (e << KEY_SHIFT) + floor(m * KEY_SCALE)
            try:
                self.counts[key] += 1
            except KeyError:
                self.counts[key] = 1
        else:
            value_ms = 0.0
            self.zeros += 1
        self.count += 1
        self.total += value_ms
        if value_ms < self.min:  # noqa: PLR1730 -- cheaper than min() on the per-request path
            self.min = value_ms
        if value_ms > self.max:  # noqa: PLR1730 -- cheaper than max() on the per-request path
            self.max = value_ms

    def record_many(self, values: Iterable[float]) -> None:
        """Add every value of ``values``."""
        for value in values:
            self.record(value)

    def record_count(self, value_ms: float, n: int) -> None:
        """Add ``n >= 0`` samples of the same value at once."""
        if n <= 0:
            return
        if value_ms > 0.0:
            key = bucket_key(value_ms)
            self.counts[key] = self.counts.get(key, 0) + n
        else:
            value_ms = 0.0
            self.zeros += n
        self.count += n
        self.total += value_ms * n
        self.min = min(self.min, value_ms)
        self.max = max(self.max, value_ms)

    def percentile(self, q: float) -> float:
        """The response time that a fraction ``q`` (0..1) of the samples did not exceed.

        ``q <= 0`` gives the minimum, ``q >= 1`` the exact maximum, an empty histogram 0.0.
        """
        return self.percentiles([q])[0]

    def percentiles(self, qs: Iterable[float]) -> list[float]:
        """``percentile(q)`` for each ``q``, in the order given, in one pass over the buckets."""
        qs = list(qs)
        if self.count == 0:
            return [0.0] * len(qs)
        order = sorted(range(len(qs)), key=qs.__getitem__)
        results = [0.0] * len(qs)
        buckets = iter(sorted(self.counts.items()))
        seen = self.zeros
        value = 0.0
        for i in order:
            q = qs[i]
            if q <= 0.0:
                results[i] = self.min
                continue
            if q >= 1.0:
                results[i] = self.max
                continue
            rank = _rank(q, self.count)
            while seen < rank:
                key, n = next(buckets)
                seen += n
                value = bucket_midpoint(key)
            results[i] = min(max(value, self.min), self.max)
        return results

    @property
    def mean(self) -> float:
        """The exact average of the samples; 0.0 when empty."""
        return self.total / self.count if self.count else 0.0

    def merge(self, other: Histogram) -> None:
        """Add ``other``'s samples to this histogram (exact: as if recorded here)."""
        counts = self.counts
        for key, n in other.counts.items():
            counts[key] = counts.get(key, 0) + n
        self.zeros += other.zeros
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def subtract(self, older: Histogram) -> None:
        """Remove the samples of ``older``, an earlier snapshot (``copy()``) of this histogram.

        What remains are the samples recorded since the snapshot. Their exact min and max are
        unknown, so they become the bounds of the lowest and highest remaining buckets, kept
        within the old ``[min, max]``: percentiles stay within one bucket of the truth. Raises
        ValueError when ``older`` holds a sample this histogram does not.
        """
        counts = self.counts
        for key, n in older.counts.items():
            left = counts.get(key, 0) - n
            if left < 0:
                raise ValueError("subtract: the older histogram is not a snapshot of this one")
            if left:
                counts[key] = left
            else:
                del counts[key]
        zeros = self.zeros - older.zeros
        if zeros < 0:
            raise ValueError("subtract: the older histogram is not a snapshot of this one")
        self.zeros = zeros
        self.count -= older.count
        self.total = max(self.total - older.total, 0.0)
        self._narrow_min_max()

    def _narrow_min_max(self) -> None:
        if self.count == 0:
            self.min, self.max, self.total = math.inf, 0.0, 0.0
            return
        if self.zeros:
            self.min = 0.0
        else:
            self.min = max(self.min, bucket_bounds(min(self.counts))[0])
        if self.counts:
            self.max = min(self.max, bucket_bounds(max(self.counts))[1])
        else:
            self.max = 0.0

    def copy(self) -> Histogram:
        """An independent histogram with the same samples."""
        clone = Histogram()
        clone.counts = dict(self.counts)
        clone.zeros = self.zeros
        clone.count = self.count
        clone.total = self.total
        clone.min = self.min
        clone.max = self.max
        return clone

    def to_dict(self) -> dict[str, Any]:
        """Plain ints, floats, lists and None: safe for msgpack and JSON (no int map keys)."""
        keys = sorted(self.counts)
        return {
            "count": self.count,
            "total": self.total,
            "min": self.min if self.count else None,
            "max": self.max,
            "zeros": self.zeros,
            "keys": keys,
            "counts": [self.counts[k] for k in keys],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Histogram:
        """The histogram that ``to_dict`` described."""
        hist = cls()
        hist.counts = dict(zip(data["keys"], data["counts"], strict=True))
        hist.zeros = int(data["zeros"])
        hist.count = int(data["count"])
        hist.total = float(data["total"])
        hist.min = math.inf if data["min"] is None else float(data["min"])
        hist.max = float(data["max"])
        return hist

    def __eq__(self, other: object) -> bool:
        """Same buckets, counts, min and max; totals equal up to float rounding.

        Totals are sums of floats, which depend on the order of addition: the merge of the
        parts of a sample set and the whole set have the same samples but may differ in the
        last bits of ``total``.
        """
        if not isinstance(other, Histogram):
            return NotImplemented
        return (
            self.counts == other.counts
            and self.zeros == other.zeros
            and self.count == other.count
            and self.min == other.min
            and self.max == other.max
            and math.isclose(self.total, other.total, rel_tol=1e-9, abs_tol=1e-9)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: equal histograms can change apart

    def __repr__(self) -> str:
        return (
            f"<Histogram count={self.count} min={self.min if self.count else None} "
            f"max={self.max} buckets={len(self.counts)}>"
        )
