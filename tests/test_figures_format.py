"""Exact strings for every key figure and every duration: a postmortem quotes them as is.

Each panel kind's figures are taken from the metrics its own panel class produces, so a
label that two panels share (Redis's bytes and the host's percentage were both "memory",
and 1.5 GiB read "1610612736%") shows up here.
"""

from __future__ import annotations

import math

import pytest

from common.durations import format_duration, parse_duration
from panels.figures import SCALARS, changes, key_figures, show
from panels.host import DiskUsage, HostPanel, HostSample
from panels.redis import RedisPanel, RedisSample


def test_redis_memory_is_bytes_and_host_memory_a_percentage() -> None:
    redis = RedisPanel("cache", url="redis://127.0.0.1:9")
    figures = key_figures(redis.metrics(RedisSample(
        ping_ms=0.4, used_memory_bytes=1610612736, maxmemory_bytes=0, fragmentation=1.1,
        evicted_keys=0, connected_clients=3, blocked_clients=0, queues={"celery": 12})))
    assert figures == {"used memory": 1610612736.0, "queue celery": 12.0}
    assert changes(figures, {"used memory": 52428800.0, "queue celery": 0.0}) == [
        "queue celery 12 → 0", "used memory 1.5G → 50.0M"]

    host = HostPanel()
    figures = key_figures(host.metrics(HostSample(
        disks=(DiskUsage("/", used_pct=91.0), DiskUsage("/data", error="no such mount")),
        memory_used_pct=87.5, cpu_pct=240.0, load1=1.0, swap_used_pct=0.0, uptime_s=60.0)))
    assert figures == {"memory": 87.5, "cpu": 240.0, "disk /": 91.0}
    assert [show(label, v) for label, v in figures.items()] == ["88%", "240%", "91%"]


def test_every_metric_has_its_own_label() -> None:
    labels = [label for _, label, _ in SCALARS]
    assert len(labels) == len(set(labels))
    metrics = {"http_status": 503, "latency_ms": 12.5, "p95_ms": 988.0, "error_ratio": 0.31,
               "request_rate": 4.5, "connections": 97, "longest_query_s": 7140.0,
               "blocked": 2, "used_memory_bytes": 1024, "memory_used_pct": 87.5,
               "cpu_pct": 250.0, "running": 3, "firing": 1}
    figures = key_figures(metrics)
    assert [f"{label} {show(label, v)}" for label, v in figures.items()] == [
        "HTTP 503", "latency 12 ms", "p95 988 ms", "errors 31.0%", "requests 4.5/s",
        "connections 97", "longest query 1h 59m", "blocked 2", "used memory 1.0K",
        "memory 88%", "cpu 250%", "running 3", "firing 1"]


@pytest.mark.parametrize(("label", "value", "shown"), [
    ("HTTP", 503.0, "503"),
    ("latency", 987.6, "988 ms"),
    ("p95", 0.4, "0 ms"),
    ("errors", 0.3104, "31.0%"),
    ("errors", 0.0, "0.0%"),
    ("errors", 1.0, "100.0%"),
    ("requests", 12.345, "12.3/s"),
    ("connections", 97.0, "97"),
    ("longest query", 7140.0, "1h 59m"),
    ("longest query", 59.9, "1m 00s"),
    ("longest query", 4.25, "4.2s"),
    ("blocked", 2.0, "2"),
    ("used memory", 0.0, "0B"),
    ("used memory", 1023.0, "1023B"),
    ("used memory", 1024.0, "1.0K"),
    ("used memory", 1048576.0 * 1.5, "1.5M"),
    ("used memory", 1024.0 ** 4 * 3, "3.0T"),
    ("used memory", 1024.0 ** 5, "1024.0T"),
    ("used memory", -2048.0, "-2.0K"),
    ("memory", 87.5, "88%"),
    ("cpu", 250.0, "250%"),
    ("running", 3.0, "3"),
    ("firing", 0.0, "0"),
    ("disk /var", 91.44, "91%"),
    ("queue demo:jobs", 1500.0, "1500"),
    ("queue demo:jobs", 1e12, "1000000000000"),
    ("queue demo:jobs", -3.0, "-3"),
    ("unknown label", 2.5, "2"),
    ("HTTP", math.nan, "nan"),
    ("latency", math.inf, "inf ms"),
    ("errors", -math.inf, "-inf%"),
])
def test_each_figure_is_shown_exactly(label: str, value: float, shown: str) -> None:
    assert show(label, value) == shown


