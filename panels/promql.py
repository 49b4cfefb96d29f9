"""Prometheus' own arithmetic, so figures from a raw scrape match what PromQL would say.

`histogram_quantile` follows promql/quantile.go (`bucketQuantile`) step by step; an
on-call engineer comparing the card with Grafana must see the same p95.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

#: relative difference below which neighbouring bucket counts are float noise (quantile.go)
_PRECISION_TOLERANCE = 1e-12

_DURATION_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_DURATION_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0,
                     "w": 604800.0, "y": 31536000.0}


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """The q-quantile of classic buckets `(upper_bound, cumulative_count)`, as PromQL does.

    Buckets with the same bound are summed (that is `sum by (le)`); NaN when undefined
    (no +Inf bucket, fewer than two buckets, no observations), ±Inf for q outside [0, 1].
    """
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(((float(u), float(c)) for u, c in buckets), key=lambda b: b[0])
    if not ordered or not math.isinf(ordered[-1][0]) or ordered[-1][0] < 0:
        return math.nan
    bounds, counts = _coalesce(ordered)
    _correct_precision_errors(counts)
    _ensure_monotonic(counts)
    if len(bounds) < 2:
        return math.nan
    observations = counts[-1]
    if observations == 0:
        return math.nan
    rank = q * observations
    # sort.Search over all but the +Inf bucket: first bucket whose count reaches the rank
    b = next((i for i in range(len(bounds) - 1) if counts[i] >= rank), len(bounds) - 1)
    if b == len(bounds) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, end, count = 0.0, bounds[b], counts[b]
    if b > 0:
        start = bounds[b - 1]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    return start + (end - start) * (rank / count)


def _coalesce(ordered: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    bounds: list[float] = []
    counts: list[float] = []
    for upper, count in ordered:
        if bounds and bounds[-1] == upper:
            counts[-1] += count
        else:
            bounds.append(upper)
            counts.append(count)
    return bounds, counts


def _correct_precision_errors(counts: list[float]) -> None:
    prev = counts[0]
    for i in range(1, len(counts)):
        curr = counts[i]
        delta = abs(curr - prev)
        if delta == 0:
            continue
        if curr != 0 and delta / curr <= _PRECISION_TOLERANCE:
            counts[i] = prev
        else:
            prev = curr


def _ensure_monotonic(counts: list[float]) -> None:
    """Prometheus' "envelope": a bucket never holds fewer than the one below it."""
    highest = counts[0]
    for i in range(1, len(counts)):
        if counts[i] > highest:
            highest = counts[i]
        elif counts[i] < highest:
            counts[i] = highest


def counter_increase(previous: float | None, current: float) -> float:
    """Increase of a counter between two scrapes; a drop is a restart, as in rate().

    A series absent from the previous scrape was created since, so it counts from 0.
    """
    if previous is None or current < previous:
        return current
    return current - previous


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as "5m", "1h30m" or "90s"; ValueError if not one."""
    cleaned = text.strip()
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(cleaned):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _DURATION_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(cleaned) or not cleaned or total <= 0:
        raise ValueError(f"not a Prometheus duration: {text!r} (use e.g. 1m, 5m, 1h)")
    return total
