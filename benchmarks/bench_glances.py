"""opsdash beside `glances -t 1`, interleaved in the same run, and where opsdash's time goes.

Both programs run in a 200x50 tmux pane (a private tmux server per run, no tmux.conf);
the pane's command waits on a FIFO, tmux's pipe-pane starts copying the pane's output to
a file, and the clock starts when the FIFO releases the command (`exec`, so the pane's
pid is the program's). Same targets for both machines' worth of work: opsdash watches
20 targets of 6 kinds at refresh 1 s (10 health + 4 traffic from a real local HTTP
service's /metrics, its counters moving 20 requests/s; 3 Redis with a queue each of 50 items
on a real redis-server started here; the host; a Docker socket nothing listens on; a
Postgres nobody listens on); glances 4.5.8 (from PyPI, in its own venv `.venv-bench/`)
watches the host.

- first paint: spawn to the first frame, the same rule for both: the first moment the
  pane's bytes, fed to a 200x50 VT emulator (pyte), show at least FRAME_ROWS (10)
  non-blank rows; a banner line, a lone header or a cleared screen is not a frame. The
  first non-blank row's time is printed too, for reference.
- steady state: WARMUP_S after spawn, a WINDOW_S window: CPU % of one core from psutil
  cpu_times of the process tree (reaped children included), RSS of the tree (max of a
  0.5 s sampling), terminal bytes/s (pipe-pane). RUNS runs each, interleaved o g o g o g;
  medians and ratios printed beside DESIGN.md's targets.
- profile: one more opsdash run under benchmarks/profile_child.py (cProfile in every
  thread, CPU-time clock) over a WINDOW_S window starting PROFILE_WARMUP_S (15 s) after
  its first frame, split into buckets by file path with stack attribution
  (profile_buckets.py); its CPU % is printed too (cProfile's own overhead included).
- incident on screen: a health target answering 500 fires ServiceDown, `r` opens the
  runbook pane and Enter runs a step printing a line every 100 ms; CPU % and bytes/s
  over a SIDE_S (10 s) window while it streams.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pstats
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import pyte

from benchmarks.bench_ui import OPSDASH, ROOT, _config, _free_port, collect_alone
from benchmarks.profile_buckets import print_profile

if TYPE_CHECKING:
    from tests.fixtures.http import HTTPService

GLANCES_VERSION = "4.5.8"
BENCH_VENV = Path(os.environ.get("BENCH_VENV", ROOT / ".venv-bench"))
COLS, ROWS = 200, 50
WARMUP_S = float(os.environ.get("BENCH_WARMUP", "8"))
WINDOW_S = float(os.environ.get("BENCH_WINDOW", "20"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
#: which parts run: BENCH_PARTS=profile,incident skips the side-by-side runs
PARTS = set(os.environ.get("BENCH_PARTS", "compare,profile,incident").split(","))
#: the incident's and the panels-alone windows: shorter, so `make bench` stays near 6 min
SIDE_S = float(os.environ.get("BENCH_SIDE_WINDOW", "10"))
#: the profiled run's warm-up, counted from its first frame
PROFILE_WARMUP_S = float(os.environ.get("BENCH_PROFILE_WARMUP", "15"))
FRAME_ROWS = 10
QUEUE_ITEMS = 50


def ensure_glances() -> Path:
    """glances from PyPI in the benchmark's own venv, never the project's."""
    glances = BENCH_VENV / "bin" / "glances"
    marker = BENCH_VENV / f".glances-{GLANCES_VERSION}"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run([str(BENCH_VENV / "bin" / "pip"), "install", "-q",
                        f"glances=={GLANCES_VERSION}"], check=True)
        marker.touch()
    return glances


@dataclass
class Run:
    """One program's figures from one run."""

    paint_ms: float
    text_ms: float
    cpu: float
    rss_mib: float
    kbps: float


