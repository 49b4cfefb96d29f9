"""The whole on-call loop in a real terminal: `opsdash --journal J demo` under tmux.

An engineer's drill, key by key: `f` opens the fault menu, Enter injects "service down",
the health card turns CRIT; `r` opens the demo runbook's ServiceDown section, Down Down
Enter shows its fix step (a curl POST to the demo's /admin/recover) and `y` runs it, the pane says
`recovered`; `q` quits with status 0; then `opsdash report --journal J` tells the
timeline: the alert firing, the step, the recovery. XDG dirs are the test's own
(tests/conftest.py), so nothing is read from or written to the developer's home.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_e2e_tmux import OPSDASH, Tmux

pytestmark = pytest.mark.e2e


@pytest.fixture
def wide_tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(tmp_path, width=140, height=40)
    try:
        yield session
    finally:
        session.kill()


def test_demo_drill_fault_runbook_fix_recovered_and_report(wide_tmux: Tmux,
                                                          tmp_path: Path) -> None:
    tmux = wide_tmux
    journal = tmp_path / "journal.jsonl"
    tmux.type(f"{OPSDASH} --journal {journal} demo; echo opsdash-exit=$?")
    tmux.wait_for("health demo", "HTTP 200", "f Faults", timeout=30)

    tmux.send("f")
    tmux.wait_for("Inject a fault", "service down", "recover all")
    tmux.send("Enter")  # the first option: service down
    screen = tmux.wait_for("✖ CRIT", "ServiceDown")
    assert "HTTP 503" in tmux.wait_for("HTTP 503")

    tmux.send("r")
    screen = tmux.wait_for("ServiceDown: demo service not ready", "ServiceDown firing",
                           "⏎ Run step")
    assert "runbook.md" in screen
    tmux.send("Down", "Down", "Enter")  # step 3: the fix, a POST: it asks first
    screen = tmux.wait_for("changes the system", "Run exactly this?", "y: yes, do it")
    assert "admin/recover?fault=down" in screen
    tmux.send("y")
    screen = tmux.wait_for("recovered", "step 3 done: exit 0", timeout=30)
    assert "── step 3 ──" in screen  # its output stays in the pane (the command is in the
    # report below: on screen a long command wraps under its prompt)

    tmux.send("q")
    tmux.wait_for("opsdash-exit=0", timeout=15)

    report = subprocess.run([str(OPSDASH), "report", "--journal", str(journal)],
                            capture_output=True, text=True, timeout=30, env=os.environ.copy(),
                            check=False)
    assert report.returncode == 0, report.stderr
    text = report.stdout
    assert "## Incident 1: ServiceDown" in text
    assert "alert **ServiceDown** firing" in text
    assert "step 3 of `runbook.md#servicedown-demo-service-not-ready`" in text
    assert 'curl -fsS -X POST "$OPSDASH_DEMO_URL/admin/recover?fault=down"' in text
    assert "**recovered**: ServiceDown" in text
    assert "Recovered:** not yet" not in text
