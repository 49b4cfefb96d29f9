"""The journal reader (runbooks.incidents), exactly: which incident owns each alert life,
step and event, what a step's start, output, figures and end say, and the defaults a
hand-edited or cut journal falls back on. Plain event lists in, whole results out: every
test here runs in milliseconds, so the mutation runner can afford them per mutant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runbooks.incidents import (
    AlertRun,
    Incident,
    StepRun,
    _alert_key,
    _finish,
    _step,
    incidents,
    ts,
)
from runbooks.journal import Journal, read_journal

T = 1_800_000_000.0
Event = dict[str, Any]


def stamps(incident: Incident) -> list[tuple[float, str, str]]:
    """An incident's events as (seconds after T, type, state or ref) for exact lists."""
    return [(e["ts"] - T, e["type"], str(e.get("state", e.get("ref", ""))))
            for e in incident.events]


# --- the small pieces -----------------------------------------------------------------


@pytest.mark.parametrize(("event", "seconds"), [
    ({}, 0.0), ({"ts": 5}, 5.0), ({"ts": "12.5"}, 12.5), ({"ts": None}, 0.0),
    ({"ts": "soon"}, 0.0), ({"ts": [1]}, 0.0),
])
def test_an_event_time_is_its_ts_or_zero(event: Event, seconds: float) -> None:
    assert ts(event) == seconds


@pytest.mark.parametrize(("resolved", "took"), [(None, None), (14.5, 4.5), (10.0, 0.0),
                                                (8.0, 0.0)])
def test_an_alert_recovers_in_resolved_minus_fired_never_below_zero(
        resolved: float | None, took: float | None) -> None:
    assert AlertRun("ServiceDown", "health:api", 10.0, resolved).time_to_recover == took


def test_a_step_run_and_an_incident_start_empty_and_unfinished() -> None:
    assert StepRun("a.md#x", 1, 0.0, "uptime", "ana@web1") == StepRun(
        ref="a.md#x", step=1, started=0.0, command="uptime", who="ana@web1", lang="bash",
        exit=None, duration=None, ended="did not finish", signal=None, before={}, after=[],
        change=[], tail=[])
    assert Incident(3, 5.0) == Incident(number=3, opened=5.0, closed=None, alerts=[],
                                        steps=[], events=[])


def life(fired: float, resolved: float | None) -> AlertRun:
    return AlertRun("ServiceDown", "health:api", fired, resolved)


@pytest.mark.parametrize(("closed", "alerts", "recovered", "took"), [
    (None, [life(12.0, 15.0)], None, None),     # still open: nothing recovered yet
    (20.0, [], 20.0, 10.0),                     # no alert: the close is the recovery
    (20.0, [life(12.0, 17.0), life(11.0, 14.0)], 17.0, 7.0),  # the last alert resolved
    (20.0, [life(12.0, 15.0), life(13.0, None)], 20.0, 10.0),  # one never resolved
    (5.0, [], 5.0, 0.0),                        # closed before it opened: never negative
])
def test_an_incident_recovers_when_its_last_alert_resolved_else_at_its_close(
        closed: float | None, alerts: list[AlertRun], recovered: float | None,
        took: float | None) -> None:
    incident = Incident(1, 10.0, closed, alerts)
    assert (incident.recovered, incident.time_to_recover) == (recovered, took)


def test_an_incident_names_each_alert_once_in_firing_order() -> None:
    incident = Incident(1, 0.0, alerts=[AlertRun("B", "p", 1.0), AlertRun("A", "p", 2.0),
                                        AlertRun("B", "q", 3.0)])
    assert incident.names == ["B", "A"]


@pytest.mark.parametrize(("event", "key"), [
    ({"name": "ServiceDown"}, "ServiceDown"),
    ({"name": "ContainerDown", "target": "web"}, "ContainerDown:web"),
    ({"name": "ContainerDown", "target": None}, "ContainerDown"),
    ({"name": "ContainerDown", "target": ""}, "ContainerDown"),
    ({"target": "web"}, ":web"),
    ({}, ""),
])
def test_an_alert_is_keyed_by_its_name_and_target(event: Event, key: str) -> None:
    assert _alert_key(event) == key


