"""Traffic drill-down: request rate, error ratio and p95 over the last minutes."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Label, Sparkline

from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import num, pct

SERIES = (("request_rate", "request rate", lambda v: f"{num(v, '{:.1f}')} req/s"),
          ("error_ratio", "error ratio (5xx)", pct),
          ("p95_ms", "p95 latency", lambda v: f"{num(v)} ms"))


class TrafficScreen(DrillDownScreen):
    kind: ClassVar[str] = "traffic"

    DEFAULT_CSS = """
    TrafficScreen .series-title { height: 1; padding: 0 1; background: $panel; }
    TrafficScreen Sparkline { height: 1fr; min-height: 2; max-height: 8; margin: 0 1; }
    """

    def compose_body(self) -> ComposeResult:
        for key, _, _ in SERIES:
            yield Label("", id=f"title-{key}", classes="series-title")
            yield Sparkline([], id=f"spark-{key}", summary_function=max)

    def render_state(self, state: Any) -> None:
        for key, title, fmt in SERIES:
            values = self.history.values(self.panel_id, key)
            span = f" · min {fmt(min(values))} max {fmt(max(values))}" if values else ""
            self.query_one(f"#title-{key}", Label).update(
                f"{title}: {fmt(state.metrics.get(key))}{span}")
            spark = self.query_one(f"#spark-{key}", Sparkline)
            if spark.data != values:
                spark.data = values
