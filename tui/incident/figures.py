"""Live figures beside checklist items: the current value of each metric an item names
("error rate back under 5%" -> "error ratio 0.4%")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from panels.alerts import CANONICAL_ALERTS
from panels.watch import PanelState


def _pct(value: Any) -> str:
    return f"{float(value) * 100:.1f}%"


def _ms(value: Any) -> str:
    return f"{float(value):.0f} ms"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _queues(value: Any) -> str:
    if not isinstance(value, Mapping) or not value:
        return ""
    deepest = sorted(value.items(), key=lambda kv: -int(kv[1] or 0))[:3]
    return ", ".join(f"{name} {depth}" for name, depth in deepest)


def _disks(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    return ", ".join(f"{d.get('mount')} {d.get('free_pct', 0):.0f}% free" for d in value[:3]
                     if isinstance(d, Mapping) and d.get("free_pct") is not None)


#: (words an item may use, metric key, label, formatter), first match per key wins
FIGURES: tuple[tuple[tuple[str, ...], str, str, Callable[[Any], str]], ...] = (
    (("error rate", "error ratio", "5xx", "errors"), "error_ratio", "error ratio", _pct),
    (("p95", "latency", "response time", "slow"), "p95_ms", "p95", _ms),
    (("latency", "response time", "readiness", "ready"), "latency_ms", "latency", _ms),
    (("health", "ready", "readiness", "200", "503", "status code"), "http_status", "HTTP",
     _plain),
    (("request rate", "traffic", "requests"), "request_rate", "req/s", _plain),
    (("queue", "backlog", "jobs", "drain"), "queues", "queues", _queues),
    (("connections", "pool"), "connections", "connections", _plain),
    (("blocked", "locks", "lock"), "blocked", "blocked", _plain),
    (("long-running", "long running", "longest query"), "longest_query_s", "longest query s",
     _plain),
    (("replication", "lag"), "replication_lag_s", "replication lag s", _plain),
    (("memory",), "memory_used_pct", "memory %", _plain),
    (("memory", "maxmemory"), "used_memory_bytes", "used memory B", _plain),
    (("disk", "free space", "inode"), "disks", "disks", _disks),
    (("cpu",), "cpu_pct", "cpu %", _plain),
)

_CODE_SPAN = re.compile(r"`([^`]+)`")


def _lookup(states: Sequence[PanelState], key: str) -> Any:
    for state in states:
        value = state.metrics.get(key)
        if value is None:
            checks = state.metrics.get("checks")
            if isinstance(checks, Mapping):
                value = checks.get(key)
        if value is not None:
            return value
    return None


def _says(text: str, word: str) -> bool:
    # whole words only: "jobs" is not in `jobs.ok`, "ready" is not in "already"
    return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-]|\.\w)", text) is not None


def live_figures(text: str, states: Iterable[PanelState], prefer: str | None = None,
                 limit: int = 3) -> str:
    """The current values of the metrics a checklist item names, `label value` joined by
    ` · `; empty when it names none. The alert's own panel (`prefer`) is looked at first."""
    ordered = sorted(states, key=lambda s: s.panel_id != prefer)
    lowered = text.lower()
    found: list[str] = []
    # a metric named literally (`database.ok`, a queue name) says most
    for span in _CODE_SPAN.findall(text):
        value = _lookup(ordered, span)
        if value is not None:
            found.append(f"{span} {_plain(value)}")
            continue
        for state in ordered:
            queues = state.metrics.get("queues")
            if isinstance(queues, Mapping) and span in queues:
                found.append(f"{span} {queues[span]}")
                break
    keys_seen: set[str] = set()
    for words, key, label, fmt in FIGURES:
        if key in keys_seen or not any(_says(lowered, w) for w in words):
            continue
        value = _lookup(ordered, key)
        if value is None:
            continue
        try:
            shown = fmt(value)
        except (TypeError, ValueError):
            continue
        if shown and not any(shown in f for f in found):
            keys_seen.add(key)
            found.append(f"{label} {shown}")
    return " · ".join(found[:limit])


# -- "how to confirm fixed": does the item's live criterion hold? ---------------------------

_BOUND = re.compile(r"(?i)\b(?:back\s+)?(?:under|below|less than|lower than|at most)\s*"
                    r"(\d+(?:\.\d+)?)\s*(%|ms\b|s\b)?|<=?\s*(\d+(?:\.\d+)?)\s*(%|ms\b|s\b)?")
_CLEARED = re.compile(r"(?i)\b(?:resolved|no longer firing|not firing|stops? firing|clears?|"
                      r"cleared|gone)\b")
_ALERT_WORD = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b")
_HTTP_OK = re.compile(r"(?i)\b(?:http|status|health|ready|readiness)\b.*\b200\b|\b200\b.*\bok\b")


def criterion_holds(text: str, states: Iterable[PanelState], prefer: str | None = None
                    ) -> bool | None:
    """Whether a confirm-fixed item says something the live figures show true right now:
    an alert named as resolved that no panel fires, a figure "back under 5%" that is, an
    endpoint answering 200. None when the item states nothing opsdash can check."""
    ordered = sorted(states, key=lambda s: s.panel_id != prefer)
    firing = {a.name for s in ordered for a in s.firing}
    known = {a.name for s in ordered for a in s.alerts} | set(CANONICAL_ALERTS)
    named = [w for w in _ALERT_WORD.findall(text) if w in known or w in firing]
    if named and _CLEARED.search(text):
        return not any(name in firing for name in named)
    bound = _BOUND.search(text)
    if bound:
        limit = float(bound.group(1) or bound.group(3))
        unit = (bound.group(2) or bound.group(4) or "").lower()
        lowered = text.lower()
        for words, key, _, _ in FIGURES:
            if not any(_says(lowered, w) for w in words):
                continue
            value = _lookup(ordered, key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            shown = float(value) * 100 if unit == "%" and key == "error_ratio" else float(value)
            return shown < limit
    if _HTTP_OK.search(text):
        status = _lookup(ordered, "http_status")
        if isinstance(status, int) and not isinstance(status, bool):
            return status == 200
    return None
