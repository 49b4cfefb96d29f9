"""Redis drill-down: memory in detail, every watched queue's depth with its trend."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Sparkline, Static

from tui.dashboard.history import SERIES
from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import num, pct, size


class QueueRow(Horizontal):
    """`celery  1,204  ▁▂▃▅▇█`"""

    DEFAULT_CSS = """
    QueueRow { height: 1; }
    QueueRow > .queue-name { width: 24; text-overflow: ellipsis; }
    QueueRow > .queue-depth { width: 10; text-align: right; padding-right: 1; }
    QueueRow > Sparkline { width: 1fr; height: 1; }
    """

    def __init__(self, queue: str) -> None:
        super().__init__()
        self.queue = queue

    def compose(self) -> ComposeResult:
        yield Label(self.queue, classes="queue-name")
        yield Label("", classes="queue-depth")
        yield Sparkline([], summary_function=max)

    def show(self, depth: Any, trend: list[float]) -> None:
        self.query_one(".queue-depth", Label).update(num(depth, "{:,.0f}"))
        spark = self.query_one(Sparkline)
        if spark.data != trend:
            spark.data = trend


class RedisScreen(DrillDownScreen):
    kind: ClassVar[str] = "redis"

    DEFAULT_CSS = """
    RedisScreen #redis-memory { height: auto; padding: 0 1; }
    RedisScreen #redis-memory-trend { height: 2; margin: 0 1; }
    RedisScreen #queues-title { height: 1; padding: 0 1; background: $panel; }
    RedisScreen #queues { height: 1fr; padding: 0 1; }
    """

    def compose_body(self) -> ComposeResult:
        yield Static("", id="redis-memory", markup=False)
        yield Sparkline([], id="redis-memory-trend", summary_function=max)
        yield Label("queues (depth, trend)", id="queues-title")
        yield VerticalScroll(id="queues")

    def render_state(self, state: Any) -> None:
        m = state.metrics
        limit = size(m.get("maxmemory_bytes")) if m.get("maxmemory_bytes") else "no limit"
        self.query_one("#redis-memory", Static).update(
            f"memory {size(m.get('used_memory_bytes'))} of {limit} "
            f"({pct(m.get('memory_ratio'))}) · fragmentation "
            f"{num(m.get('fragmentation'), '{:.2f}')} · evicted {num(m.get('evicted_keys'))}\n"
            f"ping {num(m.get('ping_ms'), '{:.2f}')} ms · clients "
            f"{num(m.get('connected_clients'))} · blocked {num(m.get('blocked_clients'))}")
        memory = self.query_one("#redis-memory-trend", Sparkline)
        memory.data = self.history.values(self.panel_id, SERIES)
        box = self.query_one("#queues", VerticalScroll)
        rows = {row.queue: row for row in box.query_children(QueueRow)}
        queues: dict[str, Any] = m.get("queues") or {}
        new = [QueueRow(q) for q in queues if q not in rows]
        if new:
            box.mount_all(new)
            rows.update({row.queue: row for row in new})
            self.call_after_refresh(self.render_state, state)
            return
        for queue, depth in queues.items():
            rows[queue].show(depth, self.history.values(self.panel_id, f"queues.{queue}"))
