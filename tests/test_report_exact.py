"""`opsdash report`'s Markdown, exactly (runbooks/report.py): both the legacy grouping
(journals without incident events) and the recorded one, every result wording, fence,
figure line, output tail and default, as whole texts. Plain event lists in: milliseconds
per test, so the mutation runner can afford them per mutant."""

from __future__ import annotations

from typing import Any

import pytest

from runbooks.incidents import incidents
from runbooks.report import (
    Incident,
    _recovered_at,
    _ts,
    group_incidents,
    render_record,
    render_report,
)
from tests.timezone import utc  # noqa: F401 - fixture

T = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
Event = dict[str, Any]
EMPTY = "# Incident timeline\n\nNothing was detected and no step was run.\n"


@pytest.mark.parametrize(("event", "seconds"), [
    ({}, 0.0), ({"ts": 7}, 7.0), ({"ts": "bad"}, 0.0), ({"ts": None}, 0.0),
])
def test_an_event_time_is_its_ts_or_zero(event: Event, seconds: float) -> None:
    assert _ts(event) == seconds


@pytest.mark.parametrize(("event", "seconds"), [
    ({"ts": 9, "resolved_at": 4}, 4.0), ({"ts": 9}, 9.0), ({"ts": 9, "resolved_at": None}, 9.0),
    ({"ts": 9, "resolved_at": "soon"}, 9.0),
])
def test_a_recovery_counts_from_its_first_resolved_poll(event: Event, seconds: float) -> None:
    assert _recovered_at(event) == seconds


def test_an_empty_journal_says_nothing_happened() -> None:
    assert render_report([]) == EMPTY
    assert render_record([]) == EMPTY


# --- the legacy grouping --------------------------------------------------------------


def test_only_a_firing_alert_or_a_bad_status_opens_an_incident() -> None:
    events: list[Event] = [
        {"ts": T, "type": "alert", "name": "ServiceDown", "state": "pending"},
        {"ts": T + 1, "type": "status", "panel": "api", "from": "crit", "to": "ok"},
        {"ts": T + 2, "type": "alert", "name": "ServiceDown", "state": "resolved"},
        {"ts": T + 3, "type": "recovered", "alerts": ["ServiceDown"]},
        {"ts": T + 4, "type": "alert", "name": "DiskFull", "state": "firing"},
    ]
    assert group_incidents(events) == [
        Incident(events=[events[4]], detected=T + 4, recovered=None, alerts=["DiskFull"],
                 manual=False)]


@pytest.mark.parametrize("kind", ["step_started", "step_output", "step_finished"])
def test_any_step_event_with_nothing_open_is_a_group_of_its_own(kind: str) -> None:
    event = {"ts": T, "type": kind, "ref": "a.md#x", "step": 1}
    assert group_incidents([event]) == [
        Incident(events=[event], detected=None, recovered=None, alerts=[], manual=True)]


def test_an_incident_closes_when_its_own_panels_are_ok_and_nothing_fires() -> None:
    events: list[Event] = [
        {"ts": T, "type": "status", "panel": "host", "from": "ok", "to": "crit",
         "alerts": ["DiskFull"]},
        {"ts": T + 1, "type": "alert", "state": "firing"},  # no name
        {"ts": T + 2, "type": "status", "panel": "api", "from": "warn", "to": "ok"},
        {"ts": T + 3, "type": "alert", "state": "resolved"},
        {"ts": T + 4, "type": "status", "panel": "host", "from": "crit", "to": "ok"},
    ]
    assert group_incidents(events) == [
        Incident(events=events, detected=T, recovered=T + 4, alerts=["DiskFull", ""])]


def test_the_last_alert_resolving_closes_an_incident() -> None:
    events: list[Event] = [
        {"ts": T, "type": "alert", "name": "HighLatency", "state": "firing"},
        {"ts": T + 5, "type": "alert", "name": "HighLatency", "state": "resolved"},
    ]
    assert group_incidents(events) == [
        Incident(events=events, detected=T, recovered=T + 5, alerts=["HighLatency"])]