def _gone_ok() -> contextlib.suppress:
    """A child may exit between listing and reading it, a pane before its last key."""
    return contextlib.suppress(psutil.NoSuchProcess, subprocess.CalledProcessError)


class Pane:
    """One program in a 200x50 pane of its own tmux server; its output copied to a file."""

    def __init__(self, tmp: Path, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.tmux = shutil.which("tmux") or "tmux"
        self.socket = str(tmp / f"{name}.sock")
        self.out = tmp / f"{name}.out"
        self.out.write_bytes(b"")
        fifo = tmp / f"{name}.go"
        os.mkfifo(fifo)
        shell = f"read go < {shlex.quote(str(fifo))}; exec {shlex.join(argv)}"
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", str(COLS),
                   "-y", str(ROWS), shell, env=env)
        self._tmux("pipe-pane", "-O", "-t", "b", f"cat >> {shlex.quote(str(self.out))}")
        self.pid = int(self._tmux("display-message", "-p", "-t", "b", "#{pane_pid}"))
        self.started = time.perf_counter()
        with open(fifo, "w") as go:
            go.write("go\n")
        self.proc = psutil.Process(self.pid)

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        return subprocess.run([self.tmux, "-S", self.socket, *args], check=True, text=True,
                              capture_output=True, env=env, timeout=10).stdout.strip()

    def first_frame(self, timeout: float = 20.0) -> float:
        """ms from the release to FRAME_ROWS non-blank rows on the emulated screen."""
        screen = pyte.Screen(COLS, ROWS)
        stream = pyte.ByteStream(screen)
        seen = 0
        self.first_text_ms = 0.0
        deadline = self.started + timeout
        with open(self.out, "rb") as out:
            while time.perf_counter() < deadline:
                chunk = out.read()
                if chunk:
                    now = time.perf_counter()
                    seen += len(chunk)
                    stream.feed(chunk)
                    rows = sum(1 for line in screen.display if line.strip())
                    if rows and not self.first_text_ms:
                        self.first_text_ms = (now - self.started) * 1000
                    if rows >= FRAME_ROWS:
                        return (now - self.started) * 1000
                else:
                    time.sleep(0.002)
        raise RuntimeError(f"no frame within {timeout:.0f} s ({seen} bytes)")

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "b")

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in (text := self.screen()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"pane never showed {needle!r}:\n{text}")
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "b", *keys)

    def tree_cpu(self) -> float:
        """CPU seconds of the program and its children, reaped ones included."""
        total = 0.0
        try:
            t = self.proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
            for child in self.proc.children(recursive=True):
                with _gone_ok():
                    c = child.cpu_times()
                    total += c.user + c.system
        except psutil.NoSuchProcess:
            pass
        return total

    def tree_rss(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            with _gone_ok():
                total += p.memory_info().rss
        return total

    def window(self, seconds: float) -> tuple[float, float, float]:
        """(CPU % of one core, max RSS MiB, KB/s written) over `seconds` from now."""
        cpu0, bytes0, t0 = self.tree_cpu(), self.out.stat().st_size, time.perf_counter()
        rss = self.tree_rss()
        while (left := t0 + seconds - time.perf_counter()) > 0:
            time.sleep(min(0.5, left))
            rss = max(rss, self.tree_rss())
        elapsed = time.perf_counter() - t0
        cpu = (self.tree_cpu() - cpu0) / elapsed * 100
        return cpu, rss / 2**20, (self.out.stat().st_size - bytes0) / elapsed / 1000

    def close(self, quit_key: str = "q") -> None:
        with _gone_ok():
            self.keys(quit_key)
        try:
            self.proc.wait(timeout=15)
        except psutil.TimeoutExpired:
            self.proc.kill()
        except psutil.NoSuchProcess:
            pass
        subprocess.run([self.tmux, "-S", self.socket, "kill-server"], capture_output=True,
                       check=False, timeout=10)


def _measure(tmp: Path, name: str, argv: list[str], env: dict[str, str]) -> Run:
    pane = Pane(tmp, name, argv, env)
    try:
        paint = pane.first_frame()
        time.sleep(max(0.0, pane.started + WARMUP_S - time.perf_counter()))
        cpu, rss, kbps = pane.window(WINDOW_S)
    finally:
        pane.close()
    return Run(paint, pane.first_text_ms, cpu, rss, kbps)


def _env(tmp: Path) -> dict[str, str]:
    """The same environment for both; opsdash's state (journal, recording) kept in tmp."""
    return {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": str(tmp / "state"),
            "XDG_CACHE_HOME": str(tmp / "cache")}


def _median(runs: list[Run], field: Callable[[Run], float]) -> float:
    return statistics.median(field(r) for r in runs)


def _table(ours: list[Run], theirs: list[Run]) -> None:
    rows = [("first paint (ms)", lambda r: r.paint_ms, "<= 1.1x, < 400 ms", 1.1),
            ("  first text, any row (ms)", lambda r: r.text_ms, "(for reference)", None),
            ("steady CPU (% of one core)", lambda r: r.cpu, "<= 0.75x", 0.75),
            ("RSS max (MiB)", lambda r: r.rss_mib, "< 60 MiB", None),
            ("terminal output (KB/s)", lambda r: r.kbps, "< 10 KB/s", None)]
    print(f"  {'':28} {'opsdash runs':>24} {'glances runs':>24} {'opsdash':>8} "
          f"{'glances':>8} {'ratio':>6}  target")
    for label, field, target, limit in rows:
        o, g = _median(ours, field), _median(theirs, field)
        ratio = o / g if g else float("inf")
        verdict = "" if limit is None else (" met" if ratio <= limit else " MISSED")
        if label.startswith("RSS"):
            verdict = " met" if o < 60 else " MISSED"
        if label.startswith("terminal"):
            verdict = " met" if o < 10 else " MISSED"
        if label.startswith(" "):
            verdict = ""
        runs_o = " ".join(f"{field(r):7.2f}" for r in ours)
        runs_g = " ".join(f"{field(r):7.2f}" for r in theirs)
        print(f"  {label:28} {runs_o:>24} {runs_g:>24} {o:8.2f} {g:8.2f} {ratio:6.2f}  "
              f"{target}{verdict}")


def _profile(tmp: Path, config: Path, env: dict[str, str]) -> None:
    prefix = tmp / "profile"
    argv = [sys.executable, "-m", "benchmarks.profile_child", str(prefix), "--",
            "--config", str(config)]
    pane = Pane(tmp, "profile", argv, {**env, "PYTHONPATH": str(ROOT)})
    try:
        paint = pane.first_frame()
        # cProfile slows start-up (seconds on a loaded machine): the warm-up counts from the
        # first frame, so lazy imports and first polls stay out of the steady-state window
        time.sleep(PROFILE_WARMUP_S)
        pane.proc.send_signal(signal.SIGUSR1)
        cpu, _, _ = pane.window(WINDOW_S)
        pane.proc.send_signal(signal.SIGUSR2)
        done = Path(f"{prefix}.done")
        deadline = time.monotonic() + 30
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        count = int(done.read_text())
    finally:
        pane.close()
    if os.environ.get("BENCH_KEEP"):
        for i in range(count):  # the raw pstats files, one per thread
            shutil.copy(f"{prefix}.{i}", os.environ["BENCH_KEEP"])
    # each file is a pstats dump (a marshalled stats dict): Stats adds them up; a thread
    # that ran nothing in the window left an empty one, which pstats refuses to load
    dumps = [f"{prefix}.{i}" for i in range(count)
             if marshal.loads(Path(f"{prefix}.{i}").read_bytes())]
    stats = pstats.Stats(*dumps)
    print(f"profile of opsdash's steady state: cProfile in {count} threads (CPU-time clock) "
          f"over a {WINDOW_S:.0f} s window {PROFILE_WARMUP_S:.0f} s after its first frame; the "
          f"profiled process used {cpu:.2f}% of one core (cProfile's overhead included; its "
          f"first paint {paint:.0f} ms)")
    print_profile(stats, WINDOW_S)


def _traffic(service: HTTPService, stop: threading.Event) -> None:
    """The service keeps serving (20 requests a second, 1 in 20 a 500): rates move."""
    while not stop.wait(0.5):
        service.observe(n=9, status=200, seconds=0.04)
        service.observe(n=1, status=500, seconds=0.2)


@contextlib.contextmanager
def bench_targets(tmp: Path) -> Iterator[tuple[Path, HTTPService, str]]:
    """The benchmark's 20 targets (`bench_ui._config`) served for real: an HTTP service
    whose counters move, a redis-server with QUEUE_ITEMS in each queue; yields (config,
    service, redis url). bench_memory runs opsdash on the same."""
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.http import HTTPService
    from tests.fixtures.redis import RedisServer

    service = HTTPService()
    service.route("/readyz", body={"database": {"ok": True}, "jobs": {"ok": True}})
    service.route("/down", status=500, body="down")
    service.observe(n=100, status=200, seconds=0.05)
    stop = threading.Event()
    feeder = threading.Thread(target=_traffic, args=(service, stop), daemon=True)
    feeder.start()
    redis = RedisServer(tmp, _free_port())
    redis.start()
    try:
        import redis as redis_py

        client = redis_py.Redis.from_url(redis.url)
        for i in range(3):
            client.rpush(f"q{i}", *[f"job{j}" for j in range(QUEUE_ITEMS)])
        client.close()
        config = tmp / "opsdash.toml"
        config.write_text(_config(service.url, redis.url))
        yield config, service, redis.url
    finally:
        stop.set()
        service.stop()
        redis.stop()


@contextlib.contextmanager
def targets() -> Iterator[tuple[Path, str, str, dict[str, str]]]:
    """`bench_targets` in a temp dir of its own: (tmp dir, HTTP URL, Redis URL, env)."""
    with tempfile.TemporaryDirectory(prefix="opsdash-bg-") as name:
        tmp = Path(name)
        with bench_targets(tmp) as (_, service, redis_url):
            yield tmp, service.url, redis_url, _env(tmp)


def main() -> None:
    glances = ensure_glances()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="opsdash-bg-") as name:
        tmp = Path(name)
        with bench_targets(tmp) as (config, service, redis_url):
            env = _env(tmp)
            print(f"opsdash vs glances {GLANCES_VERSION} -t 1, tmux {COLS}x{ROWS} pane, "
                  f"{RUNS} runs each interleaved (o g ...), {WARMUP_S:.0f} s warm-up, "
                  f"{WINDOW_S:.0f} s windows; load average at start "
                  f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores",
                  flush=True)
            if "compare" in PARTS:
                ours: list[Run] = []
                theirs: list[Run] = []
                for i in range(RUNS):
                    ours.append(_measure(tmp, f"o{i}",
                                         [str(OPSDASH), "--config", str(config)], env))
                    theirs.append(_measure(tmp, f"g{i}", [str(glances), "-t", "1"], env))
                _table(ours, theirs)
                alone = collect_alone(config, SIDE_S)
                print(f"  of which collecting alone (the same panels polled at 1 s without "
                      f"Textual, own interpreter, {SIDE_S:.0f} s): cpu {alone:.2f}% of one core")
                end = os.getloadavg()
                print(f"  load average at the end {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}",
                      flush=True)
            if "profile" in PARTS:
                _profile(tmp, config, env)
            if "incident" in PARTS:
                from benchmarks.bench_pane import print_incident

                print_incident(tmp, service.url, redis_url, env)


if __name__ == "__main__":
    main()