def test_key_figures_skip_what_is_missing_or_not_a_number() -> None:
    metrics = {"http_status": None, "latency_ms": math.inf, "p95_ms": -math.inf,
               "error_ratio": math.nan, "request_rate": "12", "connections": True,
               "blocked": 0, "longest_query_s": 12.5, "queues": {"a": None, "b": 2, "c": "x"},
               "disks": [{"mount": "/", "used_pct": math.nan}, "junk",
                         {"mount": "/srv", "used_pct": 40}]}
    assert key_figures(metrics) == {"connections": 1.0, "blocked": 0.0,
                                    "longest query": 12.5, "queue b": 2.0, "disk /srv": 40.0}
    assert key_figures({"queues": ["a"], "disks": {"mount": "/"}}) == {}


def test_changes_biggest_move_first_and_only_what_shows_a_change() -> None:
    before = {"p95": 988.0, "HTTP": 503.0, "errors": 0.31, "connections": 100.0,
              "longest query": 7140.0, "gone": 1.0}
    after = {"p95": 41.0, "HTTP": 200.0, "errors": 0.3104, "connections": 90.0,
             "longest query": 3.0}
    assert changes(before, after) == ["longest query 1h 59m → 3.0s", "p95 988 ms → 41 ms",
                                      "HTTP 503 → 200"]
    assert changes(before, after, limit=10)[-1] == "connections 100 → 90"
    assert changes({"x": 0.0}, {"x": 5.0}) == ["x 0 → 5"]
    assert changes({}, after) == []


@pytest.mark.parametrize(("seconds", "spaced", "compact"), [
    (7140.0, "1h 59m", "1h59m"),
    (59.9, "1m 00s", "1m00s"),
    (59.49, "59s", "59s"),
    (9.94, "9.9s", "9.9s"),
    (9.95, "10s", "10s"),
    (0, "0.0s", "0.0s"),
    (-0.0, "0.0s", "0.0s"),
    (-3600.0, "0.0s", "0.0s"),
    (60.0, "1m 00s", "1m00s"),
    (3599.0, "59m 59s", "59m59s"),
    (3600.0, "1h 00m", "1h00m"),
    (86399.0, "23h 59m", "23h59m"),
    (86400.0, "1d 00h", "1d00h"),
    (90061.0, "1d 01h", "1d01h"),
    (1e9, "11574d 01h", "11574d01h"),
    (True, "–", "–"),
    (-math.inf, "–", "–"),
])
def test_format_duration_edges(seconds: float, spaced: str, compact: str) -> None:
    assert format_duration(seconds) == spaced
    assert format_duration(seconds, spaced=False) == compact


@pytest.mark.parametrize(("text", "seconds"), [
    ("1h30m", 5400.0), ("90s", 90.0), (" 1h 30m ", 5400.0), ("1m30s250ms", 90.25),
    ("0.5s", 0.5), ("2w1d", 1296000.0), ("0", None), ("30s1h", 3630.0), ("007s", 7.0),
    (0.0, 0.0), (1e12, 1e12),
])
def test_parse_duration_edges(text: str | float, seconds: float | None) -> None:
    if seconds is None:
        with pytest.raises(ValueError) as err:
            parse_duration(text)
        assert str(err.value) == f"bad duration {text!r} (use e.g. \"30s\", \"10m\", \"1h30m\")"
    else:
        assert parse_duration(text) == seconds


@pytest.mark.parametrize(("value", "message"), [
    ("-5s", "bad duration '-5s' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("10", "bad duration '10' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("1.h", "bad duration '1.h' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("5M", "bad duration '5M' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("1h30", "bad duration '1h30' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("x10m", "bad duration 'x10m' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("   ", "bad duration '   ' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("nan", "bad duration 'nan' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    (-0.5, "duration must not be negative, got -0.5"),
    (-math.inf, "duration must be a finite number, got -inf"),
    (None, "expected a duration like \"10m\", got None"),
    ([10], "expected a duration like \"10m\", got [10]"),
    (False, "expected a duration like \"10m\", got False"),
])
def test_bad_durations_say_exactly_what_is_wrong(value: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(value)
    assert str(err.value) == message
