"""A multi-row history chart as comparable rows, drawn in braille inside a card.

Textual's Sparkline is one row; a card with room left under its figures charts its
kind's key figure (declared in `panels.registry`, `Chart`) over the whole history window
instead: a braille line (2x4 dots a cell), a y axis from 0, the alert threshold as a
dashed line, and a time axis from `-10m` to `now`.

Like the sparkline (`spark.py`) it returns data, not painted text: a card compares rows
between polls and repaints only the rows that changed. Columns are buckets of absolute
time (`ts // seconds_per_column`), not of "now minus x", so a new poll moves only the
newest column; the whole chart shifts once a bucket is full, every few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from common.numbers import num, size
from panels.registry import KINDS, Chart
from panels.watch import PanelState

#: braille dot bits by (dot column, dot row from the top)
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
#: a limit line in a cell without data
LIMIT_GLYPH = "╌"
#: time spans the x axis steps through while history fills its window: a chart ten
#: seconds old is not a dot at the right edge of ten minutes, and the scale changes (a
#: full repaint) only at these steps
SPANS = (60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
#: a gap in the points longer than this breaks the line
GAP_S = 5.0
#: what one run of a row is: data, the limit line, or the axis and labels
DATA, LIMIT, AXIS = "data", "limit", "axis"

#: (text, what it is) runs of one row; a tuple so rows compare and hash
Row = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ChartData:
    """What one chart draws: a series over a window ending `now`, and its alert line."""

    spec: Chart
    points: Sequence[tuple[float, float]]
    now: float
    window_s: float
    limit: float | None = None


def charts_for(state: PanelState,
               points: Callable[[str], Sequence[tuple[float, float]]],
               window_s: float, rules: Mapping[str, Any]) -> list[ChartData]:
    """The charts a card of this state's kind draws: each declared series that has points,
    those whose alert is pending or firing first (the chart of what is wrong, in sight).

    `points(metric)` reads the panel's history; the limit comes from the newest metrics
    (max_connections can change) under the configured alert rules.
    """
    kind = KINDS.get(state.kind)
    if kind is None:
        return []
    alerting = {alert.name for alert in state.alerts if alert.state.value != "resolved"}
    out = []
    for declared in sorted(kind.charts, key=lambda c: c.alert not in alerting):
        spec = resolved(declared, state.metrics)
        if spec is None:
            continue
        series = points(spec.metric)
        if series:
            span = span_for(state.updated_at - series[0][0], window_s)
            out.append(ChartData(spec, series, state.updated_at, span,
                                 spec.limit(state.metrics, rules)))
    return out


def resolved(spec: Chart, metrics: Mapping[str, Any]) -> Chart | None:
    """`queues.*` as the deepest queue now (`queues.celery`, labelled `queue celery`)."""
    if not spec.metric.endswith(".*"):
        return spec
    members = metrics.get(spec.metric[:-2])
    if not isinstance(members, Mapping):
        return None
    depths = {name: value for name, value in members.items()
              if isinstance(value, int | float) and not isinstance(value, bool)}
    if not depths:
        return None
    deepest = max(depths, key=lambda name: (depths[name], name))
    return replace(spec, metric=f"{spec.metric[:-2]}.{deepest}",
                   label=f"{spec.label} {deepest}")


def span_for(age: float, window_s: float) -> float:
    """The x axis' span for history `age` seconds old: the next step, at most the window."""
    return min(window_s, next((span for span in SPANS if span >= age), window_s))


def figure(value: float, unit: str) -> str:
    """A value as the axis shows it: short (`217.6M`, `90`, `5%`, `500ms`)."""
    if unit == "bytes":
        return size(value)
    if unit == "ratio":
        return num(value * 100, "{:.0f}%" if value * 100 >= 10 or value == 0 else "{:.1f}%")
    if unit == "%":
        return num(value, "{:.0f}%")
    whole = abs(value) >= 10 or float(value).is_integer()
    text = num(value, "{:.0f}" if whole else "{:.1f}")
    return text + unit


def time_label(seconds: float) -> str:
    """`-10m`, `-5m`, `-90s`: how long ago a column is."""
    if seconds >= 120 or (seconds >= 60 and seconds % 60 == 0):
        return f"-{seconds / 60:.0f}m"
    return f"-{seconds:.0f}s"


