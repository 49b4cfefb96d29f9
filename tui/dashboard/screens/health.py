"""Health drill-down: the last responses (status, latency, failed checks) and every check."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Static

from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import num
from tui.dashboard.widgets.table_sync import cell, sync_rows

COLUMNS = (("time", "time"), ("status", "status"), ("latency", "latency"), ("ok", "ok"),
           ("detail", "detail"))


class HealthScreen(DrillDownScreen):
    kind: ClassVar[str] = "health"

    DEFAULT_CSS = """
    HealthScreen #checks-title, HealthScreen #responses-title {
        height: 1; padding: 0 1; background: $panel;
    }
    HealthScreen #checks { height: auto; max-height: 10; padding: 0 1; }
    HealthScreen DataTable { height: 1fr; }
    """

    def compose_body(self) -> ComposeResult:
        yield Label("checks", id="checks-title")
        yield Static("", id="checks", markup=False)
        yield Label("last responses", id="responses-title")
        table: DataTable[Any] = DataTable(id="responses", cursor_type="row")
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table

    def render_state(self, state: Any) -> None:
        m = state.metrics
        checks: dict[str, Any] = m.get("checks") or {}
        lines = [f"{'✓ pass' if ok else '✗ FAIL'}  {name}" for name, ok in checks.items()]
        for name, age in (m.get("freshness_s") or {}).items():
            lines.append(f"  age   {name}: {num(age, '{:.0f}')}s")
        if not lines:
            lines = ["(no JSON checks in the body)"]
        self.query_one("#checks", Static).update("\n".join(lines))
        rows: dict[str, list[Any]] = {}
        for past in reversed(self.history.states(self.panel_id)):
            key = f"{past.updated_at:.6f}"
            when = datetime.fromtimestamp(past.updated_at).strftime("%H:%M:%S")
            if past.error is not None:
                rows[key] = [cell(when, past.updated_at), cell(past.error.kind),
                             cell(num(past.duration_ms, "{:.0f} ms"), past.duration_ms),
                             cell("✗"), cell(past.error.message)]
                continue
            pm = past.metrics
            failed = pm.get("failed") or []
            rows[key] = [cell(when, past.updated_at), cell(pm.get("http_status")),
                         cell(num(pm.get("latency_ms"), "{:.0f} ms"), pm.get("latency_ms")),
                         cell("✓" if pm.get("ok") else "✗"),
                         cell("; ".join(failed) if failed else past.summary)]
        table = self.query_one(DataTable)
        if sync_rows(table, rows):
            table.sort("time", key=lambda v: v.sort_key, reverse=True)
