"""The recording's cost: store size, write cost per sample, event-loop lag while writing.

The budget case is 24 h of 20 panels at a 1 s refresh (1,728,000 states). States are the
real panels' (`PanelWatch.judge` over the fixed samples the pilot tests use: health,
traffic, postgres, redis, host, containers), cloned across 20 panel ids, fed through the
real `Recorder` (offer on the event loop, batch inserts in its thread) while a 50 ms timer
on the same loop measures how late it fires.

1. real rate: 20 states a second for `REAL_S` seconds, lag p99 with and without recording.
2. fast-forward: `BENCH_RECORDING_HOURS` (default 2) recorded hours fed as fast as the
   loop and the recorder keep up with comfortably (200x), then the figures scaled to 24 h. Set
   BENCH_RECORDING_HOURS=24 for the whole day (about 7 min here); the scaled figures
   say they are scaled. Retention then trims the store to the default 200 MB.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from panels.watch import PanelState

PANELS = 20
DAY_S = 86_400
REAL_S = 10.0
SPEEDUP = 200.0
TIMER_S = 0.05


def templates(rounds: int = 60) -> list[list[PanelState]]:
    """`rounds` polls of 20 panels: the six real kinds, renamed to 20 ids."""
    from tests.test_app_support import panels, states

    items = panels()
    polled = states(items, rounds=rounds, failing={"redis"})
    per_round = len(items)
    out: list[list[PanelState]] = []
    for r in range(rounds):
        row = polled[r * per_round:(r + 1) * per_round]
        out.append([replace(s := row[i % per_round], panel_id=f"{s.kind}:{s.name}-{i}",
                            name=f"{s.name}-{i}") for i in range(PANELS)])
    return out


async def _lag_probe(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        due = time.perf_counter() + TIMER_S
        await asyncio.sleep(TIMER_S)
        lags.append(max(0.0, time.perf_counter() - due) * 1000)


def _p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[98]


async def _feed(recorder: object | None, rounds: list[list[PanelState]], seconds: int,
                start: float, rate: float) -> None:
    """`seconds` recorded seconds of 20 states, paced to `rate` recorded s per real s."""
    from tui.incident.recording import Recorder

    began = time.perf_counter()
    for sec in range(seconds):
        if isinstance(recorder, Recorder):
            for state in rounds[sec % len(rounds)]:
                recorder.offer(replace(state, updated_at=start + sec))
        ahead = began + (sec + 1) / rate - time.perf_counter()
        # every recorded second yields, as the app's loop would between batches
        await asyncio.sleep(max(0.0, ahead))


async def _run(recorder: object | None, rounds: list[list[PanelState]], seconds: int,
               start: float, rate: float) -> list[float]:
    lags: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(_lag_probe(stop, lags))
    await _feed(recorder, rounds, seconds, start, rate)
    stop.set()
    await probe
    return lags


def real_rate(rounds: list[list[PanelState]], folder: Path) -> None:
    from tui.config.model import RecordingSettings
    from tui.incident.recording import Recorder

    base = asyncio.run(_run(None, rounds, int(REAL_S), 0.0, 1.0))
    recorder = Recorder(RecordingSettings(path=folder / "real.sqlite")).start()
    lags = asyncio.run(_run(recorder, rounds, int(REAL_S), time.time(), 1.0))
    recorder.stop()
    print(f"real rate ({PANELS} panels, 1 s refresh, {REAL_S:.0f} s): loop lag p99 "
          f"{_p99(lags):.1f} ms recording, {_p99(base):.1f} ms without "
          f"(max {max(lags):.1f} / {max(base):.1f} ms); {recorder.written} states, "
          f"{recorder.write_seconds / max(1, recorder.written) * 1e6:.1f} µs each in the "
          "recorder thread")


def fast_forward(rounds: list[list[PanelState]], folder: Path, hours: float) -> None:
    from tui.config.model import RecordingSettings
    from tui.incident.recording import Recorder

    seconds = int(hours * 3600)
    # the producer alone (states made and offered, nothing written): its own share of lag
    idle = Recorder(RecordingSettings(path=folder / "unused.sqlite"))
    base = asyncio.run(_run(idle, rounds, min(seconds, 1200), 0.0, SPEEDUP))
    path = folder / "day.sqlite"
    # prune only at the end (as the first pass after a restart would): the run measures
    # writing, and the size it reports is what the samples take before retention
    settings = RecordingSettings(path=path)
    recorder = Recorder(settings, prune_s=10**9).start()
    start = time.time() - seconds
    began = time.perf_counter()
    lags = asyncio.run(_run(recorder, rounds, seconds, start, SPEEDUP))
    fed_s = time.perf_counter() - began
    recorder.stop(timeout=600)
    wall = time.perf_counter() - began
    written = recorder.written
    per_sample_us = recorder.write_seconds / max(1, written) * 1e6
    from tui.incident.recording import RecordingStore

    store = RecordingStore.open(path)
    size = store.file_bytes()
    per_state = size / max(1, written)
    t0 = time.perf_counter()
    pruned = store.prune(time.time(), keep_s=settings.keep_s, max_bytes=settings.max_bytes)
    prune_s = time.perf_counter() - t0
    after = store.file_bytes()
    store.close()
    scaled = "" if hours >= 24 else f" (scaled from {hours:g} h: x{24 / hours:g})"
    print(f"fast-forward: {hours:g} h of {PANELS} panels = {seconds * PANELS:,} states fed "
          f"in {fed_s:.1f} s (x{SPEEDUP:g}), all written after {wall:.1f} s; "
          f"{written:,} written ({seconds * PANELS - written:,} dropped)")
    print(f"  write cost: {per_sample_us:.1f} µs a sample in the recorder thread "
          f"(batch insert, JSON included); at 20 samples/s that is "
          f"{per_sample_us * 20 / 1e4:.3f}% of one core")
    print(f"  loop lag p99 while writing at x{SPEEDUP:g}: {_p99(lags):.1f} ms "
          f"(max {max(lags, default=0):.1f} ms, {len(lags)} ticks of a 50 ms timer); "
          f"the producer alone: p99 {_p99(base):.1f} ms")
    day_bytes = per_state * PANELS * DAY_S
    print(f"  store: {size / 2**20:.1f} MiB for {hours:g} h, {per_state:.0f} B a sample; "
          f"24 h would take {day_bytes / 2**20:.0f} MiB{scaled}")
    cap_h = settings.max_bytes / max(1.0, per_state * PANELS) / 3600
    print(f"  retention pass: {prune_s * 1000:.0f} ms, {pruned.by_age:,} rows by age, "
          f"{pruned.by_size:,} by size, {after / 2**20:.1f} MiB after; the 200 MB cap "
          f"alone would hold {cap_h:.1f} h of {PANELS} panels at 1 s")


def main() -> None:
    import sys

    from tui.dashboard.launch import GIL_SWITCH_S

    sys.setswitchinterval(GIL_SWITCH_S)  # as the dashboard runs
    hours = float(os.environ.get("BENCH_RECORDING_HOURS", "2"))
    rounds = templates()
    with tempfile.TemporaryDirectory(prefix="opsdash-bench-rec-") as tmp:
        folder = Path(tmp)
        real_rate(rounds, folder)
        fast_forward(rounds, folder, hours)


if __name__ == "__main__":
    main()
