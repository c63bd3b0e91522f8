"""The histogram: percentile accuracy, exact merges, snapshots and shipping."""

from __future__ import annotations

import json
import math
import random
from collections import deque
from collections.abc import Callable
from itertools import repeat

import msgpack
import pytest

from swarm.stats import PERCENTILES_TO_REPORT
from swarm.stats.histogram import SUB_BUCKETS, Histogram, bucket_bounds, bucket_key

N = 1_000_000


def _exact(sorted_values: list[float], q: float) -> float:
    return sorted_values[math.ceil(q * len(sorted_values)) - 1]


# Each distribution turns N uniform numbers in [0, 1) into samples (ms); plain comprehensions
# keep a million samples cheap to make.


def _uniform(u: list[float]) -> list[float]:
    return [5.0 + 495.0 * x for x in u]


def _normal(u: list[float], mean: float, sd: float) -> list[float]:
    # Box-Muller on consecutive pairs; 1 - x keeps log() away from 0
    out = []
    for a, b in zip(u[0::2], u[1::2], strict=True):
        radius = sd * math.sqrt(-2.0 * math.log(1.0 - a))
        out += (mean + radius * math.cos(math.tau * b), mean + radius * math.sin(math.tau * b))
    return out


def _lognormal(u: list[float]) -> list[float]:
    return [math.exp(x) for x in _normal(u, 3.5, 0.8)]


def _heavy_tail(u: list[float]) -> list[float]:
    # exponential body (mean 20 ms) with a 3% Pareto tail (alpha 1.2) reaching into minutes
    return [
        -20.0 * math.log(1.0 - x / 0.97) if x < 0.97 else 200.0 / ((1.0 - x) / 0.03) ** (1 / 1.2)
        for x in u
    ]


def _bimodal(u: list[float]) -> list[float]:
    # 70% around 12 ms, 30% around 900 ms; the normals are i.i.d., so picking the mode by
    # position is as random as by a coin
    z = _normal(u, 0.0, 1.0)
    return [max(12.0 + 1.5 * x, 0.0) if i % 10 < 7 else 900.0 + 60.0 * x for i, x in enumerate(z)]


def _wide(u: list[float]) -> list[float]:
    # log-uniform over 0.01 ms .. 60 s
    return [0.01 * 6_000_000.0**x for x in u]