def test_a_step_start_reads_every_field_and_masks_the_command() -> None:
    event = {"ts": T + 5, "type": "step_started", "ref": "db.md#slow", "step": "4",
             "command": "PGPASSWORD=hunter2 psql -c 'select 1'", "user": "bo",
             "host": "db1", "lang": "sql", "before": {"p95": 900.0}}
    assert _step(event) == StepRun(ref="db.md#slow", step=4, started=T + 5,
                                   command="PGPASSWORD=**** psql -c 'select 1'",
                                   who="bo@db1", lang="sql", before={"p95": 900.0})


def test_a_bare_step_start_falls_back_on_every_default() -> None:
    assert _step({"ts": 3, "type": "step_started", "step": None, "lang": None,
                  "before": None}) == StepRun(ref="", step=0, started=3.0, command="",
                                              who="?@?", lang="bash", before={})


@pytest.mark.parametrize(("event", "told"), [
    ({"exit": 0, "duration": 1.5, "timed_out": False, "cancelled": False},
     (0, 1.5, None, "exit")),
    ({"exit": None, "duration": None, "cancelled": True, "timed_out": True,
      "signal": "SIGTERM"}, (None, 0.0, "SIGTERM", "cancelled")),
    ({"exit": None, "duration": "2", "timed_out": True}, (None, 2.0, None, "timed out")),
    ({"exit": 3}, (3, 0.0, None, "exit")),
])
def test_a_step_end_sets_exit_duration_signal_and_how_it_ended(
        event: Event, told: tuple[Any, ...]) -> None:
    run = StepRun("a.md#x", 1, 0.0, "uptime", "ana@web1")
    _finish(run, event)
    assert (run.exit, run.duration, run.signal, run.ended) == told


# --- journals with incident events (the dashboard's) ------------------------------------


def test_alert_lives_are_keyed_by_target_and_a_refire_is_a_second_life() -> None:
    events: list[Event] = [
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T, "type": "alert", "name": "ServiceDown", "state": "firing",
         "panel": "health:api"},
        {"ts": T + 1, "type": "alert", "name": "ContainerDown", "state": "firing",
         "panel": "containers", "target": "web"},
        {"ts": T + 2, "type": "alert", "name": "ContainerDown", "state": "firing",
         "panel": "containers", "target": "db"},
        {"ts": T + 3, "type": "alert", "name": "ServiceDown", "state": "firing",
         "panel": "health:api"},  # the same life, said again
        {"ts": T + 4, "type": "alert", "name": "Unknown", "state": "resolved"},
        {"ts": T + 5, "type": "alert", "name": "ServiceDown", "state": "pending"},
        {"ts": T + 8, "type": "alert", "name": "ContainerDown", "state": "resolved",
         "target": "web"},
        {"ts": T + 9, "type": "alert", "name": "ServiceDown", "state": "resolved"},
        {"ts": T + 11, "type": "alert", "name": "ServiceDown", "state": "firing"},
        {"ts": T + 14, "type": "alert", "name": "ServiceDown", "state": "resolved"},
        {"ts": T + 20, "type": "incident", "incident": 1, "state": "closed"},
        {"ts": T + 21, "type": "alert", "name": "DiskFull", "state": "firing",
         "panel": "host"},  # nothing open: no incident owns it
    ]
    (only,) = incidents(events)
    assert only.as_json() == {
        "incident": 1, "opened": T, "closed": T + 20, "recovered": T + 20,
        "time_to_recover_s": 20.0,
        "alerts": [
            {"name": "ServiceDown", "panel": "health:api", "fired": T, "resolved": T + 9,
             "time_to_recover_s": 9.0},
            {"name": "ContainerDown", "panel": "containers", "fired": T + 1,
             "resolved": T + 8, "time_to_recover_s": 7.0},
            {"name": "ContainerDown", "panel": "containers", "fired": T + 2,
             "resolved": None, "time_to_recover_s": None},
            {"name": "ServiceDown", "panel": "", "fired": T + 11, "resolved": T + 14,
             "time_to_recover_s": 3.0},
        ],
        "steps": [],
    }
    assert only.names == ["ServiceDown", "ContainerDown"]
    assert stamps(only) == [
        (0.0, "incident", "opened"), (0.0, "alert", "firing"), (1.0, "alert", "firing"),
        (2.0, "alert", "firing"), (3.0, "alert", "firing"), (4.0, "alert", "resolved"),
        (5.0, "alert", "pending"), (8.0, "alert", "resolved"), (9.0, "alert", "resolved"),
        (11.0, "alert", "firing"), (14.0, "alert", "resolved"),
        (20.0, "incident", "closed")]


