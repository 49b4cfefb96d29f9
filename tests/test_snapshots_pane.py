"""Snapshots of the dashboard with the runbook pane open mid-incident, at 80x24, 120x34,
160x48 and 240x60.

Deterministic as the dashboard's own snapshots are: frozen clock and host name, no
scheduler, states judged by the real panels from fixed samples with the health panel
refused (ServiceDown firing). The bundled service runbook opens; its first step is shown
as run with a fixed result, so no real timing reaches the picture.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.test_app_support import feed, frozen_app, panels, states, utc
from tests.test_runbook_pane import wait_until
from tui.dashboard.widgets.runbook_pane import RunbookPane
from tui.incident.session import StepStatus

__all__ = ["utc"]  # the fixture, re-exported so pytest finds it here

#: every size the dashboard is designed for
SCREEN_SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 34), id="120x34"),
                pytest.param((160, 48), id="160x48"), pytest.param((240, 60), id="240x60")]

OUTPUT = [
    "HTTP/1.1 503 Service Unavailable",
    "content-type: application/json",
    "",
    '{"status": "down", "database": {"ok": false}}',
]


async def pane_mid_incident(pilot: Pilot[Any]) -> None:
    """The pane as an engineer sees it after running step 1: its output and exit code."""
    app = pilot.app
    await feed(pilot, states(panels(), failing={"health"}))
    await pilot.press("r")
    await wait_until(pilot, lambda: bool(app.query(RunbookPane)), what="the pane")
    pane = app.query_one(RunbookPane)
    record = pane.session.record(0)
    record.status, record.exit_code, record.duration, record.runs = StepStatus.DONE, 0, 0.21, 1
    pane.output.begin(1, pane.session.mask(pane.session.code(0, 0)))
    for line in OUTPUT:
        pane.output.line("stdout", line)
    pane.output.note("✔ step 1 done: exit 0 in 0.2s")
    pane._render_steps()
    pane.steps.highlighted = 1
    await pilot.pause()
    await pilot.pause()


@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_runbook_pane_mid_incident(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(), terminal_size=size, run_before=pane_mid_incident)
