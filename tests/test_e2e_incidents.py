"""The incident record in a real terminal: one incident fixed by a runbook step, then a
separate one that ends by itself, then `opsdash report --json` tells them apart.

`opsdash --journal J demo` under tmux: `f` injects "service down", `r` opens the pane, the
fix step runs after `y`; once it has stayed recovered, `f` injects it again and "recover
all" ends it from the fault menu, with no step. The report must show two incidents, the
step in the first only, and times within one refresh (1 s) of when the keys were pressed.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbooks.journal import read_journal
from tests.test_e2e_tmux import OPSDASH, Tmux

pytestmark = pytest.mark.e2e

REFRESH_S = 1.0
SLACK_S = 1.5  # one refresh, plus the time keys take to travel through tmux


@pytest.fixture
def wide_tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(tmp_path, width=140, height=40)
    try:
        yield session
    finally:
        session.kill()


def wait_journal(journal: Path, count: int, timeout: float = 30.0) -> None:
    """Until `count` incidents have closed (two quiet polls after the last resolution)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists():
            closed = [e for e in read_journal(journal).events
                      if e.get("type") == "incident" and e.get("state") == "closed"]
            if len(closed) >= count:
                return
        time.sleep(0.2)
    raise AssertionError(f"{count} incident(s) never closed in {journal}")


def test_two_incidents_one_fixed_by_a_step_one_on_its_own(wide_tmux: Tmux,
                                                          tmp_path: Path) -> None:
    tmux = wide_tmux
    journal = tmp_path / "journal.jsonl"
    tmux.type(f"{OPSDASH} --journal {journal} demo; echo opsdash-exit=$?")
    tmux.wait_for("health demo", "HTTP 200", "f Faults", timeout=30)

    tmux.send("f")
    tmux.wait_for("Inject a fault", "service down")
    first_fault = time.time()
    tmux.send("Enter")
    tmux.wait_for("✖ CRIT", "ServiceDown")
    tmux.send("r")
    tmux.wait_for("ServiceDown firing", "⏎ Run step")
    tmux.send("Down", "Down", "Enter")
    tmux.wait_for("Run exactly this?")
    fixed_at = time.time()
    tmux.send("y")
    tmux.wait_for("recovered", "step 3 done: exit 0", timeout=30)
    wait_journal(journal, 1)

    tmux.send("r")  # the pane closes: the second incident is the cards' alone
    tmux.send("f")
    tmux.wait_for("Inject a fault", "service down")
    second_fault = time.time()
    tmux.send("Enter")
    tmux.wait_for("✖ CRIT")
    tmux.send("f")
    tmux.wait_for("recover all")
    tmux.send("Up", "Enter")  # the last option: recover all
    recovered_by_itself = time.time()
    wait_journal(journal, 2)
    tmux.send("q")
    tmux.wait_for("opsdash-exit=0", timeout=15)

    run = subprocess.run([str(OPSDASH), "report", "--journal", str(journal), "--json"],
                         capture_output=True, text=True, timeout=30, env=os.environ.copy(),
                         check=False)
    assert run.returncode == 0, run.stderr
    first, second = json.loads(run.stdout)
    assert (first["incident"], second["incident"]) == (1, 2)
    assert [a["name"] for a in first["alerts"]] == ["ServiceDown"]
    assert [a["name"] for a in second["alerts"]] == ["ServiceDown"]
    assert [(s["step"], s["exit"]) for s in first["steps"]] == [(3, 0)]
    assert second["steps"] == []
    assert abs(first["opened"] - first_fault) <= SLACK_S + REFRESH_S
    assert abs(first["recovered"] - fixed_at) <= SLACK_S + REFRESH_S
    assert abs(second["opened"] - second_fault) <= SLACK_S + REFRESH_S
    assert abs(second["recovered"] - recovered_by_itself) <= SLACK_S + REFRESH_S
    assert first["closed"] < second["opened"]
