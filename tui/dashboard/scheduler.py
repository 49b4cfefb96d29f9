"""Runs every panel's poll on its own interval in Textual workers, never on the UI's time.

Each panel gets one async worker looping poll -> post -> sleep, so its polls can never
overlap and the next one is armed only after the last finished (as Dolphie does). Polls
start on a grid of `PHASES` points per interval, panels dealt across them: twenty targets
never fire in the same tick, yet the few that share a phase run back to back while the
interpreter's caches are warm, which costs measurably less CPU than twenty lone wake-ups
(benchmarks/bench_ui.py). Results are posted together: a change of status within
`URGENT_S` (a card turning red must not wait), figures that merely moved within `BATCH_S`,
so at a 1 s refresh the screen is redrawn about once a second (every phase of the round
joins the first one's batch) rather than once per panel per poll: each frame costs Textual a
fixed compositor pass whatever it draws (0.5 s batches gave 1.45 frames a second and 12%
more CPU in benchmarks/bench_glances.py).
Every poll sits under a guard a little longer than the panel's own timeout, so even a
collector that ignores its timeout turns the card `crit` instead of freezing it. A slow
or hanging target delays only its own loop.

Every status change, every alert transition and every incident opened or closed
(`tui.incident.record.IncidentRecord`, fed every poll here, so nothing depends on what
the screen shows) goes to an injectable hook (the incident journal), off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from textual.dom import DOMNode
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from panels.base import Probe, Status
from panels.errors import ProbeError, classify
from panels.figures import key_figures
from panels.watch import PanelState, PanelWatch
from tui.dashboard.history import History
from tui.dashboard.messages import PanelUpdated
from tui.incident.record import IncidentRecord

#: called (in a thread) with {"type": "status", "panel", "from", "to", "alerts"}
StatusHook = Callable[[dict[str, Any]], None]

WORKER_GROUP = "opsdash-poll"
#: extra seconds the guard gives a poll beyond the panel's own timeout
GUARD_GRACE_S = 1.0
#: never poll one panel more often than this, whatever its interval says
MIN_GAP_S = 0.05
#: poll start times per interval that panels are dealt across
PHASES = 4
ACLOSE_TIMEOUT_S = 5.0
#: routine results are held at most this long and posted together (one redraw for all):
#: long enough for the last phase of a 1 s round (0.75 s after the first) to join
BATCH_S = 0.9
#: a batch holding a change of status goes out this soon (what shares its phase joins it)
URGENT_S = 0.05


def phase_offsets(count: int, phases: int = PHASES) -> list[float]:
    """Where in its interval each of `count` panels starts: dealt in order across `phases`
    evenly spaced points (8 panels, 4 phases: 0, 0, .25, .25, .5, .5, .75, .75)."""
    return [(index * phases // count) / phases for index in range(count)]


class Scheduler:
    """Polls `watches` from workers owned by `host` (the app) and posts PanelUpdated to it."""

    def __init__(
        self,
        host: DOMNode,
        watches: Sequence[PanelWatch],
        *,
        refresh: float,
        history: History,
        on_status: StatusHook | None = None,
        clock: Callable[[], float] = time.time,
        record: IncidentRecord | None = None,
    ) -> None:
        self.host = host
        self.watches = list(watches)
        self.refresh = refresh
        self.history = history
        self.on_status = on_status
        self.clock = clock
        self.record = record
        self.paused = False
        self._wake: dict[str, asyncio.Event] = {}
        self._forced: set[str] = set()
        self._status: dict[str, Status] = {}
        self._workers: list[Worker[None]] = []
        self._outbox: dict[str, PanelState] = {}
        self._flush: asyncio.TimerHandle | None = None
        self.polls = 0

    def interval(self, watch: PanelWatch) -> float:
        return watch.panel.interval or self.refresh

    def watch(self, panel_id: str) -> PanelWatch | None:
        return next((w for w in self.watches if w.panel.id == panel_id), None)

    def start(self) -> None:
        origin = time.monotonic()
        for watch, phase in zip(self.watches, phase_offsets(len(self.watches)), strict=True):
            panel_id = watch.panel.id
            self._wake[panel_id] = asyncio.Event()
            self._workers.append(self.host.run_worker(
                self._loop(watch, origin + self.interval(watch) * phase),
                name=f"poll {panel_id}",
                group=f"{WORKER_GROUP}:{panel_id}", exclusive=True, exit_on_error=False))

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        for wake in self._wake.values():
            wake.set()

    def refresh_now(self) -> None:
        """Poll every panel at once (also while paused); a running poll just finishes."""
        for panel_id, wake in self._wake.items():
            self._forced.add(panel_id)
            wake.set()

    async def aclose(self) -> None:
        """Cancel every poll worker and release every panel's connections."""
        workers, self._workers = self._workers, []
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(WorkerCancelled, WorkerFailed, asyncio.CancelledError):
                await asyncio.wait_for(worker.wait(), ACLOSE_TIMEOUT_S)
        closes = [w.panel.aclose() for w in self.watches]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closes, return_exceptions=True),
                                   ACLOSE_TIMEOUT_S)

    async def _loop(self, watch: PanelWatch, anchor: float) -> None:
        """Poll at anchor + k * interval: the next grid point at least MIN_GAP_S away, so
        a slow poll or a refresh-now never knocks a panel out of its phase."""
        panel_id = watch.panel.id
        interval = self.interval(watch)
        await self._sleep(panel_id, max(0.0, anchor - time.monotonic()))
        while True:
            while self.paused and panel_id not in self._forced:
                await self._sleep(panel_id, None)
            self._forced.discard(panel_id)
            state = await self.poll_once(watch)
            await self.deliver(state)
            now = time.monotonic()
            steps = max(0, math.ceil((now + MIN_GAP_S - anchor) / interval))
            await self._sleep(panel_id, anchor + steps * interval - now)

    def _post_batch(self) -> None:
        self._flush = None
        batch, self._outbox = self._outbox, {}
        for state in batch.values():
            self.host.post_message(PanelUpdated(state))

    async def _sleep(self, panel_id: str, delay: float | None) -> None:
        """Wait `delay` seconds (None: forever) or until refresh-now/resume wakes us."""
        wake = self._wake[panel_id]
        wake.clear()
        if delay == 0:
            return
        handle = None if delay is None else asyncio.get_running_loop().call_later(
            delay, wake.set)
        try:
            await wake.wait()
        finally:
            if handle is not None:
                handle.cancel()

    async def poll_once(self, watch: PanelWatch) -> PanelState:
        """One guarded poll: whatever happens inside, a PanelState comes out."""
        started = time.perf_counter()
        guard = watch.panel.timeout + GUARD_GRACE_S
        try:
            async with asyncio.timeout(guard):  # a scope, not wait_for's extra task
                return await watch.poll()
        except TimeoutError:
            error = ProbeError("timeout", f"no answer after {guard:g}s (guard)")
        except Exception as exc:  # a bug in a panel's rules must not kill its loop
            error = classify(exc)
        elapsed = (time.perf_counter() - started) * 1000
        return watch.judge(Probe(None, error, elapsed), self.clock())

    async def deliver(self, state: PanelState) -> None:
        """Record, post to the app (with the batch), and journal a status change."""
        self.polls += 1
        self.history.record(state)
        self._outbox[state.panel_id] = state
        previous = self._status.get(state.panel_id)
        self._status[state.panel_id] = state.status
        loop = asyncio.get_running_loop()
        due = loop.time() + (BATCH_S if previous is state.status else URGENT_S)
        if self._flush is None or self._flush.when() > due:
            if self._flush is not None:
                self._flush.cancel()
            self._flush = loop.call_at(due, self._post_batch)
        events: list[dict[str, Any]] = []
        # starting healthy is not an event worth a journal line
        if previous is not state.status and not (previous is None and state.status is Status.OK):
            events.append({"type": "status", "panel": state.panel_id,
                           "from": previous.value if previous else None,
                           "to": state.status.value, "alerts": [a.name for a in state.firing],
                           "ts": state.updated_at, "figures": key_figures(state.metrics)})
        if self.record is not None:
            events.extend(self.record.observe(state))
        if self.on_status is None or not events:
            return
        hook = self.on_status
        try:
            await asyncio.to_thread(lambda: [hook(event) for event in events])
        except Exception as exc:  # a full disk must not stop monitoring
            self.host.log.error(f"journal hook failed: {exc!r}")
