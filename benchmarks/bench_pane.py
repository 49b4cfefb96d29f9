"""The incident on screen: the runbook pane open while a step streams a line every 100 ms.

The same 20 targets as bench_glances (refresh 1 s), one health target answering 500:
ServiceDown fires, `r` opens the runbook pane, Enter runs a step that prints what the
benchmark writes into a FIFO (`cat`), one `tick NNNNNN streaming` line every 100 ms, so
the moment each line is printed is known without the step forking a clock. In a 200x50
tmux pane (bench_glances.Pane), over a SIDE_S (10 s) window:

- CPU % of one core of opsdash's process tree, and terminal KB/s (pipe-pane), as
  bench_glances measures the steady state;
- each line's latency, from its write into the FIFO to the first moment the pane's bytes,
  fed to a 200x50 VT emulator (pyte), show it: median, p95 and max over the window.

BENCH_BASELINE=/path/to/checkout also runs that checkout's code (main's worktree, say)
under this benchmark, interleaved with this one's (baseline, this, baseline, ...),
BENCH_RUNS times each (default 2), so before and after share the same minutes of the same
machine. Prints figures beside DESIGN.md's budgets; asserts nothing.
"""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyte

from benchmarks.bench_glances import COLS, ROWS, SIDE_S, Pane, targets
from benchmarks.bench_ui import OPSDASH, _config

RUNS = int(os.environ.get("BENCH_RUNS", "2"))
BASELINE = os.environ.get("BENCH_BASELINE", "")
#: a line every LINE_S while the step streams, as `sleep 0.1` in a loop would print them
LINE_S = 0.1
LINE = "tick {:06d} streaming"
_SHOWN = re.compile(r"tick (\d{6}) streaming")

STREAMING_RUNBOOK = """---
alerts: [ServiceDown]
---
# Watch the service

1. Follow the service while it recovers:

   ```bash
   cat {fifo}
   ```
"""


@dataclass
class Incident:
    """One run's figures while the step streams."""

    cpu: float
    rss_mib: float
    kbps: float
    latencies_ms: list[float]
    still_shown: bool

    def latency(self, q: float) -> float:
        """The q-quantile of the line-to-screen latencies (0.5 median, 0.95 p95)."""
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, round(q * (len(data) - 1)))]


class Feed:
    """Writes a numbered line into the step's FIFO every LINE_S; remembers when."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.sent: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        fd = os.open(self.fifo, os.O_WRONLY)  # blocks until the step's `cat` opens it
        try:
            n = 0
            while not self.stop.wait(LINE_S):
                n += 1
                self.sent[n] = time.time()
                os.write(fd, (LINE.format(n) + "\n").encode())
        except BrokenPipeError:
            pass
        finally:
            os.close(fd)  # `cat` sees EOF: the step ends


class Watch:
    """Tails the pane's bytes through a VT emulator and notes when each line first shows."""

    def __init__(self, pane: Pane, feed: Feed) -> None:
        self.pane = pane
        self.feed = feed
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        screen = pyte.Screen(COLS, ROWS)
        stream = pyte.ByteStream(screen)
        with open(self.pane.out, "rb") as out:
            while not self.stop.is_set():
                chunk = out.read()
                if not chunk:
                    time.sleep(0.002)
                    continue
                now = time.time()
                stream.feed(chunk)
                for row in screen.display:
                    for match in _SHOWN.finditer(row):
                        self.seen.setdefault(int(match.group(1)), now)

    def latencies_ms(self, since: float) -> list[float]:
        """Latency of every line written at or after `since` that has shown."""
        sent = dict(self.feed.sent)
        return [(self.seen[n] - t) * 1000 for n, t in sent.items()
                if t >= since and n in self.seen]


