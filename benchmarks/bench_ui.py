"""Dashboard budgets from DESIGN.md, measured and printed next to each budget (never asserted).

Every measurement runs the app in a fresh interpreter, so one part's imports, caches and
garbage never flatter or burden another's figures.

First paint, steady CPU/RSS/bytes and the panels' cost without the UI are measured beside
glances in bench_glances.py (200x50 tmux panes, interleaved runs); this module keeps:

1. event-loop lag with 20 health targets that accept and never answer, built from a
   config as `opsdash` builds them: the app runs under a pty in its own interpreter and a
   50 ms timer started at mount (before the panels are built, so the build, the clients
   and the first polls are all inside the window) records how late each tick fires;
   max is the longest frame gap. Also which network clients were imported at the first
   frame.
2. an hour in fast-forward: 3600 polls of 20 panels fed as PanelUpdated; RSS once the
   ten-minute history is full and at the hour, and the points history holds.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
OPSDASH = Path(sys.executable).parent / "opsdash"
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))


def _free_port() -> int:
    from tests.fixtures.common import free_port  # pytest stays out of the measured children

    return free_port()


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

    def __init__(self, config: Path, cols: int = 160, rows: int = 48,
                 argv: list[str] | None = None) -> None:
        self.started = time.perf_counter()
        self.master, slave = pty.openpty()
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols),
               "LINES": str(rows)}
        argv = argv or [str(OPSDASH), "--config", str(config)]
        self.proc = subprocess.Popen(argv, stdin=slave,
                                     stdout=slave, stderr=slave, env=env, start_new_session=True,
                                     cwd=ROOT)
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


def collect_alone(config: Path, seconds: float) -> float:
    """CPU % of one core the panels cost without Textual, in their own interpreter."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_ui", "collect-child",
                          str(config), str(seconds)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["cpu"])


