"""An SSH connection dropping (SIGHUP), a kill (SIGTERM) or an interrupt (SIGINT) mid-step:
the step's whole process group goes, and the journal closes the step with the signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runbooks.journal import read_journal
from tests.test_runbook_pane import Drill, _group_alive, open_pane, run_step, wait_until
from tui.incident.session import StepStatus

OPSDASH = Path(sys.executable).parent / "opsdash"


def wait(condition: object, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT],
                         ids=lambda s: s.name)
def test_a_signal_to_runbooks_run_ends_the_step_group_and_journals_it(
        sig: signal.Signals, tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()
    pidfile = tmp_path / "pgid"
    (books / "ops.md").write_text("## Wait\n\n```bash\necho \"pgid $$\"; sleep 300 & sleep 300\n"
                                  "```\n")
    journal = tmp_path / "journal.jsonl"
    with open(pidfile, "w") as out:
        proc = subprocess.Popen([str(OPSDASH), "runbooks", "run", "ops.md#wait", "--step",
                                 "1", "--runbooks", str(books), "--journal", str(journal)],
                                stdout=out, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        wait(lambda: "pgid " in pidfile.read_text(), "the step to start")
        match = re.search(r"pgid (\d+)", pidfile.read_text())
        assert match is not None
        pgid = int(match.group(1))
        assert _group_alive(pgid)
        proc.send_signal(sig)
        rc = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 128 + sig.value
    assert not _group_alive(pgid)
    assert proc.stderr is not None
    assert f"opsdash: {sig.name}: the step's processes were stopped" in proc.stderr.read()
    last = read_journal(journal).events[-1]
    assert (last["type"], last["cancelled"], last["signal"], last["exit"]) == (
        "step_finished", True, sig.name, None)


async def test_sighup_to_the_dashboard_mid_step_ends_the_group_and_the_app(
        tmp_path: Path) -> None:
    drill = Drill(tmp_path)
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 1)
        await wait_until(pilot, lambda: "pgid " in pane.output.text(), what="the step's pgid")
        match = re.search(r"pgid (\d+)", pane.output.text())
        assert match is not None
        pgid = int(match.group(1))
        assert _group_alive(pgid)
        os.kill(os.getpid(), signal.SIGHUP)  # a real signal, to this process
        await wait_until(pilot, lambda: app.return_code is not None, what="the app to exit")
        assert pane.session.record(1).status is StepStatus.CANCELLED
        assert app.return_code == 128 + signal.SIGHUP.value
    assert not _group_alive(pgid)
    ended, = drill.events("step_finished")
    assert (ended["cancelled"], ended["signal"], ended["step"]) == (True, "SIGHUP", 2)
