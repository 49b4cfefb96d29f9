"""Split a cProfile of opsdash into render, HTTP, metrics, Redis, psutil, Docker, scheduler...

A function's own time goes to its bucket when its file belongs to one (httpx, textual,
redis-py, opsdash's panel modules...). Otherwise (builtins, the stdlib's socket/ssl/json,
asyncio) it is passed up the caller edges cProfile recorded, in proportion to each edge's
time, until a bucketed frame takes it: the innermost known frame wins, so a socket send
made by httpcore counts as HTTP. asyncio is the fallback: time whose callers reach the
loop's top without meeting a known frame is the scheduler's (loop overhead). Module
bodies and the import machinery are "imports": lazy imports still running in the window.
"""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

Func = tuple[str, int, str]

#: (bucket, site-packages / stdlib path parts): the first match wins
LIBRARIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("render", ("/textual/", "/rich/", "/markdown_it/", "/mdurl/", "/pygments/")),
    ("HTTP", ("/httpx/", "/httpcore/", "/h11/", "/h2/", "/anyio/", "/sniffio/", "/certifi/",
              "/idna/", "/hpack/")),
    ("metrics parsing", ("/prometheus_client/",)),
    ("Redis", ("/redis/",)),
    ("psutil", ("/psutil/",)),
    ("Docker", ("/docker/", "/requests/", "/urllib3/", "/charset_normalizer/")),
    ("Postgres", ("/psycopg/", "/psycopg_binary/", "/psycopg_pool/")),
)

#: opsdash's own modules (paths relative to the checkout): the first prefix that matches
OWN: tuple[tuple[str, str], ...] = (
    ("tui/dashboard/scheduler.py", "scheduler"),
    ("tui/dashboard/", "render"),
    ("panels/health.py", "HTTP"), ("panels/tls.py", "HTTP"),
    ("panels/traffic.py", "metrics parsing"), ("panels/promql.py", "metrics parsing"),
    ("panels/redis.py", "Redis"),
    ("panels/host.py", "psutil"),
    ("panels/containers.py", "Docker"),
    ("panels/postgres.py", "Postgres"),
    ("panels/", "opsdash logic"), ("runbooks/", "opsdash logic"),
    ("common/", "opsdash logic"), ("tui/", "opsdash logic"),
)

#: where unattributed time ends when its callers reach the top through the event loop
LOOP = ("/asyncio/", "/selectors.py", "/uvloop/")

ORDER = ("render", "HTTP", "metrics parsing", "Redis", "psutil", "Docker", "Postgres",
         "scheduler", "opsdash logic", "imports", "other")


def bucket_of(func: Func) -> str | None:
    """The bucket a function's file belongs to, or None (builtins, the rest of the stdlib)."""
    path = func[0]
    if func[2] == "<module>" or path.startswith("<frozen importlib"):
        return "imports"  # a module body or the import machinery: start-up's leftovers
    root = f"{ROOT}/"
    if path.startswith(root) and "/site-packages/" not in path:  # the venv lives in ROOT
        rel = path[len(root):]
        for prefix, bucket in OWN:
            if rel.startswith(prefix):
                return bucket
        return None
    for bucket, parts in LIBRARIES:
        if any(part in path for part in parts):
            return bucket
    return None


def attribute(stats: dict[Func, Any]) -> tuple[dict[str, float], dict[Func, str]]:
    """Seconds per bucket, and each function's main bucket (for the top-N listing)."""
    memo: dict[tuple[Func, str | None], dict[str, float]] = {}
    path: set[Func] = set()

    def upward(func: Func, fallback: str | None, own: bool) -> dict[str, float]:
        known = bucket_of(func)
        if known is not None:
            return {known: 1.0}
        if fallback is None and any(part in func[0] for part in LOOP):
            fallback = "scheduler"
        key = (func, fallback)
        if not own and key in memo:
            return memo[key]
        callers = stats[func][4] if func in stats else {}
        # own time splits by the edge's own time (index 2); deeper time by its total (3)
        edges = [(c, v[2] if own else v[3]) for c, v in callers.items() if c not in path]
        total = sum(w for _, w in edges)
        if not edges or total <= 0 or len(path) > 80:
            share = {fallback or "other": 1.0}
        else:
            share = {}
            path.add(func)
            for caller, weight in edges:
                for bucket, part in upward(caller, fallback, False).items():
                    share[bucket] = share.get(bucket, 0.0) + part * weight / total
            path.discard(func)
        if not own:
            memo[key] = share
        return share

    seconds: dict[str, float] = {}
    main: dict[Func, str] = {}
    for func, (_, _, tt, _, _) in stats.items():
        if tt <= 0:
            continue
        share = upward(func, None, True)
        main[func] = max(share, key=lambda b: share[b])
        for bucket, part in share.items():
            seconds[bucket] = seconds.get(bucket, 0.0) + tt * part
    return seconds, main


def _name(func: Func) -> str:
    path, line, name = func
    if path == "~":
        return name
    short = path
    for marker in ("site-packages/", f"{ROOT}/", "/lib/python3"):
        if marker in path:
            short = path.split(marker, 1)[1]
    return f"{short}:{line}({name})"


def print_profile(stats: pstats.Stats, window_s: float, top: int = 10) -> None:
    raw: dict[Func, Any] = stats.stats  # type: ignore[attr-defined]
    seconds, main = attribute(raw)
    total = sum(seconds.values())
    print(f"  profiled CPU in the window: {total:.2f} s = {total / window_s * 100:.2f}% of one "
          f"core (cProfile timer, all threads)")
    for bucket in ORDER:
        s = seconds.get(bucket, 0.0)
        print(f"  {bucket:16} {s / total * 100 if total else 0:5.1f}% of process CPU "
              f"({s / window_s * 100:5.2f}% of one core)")
    print(f"  top {top} functions by own time:")
    ranked = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    for func, (_, nc, tt, _, _) in ranked:
        print(f"    {tt * 1000:8.1f} ms {tt / total * 100 if total else 0:5.1f}%  "
              f"{nc:7d} calls  [{main.get(func, '?')}] {_name(func)}")
