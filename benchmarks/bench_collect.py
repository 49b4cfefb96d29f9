"""The panels' collection cost, one round of all 20 targets at a time, before vs after.

Issue #15's budget (steady CPU at most 0.75x glances') is mostly the panels' own work:
this measures it without Textual and without the scheduler's sleeps, so a change to a
panel shows in CPU milliseconds per round rather than in a percentage of a noisy second.

The 20 targets are bench_ui's (`_config`): 10 health and 4 traffic on a real HTTP
service whose /metrics keeps moving, 3 Redis with a queue each on a real redis-server,
the host, a Docker socket nothing listens on, a Postgres nothing listens on. The servers
run here; each measurement runs in its own interpreter, so only the panels' CPU counts.

BEFORE is the same measurement on the code of `BENCH_BASELINE` (a git ref, default
`main`; empty to skip) extracted to a temporary directory and put first on the child's
sys.path; AFTER is this tree. Runs alternate (b a b a ...), BENCH_REPEATS times each,
and each figure is the median over the runs' medians. BENCH_ROUNDS sets the rounds per run.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "2"))
BASELINE = os.environ.get("BENCH_BASELINE", "main")
WARMUP_ROUNDS = 3
#: the HTTP GETs of one round: 10 health + 4 traffic scrapes
KINDS = ("health", "traffic", "redis", "host", "containers", "postgres")
HEAVY = ("textual", "httpx", "ssl", "redis", "psycopg", "docker", "prometheus_client",
         "tree_sitter", "markdown_it")


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(config_path: str, rounds: int, count_calls: bool) -> dict[str, Any]:
    """Runs in its own interpreter: build the panels as `opsdash` does, then time rounds
    (or, with `count_calls`, count the Python calls of a few rounds instead)."""
    counter = _CallCounter() if count_calls else None
    rss_start = _rss_mib()
    from panels.watch import PanelWatch
    from tui.config.loader import build_panels, load_config

    panels = build_panels(load_config(Path(config_path)))
    for panel in panels:
        panel.prepare()
    rss_built = _rss_mib()
    watches = [PanelWatch(p) for p in panels]
    by_kind = {kind: [w for w in watches if w.panel.kind == kind] for kind in KINDS}

    async def cpu_ms(group: list[PanelWatch]) -> float:
        cpu0 = time.process_time()
        await asyncio.gather(*(w.poll() for w in group))
        return (time.process_time() - cpu0) * 1000

    async def run() -> dict[str, Any]:
        for _ in range(WARMUP_ROUNDS):
            await cpu_ms(watches)
            await asyncio.sleep(0.05)
        if counter is not None:
            return {"round_calls": await counter.per_round(watches),
                    "health_calls": await counter.per_round(by_kind["health"])}
        for _ in range(WARMUP_ROUNDS):
            await cpu_ms(watches)
            await asyncio.sleep(0.05)
        rss_polled = _rss_mib()
        whole: list[float] = []
        kinds: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(rounds):
            whole.append(await cpu_ms(watches))
            await asyncio.sleep(0.05)  # traffic's rates need time between two scrapes
        for kind, group in by_kind.items():
            for _ in range(rounds // 2):
                kinds[kind].append(await cpu_ms(group))
                await asyncio.sleep(0.02)
        statuses = [(await w.poll()).status.value for w in watches]
        await asyncio.gather(*(p.aclose() for p in panels), return_exceptions=True)
        return {"round_ms": statistics.median(whole),
                "kind_ms": {k: statistics.median(v) for k, v in kinds.items() if v},
                "counts": {k: len(v) for k, v in by_kind.items()},
                "rss_start": rss_start, "rss_built": rss_built, "rss_polled": rss_polled,
                "rss_end": _rss_mib(),
                "heavy": [m for m in HEAVY if m in sys.modules],
                "statuses": statuses}

    return asyncio.run(run())


class _CallCounter:
    """Python function calls in every thread (the event loop's and the parse threads'):
    unlike CPU time, the same on a quiet machine and on a busy one. Installed before
    anything runs, so each thread (the executor's too) counts from its start; counts only
    while `on`. Its own cost makes the CPU figures of that run meaningless: separate runs."""

    def __init__(self) -> None:
        self.on = False
        self.calls = 0
        sys.setprofile(self.event)
        threading.setprofile(self.event)

    def event(self, frame: Any, what: str, arg: Any) -> None:
        if self.on and what == "call":
            self.calls += 1

    async def per_round(self, group: list[Any], rounds: int = 5) -> float:
        self.calls, self.on = 0, True
        for _ in range(rounds):
            await asyncio.gather(*(w.poll() for w in group))
            await asyncio.sleep(0.05)
        self.on = False
        return self.calls / rounds


def _baseline_tree(tmp: Path) -> Path | None:
    """`BENCH_BASELINE`'s tree extracted to tmp, or None if unset or not a git ref here."""
    if not BASELINE:
        return None
    tree = tmp / "baseline"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        print(f"no baseline: git archive {BASELINE} failed: "
              f"{archive.stderr.decode(errors='replace').strip()}")
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _measure(tree: Path, config: Path) -> dict[str, Any]:
    """The child on `tree`'s panels (its root goes first on sys.path, ahead of this one):
    one run timed, one run counting calls."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    figures: dict[str, Any] = {}
    for mode in ("child", "calls-child"):
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), mode, str(config),
                              str(ROUNDS)], capture_output=True, text=True, check=True,
                             cwd=tree, env=env)
        figures.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return figures


def _feed(service: Any, stop: threading.Event) -> None:
    """The service keeps serving (1 in 10 a 500): every scrape's body differs."""
    while not stop.wait(0.2):
        service.observe(n=9, status=200, seconds=0.04)
        service.observe(n=1, status=500, seconds=0.2)


def _median(runs: list[dict[str, Any]], pick: Any) -> float:
    return statistics.median(pick(r) for r in runs)


def _report(name: str, runs: list[dict[str, Any]]) -> dict[str, float]:
    counts = runs[0]["counts"]
    gets = counts["health"] + counts["traffic"]
    round_ms = _median(runs, lambda r: r["round_ms"])
    health = _median(runs, lambda r: r["kind_ms"]["health"])
    kinds = {k: _median(runs, lambda r, k=k: r["kind_ms"][k]) for k in KINDS if counts[k]}
    figures = {
        "round_ms": round_ms,
        "per_get_ms": health / counts["health"],
        "http_ms_per_get": (health + kinds.get("traffic", 0.0)) / gets,
        "rss_built": _median(runs, lambda r: r["rss_built"]),
        "rss_end": _median(runs, lambda r: r["rss_end"]),
        "round_calls": _median(runs, lambda r: r["round_calls"]),
        "get_calls": _median(runs, lambda r: r["health_calls"]) / counts["health"],
    }
    print(f"{name:6} {round_ms:7.1f} ms CPU per round of {sum(counts.values())} targets; "
          f"{figures['per_get_ms']:.2f} ms per health GET, {figures['http_ms_per_get']:.2f} "
          f"ms per GET incl. traffic parse; RSS {figures['rss_built']:.1f} MiB after import "
          f"and build, {figures['rss_end']:.1f} MiB after {ROUNDS} rounds")
    print(f"       Python calls per round {figures['round_calls']:.0f}, per health GET "
          f"{figures['get_calls']:.0f} (counted: the same on a busy machine)")
    print("       per kind (ms CPU for the kind's targets alone): " + ", ".join(
        f"{k} x{counts[k]} {v:.1f}" for k, v in kinds.items()))
    print(f"       imported by the end: {', '.join(runs[-1]['heavy']) or 'none'}; "
          f"statuses {sorted(set(runs[-1]['statuses']))}")
    return figures


def _parse_figures(service_page: bytes) -> None:
    """The traffic pre-filter on a page like a real Python service's: ours plus
    prometheus_client's default registry (gc, platform, process). The bench's own page
    holds only the read families, where the filter has nothing to cut."""
    from prometheus_client import REGISTRY, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from panels.traffic import TrafficPanel, wanted_lines

    text = (service_page + generate_latest(REGISTRY)).decode()
    panel = TrafficPanel("t", metrics_url="http://127.0.0.1:1/metrics")

    def cpu_ms(parse: Any, n: int = 200) -> float:
        cpu0 = time.process_time()
        for _ in range(n):
            parse()
        return (time.process_time() - cpu0) * 1000 / n

    full = cpu_ms(lambda: list(text_string_to_metric_families(text)))
    cut = cpu_ms(lambda: list(text_string_to_metric_families(wanted_lines(text, panel.wanted))))
    kept = len(wanted_lines(text, panel.wanted).splitlines())
    print(f"traffic parse of a typical Python service page ({len(text.splitlines())} lines, "
          f"{kept} kept by the pre-filter): full {full:.3f} ms, filtered {cut:.3f} ms CPU "
          f"({cut / full:.2f}x); an identical page is not parsed at all")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_ui import _config, _free_port
    from tests.fixtures.http import HTTPService
    from tests.fixtures.redis import RedisServer

    service = HTTPService()
    service.route("/readyz", body={"database": {"ok": True}, "jobs": {"ok": True}})
    service.observe(n=100, status=200, seconds=0.05)
    stop = threading.Event()
    feeder = threading.Thread(target=_feed, args=(service, stop), daemon=True)
    feeder.start()
    with tempfile.TemporaryDirectory(prefix="opsdash-collect-") as name:
        tmp = Path(name)
        redis = RedisServer(tmp, _free_port())
        redis.start()
        try:
            import redis as redis_py

            client = redis_py.Redis.from_url(redis.url)
            for i in range(3):
                client.rpush(f"q{i}", *[f"job{j}" for j in range(100)])
            client.close()
            config = tmp / "opsdash.toml"
            config.write_text(_config(service.url, redis.url))
            baseline = _baseline_tree(tmp)
            before: list[dict[str, Any]] = []
            after: list[dict[str, Any]] = []
            for _ in range(REPEATS):
                if baseline is not None:
                    before.append(_measure(baseline, config))
                after.append(_measure(ROOT, config))
            print(f"one round of all targets, {ROUNDS} rounds per run after {WARMUP_ROUNDS} "
                  f"warm-up, {REPEATS} run(s) each, medians; load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            old = _report(f"before ({BASELINE})" if before else "before", before) \
                if before else None
            new = _report("after", after)
            _parse_figures(service.render_metrics())
            if old is not None:
                print(f"after/before: CPU per round {new['round_ms'] / old['round_ms']:.2f}x, "
                      f"per health GET {new['per_get_ms'] / old['per_get_ms']:.2f}x, calls per "
                      f"round {new['round_calls'] / old['round_calls']:.2f}x, RSS after "
                      f"build {new['rss_built'] - old['rss_built']:+.1f} MiB")
        finally:
            stop.set()
            service.stop()
            redis.stop()


if __name__ == "__main__":
    if sys.argv[1] in ("child", "calls-child"):
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]), sys.argv[1] == "calls-child")))
    else:
        main()
