"""Budget: 100 containers' stats within one refresh interval (DESIGN.md).

Starts its own dockerd (the same `DockerEngine` the tests use), runs 100 busybox
`sleep 3600` containers with no network, then times whole `ContainersPanel.collect()`
rounds and how late a 50 ms event-loop timer fires meanwhile, with the GIL switch interval
the dashboard sets (tui/dashboard/launch.py). Prints; asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from panels.containers import ContainersPanel
from tests.fixtures.docker import DockerEngine
from tui.dashboard.launch import GIL_SWITCH_S

CONTAINERS = 100
ROUNDS = 6
REFRESH_S = 1.0


def _start_containers(engine: DockerEngine, count: int) -> None:
    with engine.client() as api:

        def one(i: int) -> None:
            ctr = api.create_container(
                engine.image, command=["sleep", "3600"], name=f"bench-{i:03d}",
                host_config=api.create_host_config(network_mode="none"))
            api.start(ctr["Id"])

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(count)))


async def _lag_probe(stop: asyncio.Event, lags: list[float], period: float = 0.05) -> None:
    """How late a periodic timer fires: the event loop's responsiveness while we collect."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        lags.append(max(0.0, loop.time() - due))


@dataclass
class Figures:
    times: list[float] = field(default_factory=list)
    first_lags: list[float] = field(default_factory=list)
    steady_lags: list[float] = field(default_factory=list)
    threads_steady: int = 0
    threads_after_close: int = 0
    measured: int = 0
    with_cpu: int = 0


async def _measure(host: str) -> Figures:
    panel = ContainersPanel(docker_host=host, interval=REFRESH_S, timeout=10.0)
    fig = Figures()
    for i in range(ROUNDS):
        stop = asyncio.Event()
        lags = fig.first_lags if i == 0 else fig.steady_lags
        probe = asyncio.create_task(_lag_probe(stop, lags))
        started = time.perf_counter()
        sample = await panel.collect()
        fig.times.append(time.perf_counter() - started)
        if i > 0:  # the idle rest of the interval counts too: that is what the app lives in
            await asyncio.sleep(max(0.0, REFRESH_S - fig.times[-1]))
        stop.set()
        await probe
        if i == 0:
            await asyncio.sleep(max(0.0, REFRESH_S - fig.times[-1]))
    fig.measured = sum(1 for c in sample.containers if c.mem_bytes is not None)
    fig.with_cpu = sum(1 for c in sample.containers if c.cpu_pct is not None)
    fig.threads_steady = threading.active_count()
    await panel.aclose()
    await asyncio.sleep(3.0)  # stream threads end at their next frame
    fig.threads_after_close = threading.active_count()
    return fig


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0


def main() -> None:
    t0 = time.perf_counter()
    engine = DockerEngine.start()
    t_engine = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        _start_containers(engine, CONTAINERS)
        t_create = time.perf_counter() - t1
        previous = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_S)  # as the dashboard runs
        try:
            fig = asyncio.run(_measure(engine.host))
        finally:
            sys.setswitchinterval(previous)
    finally:
        t2 = time.perf_counter()
        engine.stop()
        t_stop = time.perf_counter() - t2

    steady = fig.times[1:]
    print(f"containers: {fig.measured} measured in {statistics.median(steady):.2f} s "
          f"(median of {len(steady)} rounds, min {min(steady):.2f}, max {max(steady):.2f}; "
          f"budget: one refresh interval, {REFRESH_S:.1f} s)")
    print(f"containers: first round {fig.times[0]:.2f} s (starts {CONTAINERS} stats streams "
          f"and waits for their first frames); cpu_pct known for {fig.with_cpu}/{CONTAINERS}")
    print(f"containers: event-loop lag, steady rounds: p99 {_p(fig.steady_lags, 0.99):.1f} ms, "
          f"max {_p(fig.steady_lags, 1.0):.1f} ms ({len(fig.steady_lags)} ticks of 50 ms); "
          f"first round: max {_p(fig.first_lags, 1.0):.1f} ms")
    print(f"containers: threads in the process {fig.threads_steady} while streaming, "
          f"{fig.threads_after_close} 3 s after aclose()")
    print(f"containers: setup: dockerd up + image import {t_engine:.1f} s, "
          f"{CONTAINERS} containers created and started {t_create:.1f} s, "
          f"teardown {t_stop:.1f} s")


if __name__ == "__main__":
    main()
