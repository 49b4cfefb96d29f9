"""Postgres drill-down: the backends (pid, user, state, duration, wait, query), sortable.

`c` cancels the selected backend's query, `K` terminates the backend; both show the pid
and the query in a ConfirmScreen first, as pg_activity does, and go through the panel's
own connection (a new one is exactly what an exhausted pool refuses).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static

from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import duration, size
from tui.dashboard.widgets.table_sync import by_sort_key, cell, sync_rows

COLUMNS = (("pid", "pid"), ("user", "user"), ("state", "state"),
           ("duration", "duration"), ("wait", "wait"), ("query", "query"))


class PostgresScreen(DrillDownScreen):
    kind: ClassVar[str] = "postgres"

    DEFAULT_CSS = """
    PostgresScreen #pg-figures { height: 1; padding: 0 1; }
    PostgresScreen DataTable { height: 1fr; }
    PostgresScreen #pg-query { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    """

    BINDINGS = [
        Binding("s", "sort_next", "Sort column", id="pg-sort"),
        Binding("S", "sort_reverse", "Reverse sort", id="pg-sort-reverse"),
        Binding("c", "cancel_backend", "Cancel query", id="pg-cancel"),
        Binding("K", "terminate_backend", "Terminate", id="pg-terminate"),
    ]

    sort_column = "duration"
    sort_reverse = True

    def compose_body(self) -> ComposeResult:
        yield Label("", id="pg-figures")
        table: DataTable[Any] = DataTable(id="pg-activity", cursor_type="row", zebra_stripes=True)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="pg-query", markup=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_query()

    def _show_query(self) -> None:
        backend = self.selected_backend()
        text = "" if backend is None else \
            f"pid {backend['pid']}: {' '.join((backend.get('query') or '').split())}"
        self.query_one("#pg-query", Static).update(text)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    def render_state(self, state: Any) -> None:
        m = state.metrics
        by_state = m.get("by_state") or {}
        states = " ".join(f"{k} {v}" for k, v in sorted(by_state.items()))
        self.query_one("#pg-figures", Label).update(
            f"conns {m.get('connections', '–')}/{m.get('max_connections', '–')} · "
            f"blocked {m.get('blocked', '–')} · idle-tx {m.get('idle_in_transaction', '–')} · "
            f"size {size(m.get('database_size_bytes'))} · {states}")
        rows: dict[str, list[Any]] = {}
        for b in state.extra.get("activity") or []:
            wait = ":".join(x for x in (b.get("wait_event_type"), b.get("wait_event")) if x)
            if b.get("blocked_by"):
                wait += f" by {','.join(str(p) for p in b['blocked_by'])}"
            rows[str(b["pid"])] = [
                cell(b["pid"], b["pid"]), cell(b.get("user")), cell(b.get("state")),
                cell(duration(b.get("duration_s")), b.get("duration_s")),
                cell(wait or None), cell(" ".join((b.get("query") or "").split()) or None),
            ]
        table = self.query_one(DataTable)
        sync_rows(table, rows)
        self._sort(table)
        self._show_query()

    def _sort(self, table: DataTable[Any]) -> None:
        if table.row_count:
            table.sort(self.sort_column, key=by_sort_key, reverse=self.sort_reverse)

    def action_sort_next(self) -> None:
        keys = [key for _, key in COLUMNS]
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self._sort(self.query_one(DataTable))
        self.notify(f"sorted by {self.sort_column}", timeout=2)

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._sort(self.query_one(DataTable))

    def selected_backend(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if not table.row_count or self.state is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((b for b in self.state.extra.get("activity") or []
                     if str(b["pid"]) == key), None)

    def action_cancel_backend(self) -> None:
        self._signal("cancel")

    def action_terminate_backend(self) -> None:
        self._signal("terminate")

    def _signal(self, what: str) -> None:
        backend = self.selected_backend()
        if backend is None:
            self.notify("no backend selected", severity="warning")
            return
        pid = int(backend["pid"])
        verb = "Cancel the query of" if what == "cancel" else "Terminate"
        text = f"pid {pid} ({backend.get('user') or '?'}, {backend.get('state') or '?'})\n" \
               f"{backend.get('query') or ''}"

        sql = f"SELECT pg_{what}_backend({pid})"
        self.ask_to_run(f"{verb} backend {pid}?", sql, "sql", text,
                        lambda: self.run_worker(self._send(what, pid), group="pg-signal",
                                                exit_on_error=False))

    async def _send(self, what: str, pid: int) -> None:
        panel = self.panel
        if panel is None or not hasattr(panel, f"{what}_backend"):
            self.notify("not connected to this database", severity="error")
            return
        try:
            done = await getattr(panel, f"{what}_backend")(pid)
        except Exception as exc:
            self.notify(f"{what} {pid} failed: {exc}", severity="error")
            return
        if done:
            self.notify(f"{what} sent to backend {pid}")
        else:
            self.notify(f"backend {pid}: {what} refused (gone, or not allowed)",
                        severity="warning")