def test_an_alert_left_firing_at_a_close_starts_a_new_life_in_the_next_incident() -> None:
    events: list[Event] = [
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T, "type": "alert", "name": "HighLatency", "state": "firing",
         "panel": "traffic:api"},
        {"ts": T + 30, "type": "incident", "incident": 1, "state": "closed"},
        {"ts": T + 100, "type": "incident", "incident": 2, "state": "opened"},
        {"ts": T + 100, "type": "alert", "name": "HighLatency", "state": "firing",
         "panel": "traffic:api"},
        {"ts": T + 160, "type": "alert", "name": "HighLatency", "state": "resolved"},
        {"ts": T + 200, "type": "incident", "incident": 2, "state": "closed"},
    ]
    first, second = incidents(events)
    assert [(a.fired, a.resolved) for a in first.alerts] == [(T, None)]
    assert (first.recovered, first.time_to_recover) == (T + 30, 30.0)
    assert [(a.fired, a.resolved) for a in second.alerts] == [(T + 100, T + 160)]
    assert (second.number, second.opened, second.closed, second.recovered) == (
        2, T + 100, T + 200, T + 160)


def test_a_journal_cut_before_an_opening_still_tells_the_incident() -> None:
    """A journal rotated mid-incident starts at a `joined`: the incident counts from it."""
    events: list[Event] = [
        {"ts": T + 5, "type": "incident", "incident": 3, "state": "joined"},
        {"ts": T + 5, "type": "alert", "name": "DiskFull", "state": "firing",
         "panel": "host", "target": "/var"},
        {"ts": T + 7, "type": "incident", "incident": 3, "state": "joined"},
        {"ts": T + 9, "type": "incident", "state": "opened"},  # no number: incident 0
    ]
    zero, three = incidents(events)
    assert (three.number, three.opened, three.closed, three.names) == (3, T + 5, None,
                                                                       ["DiskFull"])
    assert stamps(three) == [(5.0, "incident", "joined"), (5.0, "alert", "firing"),
                             (7.0, "incident", "joined")]
    assert (zero.number, zero.opened, zero.alerts, stamps(zero)) == (
        0, T + 9, [], [(9.0, "incident", "opened")])


def test_incidents_come_oldest_first_by_number_whatever_the_line_order() -> None:
    events: list[Event] = [
        {"ts": T + 50, "type": "incident", "incident": 2, "state": "opened"},
        {"ts": T + 10, "type": "incident", "incident": 1, "state": "closed"},
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 5, "type": "alert", "name": "ServiceDown", "state": "firing"},
    ]
    found = incidents(events)
    assert [(i.number, i.opened, i.closed, i.names) for i in found] == [
        (1, T, T + 10, ["ServiceDown"]), (2, T + 50, None, [])]


