"""Key figures per panel kind, as the short strings a card shows.

Presentation only: the numbers come from PanelState.metrics (the panels' JSON contract);
nothing here collects or parses. Every formatter tolerates missing keys, because a
failing panel carries the last good metrics or none at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from panels.base import Status
from panels.watch import PanelState

STATUS_WORD = {Status.OK: "OK", Status.WARN: "WARN", Status.CRIT: "CRIT",
               Status.UNKNOWN: "UNKNOWN"}
STATUS_ICON = {Status.OK: "●", Status.WARN: "▲", Status.CRIT: "✖", Status.UNKNOWN: "?"}

Metrics = Mapping[str, Any]


def num(value: Any, fmt: str = "{:.0f}", missing: str = "–") -> str:
    if value is None or isinstance(value, bool):
        return missing
    try:
        return fmt.format(float(value))
    except (TypeError, ValueError):
        return missing


def size(value: Any) -> str:
    """Bytes in the largest unit that keeps three significant digits."""
    if value is None or isinstance(value, bool):
        return "–"
    amount = float(value)
    for unit in ("B", "K", "M", "G", "T"):
        if abs(amount) < 1024 or unit == "T":
            return f"{amount:.0f}{unit}" if unit == "B" else f"{amount:.1f}{unit}"
        amount /= 1024
    return f"{amount:.1f}T"  # pragma: no cover


def duration(seconds: Any) -> str:
    """1.2s, 42s, 3m05s, 2h10m: an operator's reading of an age or a query time."""
    if seconds is None or isinstance(seconds, bool):
        return "–"
    s = float(seconds)
    if s < 10:
        return f"{s:.1f}s"
    if s < 60:
        return f"{s:.0f}s"
    if s < 3600:
        return f"{int(s // 60)}m{int(s % 60):02d}s"
    if s < 86400:
        return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"
    return f"{int(s // 86400)}d{int(s % 86400 // 3600):02d}h"


def pct(ratio: Any) -> str:
    return num(None if ratio is None else float(ratio) * 100, "{:.1f}%")


def _health(m: Metrics) -> list[str]:
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


def _traffic(m: Metrics) -> list[str]:
    return [f"{num(m.get('request_rate'), '{:.1f}')} req/s · err {pct(m.get('error_ratio'))}",
            f"p95 {num(m.get('p95_ms'))} ms"]


def _postgres(m: Metrics) -> list[str]:
    first = f"conns {num(m.get('connections'))}/{num(m.get('max_connections'))}"
    if m.get("blocked"):
        first += f" · {m['blocked']} blocked"
    second = f"longest {duration(m.get('longest_query_s'))}"
    if m.get("idle_in_transaction"):
        second += f" · {m['idle_in_transaction']} idle-tx"
    return [first, second]


def _redis(m: Metrics) -> list[str]:
    memory = size(m.get("used_memory_bytes"))
    if m.get("maxmemory_bytes"):
        memory += f"/{size(m['maxmemory_bytes'])}"
    queues: Mapping[str, Any] = m.get("queues") or {}
    deepest = sorted(queues.items(), key=lambda kv: -int(kv[1] or 0))[:3]
    second = " · ".join(f"{q} {d}" for q, d in deepest) if deepest else "no queues watched"
    return [f"mem {memory} · ping {num(m.get('ping_ms'), '{:.1f}')}ms", second]


def _host(m: Metrics) -> list[str]:
    disks = m.get("disks") or []
    shown = []
    for disk in disks[:3]:
        mount = disk.get("mount", "?")
        shown.append(f"{mount} {disk['error']}" if disk.get("error")
                     else f"{mount} {num(disk.get('used_pct'))}%")
    return [f"cpu {num(m.get('cpu_pct'))}% · mem {num(m.get('memory_used_pct'))}% · "
            f"load {num(m.get('load1'), '{:.2f}')}",
            "disk " + (" ".join(shown) if shown else "–")]


def _containers(m: Metrics) -> list[str]:
    containers = m.get("containers") or []
    down = [c.get("name", "?") for c in containers
            if c.get("state") in ("exited", "dead", "restarting", "missing")
            or c.get("health") == "unhealthy"]
    first = f"{num(m.get('running'))}/{num(m.get('total'))} running"
    return [first, ("down: " + ", ".join(down[:3]) + (f" +{len(down) - 3}" if len(down) > 3
                                                      else "")) if down else "none down"]


FORMATTERS: dict[str, Callable[[Metrics], list[str]]] = {
    "health": _health, "traffic": _traffic, "postgres": _postgres, "redis": _redis,
    "host": _host, "containers": _containers,
}


def card_lines(state: PanelState) -> list[str]:
    """Two lines of key figures for one card; the summary when the kind is unknown."""
    formatter = FORMATTERS.get(state.kind)
    if not state.metrics:
        return [state.summary, ""]
    if formatter is None:
        return [state.summary, ""]
    return formatter(state.metrics)


def one_line(state: PanelState) -> str:
    """A single line for a group card's list."""
    if state.error is not None:
        return state.error.kind
    return card_lines(state)[0]


def note(state: PanelState) -> str:
    """Staleness and the error class while failing, else the first firing/pending alert."""
    if state.error is not None:
        parts = [state.error.kind]
        if state.last_ok_at is not None:
            parts.append(f"stale {duration(state.updated_at - state.last_ok_at)}")
        else:
            parts.append("no good sample yet")
        return " · ".join(parts)
    if state.firing:
        alert = state.firing[0]
        more = f" +{len(state.firing) - 1}" if len(state.firing) > 1 else ""
        return f"{alert.name}{more}"
    pending = [a for a in state.alerts if a.state.value == "pending"]
    if pending:
        return f"pending {pending[0].name}"
    return ""
