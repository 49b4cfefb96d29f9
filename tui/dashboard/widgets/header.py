"""The top line: title, host, overall status (word and colour), firing alerts, clock.

The clock and host name are injected by the app so snapshot tests can freeze them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from panels.base import Status
from tui.dashboard.widgets.card import status_class, status_text

#: a clock drawn by a batch's frame this recently is left to the next batch
CLOCK_SHARE_S = 0.9
#: room the firing alerts' names may take in the header before `+N` says the rest
NAMES_WIDTH = 40


def firing_line(names: Sequence[str], width: int = NAMES_WIDTH) -> str:
    """`ServiceDown, HighLatency +2`: the names given (most severe first) that fit."""
    if not names:
        return "no alerts firing"
    shown: list[str] = []
    used = 0
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        tail = len(f" +{rest}") if rest else 0
        cost = len(name) + (2 if shown else 0)
        if shown and used + cost + tail > width:
            break
        shown.append(name)
        used += cost
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" +{more}" if more else "")


class DashHeader(Horizontal):
    """`opsdash · web-1   ✖ CRIT  ServiceDown, HighLatency +1  [paused]   12:03:04`"""

    DEFAULT_CSS = """
    DashHeader { height: 1; background: $panel; dock: top; }
    DashHeader > Label { padding: 0 1; }
    DashHeader > #header-title { text-style: bold; }
    DashHeader > #header-host { color: $foreground-muted; width: 1fr; }
    DashHeader > #header-status { text-style: bold; }
    DashHeader > #header-status.-ok { color: $success; }
    DashHeader > #header-status.-warn { background: $warning; color: $background; }
    DashHeader > #header-status.-crit { background: $error; color: $background; }
    DashHeader > #header-status.-unknown { color: $secondary; }
    DashHeader > #header-status.-waiting { color: $foreground-muted; }
    DashHeader > #header-paused { color: $warning; text-style: bold; }
    DashHeader > #header-badge { background: $accent; color: $background; text-style: bold; }
    DashHeader > #header-clock { width: 10; }
    """

    def __init__(self, title: str, hostname: str, clock: Callable[[], float]) -> None:
        super().__init__()
        self.title = title
        self.hostname = hostname
        self.clock = clock
        self._time_shown = ""
        self._ticked_at = -math.inf

    def compose(self) -> ComposeResult:
        yield Label(self.title, id="header-title")
        yield Label(self.hostname, id="header-host")
        yield Label("", id="header-paused")
        # `opsdash replay`: REPLAY, the recorded date and the speed (the clock shows its time)
        badge = Label("", id="header-badge")
        badge.display = False
        yield badge
        yield Label(status_text(None), id="header-status", classes="-waiting")
        yield Label("", id="header-alerts")
        self._time_shown = self._time()
        yield Label(self._time_shown, id="header-clock")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._on_timer)

    def _on_timer(self) -> None:
        """The clock's own second, skipped when a batch's frame drew the clock within the
        last `CLOCK_SHARE_S` (`tick()` from the app): the next batch then draws the new
        second in its frame, rather than the clock in a frame of its own."""
        if time.monotonic() - self._ticked_at >= CLOCK_SHARE_S:
            self.tick()

    def _time(self) -> str:
        return datetime.fromtimestamp(self.clock()).strftime("%H:%M:%S")

    def tick(self) -> None:
        self._ticked_at = time.monotonic()
        text = self._time()
        if text != self._time_shown:  # once a second; never repaint what did not change
            self._time_shown = text
            # fixed width (CSS): a new time repaints those 10 cells, without a layout pass
            self.query_one("#header-clock", Label).update(text, layout=False)

    def set_badge(self, text: str) -> None:
        badge = self.query_one("#header-badge", Label)
        badge.update(text)
        badge.display = bool(text)

    def show(self, status: Status | None, firing: Sequence[str], paused: bool) -> None:
        """`firing`: the firing alerts' names, most severe first."""
        shown = (status, tuple(firing), paused)
        if shown == getattr(self, "_shown", None):
            return  # called on every poll: repaint only what changed
        self._shown = shown
        word = self.query_one("#header-status", Label)
        word.update(status_text(status))
        word.set_classes(status_class(status))
        self.query_one("#header-alerts", Label).update(firing_line(firing))
        self.query_one("#header-paused", Label).update("⏸ PAUSED" if paused else "")
