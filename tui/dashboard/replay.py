"""`opsdash replay`: the same dashboard, fed recorded PanelStates instead of polls.

No panel is built and no Scheduler starts (`autostart=False`): a worker takes the states
due at the recorded clock from `tui.incident.replay.ReplayCursor` and feeds them the way
the scheduler does (History.record, then PanelUpdated), so cards, drill-downs, the header
and the runbook pane's recovery watch all behave as they did live. The app is read-only
and `replaying`: the runbook pane opens but refuses to run any step, nothing is journaled
and nothing is recorded.

Keys (beside the dashboard's): space (or p) pause/play, `.` one sample, `<`/`>` a minute
back/forward, `n` the next change of any panel's status. Seeking rebuilds History from
the recording's last ten minutes before the new time.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from textual.binding import Binding

from panels.watch import PanelState
from tui.config.loader import Config
from tui.dashboard.app import OpsdashApp
from tui.dashboard.messages import PanelUpdated
from tui.dashboard.widgets.header import DashHeader
from tui.incident.recording import RecordingStore
from tui.incident.replay import ReplayClock, ReplayCursor

#: how much recorded time `<` and `>` move
SEEK_S = 60.0
#: the recorded window fed into History on a seek (the History keeps ten minutes)
WINDOW_S = 600.0
#: the player wakes at least this often (header, a recording that grew)
TICK_S = 0.5


class ReplayApp(OpsdashApp):
    """The dashboard over a recording; `start` is a recorded Unix time."""

    BINDINGS = [
        *OpsdashApp.BINDINGS,
        Binding("space", "replay_pause", "Pause/play", id="replay-pause"),
        Binding("full_stop", "replay_step", "One sample", id="replay-step"),
        Binding("less_than_sign", "replay_seek(-60)", "-1 min", id="replay-back"),
        Binding("greater_than_sign", "replay_seek(60)", "+1 min", id="replay-forward"),
        Binding("n", "replay_next_change", "Next change", id="replay-next-change"),
    ]

    def __init__(self, config: Config, store: RecordingStore, *, start: float,
                 speed: float = 1.0, paused: bool = False, **kwargs: Any) -> None:
        self.store = store
        self.replay_clock = ReplayClock(start, speed, paused=paused)
        self.cursor = ReplayCursor(store, start)
        kwargs.setdefault("title", "opsdash replay")
        super().__init__(config, read_only=True, autostart=False,
                         clock=self.replay_clock.now, **kwargs)
        self.replaying = True
        self._wake = asyncio.Event()
        self._ended_told = False

    # -- playing ------------------------------------------------------------------------

    def _first_frame(self) -> None:
        super()._first_frame()  # autostart is off: no panel is built, no scheduler
        self.seek_to(self.replay_clock.now())
        self.run_worker(self._play(), name="replay", group="replay", exclusive=True,
                        exit_on_error=False)

    async def _play(self) -> None:
        clock = self.replay_clock
        while True:
            if not clock.paused:
                for state in self.cursor.due(clock.now()):
                    self.feed_state(state)
                if self.cursor.ended:
                    self._at_end()
            nxt = None if clock.paused else self.cursor.peek()
            wait = TICK_S if nxt is None else min(TICK_S, max(
                0.0, (nxt.updated_at - clock.now()) / clock.speed))
            self._wake.clear()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
            else:
                await asyncio.sleep(0)

    def feed_state(self, state: PanelState) -> None:
        """The scheduler's path: History first, then the app (cards, feed, header)."""
        self.history.record(state)
        self.post_message(PanelUpdated(state))

    def seek_to(self, at: float) -> None:
        """Stand at recorded time `at`: History rebuilt from the window before it, each
        panel's latest state there shown."""
        bounds = self.store.bounds()
        if bounds is not None:
            at = min(max(at, bounds[0]), bounds[1])
        window = self.cursor.seek(at, WINDOW_S)
        self.history.clear()
        latest: dict[str, PanelState] = {}
        for state in window:
            self.history.record(state)
            latest[state.panel_id] = state
        for state in latest.values():
            self.post_message(PanelUpdated(state))
        self.replay_clock.set(at)
        self._ended_told = False
        self._show_time()
        self._wake.set()

    def _at_end(self) -> None:
        """The recording ran out: hold there (a live recording may still grow)."""
        if self._ended_told:
            return
        self._ended_told = True
        self.replay_clock.pause()
        bounds = self.store.bounds()
        if bounds is not None:
            self.replay_clock.set(bounds[1])
        self._show_time()
        self.notify("end of the recording: < goes back, space plays on if it grew",
                    title="replay", timeout=6)

    # -- header -------------------------------------------------------------------------

    def _show_time(self) -> None:
        clock = self.replay_clock
        header = self.query_one(DashHeader)
        day = datetime.fromtimestamp(clock.now()).strftime("%Y-%m-%d")
        mode = "⏸" if clock.paused else "⏵"
        header.set_badge(f"{mode} REPLAY {day} ×{clock.speed:g}")
        header.tick()

    # -- keys ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh_now":
            return False  # nothing is polled
        return super().check_action(action, parameters)

    def action_toggle_pause(self) -> None:
        self.action_replay_pause()

    def action_replay_pause(self) -> None:
        clock = self.replay_clock
        if clock.paused:
            self.cursor.retry()
            self._ended_told = False
            clock.resume()
        else:
            clock.pause()
        self._show_time()
        self._wake.set()

    def action_replay_step(self) -> None:
        """Pause, then show exactly one more recorded sample."""
        clock = self.replay_clock
        clock.pause()
        state = self.cursor.pop()
        if state is None:
            self.notify("end of the recording", title="replay", timeout=3)
        else:
            clock.set(max(clock.now(), state.updated_at))
            self.feed_state(state)
        self._show_time()

    def action_replay_seek(self, seconds: float) -> None:
        self.seek_to(self.replay_clock.now() + seconds)

    def action_replay_next_change(self) -> None:
        at = self.store.next_change(self.replay_clock.now())
        if at is None:
            self.notify("no status changes after this point", title="replay", timeout=4)
            return
        self.seek_to(at)
