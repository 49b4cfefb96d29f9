"""Dashboard budgets from DESIGN.md, measured and printed (never asserted).

1. first paint: `opsdash --config F` under a pty; ms from spawn to the first frame's
   bytes (the alternate screen entered and the header drawn).
2. steady state: 6 panel kinds / 20 targets at 1 s refresh, real local HTTP services and
   a real redis-server; CPU % of one core, RSS and terminal bytes/s over BENCH_SECONDS
   (default 60) of the console script under a pty.
3. event-loop lag with 20 targets that accept and never answer: a 50 ms timer inside the
   app records how late it fires (p50/p99/max); max is the longest frame gap.
4. an hour in fast-forward: 3600 polls of 20 panels fed as PanelUpdated; RSS and the
   points history holds, to show memory stays bounded.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
OPSDASH = Path(sys.executable).parent / "opsdash"
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: apt-get install redis-server")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def _config(http_url: str, redis_url: str) -> str:
    """20 targets of 6 kinds: 10 health, 4 traffic, 3 redis, host, containers, postgres."""
    parts = ["refresh = 1.0"]
    for i in range(10):
        parts.append(f'[[health]]\nname = "svc{i}"\nurl = "{http_url}/readyz"')
    for i in range(4):
        parts.append(f'[[traffic]]\nname = "svc{i}"\nmetrics_url = "{http_url}/metrics"')
    for i in range(3):
        parts.append(f'[[redis]]\nname = "r{i}"\nurl = "{redis_url}"\nqueues = ["q{i}"]')
    parts.append('[host]\nmounts = ["/"]')
    parts.append('[containers]\ndocker_host = "unix:///nonexistent/docker.sock"')
    # nothing listens there: a postgres target that is down, as on a bad night
    parts.append(f'[[postgres]]\nname = "main"\ndsn = "postgresql://x@127.0.0.1:{_free_port()}/x"')
    return "\n\n".join(parts) + "\n"


class PtyApp:
    """The console script in a pseudo-terminal, as an operator's SSH session runs it."""

    def __init__(self, config: Path, cols: int = 160, rows: int = 48) -> None:
        self.started = time.perf_counter()
        self.master, slave = pty.openpty()
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols),
               "LINES": str(rows)}
        self.proc = subprocess.Popen([str(OPSDASH), "--config", str(config)], stdin=slave,
                                     stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.output = bytearray()

    def read(self, seconds: float) -> int:
        """Read whatever the app writes for `seconds`; returns the byte count."""
        end = time.perf_counter() + seconds
        count = 0
        while (left := end - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.1))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                self.output += chunk
                count += len(chunk)
        return count

    def wait_for(self, needle: bytes, timeout: float = 20) -> float:
        end = time.perf_counter() + timeout
        while needle not in self.output and time.perf_counter() < end:
            self.read(0.005)
        return time.perf_counter()

    def quit(self) -> int:
        os.write(self.master, b"q")
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -9
        finally:
            os.close(self.master)


def bench_first_paint_and_steady(tmp: Path, http_url: str, redis_url: str) -> None:
    config = tmp / "opsdash.toml"
    config.write_text(_config(http_url, redis_url))
    paints = []
    for _ in range(3):
        app = PtyApp(config)
        entered = app.wait_for(b"\x1b[?1049h")
        drawn = app.wait_for(b"opsdash")
        paints.append((drawn - app.started) * 1000)
        if _ == 2:
            break
        app.quit()
        del entered
    print(f"first paint (spawn -> header bytes on the pty), 3 runs: "
          f"{', '.join(f'{p:.0f}' for p in paints)} ms (median {statistics.median(paints):.0f})")
    proc = psutil.Process(app.proc.pid)
    app.read(5.0)  # warm-up: panels built, first polls, traffic's second scrape
    cpu0 = proc.cpu_times()
    t0 = time.perf_counter()
    written = app.read(SECONDS)
    elapsed = time.perf_counter() - t0
    cpu1 = proc.cpu_times()
    rss = proc.memory_info().rss / 2**20
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed * 100
    print(f"steady state, 20 targets / 6 kinds at 1 s, {elapsed:.0f} s: CPU {cpu:.2f}% of one "
          f"core, RSS {rss:.1f} MiB, terminal output {written / elapsed / 1024:.2f} KiB/s")
    print(f"exit code after q: {app.quit()}")


