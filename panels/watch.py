"""A panel plus its alert memory: one `poll()` gives one immutable PanelState.

The TUI scheduler and `opsdash check` both go through here, so the screen and the
one-shot command always agree on what is broken. That makes `judge` the one door every
outside string leaves a panel by (a reason phrase, a body excerpt, a JSON check name, a
metric label, a query, a queue or container name, an error message): it is made
terminal-safe there, once, whatever kind of panel produced it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from common.terminal import safe_text
from panels.alerts import Alert, AlertState, AlertTracker
from panels.base import Condition, Panel, Probe, Status
from panels.errors import ProbeError


@dataclass(frozen=True)
class PanelState:
    panel_id: str
    kind: str
    name: str
    target: str
    status: Status
    summary: str
    metrics: dict[str, Any]
    alerts: tuple[Alert, ...]
    error: ProbeError | None
    updated_at: float
    duration_ms: float
    series_value: float | None = None
    #: when the last good sample was taken; differs from updated_at while failing
    last_ok_at: float | None = None
    #: drill-down detail (Panel.detail): never part of `as_json()`
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.state is AlertState.FIRING)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.panel_id,
            "kind": self.kind,
            "status": self.status.value,
            "summary": self.summary,
            "metrics": self.metrics,
            "alerts": [
                {"name": a.name, "state": a.state.value, "severity": a.severity.value}
                for a in self.alerts
            ],
        }


class PanelWatch:
    """Owns one panel's alert tracker and last good metrics between polls."""

    def __init__(self, panel: Panel[Any]) -> None:
        self.panel = panel
        self.tracker = AlertTracker({name: r.for_s for name, r in panel.rules.items()})
        self.last_ok: PanelState | None = None

    async def poll(self, now: float | None = None) -> PanelState:
        probe = await self.panel.probe()
        return self.judge(probe, time.time() if now is None else now)

    def judge(self, probe: Probe[Any], now: float) -> PanelState:
        panel = self.panel
        # panel_id stays as configured (it is the card's key); what is shown is made safe
        name, target = safe_text(panel.name, single_line=True), safe_text(panel.target,
                                                                          single_line=True)
        if probe.sample is not None:
            sample = probe.sample
            alerts = self.tracker.observe(_safe_conditions(panel.conditions(sample)), now)
            metrics = _safe_metrics(panel.metrics(sample))
            state = PanelState(
                panel_id=panel.id, kind=panel.kind, name=name, target=target,
                status=_status_from(alerts), metrics=metrics,
                summary=safe_text(panel.summary(sample), single_line=True),
                alerts=alerts, error=None, updated_at=now, duration_ms=probe.duration_ms,
                series_value=_number(metrics.get(panel.series_key)) if panel.series_key else None,
                last_ok_at=now, extra=_safe_metrics(panel.detail(sample)),
            )
            self.last_ok = state
            return state
        error = probe.error or ProbeError("error", "no sample")
        error = ProbeError(error.kind, safe_text(error.message, single_line=True))
        alerts = self.tracker.observe(_safe_conditions(panel.failure_conditions(error)), now)
        status = Status.UNKNOWN if error.kind == "absent" else Status.CRIT
        last = self.last_ok
        return PanelState(
            panel_id=panel.id, kind=panel.kind, name=name, target=target,
            status=status, summary=str(error),
            metrics=dict(last.metrics) if last else {},
            alerts=alerts, error=error, updated_at=now, duration_ms=probe.duration_ms,
            series_value=None, last_ok_at=last.last_ok_at if last else None,
            extra=dict(last.extra) if last else {},
        )


def _safe_conditions(conditions: list[Condition]) -> list[Condition]:
    """Alert details and sub-targets (a queue, a container, a JSON check) are outside text,
    and so is an alert's name where a kind relays other systems' alerts (Alertmanager)."""
    return [replace(c, alert=safe_text(c.alert, single_line=True),
                    detail=safe_text(c.detail, single_line=True),
                    target=safe_text(c.target, single_line=True)) for c in conditions]


def _safe_metrics(value: Any) -> Any:
    """Every string in the metrics, keys too (JSON check names, labels, queue names).

    Newlines and tabs are kept in values (a body excerpt reads as it came); what goes on
    a card line is made single-line by whoever draws it. Numbers pass untouched.
    """
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(k, single_line=True) if isinstance(k, str) else k: _safe_metrics(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe_metrics(v) for v in value]
    return value


def _status_from(alerts: tuple[Alert, ...]) -> Status:
    statuses = [a.severity.status for a in alerts if a.state is AlertState.FIRING]
    # a pending alert is a warning sign, never more, until its `for` has passed
    statuses += [Status.WARN for a in alerts if a.state is AlertState.PENDING]
    return Status.worst(statuses)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None
