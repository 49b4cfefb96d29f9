"""opsdash's console-script entry point, watched for RSS (benchmarks/bench_memory.py runs it).

`python -m benchmarks.memory_child OUT [trace] -- ARGS...`: snapshots of RSS at start,
after the imports done before the app runs, at the first frame and STEADY_S later;
each module's import timed by RSS; with `trace`, tracemalloc from the start. Imports
only the standard library, so the child's figures are opsdash's own.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
STEADY_S = float(os.environ.get("BENCH_MEMORY_STEADY", "10"))
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 2**20


def rss() -> int:
    """This process's resident bytes (statm: cheap enough to read around every import)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _rollup() -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1]) * 1024
    return out


def _malloc_heaps() -> int:
    """glibc arenas beside the main one: each lives in heaps aligned to 64 MiB (anonymous
    mappings starting on a 64 MiB boundary, read-write part first)."""
    count = 0
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            start = int(fields[0].split("-")[0], 16)
            if len(fields) == 5 and start % (64 * MIB) == 0 and fields[1].startswith("rw"):
                count += 1
    return count


def _snapshot(label: str) -> dict[str, Any]:
    roll = _rollup()
    return {"label": label, "rss": rss(), "ms": (time.perf_counter() - STARTED) * 1000,
            "cpu_ms": time.process_time() * 1000, "anon": roll.get("Anonymous", 0),
            "file": roll.get("Rss", 0) - roll.get("Anonymous", 0) - roll.get("Shmem", 0),
            "threads": threading.active_count(), "native_threads": len(os.listdir(
                "/proc/self/task")), "heaps": _malloc_heaps(), "modules": len(sys.modules)}


class _Loader(importlib.abc.Loader):
    """Wraps a module's loader: RSS before and after its body runs."""

    def __init__(self, inner: importlib.abc.Loader, record: _Recorder) -> None:
        self.inner = inner
        self.record = record

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        before = rss()
        try:
            self.inner.exec_module(module)
        finally:
            self.record.deltas[module.__name__] = rss() - before
            self.record.order.append(module.__name__)
            self.record.imported(module)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self.inner, name)


class _Recorder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: asks the finders after it and wraps the loader they give."""

    def __init__(self, on_import: dict[str, Any]) -> None:
        self.deltas: dict[str, int] = {}
        #: module names as their bodies finished, for reading who imported what
        self.order: list[str] = []
        self.on_import = on_import
        self.busy = threading.local()

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if getattr(self.busy, "on", False):
            return None
        self.busy.on = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                        spec.loader = _Loader(spec.loader, self)  # type: ignore[arg-type]
                    return spec
            return None
        finally:
            self.busy.on = False

    def imported(self, module: ModuleType) -> None:
        hook = self.on_import.pop(module.__name__, None)
        if hook is not None:
            hook(module)


def child(argv: list[str]) -> None:
    """`OUT [trace] -- ARGS...`: run opsdash with these ARGS, figures to OUT as JSON."""
    out, trace, rest = Path(argv[0]), "trace" in argv[1:argv.index("--")], \
        argv[argv.index("--") + 1:]
    if trace:
        import tracemalloc

        tracemalloc.start(1)
    snaps = [_snapshot("start")]
    result: dict[str, Any] = {"snapshots": snaps}

    def steady() -> None:
        snaps.append(_snapshot("steady state"))
        result["modules"] = sorted(sys.modules)
        result["deltas"] = recorder.deltas
        result["order"] = recorder.order
        if trace:
            import tracemalloc

            current, peak = tracemalloc.get_traced_memory()
            by_package: dict[str, int] = {}
            for stat in tracemalloc.take_snapshot().statistics("filename"):
                name = stat.traceback[0].filename
                by_package[_package_of(name)] = by_package.get(_package_of(name), 0) + stat.size
            lines = tracemalloc.take_snapshot().statistics("lineno")[:25]
            result["traced"] = {"current": current, "peak": peak,
                                "by_package": sorted(by_package.items(), key=lambda kv: -kv[1]),
                                "top_lines": [(str(stat.traceback[0]), stat.size)
                                              for stat in lines]}
        out.write_text(json.dumps(result))

    def patch_app(module: ModuleType) -> None:
        app_class = module.OpsdashApp
        run, first_frame = app_class.run, app_class._first_frame

        def run_watched(self: Any, *args: Any, **kwargs: Any) -> Any:
            snaps.append(_snapshot("after imports"))
            return run(self, *args, **kwargs)

        def first_frame_watched(self: Any) -> None:
            snaps.append(_snapshot("first frame"))
            result["modules_at_first_frame"] = sorted(sys.modules)
            threading.Timer(STEADY_S, steady).start()
            first_frame(self)

        app_class.run = run_watched
        app_class._first_frame = first_frame_watched

    recorder = _Recorder({"tui.dashboard.app": patch_app})
    sys.meta_path.insert(0, recorder)
    # as pip's console script does (`re`, then tui.cli): importlib.metadata, which finding
    # the entry point would take, costs 2.4 MiB the real command never pays
    import re  # noqa: F401

    from tui.cli import main

    sys.argv = ["opsdash", *rest]
    sys.exit(main())


def _package_of(filename: str) -> str:
    """site-packages/psycopg/x.py -> psycopg; our own tree -> tui/panels/...; else stdlib."""
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1:]
        return rest[0].removesuffix(".py") if rest else filename
    try:
        return "opsdash:" + path.relative_to(ROOT).parts[0]
    except ValueError:
        return "stdlib" if "python3" in filename else filename



if __name__ == "__main__":
    child(sys.argv[1:])
