"""A Markdown incident timeline from the journal: detected, steps run, recovered, durations.

An incident opens at the first alert firing or panel turning warn/crit and closes at a
`recovered` event or when every alert has resolved and every panel is ok again. Steps
run while nothing was firing are listed as their own group ("Steps outside an incident").
Commands come from the journal, where they were masked already; they are masked again
here in case the journal was written by something else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from common.durations import format_duration
from common.masking import mask_secrets
from common.terminal import safe_text
from runbooks.incidents import Incident as RecordedIncident
from runbooks.incidents import StepRun
from runbooks.incidents import incidents as recorded_incidents


@dataclass
class Incident:
    events: list[dict[str, Any]] = field(default_factory=list)
    detected: float | None = None
    recovered: float | None = None
    alerts: list[str] = field(default_factory=list)
    manual: bool = False  # only steps, nothing detected


def _ts(event: dict[str, Any]) -> float:
    try:
        return float(event.get("ts", 0.0))
    except (TypeError, ValueError):
        return 0.0


def _recovered_at(event: dict[str, Any]) -> float:
    """When the alert was first seen resolved; the pane reports the same duration."""
    try:
        return float(event["resolved_at"])
    except (KeyError, TypeError, ValueError):
        return _ts(event)


def clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def group_incidents(events: list[dict[str, Any]]) -> list[Incident]:
    incidents: list[Incident] = []
    current: Incident | None = None
    firing: set[str] = set()
    bad_panels: set[str] = set()
    for event in sorted(events, key=_ts):
        kind = event.get("type")
        opens = (kind == "alert" and event.get("state") == "firing") or (
            kind == "status" and event.get("to") in {"warn", "crit"})
        if opens and (current is None or current.manual):
            current = Incident(detected=_ts(event))
            incidents.append(current)
        if kind in {"step_started", "step_output", "step_finished"} and current is None:
            current = Incident(manual=True)
            incidents.append(current)
        if current is None:
            continue
        current.events.append(event)
        if kind == "alert":
            name = str(event.get("name", ""))
            if event.get("state") == "firing":
                firing.add(name)
                if name not in current.alerts:
                    current.alerts.append(name)
            elif event.get("state") == "resolved":
                firing.discard(name)
        elif kind == "status":
            panel = str(event.get("panel", ""))
            if event.get("to") in {"warn", "crit"}:
                bad_panels.add(panel)
                for name in event.get("alerts") or []:
                    if name not in current.alerts:
                        current.alerts.append(str(name))
            else:
                bad_panels.discard(panel)
        closes = kind == "recovered" or (
            kind in {"alert", "status"} and not current.manual and not firing and not bad_panels)
        if closes and not current.manual:
            current.recovered = _recovered_at(event)
            current, firing, bad_panels = None, set(), set()
    return incidents


def _pair_runs(events: list[dict[str, Any]]) -> tuple[dict[int, dict[str, Any]],
                                                      dict[int, dict[str, Any]]]:
    """Each step_started's own output and result, by the start's index in `events`.

    The same step often runs twice in one incident (a check re-run after the fix), and
    a run can end with no result (the writer was killed): an output or a result belongs
    to the latest start of the same step before it, never to another run.
    """
    finished: dict[int, dict[str, Any]] = {}
    outputs: dict[int, dict[str, Any]] = {}
    running: dict[tuple[Any, Any], int] = {}
    for i, e in enumerate(events):
        key = (e.get("ref"), e.get("step"))
        kind = e.get("type")
        if kind == "step_started":
            running[key] = i
        elif kind == "step_output" and key in running:
            outputs[running[key]] = e
        elif kind == "step_finished" and key in running:
            finished[running.pop(key)] = e
    return finished, outputs


def _event_line(e: dict[str, Any], when: str) -> str | None:
    """The one line an alert, a status change or a recovery takes in any timeline."""
    kind = e.get("type")
    if kind == "alert":
        return (f"- {when} alert **{e.get('name')}** {e.get('state')}"
                + (f" ({e.get('panel')})" if e.get("panel") else ""))
    if kind == "status":
        old = e.get("from") or "start"
        return f"- {when} panel **{e.get('panel')}** {old} → {e.get('to')}"
    if kind == "recovered":
        names = ", ".join(e.get("alerts") or [])
        return f"- {when} **recovered**" + (f": {names}" if names else "")
    return None


def _step_lines(incident: Incident) -> list[str]:
    lines: list[str] = []
    finished, outputs = _pair_runs(incident.events)
    for i, e in enumerate(incident.events):
        kind = e.get("type")
        when = clock(_ts(e))
        plain = _event_line(e, when)
        if plain is not None:
            lines.append(plain)
        elif kind == "step_started":
            command = mask_secrets(str(e.get("command", "")))
            who = f"{e.get('user', '?')}@{e.get('host', '?')}"
            end = finished.get(i)
            if end is None:
                result = "**did not finish** (no result recorded)"
            elif end.get("cancelled"):
                result = f"cancelled after {format_duration(float(end.get('duration', 0)))}"
            elif end.get("timed_out"):
                result = f"timed out after {format_duration(float(end.get('duration', 0)))}"
            else:
                result = (f"exit {end.get('exit')} in "
                          f"{format_duration(float(end.get('duration', 0)))}")
            lines.append(f"- {when} step {e.get('step')} of `{e.get('ref')}` by {who}: {result}")
            fence = "````" if "```" in command else "```"
            lines.append(f"  {fence}{'sql' if e.get('lang') == 'sql' else 'bash'}")
            lines.extend(f"  {ln}" for ln in command.split("\n"))
            lines.append(f"  {fence}")
            out = outputs.get(i)
            if out and out.get("tail"):
                lines.append("  Output (last lines):")
                lines.append("  ```text")
                lines.extend(f"  {mask_secrets(str(ln))}" for ln in out["tail"][-10:])
                lines.append("  ```")
    return lines


def _figures_line(run: StepRun) -> str:
    if run.change:
        return "  Figures: " + " · ".join(run.change)
    if run.before and run.after:
        return "  Figures: no key figure moved"
    return ""


def _timeline(inc: RecordedIncident) -> list[str]:
    lines: list[str] = []
    steps = {(s.ref, s.step, s.started): s for s in inc.steps}
    for e in inc.events:
        kind = e.get("type")
        when = clock(_ts(e))
        plain = _event_line(e, when)
        if plain is not None:
            lines.append(plain)
        elif kind == "step_started":
            run = steps.get((str(e.get("ref", "")), int(e.get("step") or 0), _ts(e)))
            if run is None:
                continue
            if run.ended == "did not finish":
                result = "**did not finish** (no result recorded)"
            elif run.ended == "exit":
                result = f"exit {run.exit} in {format_duration(run.duration or 0.0)}"
            else:
                result = f"{run.ended} after {format_duration(run.duration or 0.0)}"
                if run.signal:
                    result += f" ({run.signal})"
            lines.append(f"- {when} step {run.step} of `{run.ref}` by {run.who}: {result}")
            fence = "````" if "```" in run.command else "```"
            lines.append(f"  {fence}{'sql' if run.lang == 'sql' else 'bash'}")
            lines.extend(f"  {ln}" for ln in run.command.split("\n"))
            lines.append(f"  {fence}")
            figures = _figures_line(run)
            if figures:
                lines.append(figures)
            if run.tail:
                lines.append("  Output (last lines):")
                lines.append("  ```text")
                lines.extend(f"  {ln}" for ln in run.tail[-10:])
                lines.append("  ```")
        elif kind == "incident" and e.get("state") == "closed":
            lines.append(f"- {when} incident closed: every alert stayed resolved")
    return lines


def render_record(found: list[RecordedIncident]) -> str:
    """Incidents as the dashboard recorded them (journals with `incident` events)."""
    out = ["# Incident timeline", ""]
    if not found:
        out.append("Nothing was detected and no step was run.")
    for inc in found:
        out.append(f"## Incident {inc.number}: {', '.join(inc.names) or 'status change'}")
        out.append("")
        out.append(f"- **Detected:** {clock(inc.opened)}")
        recovered = inc.recovered
        if recovered is not None:
            out.append(f"- **Recovered:** {clock(recovered)}")
            out.append(f"- **Time to recover:** {format_duration(inc.time_to_recover)}")
        else:
            out.append("- **Recovered:** not yet (still open)")
        for alert in inc.alerts:
            took = alert.time_to_recover
            end = (f"resolved {clock(alert.resolved)}, time to recover {format_duration(took)}"
                   if alert.resolved is not None and took is not None else "not resolved")
            out.append(f"- Alert **{alert.name}** ({alert.panel}): fired {clock(alert.fired)}, "
                       f"{end}")
        if inc.steps:
            first = inc.steps[0].started
            out.append(f"- **Time to first step:** {format_duration(first - inc.opened)}")
        out.append(f"- **Steps run:** {len(inc.steps)}")
        out.append("")
        out.append("### Timeline")
        out.append("")
        out.extend(_timeline(inc))
        out.append("")
    return safe_text("\n".join(out).rstrip("\n") + "\n")


def render_report(events: list[dict[str, Any]]) -> str:
    """The whole journal as Markdown, oldest incident first."""
    if any(e.get("type") == "incident" for e in events):
        return render_record(recorded_incidents(events))
    incidents = group_incidents(events)
    out = ["# Incident timeline", ""]
    if not incidents:
        out.append("Nothing was detected and no step was run.")
        return "\n".join(out) + "\n"
    number = 0
    for inc in incidents:
        if inc.manual:
            start = _ts(inc.events[0]) if inc.events else 0.0
            out.append(f"## Steps outside an incident ({clock(start)})")
        else:
            number += 1
            names = ", ".join(inc.alerts) or "status change"
            out.append(f"## Incident {number}: {names}")
            out.append("")
            assert inc.detected is not None
            out.append(f"- **Detected:** {clock(inc.detected)}")
            if inc.recovered is not None:
                out.append(f"- **Recovered:** {clock(inc.recovered)}")
                out.append(f"- **Time to recover:** "
                           f"{format_duration(inc.recovered - inc.detected)}")
            else:
                out.append("- **Recovered:** not yet")
            steps = [e for e in inc.events if e.get("type") == "step_started"]
            if steps:
                first = _ts(steps[0])
                out.append(f"- **Time to first step:** {format_duration(first - inc.detected)}")
            out.append(f"- **Steps run:** {len(steps)}")
        out.append("")
        out.append("### Timeline")
        out.append("")
        out.extend(_step_lines(inc))
        out.append("")
    # a journal is a file anyone could have written: nothing in it reaches the terminal raw
    return safe_text("\n".join(out).rstrip("\n") + "\n")
