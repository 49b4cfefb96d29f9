"""Many targets of one kind as one card: counts by status, then the worst targets first.

Twenty health checks as twenty cards would not fit 80x24, and an operator wants to see
which ones are broken, not nineteen green boxes; the drill-down lists them all. Like a
single card it draws its lines itself and repaints only the lines that changed, so one
target's new latency costs one line on the wire.
"""

from __future__ import annotations

from rich.style import Style

from panels.base import Status
from panels.watch import PanelState
from tui.dashboard.widgets.card import STATUS_CSS, CardBase, LineKey, status_text
from tui.dashboard.widgets.figures import STATUS_WORD, one_line


def group_id(kind: str) -> str:
    return f"group:{kind}"


class GroupCard(CardBase):
    """Every target of one kind: `health (12)`, `2 CRIT · 10 OK`, one line per target."""

    DEFAULT_CSS = STATUS_CSS.format(w="GroupCard")

    def __init__(self, kind: str, members: list[tuple[str, str]], *,
                 id: str | None = None) -> None:
        super().__init__(group_id(kind), f"{kind} ({len(members)})", id=id)
        self.kind = kind
        #: panel id -> name, in config order
        self.members: dict[str, str] = dict(members)
        self.states: dict[str, PanelState] = {}

    def show(self, state: PanelState) -> None:
        """Take one member's state; safe before the card is mounted."""
        if self.take(state):
            self.repaint_changed()

    def take(self, state: PanelState) -> bool:
        """Keep a member's state without repainting yet (a batch repaints once); False
        when the member's line and status read as before: nothing to repaint."""
        before = self.states.get(state.panel_id)
        self.states[state.panel_id] = state
        if (before is not None and before.status is state.status and before.name == state.name
                and one_line(before) == one_line(state) and self._keys_width >= 0):
            return False
        self.set_status(Status.worst([s.status for s in self.states.values()]))
        return True

    def counts(self) -> str:
        """`2 CRIT · 10 OK · 1 waiting`, or `0/12 polled` before any poll."""
        if not self.states:
            return f"0/{len(self.members)} polled"
        statuses = [s.status for s in self.states.values()]
        counts = [f"{statuses.count(status)} {STATUS_WORD[status]}"
                  for status in (Status.CRIT, Status.WARN, Status.UNKNOWN, Status.OK)
                  if status in statuses]
        waiting = len(self.members) - len(self.states)
        if waiting:
            counts.append(f"{waiting} waiting")
        return " · ".join(counts)

    def line_keys(self, width: int) -> list[LineKey]:
        ordered = sorted(self.states.values(), key=lambda s: (-s.status.rank, s.name))
        height = max(0, self.content_size.height - 1)  # lines below the card are not drawn
        return [("head", status_text(self.status), self.counts()),
                *(("member", f"{STATUS_WORD[s.status]:<4} {s.name}: {one_line(s)}")
                  for s in ordered[:height or None])]

    def line_parts(self, key: LineKey, width: int) -> list[tuple[str, Style | None]]:
        if key[0] == "head":
            return self.fitted((str(key[1]), "card--word"), (" ", None),
                               (str(key[2]), "card--muted"), width=width)
        return self.fitted((str(key[1]), None), width=width)

    @property
    def firing(self) -> int:
        return sum(len(s.firing) for s in self.states.values())