def ownership_story() -> list[Event]:
    """Two incidents, steps inside, between and after them, results arriving late."""
    ref = "svc.md#down"
    return [
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 1, "type": "step_started", "ref": ref, "step": 0, "command": "uptime",
         "user": "ana", "host": "web1"},  # names no incident: the open one owns it
        {"ts": T + 2, "type": "step_output", "ref": ref, "step": 0,
         "tail": ["up 3 days", "PGPASSWORD=hunter2", 42]},
        {"ts": T + 3, "type": "step_started", "ref": ref, "step": 2,
         "command": "systemctl restart api", "user": "ana", "host": "web1", "incident": 1,
         "before": {"HTTP": 503.0}},
        {"ts": T + 4, "type": "step_finished", "ref": "other.md#x", "step": 9, "exit": 0},
        {"ts": T + 10, "type": "incident", "incident": 1, "state": "closed"},
        # after the close, the results of incident 1's steps still belong to it
        {"ts": T + 11, "type": "step_finished", "ref": ref, "step": 0, "exit": 0,
         "duration": 10.0},
        {"ts": T + 12, "type": "step_output", "ref": ref, "step": 2, "tail": None},
        {"ts": T + 13, "type": "step_finished", "ref": ref, "step": 2, "exit": 1,
         "duration": 9.5, "signal": "SIGHUP"},
        {"ts": T + 14, "type": "step_figures", "ref": ref, "step": 2,
         "after": [{"HTTP": 200.0}], "change": ["HTTP 503 → 200", 7]},
        {"ts": T + 15, "type": "recovered", "alerts": ["ServiceDown"], "resolved_at": T + 10},
        {"ts": T + 16, "type": "recovered", "alerts": ["ServiceDown"]},  # open at T + 16: none
        {"ts": T + 17, "type": "step_started", "ref": "a.md#y", "step": 1, "command": "df",
         "user": "bo", "host": "db1"},  # between incidents: nobody's
        {"ts": T + 18, "type": "step_finished", "ref": "a.md#y", "step": 1, "exit": 0,
         "duration": 0.5},
        {"ts": T + 20, "type": "incident", "incident": 2, "state": "opened"},
        {"ts": T + 21, "type": "step_started", "ref": ref, "step": 3, "command": "late",
         "user": "cy", "host": "db2", "incident": 1},  # says it is incident 1's
        {"ts": T + 22, "type": "step_started", "ref": ref, "step": 4, "command": "odd",
         "user": "cy", "host": "db2", "incident": "1"},  # not a number: the open one's
        {"ts": T + 23, "type": "step_started", "ref": ref, "step": 5, "command": "gone",
         "user": "cy", "host": "db2", "incident": 9},  # no such incident: the open one's
        {"ts": T + 24, "type": "step_figures", "ref": ref, "step": 5, "after": None,
         "change": None},
        {"ts": T + 25, "type": "recovered", "alerts": [], "resolved_at": T + 20},
        {"ts": T + 26, "type": "recovered", "alerts": [], "resolved_at": T},
        {"ts": T + 27, "type": "recovered", "alerts": [], "resolved_at": 0},  # T + 27: 2
    ]


def test_each_step_and_its_results_belong_to_the_incident_that_owns_the_step() -> None:
    first, second = incidents(ownership_story())
    assert stamps(first) == [
        (0.0, "incident", "opened"), (1.0, "step_started", "svc.md#down"),
        (2.0, "step_output", "svc.md#down"), (3.0, "step_started", "svc.md#down"),
        (4.0, "step_finished", "other.md#x"), (10.0, "incident", "closed"),
        (11.0, "step_finished", "svc.md#down"), (12.0, "step_output", "svc.md#down"),
        (13.0, "step_finished", "svc.md#down"), (14.0, "step_figures", "svc.md#down"),
        (15.0, "recovered", ""), (21.0, "step_started", "svc.md#down"),
        (26.0, "recovered", "")]
    assert stamps(second) == [
        (20.0, "incident", "opened"), (22.0, "step_started", "svc.md#down"),
        (23.0, "step_started", "svc.md#down"), (24.0, "step_figures", "svc.md#down"),
        (25.0, "recovered", ""), (27.0, "recovered", "")]
    assert first.steps == [
        StepRun(ref="svc.md#down", step=0, started=T + 1, command="uptime", who="ana@web1",
                exit=0, duration=10.0, ended="exit",
                tail=["up 3 days", "PGPASSWORD=****", "42"]),
        StepRun(ref="svc.md#down", step=2, started=T + 3, command="systemctl restart api",
                who="ana@web1", exit=1, duration=9.5, ended="exit", signal="SIGHUP",
                before={"HTTP": 503.0}, after=[{"HTTP": 200.0}],
                change=["HTTP 503 → 200", "7"], tail=[]),
        StepRun(ref="svc.md#down", step=3, started=T + 21, command="late", who="cy@db2")]
    assert second.steps == [
        StepRun(ref="svc.md#down", step=4, started=T + 22, command="odd", who="cy@db2"),
        StepRun(ref="svc.md#down", step=5, started=T + 23, command="gone", who="cy@db2",
                after=[], change=[])]


