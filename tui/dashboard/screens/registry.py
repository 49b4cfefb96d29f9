"""Drill-down screen per panel kind; a kind without one gets the generic metrics view."""

from __future__ import annotations

import importlib

from tui.dashboard.screens.drilldown import DrillDownScreen

SCREENS: dict[str, str] = {
    "postgres": "tui.dashboard.screens.postgres:PostgresScreen",
    "containers": "tui.dashboard.screens.containers:ContainersScreen",
    "redis": "tui.dashboard.screens.redis:RedisScreen",
    "health": "tui.dashboard.screens.health:HealthScreen",
    "traffic": "tui.dashboard.screens.traffic:TrafficScreen",
    "host": "tui.dashboard.screens.host:HostScreen",
    "alertmanager": "tui.dashboard.screens.alertmanager:AlertmanagerScreen",
}


def screen_for(kind: str) -> type[DrillDownScreen]:
    path = SCREENS.get(kind)
    if path is None:
        return DrillDownScreen
    module, _, name = path.partition(":")
    screen: type[DrillDownScreen] = getattr(importlib.import_module(module), name)
    return screen


def all_screens() -> list[type[DrillDownScreen]]:
    return [screen_for(kind) for kind in SCREENS]