def legacy_story() -> list[Event]:
    ref = "db.md#q"
    who = {"user": "bo", "host": "db1"}
    return [
        {"type": "step_started", "ref": "a.md#x", "step": 1},  # no time, command, who
        {"ts": T, "type": "status", "panel": "api", "to": "crit", "alerts": ["ServiceDown"]},
        {"ts": T + 10, "type": "step_started", "ref": ref, "step": 1, "lang": "sql",
         "command": "select 1;\nselect 2;", **who},
        {"ts": T + 11, "type": "step_started", "ref": "web.md#q", "step": 1,
         "command": "echo ```", **who},  # same number, another runbook, interleaved
        {"ts": T + 12, "type": "step_figures", "ref": "web.md#q", "step": 1, "change": ["x"]},
        {"ts": T + 13, "type": "step_finished", "ref": "web.md#q", "step": 1, "exit": 0},
        {"ts": T + 14, "type": "step_finished", "ref": ref, "step": 1, "exit": 1,
         "duration": 2},
        {"ts": T + 15, "type": "step_started", "ref": ref, "step": 2, "command": "sleep 9",
         **who},
        {"ts": T + 16, "type": "step_finished", "ref": ref, "step": 2, "exit": None,
         "duration": 3, "cancelled": True},
        {"ts": T + 17, "type": "step_started", "ref": ref, "step": 3, "command": "sleep 9",
         **who},
        {"ts": T + 18, "type": "step_finished", "ref": ref, "step": 3, "exit": None,
         "timed_out": True},
        {"ts": T + 19, "type": "step_started", "ref": ref, "step": 4, "command": "seq 12",
         **who},
        {"ts": T + 20, "type": "step_output", "ref": ref, "step": 4,
         "tail": [str(n) for n in range(1, 13)]},
        {"ts": T + 21, "type": "step_finished", "ref": ref, "step": 4, "exit": 0,
         "duration": 0.5},
        {"ts": T + 30, "type": "recovered", "alerts": ["ServiceDown", "HighLatency"],
         "resolved_at": T + 28},
        {"ts": T + 40, "type": "status", "panel": "api", "from": "crit", "to": "ok"},
        {"ts": T + 100, "type": "status", "panel": "host", "from": "ok", "to": "warn",
         "alerts": []},
        {"ts": T + 110, "type": "recovered", "alerts": []},
        # an alert name ending in X: the trailing-newline strip must not eat it
        {"ts": T + 200, "type": "alert", "name": "BackupX", "state": "firing"},
        {"ts": T + 260, "type": "recovered", "alerts": ["BackupX"]},
    ]


def test_the_legacy_report_tells_every_result_fence_and_output_exactly(
        utc: None) -> None:  # noqa: F811
    assert render_report(legacy_story()).split("\n") == [
        "# Incident timeline",
        "",
        "## Steps outside an incident (1970-01-01 00:00:00)",
        "",
        "### Timeline",
        "",
        "- 1970-01-01 00:00:00 step 1 of `a.md#x` by ?@?: **did not finish** "
        "(no result recorded)",
        "  ```bash",
        "  ",
        "  ```",
        "",
        "## Incident 1: ServiceDown",
        "",
        "- **Detected:** 2023-11-14 22:13:20",
        "- **Recovered:** 2023-11-14 22:13:48",
        "- **Time to recover:** 28s",
        "- **Time to first step:** 10s",
        "- **Steps run:** 5",
        "",
        "### Timeline",
        "",
        "- 2023-11-14 22:13:20 panel **api** start → crit",
        "- 2023-11-14 22:13:30 step 1 of `db.md#q` by bo@db1: exit 1 in 2.0s",
        "  ```sql",
        "  select 1;",
        "  select 2;",
        "  ```",
        "- 2023-11-14 22:13:31 step 1 of `web.md#q` by bo@db1: exit 0 in 0.0s",
        "  ````bash",
        "  echo ```",
        "  ````",
        "- 2023-11-14 22:13:35 step 2 of `db.md#q` by bo@db1: cancelled after 3.0s",
        "  ```bash",
        "  sleep 9",
        "  ```",
        "- 2023-11-14 22:13:37 step 3 of `db.md#q` by bo@db1: timed out after 0.0s",
        "  ```bash",
        "  sleep 9",
        "  ```",
        "- 2023-11-14 22:13:39 step 4 of `db.md#q` by bo@db1: exit 0 in 0.5s",
        "  ```bash",
        "  seq 12",
        "  ```",
        "  Output (last lines):",
        "  ```text",
        *[f"  {n}" for n in range(3, 13)],
        "  ```",
        "- 2023-11-14 22:13:50 **recovered**: ServiceDown, HighLatency",
        "",
        "## Incident 2: status change",
        "",
        "- **Detected:** 2023-11-14 22:15:00",
        "- **Recovered:** 2023-11-14 22:15:10",
        "- **Time to recover:** 10s",
        "- **Steps run:** 0",
        "",
        "### Timeline",
        "",
        "- 2023-11-14 22:15:00 panel **host** ok → warn",
        "- 2023-11-14 22:15:10 **recovered**",
        "",
        "## Incident 3: BackupX",
        "",
        "- **Detected:** 2023-11-14 22:16:40",
        "- **Recovered:** 2023-11-14 22:17:40",
        "- **Time to recover:** 1m 00s",
        "- **Steps run:** 0",
        "",
        "### Timeline",
        "",
        "- 2023-11-14 22:16:40 alert **BackupX** firing",
        "- 2023-11-14 22:17:40 **recovered**: BackupX",
        "",
    ]


# --- the recorded grouping (journals with incident events) ------------------------------


