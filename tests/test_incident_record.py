"""The incident record: every alert transition journaled as it happens, incidents told
apart by the recovery rule, steps in the incident open when they ran, figures before and
after a step, and `opsdash report` (Markdown and --json) telling it back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from panels.alerts import AlertRule, Severity
from panels.base import Probe
from panels.errors import ProbeError
from panels.health import HealthPanel, HealthSample
from panels.watch import PanelState, PanelWatch
from runbooks.journal import Journal, read_journal
from runbooks.report import render_report
from tests.fixtures.http import HTTPService
from tests.test_app_live import live_app, until
from tui.incident.record import IncidentRecord

T0 = 1_800_000_000.0
OPSDASH = Path(sys.executable).parent / "opsdash"


def sample(status: int) -> HealthSample:
    ok = status < 400
    return HealthSample(http_status=status, reason="OK" if ok else "Service Unavailable",
                        latency_ms=40.0, ok=ok, checks={}, failed=() if ok else ("HTTP 503",),
                        freshness_s={}, content_type="text/plain", body_bytes=2,
                        body_over_limit=False, body_excerpt="", at=0.0)


def polls(pattern: str, *, name: str = "api", start: float = T0, gap: float = 1.0,
          hold: float = 0.0) -> list[PanelState]:
    """One poll a second: `u` answers 200, `d` answers 503 (ServiceDown after `hold` s)."""
    panel = HealthPanel(name, url="http://127.0.0.1:9/readyz",
                        rules={"ServiceDown": AlertRule(None, hold, Severity.CRIT)})
    watch = PanelWatch(panel)
    return [watch.judge(Probe(sample(200 if c == "u" else 503), None, 1.0), start + i * gap)
            for i, c in enumerate(pattern)]


def record_of(*streams: list[PanelState]) -> list[dict[str, Any]]:
    record = IncidentRecord()
    merged = sorted((s for stream in streams for s in stream), key=lambda s: s.updated_at)
    events: list[dict[str, Any]] = []
    for state in merged:
        for event in record.observe(state):
            events.append({"ts": event.get("ts", state.updated_at), **event})
    return events


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    return [(e["type"], e.get("state", ""), e.get("incident", e.get("name")))
            for e in events if e["type"] in ("incident", "alert")]


def test_a_fault_and_its_recovery_is_one_incident_closed_after_two_quiet_polls() -> None:
    events = record_of(polls("uuddduuuu"))
    assert kinds(events) == [
        ("incident", "opened", 1), ("alert", "firing", "ServiceDown"),
        ("alert", "resolved", "ServiceDown"), ("incident", "closed", 1)]
    opened, fired, resolved, closed = [e for e in events if e["type"] in ("incident", "alert")]
    assert (opened["ts"], fired["ts"], resolved["ts"], closed["ts"]) == (
        T0 + 2, T0 + 2, T0 + 5, T0 + 6)
    assert fired["figures"] == {"HTTP": 503.0, "latency": 40.0}
    assert resolved["figures"] == {"HTTP": 200.0, "latency": 40.0}


def test_a_pending_alert_is_journaled_before_it_fires() -> None:
    events = record_of(polls("udddduu", hold=1.5))
    assert [(e["state"], e["ts"]) for e in events if e["type"] == "alert"] == [
        ("pending", T0 + 1), ("firing", T0 + 3), ("resolved", T0 + 5)]


def test_two_drills_minutes_apart_are_two_incidents() -> None:
    first = polls("udduuu")
    second = polls("udduuu", start=T0 + 600)
    events = record_of(first, second)
    assert [(e["state"], e["incident"]) for e in events if e["type"] == "incident"] == [
        ("opened", 1), ("closed", 1), ("opened", 2), ("closed", 2)]


def test_an_alert_firing_while_one_is_open_joins_it_and_it_closes_when_both_stay_quiet(
        ) -> None:
    api = polls("uddddduuu", name="api")
    web = polls("uuuddduuuu", name="web", start=T0 + 0.5)
    events = record_of(api, web)
    assert [(e["state"], e["incident"], e.get("alerts")) for e in events
            if e["type"] == "incident"] == [
        ("opened", 1, [{"panel": "health:api", "alert": "ServiceDown"}]),
        ("joined", 1, [{"panel": "health:web", "alert": "ServiceDown"}]),
        ("closed", 1, [{"panel": "health:api", "alert": "ServiceDown"},
                       {"panel": "health:web", "alert": "ServiceDown"}])]


def test_quitting_closes_nothing_and_the_next_start_closes_it_from_live_state() -> None:
    before_quit = record_of(polls("udd"))
    assert [e["state"] for e in before_quit if e["type"] == "incident"] == ["opened"]
    record = IncidentRecord()
    record.resume(before_quit)
    assert record.incident == 1
    after_start: list[dict[str, Any]] = []
    for state in polls("uuu", start=T0 + 120):
        after_start.extend(record.observe(state))
    assert [(e["type"], e.get("state"), e.get("incident")) for e in after_start] == [
        ("incident", "closed", 1)]
    for state in polls("ud", start=T0 + 300):
        after_start.extend(record.observe(state))
    assert [(e["state"], e["incident"]) for e in after_start if e["type"] == "incident"][-1] \
        == ("opened", 2)


def journal_of(events: list[dict[str, Any]], path: Path) -> Path:
    journal = Journal(path)
    for event in events:
        journal.append(event)
    return path


def test_report_json_tells_each_incident_with_its_alerts_steps_and_times(
        tmp_path: Path) -> None:
    events = record_of(polls("udddduuu"), polls("uddduuu", start=T0 + 600))
    step = [{"ts": T0 + 3.5, "type": "step_started", "ref": "svc.md#down", "step": 2,
             "command": "curl -X POST http://127.0.0.1/recover", "user": "oncall",
             "host": "box", "incident": 1, "panel": "health:api",
             "before": {"HTTP": 503.0}},
            {"ts": T0 + 3.9, "type": "step_finished", "ref": "svc.md#down", "step": 2,
             "exit": 0, "duration": 0.4, "timed_out": False, "cancelled": False},
            {"ts": T0 + 6.5, "type": "step_figures", "ref": "svc.md#down", "step": 2,
             "before": {"HTTP": 503.0}, "after": [{"HTTP": 200.0}, {"HTTP": 200.0}],
             "change": ["HTTP 503 → 200"]}]
    path = journal_of(sorted(events + step, key=lambda e: e["ts"]), tmp_path / "j.jsonl")
    run = subprocess.run([str(OPSDASH), "report", "--journal", str(path), "--json"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [(i["incident"], i["opened"], i["recovered"], i["time_to_recover_s"])
            for i in report] == [(1, T0 + 1, T0 + 5, 4.0), (2, T0 + 601, T0 + 604, 3.0)]
    assert [(a["name"], a["fired"], a["resolved"]) for a in report[0]["alerts"]] == [
        ("ServiceDown", T0 + 1, T0 + 5)]
    assert [(s["step"], s["who"], s["exit"], s["duration_s"], s["change"])
            for s in report[0]["steps"]] == [(2, "oncall@box", 0, 0.4, ["HTTP 503 → 200"])]
    assert report[1]["steps"] == []
    only = subprocess.run([str(OPSDASH), "report", "--journal", str(path), "--incident", "2"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert only.stdout.count("## Incident") == 1 and "## Incident 2: ServiceDown" in only.stdout
    text = render_report(read_journal(path).events)
    assert "Figures: HTTP 503 → 200" in text
    assert "- **Time to recover:** 4.0s" in text


async def test_every_alert_transition_is_journaled_with_no_pane_open(
        http_service: HTTPService, tmp_path: Path) -> None:
    http_service.route("/readyz", body={"ok": True})
    journal = tmp_path / "journal.jsonl"
    panel = HealthPanel("api", url=http_service.url_for("/readyz"),
                        rules={"ServiceDown": AlertRule(None, 0.3, Severity.CRIT)})
    app = live_app([panel], journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "health:api" in app.states, what="the first poll")
        http_service.route("/readyz", status=503, body={"ok": False})
        await until(pilot, lambda: bool(app.firing_alerts("health:api")), what="firing")
        http_service.route("/readyz", body={"ok": True})

        def closed() -> bool:
            return journal.exists() and any(
                e["type"] == "incident" and e["state"] == "closed"
                for e in read_journal(journal).events)

        await until(pilot, closed, what="the incident to close")
        await app.action_quit()
    events = read_journal(journal).events
    assert [e["state"] for e in events if e["type"] == "alert"] == [
        "pending", "firing", "resolved"]
    assert [e["state"] for e in events if e["type"] == "incident"] == ["opened", "closed"]
    fired = next(e for e in events if e["type"] == "alert" and e["state"] == "firing")
    assert fired["figures"]["HTTP"] == 503.0
    assert not app.query("RunbookPane")


@pytest.mark.parametrize(("before", "after", "told"), [
    ({"p95": 988.0, "HTTP": 200.0}, {"p95": 41.0, "HTTP": 200.0}, ["p95 988 ms → 41 ms"]),
    ({"HTTP": 503.0}, {"HTTP": 200.0}, ["HTTP 503 → 200"]),
    ({"queue demo:jobs": 1500.0}, {"queue demo:jobs": 0.0}, ["queue demo:jobs 1500 → 0"]),
    ({"errors": 0.31, "p95": 100.0}, {"errors": 0.002, "p95": 101.0},
     ["errors 31.0% → 0.2%", "p95 100 ms → 101 ms"]),
    ({"memory": 80.0}, {"memory": 80.2}, []),
])
def test_changes_are_told_as_a_postmortem_would(before: dict[str, float],
                                                after: dict[str, float],
                                                told: list[str]) -> None:
    from panels.figures import changes

    assert changes(before, after) == told


def test_key_figures_flatten_queues_and_disks_and_skip_what_is_not_finite() -> None:
    from panels.figures import key_figures

    assert key_figures({"p95_ms": 12.5, "error_ratio": float("nan"), "queues": {"a": 3},
                        "disks": [{"mount": "/", "used_pct": 91.0}], "http_status": None}) == {
        "p95": 12.5, "queue a": 3.0, "disk /": 91.0}


def test_an_unreachable_panel_journals_its_unreachable_alert() -> None:
    panel = HealthPanel("api", url="http://127.0.0.1:9/readyz")
    watch = PanelWatch(panel)
    record = IncidentRecord()
    events = record.observe(watch.judge(
        Probe(None, ProbeError("refused", "Connection refused"), 1.0), T0))
    assert [(e["type"], e.get("state"), e.get("name")) for e in events] == [
        ("incident", "opened", None), ("alert", "firing", "ServiceDown")]


# --- the record's events, exactly ---------------------------------------------------------


def test_the_events_of_one_incident_are_exact() -> None:
    events = record_of(polls("udduu"))
    assert [e for e in events if e["type"] == "incident"] == [
        {"ts": T0 + 1, "type": "incident", "state": "opened", "incident": 1,
         "alerts": [{"panel": "health:api", "alert": "ServiceDown"}]},
        {"ts": T0 + 4, "type": "incident", "state": "closed", "incident": 1,
         "opened_at": T0 + 1, "alerts": [{"panel": "health:api", "alert": "ServiceDown"}]}]
    (fired,) = [e for e in events if e["type"] == "alert" and e["state"] == "firing"]
    assert sorted(fired) == ["detail", "figures", "name", "panel", "severity", "state",
                             "target", "ts", "type"]
    assert (fired["severity"], fired["panel"], fired["target"]) == ("crit", "health:api", "")


@pytest.mark.parametrize(("confirm", "closed_at"), [(1, T0 + 3), (2, T0 + 4), (3, T0 + 5)])
def test_an_incident_closes_after_confirm_polls_quiet_polls(confirm: int,
                                                            closed_at: float) -> None:
    record = IncidentRecord(confirm_polls=confirm)
    closes = [s.updated_at for s in polls("udduuuu")
              for e in record.observe(s) if e.get("state") == "closed"]
    assert closes == [closed_at]


def test_a_poll_of_another_panel_does_not_count_as_quiet() -> None:
    api = polls("udd", name="api")
    web = polls("uuuuuu", name="web", start=T0 + 0.5)
    events = record_of(api, web)
    assert [e["state"] for e in events if e["type"] == "incident"] == ["opened"]


def test_resume_goes_on_numbering_and_keeps_the_joined_alerts_open() -> None:
    journal = [
        {"ts": T0, "type": "incident", "state": "opened", "incident": 1,
         "alerts": [{"panel": "health:api", "alert": "ServiceDown"}]},
        {"ts": T0 + 5, "type": "incident", "state": "closed", "incident": 1},
        {"ts": T0 + 50, "type": "incident", "state": "opened", "incident": 2,
         "alerts": [{"panel": "health:api", "alert": "ServiceDown"}]},
        {"ts": T0 + 51, "type": "incident", "state": "joined", "incident": 2,
         "alerts": [{"panel": "health:web", "alert": "ServiceDown"}]},
        {"ts": T0 + 52, "type": "alert", "state": "firing", "name": "ServiceDown"},
    ]
    record = IncidentRecord()
    record.resume(journal)
    assert record.incident == 2 and record.count == 2
    # api quiet for two polls is not enough: web, joined, has to be quiet too
    events: list[dict[str, Any]] = []
    for state in sorted([*polls("uu", name="api", start=T0 + 100),
                         *polls("uu", name="web", start=T0 + 100.5)],
                        key=lambda s: s.updated_at):
        events.extend(record.observe(state))
    assert [(e["state"], e["ts"], e["alerts"]) for e in events] == [
        ("closed", T0 + 101.5, [{"panel": "health:api", "alert": "ServiceDown"},
                                {"panel": "health:web", "alert": "ServiceDown"}])]
    # the next one is number 3
    fresh = [e for s in polls("d", start=T0 + 200) for e in record.observe(s)]
    assert [(e["state"], e["incident"]) for e in fresh if e["type"] == "incident"] == [
        ("opened", 3)]


def test_resume_of_a_closed_journal_leaves_nothing_open() -> None:
    record = IncidentRecord()
    record.resume([{"type": "incident", "state": "opened", "incident": 4, "ts": T0},
                   {"type": "incident", "state": "closed", "incident": 4, "ts": T0 + 1}])
    assert record.incident is None and record.count == 4
