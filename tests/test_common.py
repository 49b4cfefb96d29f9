"""The shared helpers: one duration grammar and one way to print a duration."""

from __future__ import annotations

import math

import pytest

from common.durations import format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("10m", 600.0), ("30s", 30.0), ("0s", 0.0), ("1h30m", 5400.0), ("250ms", 0.25),
    ("1d", 86400.0), ("1.5m", 90.0), ("1w", 604800.0), (0, 0.0), (45, 45.0), (2.5, 2.5),
])
def test_durations(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("value", "message"), [
    (math.nan, "duration must be a finite number, got nan"),
    (math.inf, "duration must be a finite number, got inf"),
    (-1, "duration must not be negative, got -1"),
    ("10 minutes", "bad duration '10 minutes' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ("", "bad duration '' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    (True, "expected a duration like \"10m\", got True"),
])
def test_bad_durations_are_one_clear_line(value: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(value)
    assert str(err.value) == message


@pytest.mark.parametrize(("seconds", "spaced", "compact"), [
    (0.0, "0.0s", "0.0s"), (4.25, "4.2s", "4.2s"), (9.96, "10s", "10s"), (12.0, "12s", "12s"),
    (59.4, "59s", "59s"), (59.6, "1m 00s", "1m00s"), (185.0, "3m 05s", "3m05s"),
    (3599.6, "1h 00m", "1h00m"),
    (7830.0, "2h 10m", "2h10m"), (273600.0, "3d 04h", "3d04h"), (-5.0, "0.0s", "0.0s"),
    (None, "–", "–"), (math.nan, "–", "–"), (math.inf, "–", "–"),
])
def test_one_way_to_print_a_duration(seconds: float | None, spaced: str, compact: str) -> None:
    assert format_duration(seconds) == spaced
    assert format_duration(seconds, spaced=False) == compact
