"""Canonical alerts, their default thresholds, and the pending -> firing -> resolved machine.

Alert names are a public contract (runbooks match on them); defaults follow DESIGN.md and
every one can be overridden from config, `for` down to 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from common.status import Status


class Severity(StrEnum):
    WARN = "warn"
    CRIT = "crit"

    @property
    def status(self) -> Status:
        return Status.CRIT if self is Severity.CRIT else Status.WARN


@dataclass(frozen=True)
class AlertRule:
    """Thresholds for one canonical alert; `for_s` is how long a condition must hold."""

    threshold: float | None = None
    for_s: float = 0.0
    severity: Severity = Severity.CRIT
    warn: float | None = None


@dataclass(frozen=True)
class Condition:
    """One rule's verdict on one sample: is the alert's condition true right now."""

    alert: str
    active: bool
    severity: Severity = Severity.CRIT
    detail: str = ""
    target: str = ""  # sub-target (queue name, mount, container) so one alert can fire per target
    #: held pending whatever the rule's `for` says: another system (Prometheus) owns the
    #: clock and says when it fires, so it shows as a warning sign here, never firing
    pending: bool = False

    @property
    def key(self) -> str:
        return f"{self.alert}:{self.target}" if self.target else self.alert


DEFAULT_RULES: dict[str, AlertRule] = {
    "ServiceDown": AlertRule(None, 0.0, Severity.CRIT),
    "HighErrorRate": AlertRule(0.05, 300.0, Severity.CRIT),
    "HighLatency": AlertRule(500.0, 300.0, Severity.WARN),
    "DatabaseUnreachable": AlertRule(None, 0.0, Severity.CRIT),
    "DBPoolExhaustion": AlertRule(0.90, 0.0, Severity.CRIT),
    "LongRunningQuery": AlertRule(300.0, 0.0, Severity.WARN),
    "RedisUnreachable": AlertRule(None, 0.0, Severity.CRIT),
    "RedisMemoryHigh": AlertRule(0.85, 0.0, Severity.WARN),
    "TaskQueueStuck": AlertRule(1000.0, 600.0, Severity.WARN),
    "DiskFull": AlertRule(0.05, 0.0, Severity.CRIT, warn=0.15),
    "MemoryHigh": AlertRule(0.85, 600.0, Severity.WARN),
    "ContainerDown": AlertRule(None, 0.0, Severity.CRIT),
}

CANONICAL_ALERTS: tuple[str, ...] = tuple(DEFAULT_RULES)


class AlertState(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    name: str
    state: AlertState
    severity: Severity
    since: float  # when the current state began (wall clock)
    active_since: float  # when the condition first became true (pending start)
    detail: str = ""
    target: str = ""
    fired_at: float | None = None  # first time it went firing, kept through resolution

    @property
    def key(self) -> str:
        return f"{self.name}:{self.target}" if self.target else self.name

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "state": self.state.value, "severity": self.severity.value,
                "detail": self.detail, "target": self.target}


class AlertTracker:
    """Feeds conditions over time into alerts with Prometheus-like `for` semantics.

    A condition that is true starts `pending`; once it has held for the rule's `for`,
    it is `firing`. When it turns false a firing alert becomes `resolved` (kept for
    `resolved_keep_s` so screens and the journal can show recovery); a pending one just
    disappears, as in Prometheus.
    """

    def __init__(self, for_s: dict[str, float], resolved_keep_s: float = 300.0) -> None:
        self._for_s = for_s
        self._keep = resolved_keep_s
        self._alerts: dict[str, Alert] = {}

    def observe(self, conditions: list[Condition], now: float) -> tuple[Alert, ...]:
        seen: set[str] = set()
        for cond in conditions:
            if not cond.active:
                continue
            seen.add(cond.key)
            self._activate(cond, now)
        for key, alert in list(self._alerts.items()):
            if key in seen:
                continue
            if alert.state is AlertState.PENDING:
                del self._alerts[key]
            elif alert.state is AlertState.FIRING:
                self._alerts[key] = replace(alert, state=AlertState.RESOLVED, since=now)
            elif now - alert.since > self._keep:
                del self._alerts[key]
        return self.alerts

    def _activate(self, cond: Condition, now: float) -> None:
        hold = self._for_s.get(cond.alert, 0.0)
        old = self._alerts.get(cond.key)
        if old is None or old.state is AlertState.RESOLVED:
            old = Alert(cond.alert, AlertState.PENDING, cond.severity, now, now, cond.detail,
                        cond.target)
        alert = replace(old, severity=cond.severity, detail=cond.detail)
        if (alert.state is AlertState.PENDING and not cond.pending
                and now - alert.active_since >= hold):
            alert = replace(alert, state=AlertState.FIRING, since=now, fired_at=now)
        self._alerts[cond.key] = alert

    @property
    def alerts(self) -> tuple[Alert, ...]:
        order = {AlertState.FIRING: 0, AlertState.PENDING: 1, AlertState.RESOLVED: 2}
        return tuple(sorted(self._alerts.values(),
                            key=lambda a: (order[a.state], a.severity != Severity.CRIT, a.key)))
