"""Durations: one grammar for config and CLI (`10m`, `1h30m`, `250ms`), one way to print.

Prometheus' own duration strings (`5m`, `1h`) are a subset of this grammar, so a traffic
window and an alert's `for` are read by the same function.
"""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_HINT = '(use e.g. "30s", "10m", "1h30m")'


def parse_duration(value: object) -> float:
    """'10m', '30s', '0s', '1h30m', '250ms' or a number of seconds -> seconds (>= 0).

    Raises ValueError with a message fit for the user: negative, nan and inf are refused.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a duration like \"10m\", got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"duration must be a finite number, got {value!r}")
        if value < 0:
            raise ValueError(f"duration must not be negative, got {value!r}")
        return float(value)
    text = value.strip().replace(" ", "")
    total, pos = 0.0, 0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise ValueError(f"bad duration {value!r} {_HINT}")
    return total


def format_duration(seconds: float | None, *, spaced: bool = True) -> str:
    """An operator's reading of an age or a time to recover: 4.2s, 42s, 3m 05s, 2h 10m, 3d 04h.

    `spaced=False` gives the compact card form (3m05s) where columns are narrow.
    """
    if seconds is None or isinstance(seconds, bool) or not math.isfinite(seconds):
        return "–"
    s = max(0.0, float(seconds))
    sep = " " if spaced else ""
    if s < 9.95:  # one decimal while it still reads as under ten seconds
        return f"{s:.1f}s"
    whole = round(s)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{sep}{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{sep}{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{sep}{whole % 86400 // 3600:02d}h"