def test_a_recovery_belongs_to_the_incident_open_at_its_resolved_moment_edges_included(
        ) -> None:
    base: list[Event] = [
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 10, "type": "incident", "incident": 1, "state": "closed"},
        {"ts": T + 20, "type": "incident", "incident": 2, "state": "opened"},
        {"ts": T + 30, "type": "incident", "incident": 2, "state": "closed"},
    ]
    for resolved_at, owner in ((T, 1), (T + 10, 1), (T + 20, 2), (T + 30, 2),
                               (T - 1, None), (T + 15, None), (T + 31, None)):
        found = incidents([*base, {"ts": T + 40, "type": "recovered",
                                   "resolved_at": resolved_at}])
        owners = [i.number for i in found if i.events[-1]["type"] == "recovered"]
        assert owners == ([] if owner is None else [owner]), resolved_at


def test_a_step_finishing_under_another_number_type_is_left_unfinished() -> None:
    """The key is the step's own (ref, number): a string number is not the same step."""
    (only,) = incidents([
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 1, "type": "step_started", "ref": "a.md#x", "step": 1, "command": "ls",
         "user": "ana", "host": "web1"},
        {"ts": T + 2, "type": "step_finished", "ref": "a.md#x", "step": "1", "exit": 0},
        {"ts": T + 3, "type": "step_output", "ref": "a.md#x", "step": "1", "tail": ["x"]},
        {"ts": T + 4, "type": "step_figures", "ref": "a.md#x", "step": "1",
         "change": ["y"]},
    ])
    assert only.steps == [StepRun(ref="a.md#x", step=1, started=T + 1, command="ls",
                                  who="ana@web1")]


# --- journals without incident events (older ones, `runbooks run` alone) ----------------


def legacy() -> list[Event]:
    return [
        {"ts": T - 10, "type": "step_started", "ref": "a.md#x", "step": 1, "command": "ls",
         "user": "ana", "host": "web1"},  # before anything fired: no incident
        {"ts": T - 9, "type": "alert", "name": "ServiceDown", "state": "resolved"},
        {"ts": T, "type": "alert", "name": "ServiceDown", "state": "firing",
         "panel": "health:api"},
        {"ts": T + 1, "type": "alert", "name": "ContainerDown", "state": "firing",
         "panel": "containers", "target": "web"},
        {"ts": T + 2, "type": "alert", "name": "ServiceDown", "state": "firing"},  # again
        {"ts": T + 3, "type": "step_started", "ref": "svc.md#down", "step": 2,
         "command": "docker start web", "user": "bo", "host": "web2", "lang": "bash"},
        {"ts": T + 4, "type": "step_finished", "ref": "svc.md#down", "step": 2, "exit": 0,
         "duration": 0.75},
        {"ts": T + 5, "type": "alert", "name": "ContainerDown", "state": "resolved"},
        {"ts": T + 6, "type": "alert", "name": "ServiceDown", "state": "resolved"},
        {"ts": T + 7, "type": "recovered", "alerts": ["ServiceDown"]},
        {"ts": T + 8, "type": "alert", "name": "ContainerDown", "state": "resolved",
         "target": "web"},
        {"ts": T + 9, "type": "step_finished", "ref": "a.md#x", "step": 1, "exit": 2,
         "duration": 19.0, "cancelled": True},
        {"ts": T + 60, "type": "alert", "name": "DiskFull", "state": "firing",
         "target": "/var"},
        {"ts": T + 61, "type": "step_started", "ref": "disk.md#full", "step": 0,
         "command": "df -h", "user": "cy", "host": "db1"},
        {"ts": T + 62, "type": "step_finished", "ref": "disk.md#full", "step": 0,
         "exit": 0, "duration": 0.25, "timed_out": True},
    ]


