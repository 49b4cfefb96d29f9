"""Snapshots of the real app: the main screen and a failing state at 80x24, 120x34, 160x48 and
240x60 (cards only at 80x24, charts from 120x34 up); drill-downs at 80x24 and 160x48.

Deterministic by construction: frozen clock and host name, no scheduler, states judged
by the real panels from fixed samples (see tests/test_app_support.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.test_app_support import feed, frozen_app, panels, states, utc

__all__ = ["utc"]  # the fixture, re-exported so pytest finds it here

#: the main screen at every size it is designed for (charts from 120x34 up); drill-downs
#: at the smallest and the common one
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
SCREEN_SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 34), id="120x34"),
                pytest.param((160, 48), id="160x48"), pytest.param((240, 60), id="240x60")]
KINDS = ["health", "traffic", "postgres", "redis", "host", "containers"]


def _before(failing: set[str] | None = None, drill: str | None = None) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await feed(pilot, states(panels(), failing=failing or set()))
        if drill is not None:
            app: Any = pilot.app
            app.open_drilldown(drill)
            await pilot.pause()
            await pilot.pause()
    return run_before


@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_main_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(), terminal_size=size, run_before=_before())


@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_main_screen_with_redis_and_health_down(snap_compare: Any,
                                                size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(), terminal_size=size,
                        run_before=_before(failing={"redis", "health"}))


@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_drilldown(snap_compare: Any, kind: str, size: tuple[int, int]) -> None:
    panel_id = next(p.id for p in panels() if p.kind == kind)
    assert snap_compare(frozen_app(), terminal_size=size, run_before=_before(drill=panel_id))


@pytest.mark.usefixtures("utc")
def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(frozen_app(), terminal_size=(80, 24), press=["question_mark"],
                        run_before=_before())
