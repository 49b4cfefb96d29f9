"""Each kind's two lines of key figures for a card, from its metrics (the JSON contract).

Presentation only, and free of network clients so cards draw before any is imported.
Every formatter tolerates missing keys: a failing panel carries the last good metrics or
none. `panels.registry` names the formatter of each kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.durations import format_duration
from common.numbers import num, pct, size
from panels.amlabels import counts_line, severity_rank

Metrics = Mapping[str, Any]


def summary_only(m: Metrics) -> list[str]:
    """A kind without its own formatter: the card shows its summary line instead."""
    return []


def health(m: Metrics) -> list[str]:
    failed = m.get("failed") or []
    checks = m.get("checks") or {}
    first = f"HTTP {num(m.get('http_status'))} · {num(m.get('latency_ms'))} ms"
    if failed:
        second = f"fail: {failed[0]}"
    elif checks:
        second = f"{sum(1 for v in checks.values() if v)}/{len(checks)} checks pass"
    else:
        second = "ok" if m.get("ok") else ""
    return [first, second]


def traffic(m: Metrics) -> list[str]:
    return [f"{num(m.get('request_rate'), '{:.1f}')} req/s · err {pct(m.get('error_ratio'))}",
            f"p95 {num(m.get('p95_ms'))} ms"]


def postgres(m: Metrics) -> list[str]:
    first = f"conns {num(m.get('connections'))}/{num(m.get('max_connections'))}"
    if m.get("blocked"):
        first += f" · {m['blocked']} blocked"
    second = f"longest {format_duration(m.get('longest_query_s'), spaced=False)}"
    if m.get("idle_in_transaction"):
        second += f" · {m['idle_in_transaction']} idle-tx"
    return [first, second]


def redis(m: Metrics) -> list[str]:
    memory = size(m.get("used_memory_bytes"))
    if m.get("maxmemory_bytes"):
        memory += f"/{size(m['maxmemory_bytes'])}"
    queues: Mapping[str, Any] = m.get("queues") or {}
    deepest = sorted(queues.items(), key=lambda kv: -int(kv[1] or 0))[:3]
    second = " · ".join(f"{q} {d}" for q, d in deepest) if deepest else "no queues watched"
    return [f"mem {memory} · ping {num(m.get('ping_ms'), '{:.1f}')}ms", second]


def host(m: Metrics) -> list[str]:
    disks = m.get("disks") or []
    shown = []
    for disk in disks[:3]:
        mount = disk.get("mount", "?")
        shown.append(f"{mount} {disk['error']}" if disk.get("error")
                     else f"{mount} {num(disk.get('used_pct'))}%")
    return [f"cpu {num(m.get('cpu_pct'))}% · mem {num(m.get('memory_used_pct'))}% · "
            f"load {num(m.get('load1'), '{:.2f}')}",
            "disk " + (" ".join(shown) if shown else "–")]


def containers(m: Metrics) -> list[str]:
    containers = m.get("containers") or []
    down = [c.get("name", "?") for c in containers
            if c.get("down")]
    first = f"{num(m.get('running'))}/{num(m.get('total'))} running"
    return [first, ("down: " + ", ".join(down[:3]) + (f" +{len(down) - 3}" if len(down) > 3
                                                      else "")) if down else "none down"]


def alertmanager(m: Metrics) -> list[str]:
    """Counts, then the firing alertnames most severe first (the panel sorts them)."""
    alerts = [a for a in m.get("alerts") or [] if a.get("state") == "active"]
    crit = sum(1 for a in alerts if severity_rank(a.get("severity")) == 0)
    first = counts_line(int(m.get("firing") or 0), crit, int(m.get("silenced") or 0),
                        int(m.get("pending") or 0))
    names: list[str] = []
    for a in sorted(alerts, key=lambda a: severity_rank(a.get("severity"))):
        if a.get("alertname") not in names:
            names.append(str(a.get("alertname")))
    if not names:
        return [first, "all quiet" if not m.get("silenced") else "only silenced alerts"]
    more = f" +{len(names) - 3}" if len(names) > 3 else ""
    return [first, ", ".join(names[:3]) + more]