def recorded_story() -> list[Event]:
    who = {"user": "bo", "host": "db1", "incident": 1}
    return [
        {"ts": T, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T + 5, "type": "step_started", "step": 0, "lang": "sql",  # no ref
         "command": "select 1;\nselect '```'", "before": {"HTTP": 503.0}, **who},
        {"ts": T + 6, "type": "step_finished", "ref": "", "step": 0, "exit": 0,
         "duration": 0},
        {"ts": T + 6.5, "type": "step_output", "ref": "", "step": 0,
         "tail": [str(n) for n in range(1, 13)]},
        {"ts": T + 7, "type": "step_figures", "ref": "", "step": 0,
         "after": [{"HTTP": 503.0}], "change": []},
        {"ts": T + 8, "type": "step_started", "ref": "ops.md#a", "step": 1,
         "command": "systemctl restart api", **who},
        {"ts": T + 9, "type": "step_finished", "ref": "ops.md#a", "step": 1, "exit": 2,
         "duration": 1.25},
        {"ts": T + 9.5, "type": "step_figures", "ref": "ops.md#a", "step": 1,
         "after": [{"HTTP": 200.0}], "change": ["HTTP 503 → 200", "p95 900 ms → 40 ms"]},
        {"ts": T + 10, "type": "step_started", "ref": "ops.md#a", "step": 2,
         "command": "sleep 9", **who},
        {"ts": T + 11, "type": "step_finished", "ref": "ops.md#a", "step": 2, "exit": None,
         "timed_out": True},
        {"ts": T + 12, "type": "step_started", "ref": "ops.md#a", "step": 3,
         "command": "uptime", "before": {"HTTP": 200.0}, **who},  # no result, no after
        {"ts": T + 20, "type": "incident", "incident": 1, "state": "closed"},
        {"ts": T + 100, "type": "incident", "incident": 2, "state": "opened"},
        {"ts": T + 100, "type": "alert", "name": "DiskFull", "state": "firing",
         "panel": "host"},
        {"ts": T + 130, "type": "recovered", "alerts": ["BackupX"]},
    ]


RECORDED = [
    "# Incident timeline",
    "",
    "## Incident 1: status change",
    "",
    "- **Detected:** 2023-11-14 22:13:20",
    "- **Recovered:** 2023-11-14 22:13:40",
    "- **Time to recover:** 20s",
    "- **Time to first step:** 5.0s",
    "- **Steps run:** 4",
    "",
    "### Timeline",
    "",
    "- 2023-11-14 22:13:25 step 0 of `` by bo@db1: exit 0 in 0.0s",
    "  ````sql",
    "  select 1;",
    "  select '```'",
    "  ````",
    "  Figures: no key figure moved",
    "  Output (last lines):",
    "  ```text",
    *[f"  {n}" for n in range(3, 13)],
    "  ```",
    "- 2023-11-14 22:13:28 step 1 of `ops.md#a` by bo@db1: exit 2 in 1.2s",
    "  ```bash",
    "  systemctl restart api",
    "  ```",
    "  Figures: HTTP 503 → 200 · p95 900 ms → 40 ms",
    "- 2023-11-14 22:13:30 step 2 of `ops.md#a` by bo@db1: timed out after 0.0s",
    "  ```bash",
    "  sleep 9",
    "  ```",
    "- 2023-11-14 22:13:32 step 3 of `ops.md#a` by bo@db1: **did not finish** "
    "(no result recorded)",
    "  ```bash",
    "  uptime",
    "  ```",
    "- 2023-11-14 22:13:40 incident closed: every alert stayed resolved",
    "",
    "## Incident 2: DiskFull",
    "",
    "- **Detected:** 2023-11-14 22:15:00",
    "- **Recovered:** not yet (still open)",
    "- Alert **DiskFull** (host): fired 2023-11-14 22:15:00, not resolved",
    "- **Steps run:** 0",
    "",
    "### Timeline",
    "",
    "- 2023-11-14 22:15:00 alert **DiskFull** firing (host)",
    "- 2023-11-14 22:15:30 **recovered**: BackupX",
    "",
]


def test_the_recorded_report_tells_every_result_figure_and_output_exactly(
        utc: None) -> None:  # noqa: F811
    assert render_record(incidents(recorded_story())).split("\n") == RECORDED
    assert render_report(recorded_story()).split("\n") == RECORDED


def test_interleaved_steps_of_one_runbook_each_get_their_own_result(utc: None) -> None:  # noqa: F811
    ref = "db.md#q"
    events: list[Event] = [
        {"ts": T, "type": "step_started", "ref": ref, "step": 1, "command": "a",
         "user": "bo", "host": "db1"},
        {"ts": T + 1, "type": "step_started", "ref": ref, "step": 2, "command": "b",
         "user": "bo", "host": "db1"},
        {"ts": T + 2, "type": "step_finished", "ref": ref, "step": 1, "exit": 3,
         "duration": 2.0},
        {"ts": T + 3, "type": "step_finished", "ref": ref, "step": 2, "exit": None,
         "cancelled": True},
    ]
    assert [line for line in render_report(events).split("\n") if line.startswith("- ")] == [
        "- 2023-11-14 22:13:20 step 1 of `db.md#q` by bo@db1: exit 3 in 2.0s",
        "- 2023-11-14 22:13:21 step 2 of `db.md#q` by bo@db1: cancelled after 0.0s"]
