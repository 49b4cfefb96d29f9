"""Bounded history per panel: numeric series for sparklines, recent states for drill-downs.

Everything is a `deque(maxlen=...)`, so an hour (or a week) of polling holds exactly as
much memory as ten minutes. Timestamps are kept once per panel and every numeric series
is a parallel deque of values (NaN where a sample lacked the key), which is a third of
the memory of one `(ts, value)` tuple per point per key.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from panels.watch import PanelState

#: the key under which a panel's own sparkline value (PanelState.series_value) is kept
SERIES = "__series__"


@dataclass
class _PanelHistory:
    maxlen: int
    states_kept: int
    max_keys: int
    ts: deque[float] = field(init=False)
    values: dict[str, deque[float]] = field(default_factory=dict)
    states: deque[PanelState] = field(init=False)

    def __post_init__(self) -> None:
        self.ts = deque(maxlen=self.maxlen)
        self.states = deque(maxlen=self.states_kept)

    def record(self, state: PanelState) -> None:
        self.states.append(state)
        if state.error is not None:
            # a failed poll repeats the last good metrics: plotting them would draw a
            # healthy flat line over an outage, so the series get a gap (NaN) instead
            numbers: dict[str, float] = {}
        else:
            numbers = dict(_numbers(state.metrics))
            if state.series_value is not None:
                numbers[SERIES] = state.series_value
        self.ts.append(state.updated_at)
        length = len(self.ts)
        for key, value in numbers.items():
            series = self.values.get(key)
            if series is None:
                if len(self.values) >= self.max_keys:
                    continue
                series = self.values[key] = deque(maxlen=self.maxlen)
                series.extend([math.nan] * (length - 1))  # a key that appears late
            series.append(value)
        for series in self.values.values():
            # keys missing from this sample get NaN so every series stays aligned with ts
            if len(series) < length:
                series.append(math.nan)


class History:
    """Recent samples of every panel, bounded by `window_s / step_s` points."""

    def __init__(self, *, window_s: float = 600.0, step_s: float = 1.0,
                 states_kept: int = 20, max_keys: int = 24) -> None:
        self.maxlen = max(2, int(window_s / max(step_s, 0.1)))
        self.states_kept = states_kept
        self.max_keys = max_keys
        self._panels: dict[str, _PanelHistory] = {}

    def record(self, state: PanelState) -> bool:
        """Keep `state`; False (and nothing kept) if it is not newer than the last one.

        Idempotent so that both the scheduler and the app may record the same state.
        """
        hist = self._panels.get(state.panel_id)
        if hist is None:
            hist = self._panels[state.panel_id] = _PanelHistory(
                self.maxlen, self.states_kept, self.max_keys)
        if hist.ts and state.updated_at <= hist.ts[-1]:
            return False
        hist.record(state)
        return True

    def latest(self, panel_id: str) -> PanelState | None:
        hist = self._panels.get(panel_id)
        return hist.states[-1] if hist and hist.states else None

    def states(self, panel_id: str) -> list[PanelState]:
        hist = self._panels.get(panel_id)
        return list(hist.states) if hist else []

    def points(self, panel_id: str, key: str = SERIES) -> list[tuple[float, float]]:
        """(ts, value) pairs of one series, gaps (failed polls, missing keys) left out."""
        hist = self._panels.get(panel_id)
        if hist is None or key not in hist.values:
            return []
        return [(t, v) for t, v in zip(hist.ts, hist.values[key], strict=False)
                if not math.isnan(v)]

    def values(self, panel_id: str, key: str = SERIES) -> list[float]:
        """The values of one series, oldest first, for a Sparkline."""
        return [v for _, v in self.points(panel_id, key)]

    def keys(self, panel_id: str) -> list[str]:
        hist = self._panels.get(panel_id)
        return list(hist.values) if hist else []

    def __len__(self) -> int:
        return len(self._panels)

    def size(self) -> int:
        """Points held across every panel and series: what a long run must keep flat."""
        return sum(len(h.ts) + sum(len(v) for v in h.values.values()) + len(h.states)
                   for h in self._panels.values())


def _numbers(metrics: Mapping[str, Any], prefix: str = "",
             depth: int = 0) -> Iterator[tuple[str, float]]:
    """Numeric metrics, one level of nesting deep ("queues.celery", "by_state.active")."""
    for key, value in metrics.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            yield prefix + str(key), float(value)
        elif isinstance(value, Mapping) and depth == 0:
            yield from _numbers(value, f"{prefix}{key}.", depth + 1)
