"""Host drill-down: every mount with space and inode use, memory, CPU, load, swap."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Sparkline

from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import duration, num, size
from tui.dashboard.widgets.table_sync import cell, sync_rows

COLUMNS = (("mount", "mount"), ("used", "used"), ("free", "free"), ("size", "size"),
           ("inodes", "inodes"), ("error", "error"))


class HostScreen(DrillDownScreen):
    kind: ClassVar[str] = "host"

    DEFAULT_CSS = """
    HostScreen #host-figures { height: 1; padding: 0 1; }
    HostScreen .series-title { height: 1; padding: 0 1; background: $panel; }
    HostScreen Sparkline { height: 2; margin: 0 1; }
    HostScreen DataTable { height: 1fr; }
    """

    def compose_body(self) -> ComposeResult:
        yield Label("", id="host-figures")
        yield Label("cpu %", classes="series-title")
        yield Sparkline([], id="spark-cpu", summary_function=max)
        yield Label("memory %", classes="series-title")
        yield Sparkline([], id="spark-mem", summary_function=max)
        table: DataTable[Any] = DataTable(id="mounts", cursor_type="row")
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table

    def render_state(self, state: Any) -> None:
        m = state.metrics
        self.query_one("#host-figures", Label).update(
            f"cpu {num(m.get('cpu_pct'))}% · mem {num(m.get('memory_used_pct'))}% · "
            f"swap {num(m.get('swap_used_pct'))}% · load {num(m.get('load1'), '{:.2f}')} · "
            f"up {duration(m.get('uptime_s'))}")
        for key, widget in (("cpu_pct", "#spark-cpu"), ("memory_used_pct", "#spark-mem")):
            spark = self.query_one(widget, Sparkline)
            values = self.history.values(self.panel_id, key)
            if spark.data != values:
                spark.data = values
        rows: dict[str, list[Any]] = {}
        for d in m.get("disks") or []:
            rows[d["mount"]] = [
                cell(d["mount"]), cell(num(d.get("used_pct"), "{:.1f}%"), d.get("used_pct")),
                cell(size(d.get("free_bytes")), d.get("free_bytes")),
                cell(size(d.get("total_bytes")), d.get("total_bytes")),
                cell(num(d.get("inodes_used_pct"), "{:.1f}%"), d.get("inodes_used_pct")),
                cell(d.get("error")),
            ]
        sync_rows(self.query_one(DataTable), rows)
