"""Panel kinds by config name: adding a kind is one module plus one line here.

Modules load lazily so that no network client is imported before the first frame.
The option schema lives here (not in the module) so config can be validated at start
without importing httpx, psycopg, redis or docker.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from panels.base import Panel


@dataclass(frozen=True)
class PanelKind:
    path: str  # "module:Class"
    #: config key -> accepted Python type(s); `name`, `interval`, `timeout` are common to all
    options: dict[str, type | tuple[type, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    #: one table (`[host]`) rather than an array of tables (`[[health]]`)
    single: bool = False

    def load(self) -> type[Panel[Any]]:
        module, _, cls = self.path.partition(":")
        loaded: type[Panel[Any]] = getattr(importlib.import_module(module), cls)
        return loaded


COMMON_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "name": str, "interval": (int, float), "timeout": (int, float),
}

KINDS: dict[str, PanelKind] = {
    "health": PanelKind("panels.health:HealthPanel",
                        {"url": str, "headers": dict, "verify_tls": bool, "ca_file": str,
                         "expect_status": list, "max_body_bytes": int,
                         "fresh_within": (int, float)},
                        required=("url",)),
    "traffic": PanelKind("panels.traffic:TrafficPanel",
                         {"metrics_url": str, "prometheus_url": str, "job": str, "selector": str,
                          "requests_metric": str, "duration_metric": str, "status_label": str,
                          "window": str, "headers": dict}),
    "postgres": PanelKind("panels.postgres:PostgresPanel",
                          {"dsn": str, "statement_timeout_ms": int}, required=("dsn",)),
    "redis": PanelKind("panels.redis:RedisPanel",
                       {"url": str, "queues": list}, required=("url",)),
    "host": PanelKind("panels.host:HostPanel", {"mounts": list}, single=True),
    "containers": PanelKind("panels.containers:ContainersPanel",
                            {"docker_host": str, "all": bool, "names": list}, single=True),
}


def panel_class(kind: str) -> type[Panel[Any]]:
    return KINDS[kind].load()