def _collect_child(config_path: str, seconds: float) -> dict[str, float]:
    """The panels' own cost: every target polled on the scheduler's phases, without Textual."""
    from panels.watch import PanelWatch
    from tui.config.loader import build_panels, load_config
    from tui.dashboard.scheduler import PHASES

    panels = build_panels(load_config(Path(config_path)))
    for panel in panels:
        panel.prepare()

    async def run() -> dict[str, float]:
        async def loop(watch: PanelWatch, offset: float) -> None:
            await asyncio.sleep(offset)
            while True:
                started = time.monotonic()
                await watch.poll()  # collect and judge: all the panel does
                await asyncio.sleep(max(0.05, 1.0 - (time.monotonic() - started)))

        slots = PHASES  # the dashboard's own phases (tui/dashboard/scheduler.py)
        tasks = [asyncio.create_task(loop(PanelWatch(p), (i * slots // len(panels)) / slots))
                 for i, p in enumerate(panels)]
        await asyncio.sleep(5.0)  # the same warm-up as the steady-state run
        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - t0) * 100
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(p.aclose() for p in panels), return_exceptions=True)
        return {"cpu": cpu}

    return asyncio.run(run())


def _lag_config(http_url: str) -> str:
    parts = ["refresh = 1.0"]
    for i in range(20):
        parts.append(f'[[health]]\nname = "stuck{i}"\nurl = "{http_url}/stuck"\ntimeout = 2.0')
    return "\n\n".join(parts) + "\n"


def bench_lag(tmp: Path, http_url: str) -> None:
    """The app in its own interpreter under a pty; the child writes its figures as JSON."""
    config = tmp / "lag.toml"
    config.write_text(_lag_config(http_url))
    out = tmp / "lag.json"
    seconds = min(SECONDS, 20.0)
    app = PtyApp(config, argv=[sys.executable, "-m", "benchmarks.bench_ui", "lag-child",
                               str(config), str(out), str(seconds)])
    app.read(seconds + 10)  # drain the pty while it runs
    if app.proc.poll() is None:
        app.quit()
    else:
        os.close(app.master)
    if not out.exists():
        raise RuntimeError("the lag run wrote no figures:\n"
                           + app.output[-2000:].decode(errors="replace"))
    figures = json.loads(out.read_text())
    lateness = sorted(figures["lateness_ms"])
    p = lambda q: lateness[min(len(lateness) - 1, int(q * len(lateness)))]  # noqa: E731
    print(f"event-loop lag from mount, 20 targets that never answer ({len(lateness)} ticks "
          f"of a 50 ms timer over {seconds:.0f} s): p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms "
          f"(budget < 20), longest frame gap {lateness[-1]:.1f} ms over the tick "
          f"(budget < 50); {figures['crit']}/20 cards crit by timeout (budget: all, within "
          f"refresh + timeout = 3 s)")
    worst = sorted(figures["late_at"], key=lambda tl: -tl[1])[:3]
    if worst:
        print("  ticks over 20 ms late: " + ", ".join(
            f"{late:.0f} ms at {at:.2f} s after mount" for at, late in sorted(worst)))
    clients = figures["clients_at_first_frame"]
    print(f"network clients imported before the first frame: "
          f"{', '.join(clients) if clients else 'none'} (budget: none)")


def _lag_child(config_path: str, out_path: str, seconds: float) -> None:
    """Runs inside the pty: the real app plus a 50 ms timer from mount to the end."""
    from tui.config.loader import load_config
    from tui.dashboard.app import OpsdashApp

    lateness: list[float] = []
    late_at: list[tuple[float, float]] = []  # (seconds after mount, ms late) over 20 ms
    clients: list[str] = []

    class LagApp(OpsdashApp):
        # Textual reads CSS_PATH relative to the subclass's module: point at the app's own
        CSS_PATH = str(Path(sys.modules[OpsdashApp.__module__].__file__ or "").parent
                       / "app.tcss")

        def on_mount(self) -> None:
            last = [time.perf_counter()]
            mounted = [last[0]]

            def tick() -> None:
                now = time.perf_counter()
                late = max(0.0, (now - last[0] - 0.05) * 1000)
                lateness.append(late)
                if late > 20:
                    late_at.append((now - mounted[0], late))
                last[0] = now

            self.set_interval(0.05, tick)
            self.set_timer(seconds, self.finish)

        def _first_frame(self) -> None:
            clients.extend(m for m in ("httpx", "httpcore", "redis", "psycopg", "docker")
                           if m in sys.modules)
            super()._first_frame()

        async def finish(self) -> None:
            crit = sum(1 for s in self.states.values() if s.status.value == "crit")
            Path(out_path).write_text(json.dumps(
                {"lateness_ms": lateness, "late_at": late_at, "crit": crit,
                 "clients_at_first_frame": clients}))
            await self.action_quit()

    LagApp(load_config(Path(config_path)), hostname="bench").run()


async def _hour_fast_forward() -> dict[str, float]:
    from panels.base import Probe
    from panels.redis import RedisPanel, RedisSample
    from panels.watch import PanelWatch
    from tui.config.loader import Config, PanelSpec
    from tui.dashboard.app import OpsdashApp
    from tui.dashboard.messages import PanelUpdated

    items = [RedisPanel(f"r{i}", url="redis://127.0.0.1:1/0", queues=["a", "b"])
             for i in range(20)]
    config = Config(refresh=1.0, panels=tuple(PanelSpec("redis", p.name, {}) for p in items))
    app = OpsdashApp(config, autostart=False, hostname="bench")
    watches = [PanelWatch(p) for p in items]
    proc = psutil.Process()
    figures: dict[str, float] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        base = time.time()
        figures["rss_start"] = proc.memory_info().rss / 2**20
        for second in range(3600):
            for i, watch in enumerate(watches):
                sample = RedisSample(0.3, (10 + (second + i) % 50) * 2**20, 2**28, 1.1, 0, 5, 0,
                                     {"a": second % 100, "b": i})
                state = watch.judge(Probe(sample, None, 1.0), base + second)
                app.history.record(state)
                app.post_message(PanelUpdated(state))
            if second % 60 == 0:
                await pilot.pause()
            if second == 600:  # the ten-minute history is full from here on
                await pilot.pause()
                figures["rss_10min"] = proc.memory_info().rss / 2**20
                figures["points_10min"] = app.history.size()
        await pilot.pause()
        figures["rss_end"] = proc.memory_info().rss / 2**20
        figures["points"] = app.history.size()
        figures["fed"] = 3600 * 20
        await pilot.press("q")
    return figures


def bench_hour() -> None:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_ui", "hour-child"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    f = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"an hour fast-forwarded ({f['fed']:.0f} states of 20 panels): RSS "
          f"{f['rss_start']:.1f} MiB at start, {f['rss_10min']:.1f} at 10 min (history full), "
          f"{f['rss_end']:.1f} at 60 min: {f['rss_end'] - f['rss_10min']:+.1f} MiB over the "
          f"last 50 min (budget: flat); history holds {f['points']:.0f} points "
          f"({f['points_10min']:.0f} at 10 min: bounded)")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    # the test bed's servers, imported here only: the measured children never load pytest
    from tests.fixtures.http import HTTPService

    service = HTTPService()
    service.route("/stuck", hang=True)
    with tempfile.TemporaryDirectory(prefix="opsdash-bench-") as tmp:
        try:
            bench_lag(Path(tmp), service.url)
            bench_hour()
        finally:
            service.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["lag-child"]:
        _lag_child(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif sys.argv[1:2] == ["collect-child"]:
        print(json.dumps(_collect_child(sys.argv[2], float(sys.argv[3]))))
    elif sys.argv[1:2] == ["hour-child"]:
        print(json.dumps(asyncio.run(_hour_fast_forward())))
    else:
        main()
