"""Many targets of one kind as one card: counts by status, then the worst targets first.

Twenty health checks as twenty cards would not fit 80x24, and an operator wants to see
which ones are broken, not nineteen green boxes; the drill-down lists them all.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Static

from panels.base import Status
from panels.watch import PanelState
from tui.widgets.card import STATUS_CSS, CardBase, status_text
from tui.widgets.figures import STATUS_WORD, one_line


def group_id(kind: str) -> str:
    return f"group:{kind}"


class GroupCard(CardBase):
    """Every target of one kind: `health (12)`, `2 CRIT · 10 OK`, one line per target."""

    DEFAULT_CSS = """
    GroupCard > .card-head { height: 1; }
    GroupCard .group-counts { width: 1fr; color: $foreground-muted; }
    GroupCard > .group-list { height: 1fr; overflow: hidden hidden; }
    """ + STATUS_CSS.format(w="GroupCard")

    def __init__(self, kind: str, members: list[tuple[str, str]], *,
                 id: str | None = None) -> None:
        super().__init__(group_id(kind), f"{kind} ({len(members)})", id=id)
        self.kind = kind
        #: panel id -> name, in config order
        self.members: dict[str, str] = dict(members)
        self.states: dict[str, PanelState] = {}
        self._shown: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="card-head"):
            yield Label(status_text(None), classes="status-word")
            yield Label(f"0/{len(self.members)} polled", classes="group-counts")
        yield Static("", classes="group-list")

    def show(self, state: PanelState) -> None:
        self.states[state.panel_id] = state
        statuses = [s.status for s in self.states.values()]
        waiting = len(self.members) - len(self.states)
        worst = Status.worst(statuses) if statuses else None
        self.set_status(worst)
        counts = []
        for status in (Status.CRIT, Status.WARN, Status.UNKNOWN, Status.OK):
            n = statuses.count(status)
            if n:
                counts.append(f"{n} {STATUS_WORD[status]}")
        if waiting:
            counts.append(f"{waiting} waiting")
        ordered = sorted(self.states.values(), key=lambda s: (-s.status.rank, s.name))
        lines = [f"{STATUS_WORD[s.status]:<4} {s.name}: {one_line(s)}" for s in ordered]
        texts = (status_text(worst), " · ".join(counts), "\n".join(lines))
        if texts != self._shown:
            self._shown = texts
            self.query_one(".status-word", Label).update(texts[0])
            self.query_one(".group-counts", Label).update(texts[1])
            self.query_one(".group-list", Static).update(texts[2])

    @property
    def firing(self) -> int:
        return sum(len(s.firing) for s in self.states.values())
