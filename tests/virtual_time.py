"""An asyncio loop on virtual time, for unit tests of code that waits on the loop's clock.

When nothing is ready the loop does not wait: its clock jumps straight to the next timer,
so a test of minutes of polling runs in milliseconds and every time it sees is exact.
Work handed to threads (`asyncio.to_thread`) is waited for for real, with the clock
stopped, so a thread's slowness can never shift what the test observes.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")

#: where the virtual clock starts (any value; a round one makes failures readable)
START = 1000.0
#: how long (real seconds) a loop with no timer waits for a thread before calling it a
#: deadlock: generous, it is only ever reached by a test that is already broken
THREAD_WAKE_S = 30.0


class _JumpingSelector(selectors.DefaultSelector):
    """select(): what is ready now; else (no thread at work) advance the clock instead."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        loop = self.loop
        assert loop is not None
        if loop.threads:
            return super().select(timeout)  # a thread will wake us: wait for it for real
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer: only another thread can wake the loop now
            ready = super().select(THREAD_WAKE_S)
            if not ready:
                raise RuntimeError("virtual time: every task waits forever (deadlock)")
            return ready
        loop.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector loop whose time() is `now`, advanced only when the loop would sleep."""

    def __init__(self, start: float = START) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self.now = start
        self.threads = 0

    def time(self) -> float:
        return self.now

    def run_in_executor(self, executor: Executor | None, func: Callable[..., T],
                        *args: Any) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.threads += 1

        def done(_: asyncio.Future[T]) -> None:
            self.threads -= 1

        future.add_done_callback(done)
        return future


def run(main: Callable[[VirtualTimeLoop], Coroutine[Any, Any, T]],
        start: float = START) -> T:
    """Run `main(loop)` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop(start)
    try:
        return loop.run_until_complete(main(loop))
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
