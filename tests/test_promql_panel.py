"""Prometheus' own arithmetic in `panels.promql`, checked case by case without a server.

These are the fast tests `make mutate` runs first for the module: every case here is one
that quantile.go or rate() handles in a way a plausible slip would not (a bound, a tie,
a float's noise), with the expected value worked out by hand in the comment beside it.
The same arithmetic against a real Prometheus is in test_traffic_panel.py.
"""

from __future__ import annotations

import math

import pytest

from panels.promql import counter_increase, histogram_quantile, parse_duration

NOISE = 1e-12  # an absolute difference of 1e-12 on a count of 10: relative 1e-13


@pytest.mark.parametrize(("q", "buckets", "expected"), [
    # linear interpolation inside the bucket the rank falls in
    (0.5, [(1.0, 10), (2.0, 20), (math.inf, 20)], 1.0),
    (0.75, [(1.0, 10), (2.0, 20), (math.inf, 20)], 1.5),
    # q = 0: rank 0 is reached by the first bucket, at its lower edge 0
    (0.0, [(1.0, 10), (2.0, 20), (math.inf, 20)], 0.0),
    # a single observation is enough for a quantile
    (0.5, [(1.0, 1), (math.inf, 1)], 0.5),
    # a rank equal to a bucket's count stops in that bucket (sort.Search with >=), not
    # in the next bucket that has a count as well: 1.0, not 2.0
    (0.5, [(1.0, 10), (2.0, 10), (3.0, 20), (math.inf, 20)], 1.0),
    # the lowest bucket starts at 0 when its upper bound is positive
    (0.5, [(4.0, 10), (math.inf, 10)], 2.0),
    (0.5, [(0.5, 10), (math.inf, 10)], 0.25),
    # a lowest bucket with a bound <= 0 returns that bound
    (0.1, [(-1.0, 10), (1.0, 20), (math.inf, 20)], -1.0),
    # ... bound 0 included: q = 0 with an empty lowest bucket answers 0, not 0/0
    (0.0, [(0.0, 0), (1.0, 10), (math.inf, 10)], 0.0),
    # the +Inf bucket returns the second-highest bound
    (0.99, [(0.5, 10), (1.0, 10), (math.inf, 100)], 1.0),
    # buckets of several series add up by le (sum by (le)), in any order
    (0.5, [(2.0, 10), (math.inf, 10), (1.0, 5), (1.0, 5), (2.0, 10), (math.inf, 10)], 1.0),
    # ... series of different shapes: (5, 10, 10) + (0, 10, 10) = (5, 20, 20), rank 10 in
    # (1, 2]: 1 + 5/15; keeping only the last series' count would say 1.5
    (0.5, [(1.0, 5), (2.0, 10), (math.inf, 10), (1.0, 0), (2.0, 10), (math.inf, 10)],
     1 + 1 / 3),
    # ... even with negative counts (a broken exporter): rank -2.5 is above every count
    # but +Inf's is not searched (sort.Search over all but the last), so 1.0
    (0.5, [(1.0, -5), (math.inf, -5)], 1.0),
    # a bucket lower than the one below it is lifted (monotonicity fix)
    (0.5, [(1.0, 10), (2.0, 5), (3.0, 20), (math.inf, 20)], 1.0),
    # ... which matters past it: (10, 10, 20), rank 15 in (2, 3]: 2 + 5/10 = 2.5 (unlifted,
    # the bucket would hold 15 and say 2 + 10/15)
    (0.75, [(1.0, 10), (2.0, 5), (3.0, 20), (math.inf, 20)], 2.5),
    # a bucket that drops to 0 is lifted too, without dividing by its zero count
    (0.5, [(1.0, 5), (2.0, 0), (math.inf, 10)], 1.0),
    # float noise between buckets (relative 1e-13) is ignored, even after a run of equal
    # counts: q = 1 then ranks 10 into the first bucket, 0.5; taken at face value the
    # noise would make (1.0, 2.0] hold the top observation and answer 2.0
    (1.0, [(0.5, 10), (1.0, 10), (2.0, 10 + NOISE), (math.inf, 10 + NOISE)], 0.5),
    # ... noise right after the first bucket too: 1.0, not 2.0
    (1.0, [(1.0, 10), (2.0, 10 + NOISE), (math.inf, 10 + NOISE)], 1.0),
    # ... judged against the last real step: (10, 11, 11 + noise) is (10, 11, 11), rank 11
    # in (1, 2]: 2.0 (comparing with 10 instead would keep the noise and say 3.0)
    (1.0, [(1.0, 10), (2.0, 11), (3.0, 11 + NOISE), (math.inf, 11 + NOISE)], 2.0),
    # ... up to exactly the tolerance: 1 in 1e12 is relative 1e-12, still noise (quantile.go's
    # correctPrecisionErrors: eps <= tolerance), so q = 1 stays in the first bucket
    (1.0, [(1.0, 999_999_999_999), (2.0, 1e12), (math.inf, 1e12)], 1.0),
    # ... but a difference of relative 1.5e-12 is above the 1e-12 tolerance: it counts
    (1.0, [(0.5, 10), (1.0, 10), (2.0, 10 + 1.5e-11), (math.inf, 10 + 1.5e-11)], 2.0),
    # undefined: nothing at all, no observations, no +Inf bucket, a single bucket
    (0.5, [], math.nan),
    (0.5, [(1.0, 0), (math.inf, 0)], math.nan),
    (0.5, [(1.0, 10), (2.0, 20)], math.nan),
    (0.5, [(math.inf, 10)], math.nan),
    # q outside [0, 1] and NaN, as PromQL answers them
    (1.5, [(1.0, 10), (math.inf, 10)], math.inf),
    (-0.5, [(1.0, 10), (math.inf, 10)], -math.inf),
    (math.nan, [(1.0, 10), (math.inf, 10)], math.nan),
])
def test_histogram_quantile_follows_prometheus_special_cases(
        q: float, buckets: list[tuple[float, float]], expected: float) -> None:
    got = histogram_quantile(q, buckets)

    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("previous", "current", "increase"), [
    (None, 3.0, 3.0),  # a series created since the last scrape counts from 0
    (4.0, 10.0, 6.0),  # the difference
    (5.0, 5.0, 0.0),  # no change is no increase (not a restart)
    (10.0, 4.0, 4.0),  # a drop is a restart: the new value is all increase
])
def test_counter_increase_is_rate_s_per_series_arithmetic(
        previous: float | None, current: float, increase: float) -> None:
    assert counter_increase(previous, current) == increase


@pytest.mark.parametrize(("text", "seconds"), [
    ("5m", 300.0), ("1h30m", 5400.0), ("250ms", 0.25), ("1s", 1.0), ("90s", 90.0),
    ("2d", 172800.0), ("1w", 604800.0), ("1y", 31536000.0), (" 1m ", 60.0),
    ("1h0m1s", 3601.0),
])
def test_prometheus_durations_are_read(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize("bad", ["", "5", "m5", "5 minutes", "0s", "1m 5s", "5m!", "1.5m"])
def test_nonsense_durations_are_refused_with_an_example(bad: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_duration(bad)

    assert str(refused.value) == (f"not a Prometheus duration: {bad!r} "
                                  "(use e.g. 1m, 5m, 1h)")
