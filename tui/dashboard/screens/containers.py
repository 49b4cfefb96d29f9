"""Containers drill-down: every container, the last log lines of the selected one, restart.

Docker's SDK blocks, so logs and restarts run in thread workers; the log view refreshes
when the selection moves (or on `L`), never on a timer of its own.
"""

from __future__ import annotations

import shlex
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Log

from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import duration, num, size
from tui.dashboard.widgets.table_sync import cell, sync_rows

COLUMNS = (("name", "name"), ("state", "state"), ("health", "health"),
           ("restarts", "restarts"), ("cpu", "cpu"), ("mem", "mem"), ("up", "uptime"))
LOG_LINES = 50


class ContainersScreen(DrillDownScreen):
    kind: ClassVar[str] = "containers"

    DEFAULT_CSS = """
    ContainersScreen DataTable { height: 1fr; min-height: 5; }
    ContainersScreen #logs-title { height: 1; padding: 0 1; background: $panel; }
    ContainersScreen Log { height: 1fr; min-height: 4; }
    """

    BINDINGS = [
        Binding("t", "restart", "Restart", id="container-restart"),
        Binding("L", "logs", "Reload logs", id="container-logs"),
    ]

    def compose_body(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(id="containers-table", cursor_type="row")
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Label("logs", id="logs-title")
        yield Log(id="container-log", max_lines=LOG_LINES * 4)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    def render_state(self, state: Any) -> None:
        rows: dict[str, list[Any]] = {}
        for c in state.metrics.get("containers") or []:
            down = bool(c.get("down"))
            rows[c["name"]] = [
                cell(c["name"]), cell(c.get("state"), style="bold red" if down else ""),
                cell(c.get("health")), cell(c.get("restarts"), c.get("restarts")),
                cell(num(c.get("cpu_pct"), "{:.1f}%"), c.get("cpu_pct")),
                cell(size(c.get("mem_bytes")), c.get("mem_bytes")),
                cell(duration(c.get("uptime_s")), c.get("uptime_s")),
            ]
        sync_rows(self.query_one(DataTable), rows)

    def selected_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(value) if value is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.load_logs(str(event.row_key.value))

    def action_logs(self) -> None:
        name = self.selected_name()
        if name:
            self.load_logs(name)

    @work(thread=True, exclusive=True, group="container-logs", exit_on_error=False)
    def load_logs(self, name: str) -> None:
        title = f"logs: {name} (last {LOG_LINES} lines)"
        if self.panel is None:
            lines = ["not connected to a Docker engine"]
        else:
            from panels.containers import container_logs

            try:
                lines = container_logs(getattr(self.panel, "docker_host", None), name, LOG_LINES)
            except Exception as exc:  # show why, in the pane, instead of a traceback
                lines = [f"cannot read logs: {type(exc).__name__}: {exc}"]
        self.app.call_from_thread(self._show_logs, title, lines)

    def _show_logs(self, title: str, lines: list[str]) -> None:
        self.query_one("#logs-title", Label).update(title)
        log = self.query_one(Log)
        log.clear()
        log.write_lines(lines or ["(no output)"])

    def action_restart(self) -> None:
        name = self.selected_name()
        if name is None:
            self.notify("no container selected", severity="warning")
            return

        command = f"docker restart {shlex.quote(name)}"
        self.ask_to_run(f"Restart container {name}?", command, "bash", command,
                        lambda: self.restart(name))

    @work(thread=True, group="container-restart", exit_on_error=False)
    def restart(self, name: str) -> None:
        if self.panel is None:
            self.app.call_from_thread(self.notify, "not connected", severity="error")
            return
        from panels.containers import restart_container

        try:
            restart_container(getattr(self.panel, "docker_host", None), name)
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"restart {name} failed: {exc}",
                                      severity="error")
            return
        self.app.call_from_thread(self.notify, f"{name} restarted")
        self.load_logs(name)
