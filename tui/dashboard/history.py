"""Bounded history per panel: numeric series for sparklines, recent states for drill-downs.

Every series is a fixed ring of doubles (`array('d')`, 8 bytes a point, allocated whole
when the key first appears), so an hour (or a week) of polling holds exactly as much
memory as the first ten minutes did. Timestamps are kept once per panel; every numeric
series shares the panel's write position, with NaN where a sample lacked the key.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from panels.watch import PanelState

#: the key under which a panel's own sparkline value (PanelState.series_value) is kept
SERIES = "__series__"


class _PanelHistory:
    """One panel's rings: `ts` and each series written at the same position."""

    __slots__ = ("count", "head", "max_keys", "maxlen", "states", "ts", "values")

    def __init__(self, maxlen: int, states_kept: int, max_keys: int) -> None:
        self.maxlen = maxlen
        self.max_keys = max_keys
        self.ts = _ring(maxlen)
        self.values: dict[str, array[float]] = {}
        self.states: deque[PanelState] = deque(maxlen=states_kept)
        self.head = 0  # next write position
        self.count = 0

    @property
    def last_ts(self) -> float | None:
        return self.ts[(self.head - 1) % self.maxlen] if self.count else None

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
        pos = self.head
        self.ts[pos] = state.updated_at
        for key in numbers:
            if key not in self.values and len(self.values) < self.max_keys:
                self.values[key] = _ring(self.maxlen)  # a key that appears late: NaN before
        for key, series in self.values.items():
            series[pos] = numbers.get(key, math.nan)
        self.head = (pos + 1) % self.maxlen
        self.count = min(self.count + 1, self.maxlen)

    def positions(self, newest: int | None = None) -> range | list[int]:
        """Ring positions oldest first; only the last `newest` of them if given."""
        count = self.count if newest is None else min(newest, self.count)
        start = (self.head - count) % self.maxlen
        if start + count <= self.maxlen:
            return range(start, start + count)
        return [*range(start, self.maxlen), *range(0, start + count - self.maxlen)]


def _ring(maxlen: int) -> array[float]:
    return array("d", [math.nan]) * maxlen


class History:
    """Recent samples of every panel, bounded by `window_s / step_s` points."""

    def __init__(self, *, window_s: float = 600.0, step_s: float = 1.0,
                 states_kept: int = 20, max_keys: int = 24) -> None:
        self.window_s = window_s
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
        last = hist.last_ts
        if last is not None and state.updated_at <= last:
            return False
        hist.record(state)
        return True

    def clear(self) -> None:
        """Forget every panel: replay seeking back rebuilds history from the recording."""
        self._panels.clear()

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
        ts, series = hist.ts, hist.values[key]
        return [(ts[i], series[i]) for i in hist.positions() if not math.isnan(series[i])]

    def values(self, panel_id: str, key: str = SERIES) -> list[float]:
        """The values of one series, oldest first, for a Sparkline."""
        hist = self._panels.get(panel_id)
        if hist is None or key not in hist.values:
            return []
        series = hist.values[key]
        return [v for v in (series[i] for i in hist.positions()) if not math.isnan(v)]

    def recent(self, panel_id: str, key: str = SERIES, n: int = 120) -> list[float]:
        """The values of the last `n` polls, oldest first, gaps left out: a card's sparkline.

        Reads only those `n` positions, so a poll's cost does not grow with the window.
        """
        hist = self._panels.get(panel_id)
        if hist is None or key not in hist.values:
            return []
        series = hist.values[key]
        return [v for v in (series[i] for i in hist.positions(n)) if not math.isnan(v)]

    def keys(self, panel_id: str) -> list[str]:
        hist = self._panels.get(panel_id)
        return list(hist.values) if hist else []

    def __len__(self) -> int:
        return len(self._panels)

    def size(self) -> int:
        """Points held across every panel and series: what a long run must keep flat."""
        return sum(h.count * (1 + len(h.values)) + len(h.states) for h in self._panels.values())


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