def incident(tmp: Path, http_url: str, redis_url: str, env: dict[str, str],
             name: str = "incident") -> Incident:
    """One run of the dashboard mid-incident with a step streaming; its figures."""
    work = tmp / name
    books = work / "runbooks"
    books.mkdir(parents=True)
    fifo = work / "feed"
    os.mkfifo(fifo)
    (books / "watch.md").write_text(STREAMING_RUNBOOK.replace("{fifo}", str(fifo)))
    config = work / "incident.toml"
    text = _config(http_url, redis_url).replace(f'"{http_url}/readyz"', f'"{http_url}/down"', 1)
    config.write_text(text)
    argv = [str(OPSDASH), "--config", str(config), "--runbooks", str(books)]
    pane = Pane(work, "pane", argv, env)
    feed = Feed(fifo)
    watch: Watch | None = None
    try:
        pane.first_frame()
        pane.wait_for("ServiceDown")
        pane.keys("r")
        pane.wait_for("Run step")
        pane.keys("Enter")
        pane.wait_for(LINE.format(3))
        watch = Watch(pane, feed)
        since = time.time()
        cpu, rss, kbps = pane.window(SIDE_S)
        time.sleep(0.5)  # the window's last lines get their chance to show
        latencies = watch.latencies_ms(since)
        shown = "streaming" in pane.screen()
    except Exception:
        print(f"  {name}: the pane's last screen (its bytes through a VT emulator):")
        print(_last_screen(pane.out))
        raise
    finally:
        feed.stop.set()
        if watch is not None:
            watch.stop.set()
        pane.close()
    written = sum(1 for t in feed.sent.values() if t >= since)
    if len(latencies) < written:
        print(f"  note: {len(latencies)} of the {written} lines written in the window showed")
    return Incident(cpu, rss, kbps, latencies, shown)


def _last_screen(out: Path) -> str:
    """What the pane showed last: a program that died leaves its traceback here."""
    screen = pyte.Screen(COLS, ROWS)
    pyte.ByteStream(screen).feed(out.read_bytes())
    return "\n".join(row.rstrip() for row in screen.display if row.strip())


def describe(run: Incident) -> str:
    return (f"cpu {run.cpu:5.2f}% of one core, output {run.kbps:6.2f} KB/s, line to screen "
            f"median {run.latency(0.5):5.1f} ms p95 {run.latency(0.95):5.1f} ms max "
            f"{max(run.latencies_ms, default=float('nan')):5.1f} ms ({len(run.latencies_ms)} "
            f"lines), rss max {run.rss_mib:.1f} MiB, output on screen at the end: "
            f"{'yes' if run.still_shown else 'no'}")


def print_incident(tmp: Path, http_url: str, redis_url: str, env: dict[str, str]) -> None:
    """One run, one line (bench_glances' incident part)."""
    run = incident(tmp, http_url, redis_url, env)
    print(f"incident on screen (ServiceDown firing, runbook pane open, a step printing a line "
          f"every 100 ms; {SIDE_S:.0f} s): {describe(run)}; budgets: < 10 KB/s, < 50 ms")


def _summary(label: str, runs: list[Incident]) -> None:
    lat = Incident(0, 0, 0, [x for r in runs for x in r.latencies_ms], True)
    print(f"  {label:9} median of {len(runs)} runs: cpu "
          f"{statistics.median(r.cpu for r in runs):5.2f}%, output "
          f"{statistics.median(r.kbps for r in runs):6.2f} KB/s (budget < 10); all lines: "
          f"median {lat.latency(0.5):5.1f} ms, p95 {lat.latency(0.95):5.1f} ms (budget < 50)")


def main() -> None:
    load = os.getloadavg()
    with targets() as (tmp, http_url, redis_url, env):
        print(f"runbook pane streaming a line every {LINE_S * 1000:.0f} ms, tmux {COLS}x{ROWS} "
              f"pane, {SIDE_S:.0f} s windows, {RUNS} run(s) each"
              f"{f', interleaved with {BASELINE}' if BASELINE else ''}; load average at "
              f"start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores",
              flush=True)
        # the baseline's packages come first on its children's path; no .pyc left there
        baseline_env = {**env, "PYTHONPATH": BASELINE, "PYTHONDONTWRITEBYTECODE": "1"}
        figures: dict[str, list[Incident]] = {"baseline": [], "this": []}
        for i in range(RUNS):
            for label in (["baseline"] if BASELINE else []) + ["this"]:
                run = incident(tmp, http_url, redis_url,
                               baseline_env if label == "baseline" else env, f"{label}{i}")
                figures[label].append(run)
                print(f"  {label:9} run {i + 1}: {describe(run)}", flush=True)
        for label, runs in figures.items():
            if runs:
                _summary(label, runs)
        end = os.getloadavg()
        print(f"  load average at the end {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}")
