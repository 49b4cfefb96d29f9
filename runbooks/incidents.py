"""Incidents as the journal tells them: their alerts (fired, resolved, time to recover
each), their steps (who, when, command, exit, duration, figures before and after) and
their time to recover.

The dashboard journals `incident` events (opened, joined, closed) as it decides them
(tui.incident.record), so a journal says itself which incident each alert and step
belongs to: two drills minutes apart are two incidents, and a step belongs to the one
open when it ran. Journals without those events (older ones, or `runbooks run` alone)
are grouped the old way: an incident opens at a firing alert and closes when every
alert has resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.masking import mask_secrets

Event = dict[str, Any]


def ts(event: Event) -> float:
    try:
        return float(event.get("ts", 0.0))
    except (TypeError, ValueError):
        return 0.0


@dataclass
class AlertRun:
    """One alert's life inside an incident."""

    name: str
    panel: str
    fired: float
    resolved: float | None = None

    @property
    def time_to_recover(self) -> float | None:
        return None if self.resolved is None else max(0.0, self.resolved - self.fired)


@dataclass
class StepRun:
    ref: str
    step: int
    started: float
    command: str
    who: str
    lang: str = "bash"
    exit: int | None = None
    duration: float | None = None
    ended: str = "did not finish"  # exit, cancelled, timed out, did not finish
    signal: str | None = None
    before: dict[str, float] = field(default_factory=dict)
    after: list[dict[str, float]] = field(default_factory=list)
    change: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)


@dataclass
class Incident:
    number: int
    opened: float
    closed: float | None = None
    alerts: list[AlertRun] = field(default_factory=list)
    steps: list[StepRun] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def recovered(self) -> float | None:
        """When the last of its alerts was first seen resolved (the pane's figure)."""
        if self.closed is None or not self.alerts:
            return self.closed
        ends = [a.resolved for a in self.alerts]
        return max(e for e in ends if e is not None) if all(e is not None for e in ends) else (
            self.closed)

    @property
    def time_to_recover(self) -> float | None:
        return None if self.recovered is None else max(0.0, self.recovered - self.opened)

    @property
    def names(self) -> list[str]:
        seen: list[str] = []
        for alert in self.alerts:
            if alert.name not in seen:
                seen.append(alert.name)
        return seen

    def as_json(self) -> dict[str, Any]:
        return {
            "incident": self.number, "opened": self.opened, "closed": self.closed,
            "recovered": self.recovered, "time_to_recover_s": self.time_to_recover,
            "alerts": [{"name": a.name, "panel": a.panel, "fired": a.fired,
                        "resolved": a.resolved, "time_to_recover_s": a.time_to_recover}
                       for a in self.alerts],
            "steps": [{"ref": s.ref, "step": s.step, "started": s.started, "who": s.who,
                       "command": s.command, "exit": s.exit, "duration_s": s.duration,
                       "ended": s.ended, "signal": s.signal, "before": s.before,
                       "after": s.after, "change": s.change} for s in self.steps],
        }


def _alert_key(event: Event) -> str:
    target = event.get("target") or ""
    name = str(event.get("name", ""))
    return f"{name}:{target}" if target else name


def _step(event: Event) -> StepRun:
    return StepRun(ref=str(event.get("ref", "")), step=int(event.get("step") or 0),
                   started=ts(event), command=mask_secrets(str(event.get("command", ""))),
                   who=f"{event.get('user', '?')}@{event.get('host', '?')}",
                   lang=str(event.get("lang") or "bash"),
                   before=dict(event.get("before") or {}))


def _finish(run: StepRun, event: Event) -> None:
    run.exit = event.get("exit")
    run.duration = float(event.get("duration") or 0.0)
    run.signal = event.get("signal")
    run.ended = ("cancelled" if event.get("cancelled") else
                 "timed out" if event.get("timed_out") else "exit")


def incidents(events: list[Event]) -> list[Incident]:
    """Every incident in the journal, oldest first."""
    ordered = sorted(events, key=ts)
    if any(e.get("type") == "incident" for e in ordered):
        return _by_record(ordered)
    return _by_alerts(ordered)


