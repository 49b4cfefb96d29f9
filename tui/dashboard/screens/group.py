"""A group card's drill-down: every target of one kind; Enter opens that target's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from panels.watch import PanelState
from tui.dashboard.history import History
from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import STATUS_WORD, card_lines, note
from tui.dashboard.widgets.table_sync import cell, sync_rows

COLUMNS = (("status", "status"), ("name", "name"), ("figures", "figures"), ("note", "note"))


class GroupScreen(DrillDownScreen):
    kind: ClassVar[str] = "group"

    DEFAULT_CSS = "GroupScreen DataTable { height: 1fr; }"

    BINDINGS = [Binding("enter", "open", "Details", id="group-open", priority=True)]

    def __init__(self, panel_id: str, history: History, members: list[str],
                 open_member: Callable[[str], None]) -> None:
        super().__init__(panel_id, history, title=f"{panel_id.split(':', 1)[1]} "
                         f"({len(members)} targets)")
        self.members = members
        self.open_member = open_member

    def compose_body(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(id="group-members", cursor_type="row")
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table

    def on_mount(self) -> None:
        self.refresh_members()
        self.query_one(DataTable).focus()

    def refresh_members(self) -> None:
        states = [s for s in (self.history.latest(m) for m in self.members) if s is not None]
        if states:
            worst = max(states, key=lambda s: s.status.rank)
            DrillDownScreen.show(self, worst)

    def render_state(self, state: PanelState) -> None:
        rows: dict[str, list[Any]] = {}
        for member in self.members:
            latest = self.history.latest(member)
            if latest is None:
                rows[member] = [cell("WAIT", -1), cell(member.split(":", 1)[1]), cell(""),
                                cell("")]
                continue
            rows[member] = [cell(STATUS_WORD[latest.status], -latest.status.rank),
                            cell(latest.name), cell(" · ".join(card_lines(latest))),
                            cell(note(latest))]
        sync_rows(self.query_one(DataTable), rows)

    def watches(self, panel_id: str) -> bool:
        return panel_id in self.members

    def show(self, state: PanelState) -> None:
        # any member's update re-renders the whole list; the head shows the worst
        self.refresh_members()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key:
                self.open_member(str(key))