DISTRIBUTIONS: dict[str, Callable[[list[float]], list[float]]] = {
    "uniform": _uniform,
    "lognormal": _lognormal,
    "heavy_tail": _heavy_tail,
    "bimodal": _bimodal,
    "0.01ms-60s": _wide,
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_every_reported_percentile_is_within_one_percent_of_the_exact_value(name: str) -> None:
    r = random.Random(f"percentiles-{name}")
    uniform = [r.random() for _ in range(N)]
    values = DISTRIBUTIONS[name](uniform)
    hist = Histogram()
    deque(map(hist.record, values), maxlen=0)
    values.sort()

    reported = hist.percentiles(PERCENTILES_TO_REPORT)

    for q, got in zip(PERCENTILES_TO_REPORT, reported, strict=True):
        exact = _exact(values, q)
        assert got == pytest.approx(exact, rel=0.01), f"p{q}: {got} vs exact {exact}"
        assert got <= values[-1]
    assert hist.percentile(1.0) == values[-1]
    assert hist.count == N
    assert hist.min == values[0]


def test_constant_samples_give_that_value_at_every_percentile() -> None:
    hist = Histogram()
    deque(map(hist.record, repeat(42.125, N)), maxlen=0)
    assert hist.percentiles(PERCENTILES_TO_REPORT) == [42.125] * len(PERCENTILES_TO_REPORT)
    assert hist.percentile(0.0) == 42.125


def test_percentile_is_the_midpoint_of_its_bucket_clamped_to_min_and_max() -> None:
    hist = Histogram()
    for v in (10.0, 10.01, 10.02, 20.0):
        hist.record(v)
    low, high = bucket_bounds(bucket_key(10.0))
    # ranks 1..3 fall into the 10.0 bucket, whose midpoint lies within [min, max]
    assert hist.percentile(0.5) == (low + high) / 2
    assert hist.percentile(0.0) == 10.0
    assert hist.percentile(0.76) <= 20.0
    assert hist.percentile(1.0) == 20.0


def test_no_percentile_exceeds_the_maximum_even_when_max_is_low_in_its_bucket() -> None:
    hist = Histogram()
    low, _ = bucket_bounds(bucket_key(1000.0))
    for _ in range(10):
        hist.record(low)  # the midpoint of this bucket is above every sample
    assert hist.percentiles([0.5, 0.9, 0.99]) == [low, low, low]


def test_bucket_holds_its_value_and_is_at_most_one_128th_wide() -> None:
    r = random.Random(7)
    for _ in range(20_000):
        value = 10 ** r.uniform(-6, 9)
        low, high = bucket_bounds(bucket_key(value))
        assert low <= value < high
        assert (high - low) / low <= 1 / SUB_BUCKETS


def test_bucket_keys_sort_like_their_values() -> None:
    values = sorted(10 ** random.Random(3).uniform(-4, 7) for _ in range(5000))
    keys = [bucket_key(v) for v in values]
    assert keys == sorted(keys)


def test_zero_and_negative_samples_count_as_exact_zeros() -> None:
    hist = Histogram()
    for v in (0.0, -3.0, 0.0, 5.0):
        hist.record(v)
    assert hist.zeros == 3
    assert hist.min == 0.0
    assert hist.percentile(0.75) == 0.0
    assert hist.percentile(1.0) == 5.0


def test_empty_histogram_reports_zero() -> None:
    hist = Histogram()
    assert hist.percentiles([0.0, 0.5, 1.0]) == [0.0, 0.0, 0.0]
    assert hist.mean == 0.0


def test_percentiles_in_any_order_match_single_percentile_calls() -> None:
    hist = Histogram()
    r = random.Random(11)
    hist.record_many(r.expovariate(0.01) for _ in range(10_000))
    qs = [0.99, 0.5, 1.0, 0.0, 0.75, 0.5]
    assert hist.percentiles(qs) == [hist.percentile(q) for q in qs]


def test_record_count_equals_recording_one_by_one() -> None:
    one_by_one, at_once = Histogram(), Histogram()
    for value, n in ((3.25, 4), (0.0, 2), (1234.5, 1), (3.25, 3)):
        for _ in range(n):
            one_by_one.record(value)
        at_once.record_count(value, n)
    assert at_once == one_by_one


def test_merge_of_random_parts_equals_histogram_of_all_samples() -> None:
    r = random.Random(5)
    values = _heavy_tail([r.random() for _ in range(200_000)]) + [0.0] * 17
    everything = Histogram()
    everything.record_many(values)
    parts = [Histogram() for _ in range(7)]
    for v in values:
        parts[r.randrange(len(parts))].record(v)

    merged = Histogram()
    for part in parts:
        merged.merge(part)

    assert merged == everything
    assert merged.percentiles(PERCENTILES_TO_REPORT) == everything.percentiles(
        PERCENTILES_TO_REPORT
    )


def test_merge_with_an_empty_histogram_changes_nothing() -> None:
    hist = Histogram()
    hist.record_many([1.0, 2.0, 3.0])
    before = hist.copy()
    hist.merge(Histogram())
    assert hist == before
    empty = Histogram()
    empty.merge(before)
    assert empty == before


def test_subtracting_a_snapshot_leaves_the_later_samples() -> None:
    r = random.Random(9)
    early = [r.lognormvariate(5, 0.5) for _ in range(5000)]
    late = [r.lognormvariate(2, 0.3) for _ in range(3000)]
    hist = Histogram()
    hist.record_many(early)
    snapshot = hist.copy()
    hist.record_many(late)
    only_late = Histogram()
    only_late.record_many(late)

    window = hist.copy()
    window.subtract(snapshot)

    assert window.counts == only_late.counts
    assert window.count == len(late)
    assert window.total == pytest.approx(sum(late))
    assert hist.mean == pytest.approx((sum(early) + sum(late)) / 8000)
    # min and max are known to one bucket: within 1/128 of the true ones
    assert window.min == pytest.approx(min(late), rel=1 / SUB_BUCKETS)
    assert window.max == pytest.approx(max(late), rel=1 / SUB_BUCKETS)
    for q in PERCENTILES_TO_REPORT:
        assert window.percentile(q) == pytest.approx(only_late.percentile(q), rel=1 / SUB_BUCKETS)


def test_subtracting_everything_leaves_an_empty_histogram() -> None:
    hist = Histogram()
    hist.record_many([0.0, 4.0, 8.0])
    hist.subtract(hist.copy())
    assert hist == Histogram()


def test_subtracting_a_histogram_that_is_not_a_snapshot_is_refused() -> None:
    hist, other = Histogram(), Histogram()
    hist.record(1.0)
    other.record(50.0)
    with pytest.raises(ValueError, match="snapshot"):
        hist.subtract(other)


def test_copy_is_independent() -> None:
    hist = Histogram()
    hist.record(1.0)
    clone = hist.copy()
    clone.record(2.0)
    assert hist.count == 1
    assert clone != hist


@pytest.mark.parametrize(
    ("dumps", "loads"),
    [
        (json.dumps, json.loads),
        (msgpack.packb, msgpack.unpackb),  # default strict_map_key: str keys only
    ],
    ids=["json", "msgpack"],
)
def test_to_dict_survives_json_and_msgpack(dumps: Callable, loads: Callable) -> None:
    hist = Histogram()
    r = random.Random(2)
    hist.record_many([0.0, *(r.paretovariate(1.5) for _ in range(1000))])
    assert Histogram.from_dict(loads(dumps(hist.to_dict()))) == hist
    empty = Histogram.from_dict(loads(dumps(Histogram().to_dict())))
    assert empty == Histogram()
    assert empty.min == math.inf