async def _lag_with_hanging_targets(http_url: str) -> tuple[list[float], int]:
    from panels.base import Panel
    from panels.health import HealthPanel
    from tui.app import OpsdashApp
    from tui.config import Config, PanelSpec

    items: list[Panel[Any]] = [HealthPanel(f"stuck{i}", url=f"{http_url}/stuck", timeout=2.0)
                               for i in range(20)]
    config = Config(refresh=1.0, panels=tuple(PanelSpec("health", p.name, {}) for p in items))
    app = OpsdashApp(config, panel_factory=lambda _: items, hostname="bench")
    lateness: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            lateness.append(max(0.0, (now - last[0] - 0.05) * 1000))
            last[0] = now

        await pilot.pause(1.0)
        app.set_interval(0.05, tick)
        await asyncio.sleep(min(SECONDS, 20))
        crit = sum(1 for s in app.states.values() if s.status.value == "crit")
        await pilot.press("q")
    return lateness, crit


async def _hour_fast_forward() -> tuple[float, float, int, int]:
    from panels.base import Probe
    from panels.redis import RedisPanel, RedisSample
    from panels.watch import PanelWatch
    from tui.app import OpsdashApp
    from tui.config import Config, PanelSpec
    from tui.messages import PanelUpdated

    items = [RedisPanel(f"r{i}", url="redis://127.0.0.1:1/0", queues=["a", "b"])
             for i in range(20)]
    config = Config(refresh=1.0, panels=tuple(PanelSpec("redis", p.name, {}) for p in items))
    app = OpsdashApp(config, autostart=False, hostname="bench")
    watches = [PanelWatch(p) for p in items]
    proc = psutil.Process()
    async with app.run_test(size=(160, 48)) as pilot:
        base = time.time()
        rss_start = proc.memory_info().rss / 2**20
        for second in range(3600):
            for i, watch in enumerate(watches):
                sample = RedisSample(0.3, (10 + (second + i) % 50) * 2**20, 2**28, 1.1, 0, 5, 0,
                                     {"a": second % 100, "b": i})
                state = watch.judge(Probe(sample, None, 1.0), base + second)
                app.history.record(state)
                app.post_message(PanelUpdated(state))
            if second % 60 == 0:
                await pilot.pause()
        await pilot.pause()
        rss_end = proc.memory_info().rss / 2**20
        points = app.history.size()
        await pilot.press("q")
    return rss_start, rss_end, points, 3600 * 20


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.http import HTTPService

    service = HTTPService()
    service.route("/readyz", body={"database": {"ok": True}, "jobs": {"ok": True}})
    service.route("/stuck", hang=True)
    service.observe(n=100, status=200, seconds=0.05)
    with tempfile.TemporaryDirectory(prefix="opsdash-bench-") as tmp:
        redis_proc, redis_url = _redis(Path(tmp))
        try:
            bench_first_paint_and_steady(Path(tmp), service.url, redis_url)
            lateness, crit = asyncio.run(_lag_with_hanging_targets(service.url))
            lateness.sort()
            p = lambda q: lateness[min(len(lateness) - 1, int(q * len(lateness)))]  # noqa: E731
            print(f"event-loop lag, 20 targets that never answer ({len(lateness)} ticks of a "
                  f"50 ms timer): p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max (longest gap) "
                  f"{lateness[-1]:.1f} ms; {crit}/20 cards crit by timeout")
            start, end, points, fed = asyncio.run(_hour_fast_forward())
            print(f"an hour fast-forwarded ({fed} states of 20 panels): RSS {start:.1f} -> "
                  f"{end:.1f} MiB; history holds {points} points (bounded)")
        finally:
            service.stop()
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


if __name__ == "__main__":
    main()
