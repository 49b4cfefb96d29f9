"""Messages that carry collected state from the scheduler to the widgets.

One immutable PanelState per poll travels in one message; widgets never fetch. A
backlog of updates for the same panel collapses to the newest (`can_replace`), so a
slow screen never replays stale states one by one.
"""

from __future__ import annotations

from textual.message import Message

from panels.watch import PanelState


class PanelUpdated(Message):
    """One poll's result for one panel."""

    def __init__(self, state: PanelState) -> None:
        super().__init__()
        self.state = state

    @property
    def panel_id(self) -> str:
        return self.state.panel_id

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued message whether the next one supersedes it: only
        # a newer state of the same panel does, other panels' states must all arrive.
        return isinstance(message, PanelUpdated) and message.panel_id == self.panel_id


class PanelsStarted(Message):
    """The panels were built (in a worker, after the first frame) and polling began."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class PanelsFailed(Message):
    """Building the panels failed: a config mistake only found when constructing them."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class DrillDown(Message):
    """A card asked to open its drill-down (Enter, click on a selected card, double-click)."""

    def __init__(self, panel_id: str) -> None:
        super().__init__()
        self.panel_id = panel_id
