"""Run every `benchmarks/bench_*.py` module's `main()` in turn, or only the ones named.

`python -m benchmarks` runs all; `python -m benchmarks containers` runs bench_containers.
One benchmark failing does not hide the others' figures; the exit code reports it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def available() -> list[str]:
    """Benchmark names (module names without `bench_`), in a stable order."""
    here = str(Path(__file__).parent)
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules([here])
                  if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    names = available()
    wanted = argv or names
    unknown = [n for n in wanted if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}",
              file=sys.stderr)
        return 2
    failed: list[str] = []
    for name in wanted:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"benchmarks.bench_{name}").main()
        except Exception:  # report and go on: the other figures are still worth having
            traceback.print_exc()
            failed.append(name)
        print(f"== {name} done in {time.perf_counter() - started:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
