"""Playing a recording back: a recorded clock and a cursor over the store. No Textual.

The dashboard's replay (`tui.dashboard.replay`) asks the cursor for the states that are
due at the clock's recorded time and feeds them through the scheduler's path; seeking
hands back the window the History needs rebuilt. Kept apart from the screen so the order
and timing of playback can be tested without one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from panels.watch import PanelState
from tui.incident.recording import RecordingStore

#: rows read from the store at a time while playing
CHUNK = 512
#: a row id larger than any: "after every row at this timestamp"
_AFTER_ALL = 2**62


class ReplayClock:
    """Recorded time: `start` at first, moving `speed` recorded seconds per real second
    while playing, still while paused."""

    def __init__(self, start: float, speed: float = 1.0, *, paused: bool = False,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self.speed = speed
        self._monotonic = monotonic
        self._at = start
        self._since = monotonic()
        self.paused = paused

    def now(self) -> float:
        if self.paused:
            return self._at
        return self._at + (self._monotonic() - self._since) * self.speed

    def set(self, at: float) -> None:
        self._at = at
        self._since = self._monotonic()

    def pause(self) -> None:
        if not self.paused:
            self.set(self.now())
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            self.set(self._at)
            self.paused = False


class ReplayCursor:
    """Where playback stands in the store: the next state is the first one after it."""

    def __init__(self, store: RecordingStore, at: float) -> None:
        self.store = store
        self._pos: tuple[float, int] = (at, _AFTER_ALL)
        self._buffer: deque[tuple[int, PanelState]] = deque()
        self._exhausted = False

    def _fill(self) -> None:
        if self._buffer or self._exhausted:
            return
        ts, row_id = self._pos
        rows = self.store.states_after(ts, row_id, CHUNK)
        if len(rows) < CHUNK:
            self._exhausted = True  # until a seek: a live recording may grow meanwhile
        self._buffer.extend(rows)

    def peek(self) -> PanelState | None:
        self._fill()
        return self._buffer[0][1] if self._buffer else None

    def pop(self) -> PanelState | None:
        self._fill()
        if not self._buffer:
            return None
        row_id, state = self._buffer.popleft()
        self._pos = (state.updated_at, row_id)
        return state

    def due(self, now: float, limit: int = 5000) -> list[PanelState]:
        """States recorded at or before `now`, in order (at most `limit` at a time)."""
        out: list[PanelState] = []
        while len(out) < limit:
            nxt = self.peek()
            if nxt is None or nxt.updated_at > now:
                break
            popped = self.pop()
            assert popped is not None
            out.append(popped)
        return out

    def seek(self, at: float, window_s: float) -> list[PanelState]:
        """Stand at `at`: the states of the `window_s` before it (for History), in order."""
        self._pos = (at, _AFTER_ALL)
        self._buffer.clear()
        self._exhausted = False
        return self.store.states_between(at - window_s, at)

    def retry(self) -> None:
        """Look again past the end: a recording still being written may have grown."""
        self._exhausted = False

    @property
    def ended(self) -> bool:
        return self.peek() is None
