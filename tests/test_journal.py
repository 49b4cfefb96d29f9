"""The journal survives a killed writer and never holds a secret; `report` reads it back."""

from __future__ import annotations

import getpass
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common.durations import format_duration
from runbooks.incidents import incidents
from runbooks.journal import Journal, default_journal_path, read_journal
from runbooks.report import clock, render_record, render_report
from tests.timezone import utc  # noqa: F401 - fixture
from tui.cli import main

SECRET = "hunter2-Pass"


def write_runbook(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ops.md").write_text(body)
    return folder


def wait_for(path: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_a_step_killed_with_sigkill_leaves_a_readable_journal(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    journal = tmp_path / "journal.jsonl"
    books = write_runbook(tmp_path / "books",
                          f"## Hang\n\n```bash\necho $$ > {pidfile}; echo started; "
                          "sleep 300\n```\n")
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "runbooks", "run", "ops.md#hang",
                             "--step", "1", "--runbooks", str(books), "--journal", str(journal),
                             "--yes"],  # writing the pid file changes the system
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pgid = int(wait_for(pidfile))
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        os.killpg(pgid, signal.SIGKILL)  # the step outlives a SIGKILLed opsdash; clean up
    # the writer may die mid-line at any moment: simulate the worst case as well
    with open(journal, "ab") as f:
        f.write(b'{"ts": 1, "type": "step_fin')
    read = read_journal(journal)
    started = [e for e in read.events if e["type"] == "step_started"]
    assert len(started) == 1
    assert started[0]["ref"] == "ops.md#hang" and started[0]["step"] == 1
    assert "sleep 300" in started[0]["command"]
    assert (started[0]["user"], started[0]["host"]) == (getpass.getuser(), socket.gethostname())
    assert started[0]["pid"] == proc.pid  # the opsdash process that was killed
    assert read.bad_lines == ["line 2: cut short (the writer was killed mid-write?)"]
    # the next writer starts a fresh line instead of gluing onto the broken one
    Journal(journal).recovered(["ServiceDown"])
    read = read_journal(journal)
    assert [e["type"] for e in read.events] == ["step_started", "recovered"]
    assert read.bad_lines == ["line 2: not valid JSON"]
    report = render_report(read.events)
    assert "did not finish" in report


def test_a_dsn_password_never_reaches_the_journal_the_report_or_the_screen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / "journal.jsonl"
    books = write_runbook(tmp_path / "books",
                          "## Show\n\n```bash\necho \"connecting to $DATABASE_URL\"\n```\n")
    dsn = f"postgresql://app:{SECRET}@127.0.0.1:5432/app"
    rc = main(["runbooks", "run", "ops.md#show", "--step", "1", "--runbooks", str(books),
               "--journal", str(journal), "--var", f"DATABASE_URL={dsn}"])
    assert rc == 0
    screen = capsys.readouterr()
    assert "connecting to postgresql://app:****@127.0.0.1:5432/app" in screen.out
    assert SECRET not in screen.out + screen.err
    assert SECRET not in journal.read_text()
    assert main(["report", "--journal", str(journal)]) == 0
    report = capsys.readouterr().out
    assert "ops.md#show" in report and "postgresql://app:****@127.0.0.1" in report
    assert SECRET not in report


@pytest.mark.parametrize("text", [
    f"psql 'host=db user=app password={SECRET}'",
    f"curl -H 'Authorization: Bearer {SECRET}' https://api",
    f"redis-cli -a {SECRET} ping",
    f"API_TOKEN={SECRET} ./deploy.sh",
    f"PGPASSWORD={SECRET} psql -h db",
    f"mytool --password {SECRET}",
    f"redis://:{SECRET}@cache:6379/0",
])
def test_every_kind_of_secret_is_masked_in_the_journal(tmp_path: Path, text: str) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.step_started("x.md#y", 1, text)
    raw = (tmp_path / "j.jsonl").read_text()
    assert SECRET not in raw and "****" in json.loads(raw)["command"]


def test_the_default_journal_lives_in_the_state_dir(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    books = write_runbook(tmp_path / "books", "## Up\n\n1. `uptime -p`\n")
    assert default_journal_path() == tmp_path / "state" / "opsdash" / "journal.jsonl"
    assert main(["runbooks", "run", "ops.md#up", "--step", "1", "--runbooks", str(books)]) == 0
    events = read_journal(default_journal_path()).events
    assert [e["type"] for e in events] == ["step_started", "step_output", "step_finished"]
    assert events[-1]["exit"] == 0


def test_the_report_tells_the_incident_story(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    t0 = 1_700_000_000.0
    journal.append({"ts": t0, "type": "status", "panel": "api", "from": "ok", "to": "crit",
                    "alerts": ["ServiceDown"]})
    journal.append({"ts": t0 + 60, "type": "step_started", "ref": "service.md#service-down",
                    "step": 5, "command": "docker start api", "user": "ana", "host": "web1"})
    journal.append({"ts": t0 + 62, "type": "step_finished", "ref": "service.md#service-down",
                    "step": 5, "exit": 0, "duration": 1.5})
    journal.append({"ts": t0 + 150, "type": "status", "panel": "api", "from": "crit",
                    "to": "ok", "alerts": []})
    journal.append({"ts": t0 + 4000, "type": "alert", "name": "DiskFull", "state": "firing"})
    report = render_report(read_journal(path).events)
    assert "## Incident 1: ServiceDown" in report
    assert "**Time to recover:** 2m 30s" in report
    assert "**Time to first step:** 1m 00s" in report
    assert "step 5 of `service.md#service-down` by ana@web1: exit 0 in 1.5s" in report
    assert "## Incident 2: DiskFull" in report and "**Recovered:** not yet" in report


def test_recovery_time_counts_to_the_first_resolved_poll_as_the_pane_does(
        tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    t0 = 1_700_000_000.0
    journal.append({"ts": t0, "type": "alert", "name": "ServiceDown", "state": "firing",
                    "panel": "health:api"})
    # confirmed two polls later, written at t0 + 14; first seen resolved at t0 + 12
    journal.append({"ts": t0 + 14, "type": "recovered", "alerts": ["ServiceDown"],
                    "panel": "health:api", "resolved_at": t0 + 12})
    report = render_report(read_journal(path).events)
    assert "**Time to recover:** 12s" in report


def test_report_without_a_journal_says_so(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--journal", str(tmp_path / "none.jsonl")]) == 1
    assert "no journal at" in capsys.readouterr().err
    (tmp_path / "empty.jsonl").write_text("")
    assert main(["report", "--journal", str(tmp_path / "empty.jsonl")]) == 1
    assert "is empty" in capsys.readouterr().err


def test_every_append_is_fsynced_after_its_write_on_the_journal_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGKILL leaves the page cache intact; only fsync survives a power cut or a
    kernel panic mid-incident. So: each event written, then fsynced, on the journal's fd,
    before append() returns."""
    path = tmp_path / "j.jsonl"
    synced: list[tuple[int, bytes]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        # the file's content at this moment is what this fsync makes durable
        synced.append((os.fstat(fd).st_ino, path.read_bytes()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    journal = Journal(path)
    journal.alert("ServiceDown", "firing", "health:api")
    journal.recovered(["ServiceDown"])
    monkeypatch.undo()

    inode = path.stat().st_ino
    first, second = path.read_bytes().splitlines(keepends=True)
    # one fsync per event, on the journal file, each after that event was written
    assert synced == [(inode, first), (inode, first + second)]
    assert json.loads(first)["name"] == "ServiceDown"
    assert json.loads(second)["type"] == "recovered"


def test_a_step_run_twice_reports_each_run_with_its_own_result(tmp_path: Path) -> None:
    """Re-running a check after the fix is the usual story; and a run killed mid-way
    (no result) followed by a retry must not borrow the retry's result."""
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    t0 = 1_700_000_000.0
    ref = "service.md#service-down"
    journal.append({"ts": t0, "type": "alert", "name": "ServiceDown", "state": "firing"})
    for offset, exit_code, duration in ((10, 1, 1.0), (20, None, None), (30, 0, 2.0)):
        journal.append({"ts": t0 + offset, "type": "step_started", "ref": ref, "step": 2,
                        "command": "curl -fsS http://127.0.0.1/readyz", "user": "ana",
                        "host": "web1"})
        journal.append({"ts": t0 + offset + 0.5, "type": "step_output", "ref": ref,
                        "step": 2, "tail": [f"run at +{offset}"]})
        if exit_code is not None:
            journal.append({"ts": t0 + offset + 1, "type": "step_finished", "ref": ref,
                            "step": 2, "exit": exit_code, "duration": duration})

    report = render_report(read_journal(path).events)

    results = [line.split(": ", 1)[1] for line in report.splitlines()
               if line.startswith("- ") and f" step 2 of `{ref}` by ana@web1" in line]
    assert results == ["exit 1 in 1.0s", "**did not finish** (no result recorded)",
                       "exit 0 in 2.0s"]
    outputs = [line.strip() for line in report.splitlines() if "run at +" in line]
    assert outputs == ["run at +10", "run at +20", "run at +30"]
    assert "**Steps run:** 3" in report


def test_every_event_is_written_with_exactly_the_documented_fields(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal is read back by `report`, by replay and by people with jq: each event
    type's fields are a contract, written out here by hand."""
    monkeypatch.setattr("runbooks.journal.time.time", lambda: 1_700_000_000.5)
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    long_line = "x" * 600
    journal.status("health:api", "ok", "crit", ["ServiceDown"])
    journal.alert("ServiceDown", "firing")
    journal.step_started("service.md#down", 2, "systemctl status café")
    journal.step_output("service.md#down", 2, [f"line {i}" for i in range(25)] + [long_line])
    journal.step_finished("service.md#down", 2, 0, 1.23456)
    journal.recovered(["ServiceDown"])
    journal.recovered(["ServiceDown"], "health:api", resolved_at=1_700_000_100.0)

    raw = path.read_bytes()
    events = [json.loads(line) for line in raw.splitlines()]
    common = {"ts": 1_700_000_000.5}
    who = {"user": getpass.getuser(), "host": socket.gethostname(), "pid": os.getpid()}
    assert events == [
        {**common, "type": "status", "panel": "health:api", "from": "ok", "to": "crit",
         "alerts": ["ServiceDown"]},
        {**common, "type": "alert", "name": "ServiceDown", "state": "firing", "panel": "",
         "detail": ""},
        {**common, "type": "step_started", "ref": "service.md#down", "step": 2, "title": "",
         "lang": "bash", "command": "systemctl status café", **who},
        {**common, "type": "step_output", "ref": "service.md#down", "step": 2,
         "tail": [f"line {i}" for i in range(6, 25)] + ["x" * 500]},
        {**common, "type": "step_finished", "ref": "service.md#down", "step": 2, "exit": 0,
         "duration": 1.235, "timed_out": False, "cancelled": False},
        {**common, "type": "recovered", "alerts": ["ServiceDown"], "panel": ""},
        {**common, "type": "recovered", "alerts": ["ServiceDown"], "panel": "health:api",
         "resolved_at": 1_700_000_100.0},
    ]
    assert "café".encode() in raw  # UTF-8 as is, readable with grep, not \\u escapes
    # step output and commands may hold what a secret pattern missed: owner-only
    assert path.stat().st_mode & 0o777 == 0o600


def test_reading_skips_blank_lines_and_non_events_and_reads_on(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"ts": 1, "type": "alert"}\n\n[1, 2]\n{"ts": 2}\nnot json\n'
                    '{"ts": 3, "type": "recovered"}\n\n')

    read = read_journal(path)

    assert [e["ts"] for e in read.events] == [1, 3]
    assert read.bad_lines == ["line 3: not a journal event", "line 4: not a journal event",
                              "line 5: not valid JSON"]


def test_a_last_line_cut_short_is_told_apart_even_with_a_newline_after_it(
        tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"ts": 1, "type": "alert"}\n{"ts": 2, "ty\n\n')

    assert read_journal(path).bad_lines == ["line 2: cut short (the writer was killed "
                                            "mid-write?)"]


@pytest.mark.parametrize(("seconds", "text"), [
    (0.4, "0.4s"), (59.9, "1m 00s"), (60, "1m 00s"), (3599, "59m 59s"), (3600, "1h 00m"),
    (3660, "1h 01m"), (3800, "1h 03m"), (-5, "0.0s"),
])
def test_durations_read_as_an_on_call_engineer_writes_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_warning_opens_an_incident_that_closes_when_the_panel_is_ok_again(
        tmp_path: Path) -> None:
    """Steps before anything fired stand apart; a warn status opens an incident; an alert
    resolving while the panel is still warn does not close it; the panel's ok does."""
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    t0 = 1_700_000_000.0
    journal.append({"ts": t0, "type": "step_started", "ref": "a.md#x", "step": 1,
                    "command": "uptime", "user": "ana", "host": "web1"})
    journal.append({"ts": t0 + 1, "type": "step_finished", "ref": "a.md#x", "step": 1,
                    "exit": 0, "duration": 1.0})
    journal.append({"ts": t0 + 100, "type": "status", "panel": "host", "from": "ok",
                    "to": "warn", "alerts": ["DiskFull"]})
    journal.append({"ts": t0 + 200, "type": "alert", "name": "HighLatency",
                    "state": "firing"})
    journal.append({"ts": t0 + 300, "type": "alert", "name": "HighLatency",
                    "state": "resolved"})
    journal.append({"ts": t0 + 3900, "type": "status", "panel": "host", "from": "warn",
                    "to": "ok", "alerts": []})

    report = render_report(read_journal(path).events)

    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings == [f"## Steps outside an incident ({clock(t0)})",
                        "## Incident 1: DiskFull, HighLatency"]
    assert f"- **Detected:** {clock(t0 + 100)}" in report
    assert f"- **Recovered:** {clock(t0 + 3900)}" in report
    assert "- **Time to recover:** 1h 03m" in report
    assert "- **Steps run:** 0" in report
    assert f"- {clock(t0 + 300)} alert **HighLatency** resolved" in report
    assert f"- {clock(t0 + 3900)} panel **host** warn → ok" in report
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", clock(t0))


# --- the report's numbers, exactly ------------------------------------------------------

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def legacy_story() -> list[dict[str, object]]:
    """A journal without incident events: two incidents and a step run outside them."""
    return [
        {"ts": T0 - 100, "type": "step_started", "ref": "ops.md#check", "step": 1,
         "command": "uptime", "user": "ana", "host": "web1"},
        {"ts": T0 - 99, "type": "step_finished", "ref": "ops.md#check", "step": 1,
         "exit": 0, "duration": 0.25},
        {"ts": T0 + 30, "type": "alert", "name": "HighLatency", "state": "firing",
         "panel": "health:api"},  # written out of order: the report sorts by ts
        {"ts": T0, "type": "status", "panel": "health:api", "from": "ok", "to": "crit",
         "alerts": ["ServiceDown"]},
        {"ts": T0 + 45, "type": "step_started", "ref": "svc.md#down", "step": 2,
         "command": "systemctl restart api", "user": "bo", "host": "web2"},
        {"ts": T0 + 47, "type": "step_output", "ref": "svc.md#down", "step": 2,
         "tail": ["restarted"]},
        {"ts": T0 + 50, "type": "step_finished", "ref": "svc.md#down", "step": 2,
         "exit": 1, "duration": 4.75},
        {"ts": T0 + 60, "type": "step_started", "ref": "svc.md#down", "step": 3,
         "command": "sleep 99", "user": "bo", "host": "web2"},
        {"ts": T0 + 70, "type": "step_finished", "ref": "svc.md#down", "step": 3,
         "exit": None, "duration": 10, "timed_out": True},
        {"ts": T0 + 80, "type": "alert", "name": "HighLatency", "state": "resolved"},
        {"ts": T0 + 200, "type": "recovered", "alerts": ["ServiceDown"],
         "panel": "health:api", "resolved_at": T0 + 185},
        {"ts": T0 + 4000, "type": "alert", "name": "DiskFull", "state": "firing"},
        {"ts": T0 + 4010, "type": "step_started", "ref": "disk.md#full", "step": 1,
         "command": "df -h", "user": "cy", "host": "db1"},
    ]


def test_the_legacy_report_is_exact(utc: None) -> None:  # noqa: F811
    assert render_report(legacy_story()) == """\
# Incident timeline

## Steps outside an incident (2023-11-14 22:11:40)

### Timeline

- 2023-11-14 22:11:40 step 1 of `ops.md#check` by ana@web1: exit 0 in 0.2s
  ```bash
  uptime
  ```

## Incident 1: ServiceDown, HighLatency

- **Detected:** 2023-11-14 22:13:20
- **Recovered:** 2023-11-14 22:16:25
- **Time to recover:** 3m 05s
- **Time to first step:** 45s
- **Steps run:** 2

### Timeline

- 2023-11-14 22:13:20 panel **health:api** ok → crit
- 2023-11-14 22:13:50 alert **HighLatency** firing (health:api)
- 2023-11-14 22:14:05 step 2 of `svc.md#down` by bo@web2: exit 1 in 4.8s
  ```bash
  systemctl restart api
  ```
  Output (last lines):
  ```text
  restarted
  ```
- 2023-11-14 22:14:20 step 3 of `svc.md#down` by bo@web2: timed out after 10s
  ```bash
  sleep 99
  ```
- 2023-11-14 22:14:40 alert **HighLatency** resolved
- 2023-11-14 22:16:40 **recovered**: ServiceDown

## Incident 2: DiskFull

- **Detected:** 2023-11-14 23:20:00
- **Recovered:** not yet
- **Time to first step:** 10s
- **Steps run:** 1

### Timeline

- 2023-11-14 23:20:00 alert **DiskFull** firing
- 2023-11-14 23:20:10 step 1 of `disk.md#full` by cy@db1: **did not finish** (no result recorded)
  ```bash
  df -h
  ```
"""


def recorded_story() -> list[dict[str, object]]:
    """A dashboard's journal: incident events say which incident owns what."""
    return [
        {"ts": T0, "type": "incident", "incident": 1, "state": "opened"},
        {"ts": T0, "type": "alert", "name": "ServiceDown", "state": "firing",
         "panel": "health:api"},
        {"ts": T0 + 20, "type": "alert", "name": "DiskFull", "state": "firing",
         "panel": "host", "target": "/var"},
        {"ts": T0 + 30, "type": "step_started", "ref": "svc.md#down", "step": 2,
         "command": "systemctl restart api", "user": "bo", "host": "web2", "incident": 1,
         "before": {"p95_ms": 900.0}},
        {"ts": T0 + 33, "type": "step_finished", "ref": "svc.md#down", "step": 2,
         "exit": None, "duration": 3.0, "cancelled": True, "signal": "SIGTERM"},
        {"ts": T0 + 40, "type": "alert", "name": "DiskFull", "state": "resolved",
         "target": "/var"},
        {"ts": T0 + 90, "type": "alert", "name": "ServiceDown", "state": "resolved"},
        {"ts": T0 + 120, "type": "incident", "incident": 1, "state": "closed"},
        {"ts": T0 + 1000, "type": "incident", "incident": 2, "state": "opened"},
        {"ts": T0 + 1000, "type": "alert", "name": "HighLatency", "state": "firing",
         "panel": "traffic:api"},
    ]


def test_recorded_incidents_as_json_have_exact_keys_and_numbers() -> None:
    first, second = incidents(recorded_story())
    assert first.as_json() == {
        "incident": 1, "opened": T0, "closed": T0 + 120, "recovered": T0 + 90,
        "time_to_recover_s": 90.0,
        "alerts": [
            {"name": "ServiceDown", "panel": "health:api", "fired": T0, "resolved": T0 + 90,
             "time_to_recover_s": 90.0},
            {"name": "DiskFull", "panel": "host", "fired": T0 + 20, "resolved": T0 + 40,
             "time_to_recover_s": 20.0},
        ],
        "steps": [{"ref": "svc.md#down", "step": 2, "started": T0 + 30, "who": "bo@web2",
                   "command": "systemctl restart api", "exit": None, "duration_s": 3.0,
                   "ended": "cancelled", "signal": "SIGTERM", "before": {"p95_ms": 900.0},
                   "after": [], "change": []}],
    }
    assert second.as_json() == {
        "incident": 2, "opened": T0 + 1000, "closed": None, "recovered": None,
        "time_to_recover_s": None,
        "alerts": [{"name": "HighLatency", "panel": "traffic:api", "fired": T0 + 1000,
                    "resolved": None, "time_to_recover_s": None}],
        "steps": [],
    }


def test_legacy_incidents_close_when_every_alert_resolved() -> None:
    found = incidents(legacy_story())
    assert [(i.number, i.opened - T0, i.closed and i.closed - T0, i.names) for i in found] == [
        (1, 30.0, 80.0, ["HighLatency"]), (2, 4000.0, None, ["DiskFull"])]
    assert [(s.ref, s.step, s.ended, s.exit, s.duration) for s in found[0].steps] == [
        ("svc.md#down", 2, "exit", 1, 4.75), ("svc.md#down", 3, "timed out", None, 10.0)]
    assert found[0].time_to_recover == 50.0


def write_story(tmp_path: Path) -> Path:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    for event in recorded_story():
        journal.append(event)
    return path


def test_report_json_selects_by_incident_and_since(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_story(tmp_path)
    assert main(["report", "--journal", str(path), "--json"]) == 0
    assert [i["incident"] for i in json.loads(capsys.readouterr().out)] == [1, 2]
    assert main(["report", "--journal", str(path), "--json", "--incident", "2"]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert list(only) == ["incident", "opened", "closed", "recovered", "time_to_recover_s",
                          "alerts", "steps"]
    assert only["incident"] == 2
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(T0 + 500))
    assert main(["report", "--journal", str(path), "--json", "--since", since]) == 0
    assert [i["incident"] for i in json.loads(capsys.readouterr().out)] == [2]
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(T0))
    assert main(["report", "--journal", str(path), "--json", "--since", since]) == 0
    assert [i["incident"] for i in json.loads(capsys.readouterr().out)] == [1, 2]


def test_the_recorded_report_is_exact(utc: None) -> None:  # noqa: F811
    assert render_record(incidents(recorded_story())[:1]) == """\
# Incident timeline

## Incident 1: ServiceDown, DiskFull

- **Detected:** 2023-11-14 22:13:20
- **Recovered:** 2023-11-14 22:14:50
- **Time to recover:** 1m 30s
- Alert **ServiceDown** (health:api): fired 2023-11-14 22:13:20, resolved 2023-11-14 \
22:14:50, time to recover 1m 30s
- Alert **DiskFull** (host): fired 2023-11-14 22:13:40, resolved 2023-11-14 22:14:00, \
time to recover 20s
- **Time to first step:** 30s
- **Steps run:** 1

### Timeline

- 2023-11-14 22:13:20 alert **ServiceDown** firing (health:api)
- 2023-11-14 22:13:40 alert **DiskFull** firing (host)
- 2023-11-14 22:13:50 step 2 of `svc.md#down` by bo@web2: cancelled after 3.0s (SIGTERM)
  ```bash
  systemctl restart api
  ```
- 2023-11-14 22:14:00 alert **DiskFull** resolved
- 2023-11-14 22:14:50 alert **ServiceDown** resolved
- 2023-11-14 22:15:20 incident closed: every alert stayed resolved
"""


def test_each_append_fsyncs_exactly_once(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real_fsync = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting)
    path = write_story(tmp_path)
    assert len(calls) == len(recorded_story())
    assert len(read_journal(path).events) == len(recorded_story())


def test_a_torn_last_line_is_skipped_and_the_next_append_starts_a_fresh_line(
        tmp_path: Path) -> None:
    path = write_story(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"ts": 1, "type": "ale')  # killed mid-write
    Journal(path).append({"ts": T0 + 2000, "type": "note", "text": "after"})
    read = read_journal(path)
    count = len(recorded_story())
    assert read.bad_lines == [f"line {count + 1}: not valid JSON"]
    assert len(read.events) == count + 1 and read.events[-1]["text"] == "after"
    path.write_bytes(whole + b'{"ts": 1, "type": "ale')
    assert read_journal(path).bad_lines == [
        f"line {count + 1}: cut short (the writer was killed mid-write?)"]
