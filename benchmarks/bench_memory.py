"""Where opsdash's RSS goes, in bench_glances' exact configuration (issue #15: < 60 MiB).

opsdash runs in a 200x50 pseudo-terminal on the benchmark's 20 targets
(`bench_glances.bench_targets`: 10 health, 4 traffic, 3 Redis, the host, a Docker
socket that does not exist, a Postgres port that refuses), from its console-script entry
point, inside a child (benchmarks/memory_child.py) that only watches:

- RSS at start (interpreter and this harness), after the imports done before the app
  runs (`OpsdashApp.run` called), at the first frame, and at steady state
  (STEADY_S after the first frame), with /proc/self/smaps_rollup's split (anonymous
  memory vs mapped files: shared libraries' code), threads and glibc malloc's heaps;
- every module's import, timed by RSS: a meta-path finder wraps each loader's
  exec_module and records RSS before and after, so a package's figure includes what it
  imports (first-time imports only; imports in other threads at the same time blur it);
  top packages by that delta, and which of the packages that only some configurations
  need are loaded at steady state;
- a second run under tracemalloc (started before anything is imported): the Python heap
  at steady state and which packages allocated it; the rest of the RSS is native
  (shared libraries, malloc arenas, C extensions' own buffers).

Prints figures; asserts nothing. `python -m benchmarks memory`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_glances import COLS, ROWS, bench_targets
from benchmarks.bench_ui import PtyApp
from benchmarks.memory_child import STEADY_S

TOP = 20
#: packages only some configurations need: loaded at steady state here means a lever
OPTIONAL = ("docker", "requests", "urllib3", "psycopg", "psycopg_binary", "psycopg_c",
            "markdown_it", "mdurl", "tree_sitter", "tree_sitter_bash", "runbooks.library",
            "runbooks.safety", "runbooks.parser", "runbooks.report", "tui.incident.recording",
            "tui.incident.report", "sqlite3", "zlib", "pygments", "rich.markdown",
            "rich.syntax", "textual.widgets._markdown", "charset_normalizer", "idna",
            "certifi", "h2", "hpack", "psutil")
MIB = 2**20


def _run(config: Path, out: Path, trace: bool) -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks.memory_child", str(out),
            *(["trace"] if trace else []), "--", "--config", str(config)]
    app = PtyApp(config, cols=COLS, rows=ROWS, argv=argv)
    try:
        deadline = time.monotonic() + 60 + STEADY_S
        while not out.exists() and time.monotonic() < deadline:
            app.read(0.2)
    finally:
        app.quit()
    if not out.exists():
        raise RuntimeError("the child wrote no figures: "
                           + app.output.decode(errors="replace")[-2000:])
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def _top_level(deltas: dict[str, int]) -> list[tuple[str, int]]:
    """Each package's import cost: its outermost modules' deltas (a package's includes
    its submodules and whatever they import first)."""
    roots: dict[str, int] = {}
    for name, delta in deltas.items():
        root = name.partition(".")[0]
        if root in ("tui", "panels", "runbooks", "common"):
            root = name if name.count(".") <= 1 else ".".join(name.split(".")[:2])
        parent = name.rpartition(".")[0]
        if parent and parent in deltas and not name.startswith(("tui.", "panels.",
                                                                 "runbooks.", "common.")):
            continue  # counted in its parent package's figure
        roots[root] = max(roots.get(root, 0), delta)
    return sorted(roots.items(), key=lambda kv: -kv[1])


def _report(plain: dict[str, Any], traced: dict[str, Any]) -> None:
    print(f"opsdash RSS, {COLS}x{ROWS} pty, bench_glances' 20 targets, steady state "
          f"{STEADY_S:.0f} s after the first frame (budget < 60 MiB):")
    for snap in plain["snapshots"]:
        print(f"  {snap['label']:<14} {snap['ms']:5.0f} ms (cpu {snap['cpu_ms']:4.0f}) rss "
              f"{snap['rss'] / MIB:5.1f} MiB (anon "
              f"{snap['anon'] / MIB:5.1f}, files {snap['file'] / MIB:5.1f}); threads "
              f"{snap['native_threads']:3d}, malloc heaps {snap['heaps']}, modules "
              f"{snap['modules']}")
    print("  top imports by RSS delta (a package with what it imports first; MiB):")
    for name, delta in _top_level(plain["deltas"])[:TOP]:
        print(f"    {name:<36} {delta / MIB:5.1f}")
    loaded = set(plain["modules"])
    optional = [m for m in OPTIONAL if m in loaded]
    print("  optional packages loaded at steady state: " + (", ".join(optional) or "none"))
    info = traced.get("traced")
    if info:
        steady = traced["snapshots"][-1]
        print(f"  Python heap (tracemalloc, its own run): {info['current'] / MIB:.1f} MiB at "
              f"steady state (peak {info['peak'] / MIB:.1f}); that run's RSS "
              f"{steady['rss'] / MIB:.1f} MiB includes tracemalloc's own bookkeeping")
        for name, size in info["by_package"][:12]:
            print(f"    {name:<36} {size / MIB:5.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="opsdash-mem-") as name:
        tmp = Path(name)
        with bench_targets(tmp) as (config, _service, _redis_url):
            plain = _run(config, tmp / "plain.json", trace=False)
            traced = {} if os.environ.get("BENCH_MEMORY_TRACE") == "0" else _run(
                config, tmp / "traced.json", trace=True)
    if os.environ.get("BENCH_MEMORY_JSON"):  # every figure, for digging further
        Path(os.environ["BENCH_MEMORY_JSON"]).write_text(json.dumps(
            {"plain": plain, "traced": traced}))
    _report(plain, traced)


if __name__ == "__main__":
    main()