def test_a_legacy_incident_opens_at_a_firing_alert_and_closes_once_all_resolved() -> None:
    first, second = incidents(legacy())
    assert first.as_json() == {
        "incident": 1, "opened": T, "closed": T + 8, "recovered": T + 8,
        "time_to_recover_s": 8.0,
        "alerts": [
            {"name": "ServiceDown", "panel": "health:api", "fired": T, "resolved": T + 6,
             "time_to_recover_s": 6.0},
            {"name": "ContainerDown", "panel": "containers", "fired": T + 1,
             "resolved": T + 8, "time_to_recover_s": 7.0},
        ],
        "steps": [{"ref": "svc.md#down", "step": 2, "started": T + 3, "who": "bo@web2",
                   "command": "docker start web", "exit": 0, "duration_s": 0.75,
                   "ended": "exit", "signal": None, "before": {}, "after": [],
                   "change": []}],
    }
    assert stamps(first) == [
        (0.0, "alert", "firing"), (1.0, "alert", "firing"), (2.0, "alert", "firing"),
        (3.0, "step_started", "svc.md#down"), (4.0, "step_finished", "svc.md#down"),
        (5.0, "alert", "resolved"), (6.0, "alert", "resolved"), (7.0, "recovered", ""),
        (8.0, "alert", "resolved")]
    assert (second.number, second.opened, second.closed, second.names) == (
        2, T + 60, None, ["DiskFull"])
    assert second.steps == [StepRun(ref="disk.md#full", step=0, started=T + 61,
                                    command="df -h", who="cy@db1", exit=0, duration=0.25,
                                    ended="timed out")]
    assert stamps(second) == [(60.0, "alert", "firing"), (61.0, "step_started", "disk.md#full"),
                              (62.0, "step_finished", "disk.md#full")]


def test_a_legacy_recovered_event_resolves_what_it_names_and_closes_when_none_fire() -> None:
    """A journal with no resolved events (the process ended first): the recovery watch's
    confirmation is the end, as the Markdown report reads it."""
    alone = [{"ts": T, "type": "alert", "name": "ServiceDown", "state": "firing",
              "panel": "health:api"},
             {"ts": T + 15, "type": "recovered", "alerts": ["ServiceDown"],
              "panel": "health:api", "resolved_at": T + 12}]
    (only,) = incidents(alone)
    assert (only.closed, only.recovered, only.time_to_recover) == (T + 12, T + 12, 12.0)
    assert only.alerts == [AlertRun("ServiceDown", "health:api", T, T + 12)]
    two = [*alone[:1], {"ts": T + 1, "type": "alert", "name": "DiskFull", "state": "firing",
                        "panel": "disk"}, *alone[1:]]
    (still,) = incidents(two)
    assert (still.closed, [a.resolved for a in still.alerts]) == (None, [T + 12, None])
    by_panel = [*two, {"ts": T + 20, "type": "recovered", "alerts": [], "panel": "disk"}]
    (done,) = incidents(by_panel)
    assert (done.closed, [a.resolved for a in done.alerts]) == (T + 20, [T + 12, T + 20])
    other_panel = [*two, {"ts": T + 20, "type": "recovered", "alerts": [], "panel": "redis"}]
    assert incidents(other_panel)[0].closed is None


def test_a_legacy_journal_with_nothing_firing_has_no_incident() -> None:
    assert incidents([e for e in legacy() if e.get("state") != "firing"]) == []
    assert incidents([]) == []