def _by_record(ordered: list[Event]) -> list[Incident]:
    found: dict[int, Incident] = {}
    open_alerts: dict[str, AlertRun] = {}  # alert key -> its run in the open incident
    current: Incident | None = None
    steps: dict[tuple[str, int], StepRun] = {}
    step_owner: dict[tuple[str, int], Incident] = {}
    for event in ordered:
        kind = event.get("type")
        if kind == "incident":
            number = int(event.get("incident") or 0)
            state = event.get("state")
            if state == "opened" or number not in found:
                found[number] = current = Incident(number, ts(event))
                open_alerts = {}
            incident = found[number]
            incident.events.append(event)
            if state == "closed":
                incident.closed = ts(event)
                current = None
            continue
        if kind == "alert":
            key = _alert_key(event)
            if event.get("state") == "firing" and current is not None:
                if key not in open_alerts or open_alerts[key].resolved is not None:
                    life = AlertRun(str(event.get("name", "")), str(event.get("panel", "")),
                                    ts(event))
                    open_alerts[key] = life
                    current.alerts.append(life)
            elif event.get("state") == "resolved" and key in open_alerts:
                open_alerts[key].resolved = ts(event)
        owner = _owner(event, found, current)
        if kind in ("step_figures", "step_output", "step_finished"):
            owner = step_owner.get((str(event.get("ref", "")), int(event.get("step") or 0)),
                                   owner)
        if kind == "recovered":
            owner = _open_at(float(event.get("resolved_at") or ts(event)), found) or owner
        if owner is not None:
            owner.events.append(event)
        if kind == "step_started":
            run = _step(event)
            steps[(run.ref, run.step)] = run
            if owner is not None:
                owner.steps.append(run)
                step_owner[(run.ref, run.step)] = owner
        elif kind == "step_finished" and (event.get("ref"), event.get("step")) in steps:
            _finish(steps[(str(event.get("ref")), int(event.get("step") or 0))], event)
        elif kind == "step_output" and (event.get("ref"), event.get("step")) in steps:
            steps[(str(event.get("ref")), int(event.get("step") or 0))].tail = [
                mask_secrets(str(line)) for line in event.get("tail") or []]
        elif kind == "step_figures" and (event.get("ref"), event.get("step")) in steps:
            run = steps[(str(event.get("ref")), int(event.get("step") or 0))]
            run.after = list(event.get("after") or [])
            run.change = [str(c) for c in event.get("change") or []]
    return [found[n] for n in sorted(found)]


def _owner(event: Event, found: dict[int, Incident], current: Incident | None
           ) -> Incident | None:
    """A step names its incident; anything else belongs to the one open at its time."""
    number = event.get("incident")
    if isinstance(number, int) and number in found:
        return found[number]
    return current


def _open_at(moment: float, found: dict[int, Incident]) -> Incident | None:
    """The incident that was open at `moment` (a recovery confirmed after it closed)."""
    for incident in found.values():
        if incident.opened <= moment and (incident.closed is None or moment <= incident.closed):
            return incident
    return None


def _by_alerts(ordered: list[Event]) -> list[Incident]:
    """Journals without incident events: open at a firing alert, close once all resolved."""
    out: list[Incident] = []
    current: Incident | None = None
    firing: dict[str, AlertRun] = {}
    steps: dict[tuple[str, int], StepRun] = {}
    for event in ordered:
        kind = event.get("type")
        if kind == "alert" and event.get("state") == "firing":
            key = _alert_key(event)
            if current is None:
                current = Incident(len(out) + 1, ts(event))
                out.append(current)
            if key not in firing:
                firing[key] = AlertRun(str(event.get("name", "")), str(event.get("panel", "")),
                                       ts(event))
                current.alerts.append(firing[key])
        if current is not None:
            current.events.append(event)
        if kind == "step_started":
            run = _step(event)
            steps[(run.ref, run.step)] = run
            if current is not None:
                current.steps.append(run)
        elif kind == "step_finished" and (event.get("ref"), event.get("step")) in steps:
            _finish(steps[(str(event.get("ref")), int(event.get("step") or 0))], event)
        elif kind == "alert" and event.get("state") == "resolved":
            run_ = firing.pop(_alert_key(event), None)
            if run_ is not None:
                run_.resolved = ts(event)
            if current is not None and not firing:
                current.closed = ts(event)
                current = None
        elif kind == "recovered" and current is not None:
            # the pane's recovery watch confirmed these alerts (or, naming none, its
            # panel) resolved: the same close as the Markdown report's, so `report
            # --json` and replay agree with it on a journal that has no resolved events
            when = float(event.get("resolved_at") or ts(event))
            names = {str(name) for name in event.get("alerts") or []}
            for key, life in list(firing.items()):
                if life.name in names or (not names and life.panel == event.get("panel")):
                    life.resolved = when
                    del firing[key]
            if not firing:
                current.closed = when
                current = None
    return out
