"""Key figures: the few numbers of a panel an engineer compares before and after a fix.

`key_figures(metrics)` flattens a state's metrics into named numbers (`p95`, `HTTP`,
`queue demo:jobs`, `disk /`); `changes(before, after)` says what moved, in the words a
postmortem uses: "p95 988 ms → 41 ms", "HTTP 503 → 200", "queue demo:jobs 1500 → 0".
The journal stores the flat figures; the pane and the report print the changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from common.durations import format_duration
from common.numbers import pct, size

Figures = dict[str, float]


def _ms(v: float) -> str:
    return f"{v:.0f} ms"


def _plain_pct(v: float) -> str:
    return f"{v:.0f}%"


def _count(v: float) -> str:
    return f"{v:.0f}"


def _rate(v: float) -> str:
    return f"{v:.1f}/s"


#: metric key -> (label, format), in the order a change is told
SCALARS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("http_status", "HTTP", _count),
    ("latency_ms", "latency", _ms),
    ("p95_ms", "p95", _ms),
    ("error_ratio", "errors", pct),
    ("request_rate", "requests", _rate),
    ("connections", "connections", _count),
    ("longest_query_s", "longest query", format_duration),
    ("blocked", "blocked", _count),
    # Redis's bytes and the host's percentage each need their own label: one label
    # shared one format, and 1.5 GiB read "1610612736%"
    ("used_memory_bytes", "used memory", size),
    ("memory_used_pct", "memory", _plain_pct),
    ("cpu_pct", "cpu", _plain_pct),
    ("running", "running", _count),
    ("firing", "firing", _count),
)
_FORMAT = {label: fmt for _, label, fmt in SCALARS}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def key_figures(metrics: Mapping[str, Any]) -> Figures:
    """The named numbers worth comparing; missing or non-finite ones are left out."""
    out: Figures = {}
    for key, label, _ in SCALARS:
        value = _number(metrics.get(key))
        if value is not None and label not in out:
            out[label] = value
    queues = metrics.get("queues")
    if isinstance(queues, Mapping):
        for name, depth in queues.items():
            value = _number(depth)
            if value is not None:
                out[f"queue {name}"] = value
    disks = metrics.get("disks")
    if isinstance(disks, list):
        for disk in disks:
            if isinstance(disk, Mapping):
                value = _number(disk.get("used_pct"))
                if value is not None:
                    out[f"disk {disk.get('mount')}"] = value
    return out


def show(label: str, value: float) -> str:
    fmt = _FORMAT.get(label) or (_plain_pct if label.startswith("disk ") else _count)
    return fmt(value)


def changes(before: Mapping[str, float], after: Mapping[str, float], limit: int = 3
            ) -> list[str]:
    """What moved between two sets of figures, biggest relative move first."""
    moved: list[tuple[float, str]] = []
    for label, old in before.items():
        new = after.get(label)
        if new is None or show(label, old) == show(label, new):
            continue
        scale = max(abs(old), abs(new), 1e-9)
        moved.append((abs(new - old) / scale, f"{label} {show(label, old)} → {show(label, new)}"))
    moved.sort(key=lambda m: -m[0])
    return [text for _, text in moved[:limit]]