def test_a_journal_written_by_the_writer_reads_back_as_the_same_incidents(
        tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    # opened long ago: the writer stamps the other events with the clock's now
    journal.append({"ts": 1.0, "type": "incident", "incident": 1, "state": "opened"})
    journal.alert("ServiceDown", "firing", "health:api")
    journal.step_started("svc.md#down", 2, "curl -fsS http://127.0.0.1/readyz",
                         incident=1)
    journal.step_output("svc.md#down", 2, ["HTTP 200"])
    journal.step_finished("svc.md#down", 2, 0, 0.5)
    journal.alert("ServiceDown", "resolved", "health:api")
    events = read_journal(tmp_path / "j.jsonl").events
    (only,) = incidents(events)
    user, host = events[2]["user"], events[2]["host"]
    assert [(a.name, a.panel, a.resolved is not None) for a in only.alerts] == [
        ("ServiceDown", "health:api", True)]
    assert only.steps == [StepRun(ref="svc.md#down", step=2, started=events[2]["ts"],
                                  command="curl -fsS http://127.0.0.1/readyz",
                                  who=f"{user}@{host}", exit=0, duration=0.5, ended="exit",
                                  tail=["HTTP 200"])]


def test_what_comes_before_the_first_incident_event_belongs_to_none() -> None:
    (only,) = incidents([
        {"ts": T, "type": "alert", "name": "ServiceDown", "state": "firing"},
        {"ts": T + 0.5, "type": "alert", "name": "ServiceDown", "state": "resolved"},
        {"ts": T + 1, "type": "step_started", "ref": "a.md#x", "step": 1, "command": "ls",
         "user": "ana", "host": "web1"},
        {"ts": T + 2, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 3, "type": "alert", "state": "firing"},  # no name, no panel
    ])
    assert (only.alerts, only.steps) == ([AlertRun("", "", T + 3)], [])
    assert stamps(only) == [(2.0, "incident", "opened"), (3.0, "alert", "firing")]


def test_a_number_opened_again_starts_that_incident_afresh() -> None:
    """A journal whose numbering restarted (a new state dir, two files joined): the later
    opening is the incident told under that number, with its own alerts only."""
    (only,) = incidents([
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 1, "type": "alert", "name": "ServiceDown", "state": "firing"},
        {"ts": T + 50, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 51, "type": "alert", "name": "DiskFull", "state": "firing"},
    ])
    assert (only.number, only.opened, only.names) == (1, T + 50, ["DiskFull"])
    assert stamps(only) == [(50.0, "incident", "opened"), (51.0, "alert", "firing")]


def test_a_step_without_a_ref_keeps_its_results_in_its_own_incident() -> None:
    first, second = incidents([
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 1, "type": "step_started", "step": 1, "command": "ls", "user": "ana",
         "host": "web1"},
        {"ts": T + 2, "type": "incident", "incident": 1, "state": "closed"},
        {"ts": T + 3, "type": "incident", "incident": 2, "state": "opened"},
        {"ts": T + 4, "type": "step_output", "step": 1, "tail": ["x"]},
        {"ts": T + 5, "type": "step_figures", "step": 1, "change": ["y"]},
    ])
    assert [e["ts"] - T for e in first.events] == [0.0, 1.0, 2.0, 4.0, 5.0]
    assert [e["ts"] - T for e in second.events] == [3.0]
    assert first.steps == [StepRun(ref="", step=1, started=T + 1, command="ls",
                                   who="ana@web1")]


def test_step_zero_gets_its_output_figures_and_end() -> None:
    (only,) = incidents([
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 1, "type": "step_started", "ref": "a.md#x", "step": 0, "command": "ls",
         "user": "ana", "host": "web1"},
        {"ts": T + 2, "type": "step_output", "ref": "a.md#x", "step": 0, "tail": ["a"]},
        {"ts": T + 3, "type": "step_finished", "ref": "a.md#x", "step": 0, "exit": 0,
         "duration": 1.0},
        {"ts": T + 4, "type": "step_figures", "ref": "a.md#x", "step": 0,
         "after": [{"p95": 40.0}], "change": ["p95 900 ms → 40 ms"]},
    ])
    assert only.steps == [StepRun(ref="a.md#x", step=0, started=T + 1, command="ls",
                                  who="ana@web1", exit=0, duration=1.0, ended="exit",
                                  after=[{"p95": 40.0}], change=["p95 900 ms → 40 ms"],
                                  tail=["a"])]


def test_a_legacy_step_with_output_and_no_end_did_not_finish() -> None:
    (only,) = incidents([
        {"ts": T, "type": "alert", "state": "firing"},  # no name, no panel
        {"ts": T + 1, "type": "step_started", "ref": "a.md#x", "step": 1, "command": "ls",
         "user": "ana", "host": "web1"},
        {"ts": T + 2, "type": "step_output", "ref": "a.md#x", "step": 1, "tail": ["a"]},
    ])
    assert only.alerts == [AlertRun("", "", T)]
    assert only.steps == [StepRun(ref="a.md#x", step=1, started=T + 1, command="ls",
                                  who="ana@web1")]
