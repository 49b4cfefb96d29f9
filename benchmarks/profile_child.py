"""Runs `opsdash` (its console-script entry point, any argv) under cProfile in every thread.

`python -m benchmarks.profile_child OUT_PREFIX -- ARGS...`: the harness sends SIGUSR1 at
the start of its window (every thread's figures are cleared) and SIGUSR2 at the end (each
thread's stats go to OUT_PREFIX.N as pstats files, then OUT_PREFIX.done). The timer is
each thread's CPU time, so waiting in epoll or on a lock costs nothing: the figures are
where the CPU goes. Lives outside tui/ so the app is profiled exactly as shipped.
"""

from __future__ import annotations

import cProfile
import marshal
import signal
import sys
import threading
import time
from importlib.metadata import entry_points
from pathlib import Path
from types import FrameType
from typing import Any

_PROFILES: list[cProfile.Profile] = []
_LOCK = threading.Lock()


def _new_profile() -> cProfile.Profile:
    profile = cProfile.Profile(time.thread_time)
    with _LOCK:
        _PROFILES.append(profile)
    return profile


def _thread_hook(frame: FrameType, event: str, arg: Any) -> None:
    """Each new thread's first profile event: give it its own profiler (it replaces us)."""
    sys.setprofile(None)
    _new_profile().enable()


def _clear(signum: int, frame: FrameType | None) -> None:
    with _LOCK:
        for profile in _PROFILES:
            profile.clear()


def _dump(prefix: str) -> None:
    main = _PROFILES[0]
    main.disable()
    with _LOCK:
        profiles = list(_PROFILES)
    for i, profile in enumerate(profiles):
        profile.snapshot_stats()  # no disable(): that would act on this thread, not its owner
        Path(f"{prefix}.{i}").write_bytes(marshal.dumps(profile.stats))
    Path(f"{prefix}.done").write_text(str(len(profiles)))


def main(argv: list[str]) -> None:
    prefix, rest = argv[0], argv[argv.index("--") + 1:]
    script = entry_points(group="console_scripts", name="opsdash")
    entry = next(iter(script)).load()
    signal.signal(signal.SIGUSR1, _clear)
    signal.signal(signal.SIGUSR2, lambda signum, frame: _dump(prefix))
    sys.argv = ["opsdash", *rest]
    _new_profile().enable()  # the main thread's is _PROFILES[0]: no other thread runs yet
    threading.setprofile(_thread_hook)
    entry()


if __name__ == "__main__":
    main(sys.argv[1:])