def title(data: ChartData) -> str:
    """`p95 · 10m · now 185ms · limit 500ms · max 190ms`: what the chart shows."""
    values = [v for _, v in data.points]
    parts = [data.spec.label, time_label(data.window_s).lstrip("-")]
    if values:
        parts.append(f"now {figure(values[-1], data.spec.unit)}")
    if data.limit is not None:  # before the max: a narrow card cuts the title's end
        parts.append(f"limit {figure(data.limit, data.spec.unit)}")
    if values:
        parts.append(f"max {figure(max(values), data.spec.unit)}")
    return " · ".join(parts)


def columns(points: Sequence[tuple[float, float]], now: float, window_s: float,
            count: int) -> list[float | None]:
    """The largest value in each of `count` time buckets ending with now's (None: no data).

    Buckets are aligned to absolute time so a poll changes only the newest one.
    """
    step = window_s / max(1, count)
    last = math.floor(now / step)
    out: list[float | None] = [None] * count
    for ts, value in points:
        index = count - 1 - (last - math.floor(ts / step))
        if 0 <= index < count:
            held = out[index]
            out[index] = value if held is None or value > held else held
    return out


def rows(data: ChartData, width: int, height: int) -> list[Row]:
    """`height` rows of `width` cells: plot rows with a y axis, then the time axis."""
    plot_h = height - 1
    values = [v for _, v in data.points]
    top = max(values, default=0.0)
    limit = data.limit
    # a limit far above the data would flatten it into the bottom row: then the title
    # says the limit and the line is left out
    if limit is not None and 0 < limit <= 3 * max(top, 1e-12):
        top = max(top, limit)
    else:
        limit = None
    top = top * 1.05 or 1.0
    labels = {0: figure(top, data.spec.unit), plot_h - 1: figure(0.0, data.spec.unit)}
    dots_h = plot_h * 4
    limit_row = None
    if limit is not None:
        limit_row = (dots_h - 1 - round(limit / top * (dots_h - 1))) // 4
        labels[limit_row] = figure(limit, data.spec.unit)  # the line's own figure wins
    gutter = max(len(text) for text in labels.values())
    cells = max(1, width - gutter - 1)
    cols = columns(data.points, data.now, data.window_s, cells * 2)
    grid = [[0] * cells for _ in range(plot_h)]
    previous: int | None = None
    # columns narrower than the poll interval leave empty ones between polls: bridged;
    # a longer gap (an outage: failed polls have no points) breaks the line
    bridge = max(1, math.ceil(GAP_S / (data.window_s / (cells * 2))))
    empty = 0
    for x, value in enumerate(cols):
        if value is None:
            empty += 1
            if empty > bridge:
                previous = None
            continue
        empty = 0
        y = dots_h - 1 - round(max(0.0, value) / top * (dots_h - 1))
        low, high = (y, y) if previous is None else (min(y, previous), max(y, previous))
        for dot in range(low, high + 1):  # joined to the previous column: a line, not dust
            grid[dot // 4][x // 2] |= _DOTS[x % 2][dot % 4]
        previous = y
    out: list[Row] = []
    for r in range(plot_h):
        runs: list[tuple[str, str]] = [(labels.get(r, "").rjust(gutter) + "┤", AXIS)]
        for cell in grid[r]:
            if cell:
                text, what = chr(0x2800 + cell), DATA
            elif r == limit_row:
                text, what = LIMIT_GLYPH, LIMIT
            else:
                text, what = " ", DATA
            if runs[-1][1] == what:
                runs[-1] = (runs[-1][0] + text, what)
            else:
                runs.append((text, what))
        out.append(tuple(runs))
    out.append(((" " * gutter + "└" + axis(data.window_s, cells), AXIS),))
    return out


def axis(window_s: float, cells: int) -> str:
    """`-10m      -5m      now` across `cells`, the middle label where it fits."""
    left, right = time_label(window_s), "now"
    middle = time_label(window_s / 2)
    line = [" "] * cells
    for start, text in ((0, left), (cells - len(right), right),
                        ((cells - len(middle)) // 2, middle)):
        span = range(start, start + len(text))
        if start < 0 or span.stop > cells or any(line[i] != " " for i in
                                                  range(max(0, start - 1),
                                                        min(cells, span.stop + 1))):
            continue
        for i, char in zip(span, text, strict=True):
            line[i] = char
    return "".join(line)
