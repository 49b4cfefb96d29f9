"""Panel kinds by config name: each kind declares itself here, in one place.

A declaration says what config accepts (options with their types, list items, URL
schemes and checks), what a card shows (a formatter in a module without network
clients), which alerts the kind raises, and how a panel is named when the config does
not say. Config, cards, the recovery watch and `check` read the declaration; adding a
kind is its module, its drill-down screen, one entry here and its tests.

Modules load lazily so that no network client is imported before the first frame, and
config is validated at start without importing httpx, psycopg, redis or docker.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from panels.base import Panel

Types = type | tuple[type, ...]
#: a check of one option's value: an error message, or None when it is fine
Check = Callable[[Any], str | None]
#: a card's two lines of key figures from a panel's metrics
CardLines = Callable[[Mapping[str, Any]], list[str]]


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Option:
    """One config key of a kind."""

    types: Types
    #: list options: the element types and how to name them in an error
    items: tuple[tuple[type, ...], str] | None = None
    #: URL options: accepted schemes ("" also accepts a non-URL form, e.g. libpq conninfo)
    schemes: tuple[str, ...] | None = None
    check: Check | None = None


def positive(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None  # the type check reports it
    if not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    if value <= 0:
        return f"must be > 0, got {value!r}"
    return None


def promql_window(value: Any) -> str | None:
    from panels.promql import parse_duration

    try:
        parse_duration(str(value))
    except ValueError as exc:
        return str(exc)
    return None


def _lazy(path: str) -> Check:
    """A check living in another module, imported only when a config uses the option."""
    return lambda value: _load(path)(value)


_STRINGS = ((str,), "strings")
_HTTP = ("http", "https")


@dataclass(frozen=True)
class PanelKind:
    path: str  # "module:Class"
    options: dict[str, Option] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    #: at least one of these keys (traffic: a /metrics page or a Prometheus server)
    one_of: tuple[str, ...] = ()
    #: one table (`[host]`) rather than an array of tables (`[[health]]`)
    single: bool = False
    #: options whose host names a panel when the config gives no `name`
    name_from: tuple[str, ...] = ()
    #: "module:function" turning metrics into a card's two lines (no network clients there)
    card: str = "panels.cards:summary_only"
    #: the canonical alerts this kind raises (their defaults are in panels.alerts)
    alerts: tuple[str, ...] = ()

    def load(self) -> type[Panel[Any]]:
        loaded: type[Panel[Any]] = _load(self.path)
        return loaded

    def card_lines(self) -> CardLines:
        lines: CardLines = _load(self.card)
        return lines


COMMON_OPTIONS: dict[str, Option] = {
    "name": Option(str), "interval": Option((int, float), check=positive),
    "timeout": Option((int, float), check=positive),
}

KINDS: dict[str, PanelKind] = {
    "health": PanelKind(
        "panels.health:HealthPanel",
        {"url": Option(str, schemes=_HTTP), "headers": Option(dict), "verify_tls": Option(bool),
         "ca_file": Option(str),
         "expect_status": Option(list, items=((int, str), "status codes like 200 or \"2xx\"")),
         "max_body_bytes": Option(int, check=positive),
         "fresh_within": Option((int, float), check=positive)},
        required=("url",), name_from=("url",), card="panels.cards:health",
        alerts=("ServiceDown",)),
    "traffic": PanelKind(
        "panels.traffic:TrafficPanel",
        {"metrics_url": Option(str, schemes=_HTTP), "prometheus_url": Option(str, schemes=_HTTP),
         "job": Option(str), "selector": Option(str), "requests_metric": Option(str),
         "duration_metric": Option(str), "status_label": Option(str),
         "window": Option(str, check=promql_window), "headers": Option(dict)},
        one_of=("metrics_url", "prometheus_url"), name_from=("metrics_url", "prometheus_url"),
        card="panels.cards:traffic", alerts=("HighErrorRate", "HighLatency", "ServiceDown")),
    "postgres": PanelKind(
        "panels.postgres:PostgresPanel",
        {"dsn": Option(str, schemes=("postgres", "postgresql", "")),
         "statement_timeout_ms": Option(int, check=positive)},
        required=("dsn",), name_from=("dsn",), card="panels.cards:postgres",
        alerts=("DatabaseUnreachable", "DBPoolExhaustion", "LongRunningQuery")),
    "redis": PanelKind(
        "panels.redis:RedisPanel",
        {"url": Option(str, schemes=("redis", "rediss", "unix")),
         "queues": Option(list, items=_STRINGS)},
        required=("url",), name_from=("url",), card="panels.cards:redis",
        alerts=("RedisUnreachable", "RedisMemoryHigh", "TaskQueueStuck")),
    "host": PanelKind(
        "panels.host:HostPanel", {"mounts": Option(list, items=_STRINGS)}, single=True,
        card="panels.cards:host", alerts=("DiskFull", "MemoryHigh")),
    "containers": PanelKind(
        "panels.containers:ContainersPanel",
        {"docker_host": Option(str, schemes=("unix", "tcp", "ssh", "npipe", "http", "https")),
         "all": Option(bool), "names": Option(list, items=_STRINGS)},
        single=True, card="panels.cards:containers", alerts=("ContainerDown",)),
    "alertmanager": PanelKind(
        "panels.alertmanager:AlertmanagerPanel",
        {"url": Option(str, schemes=_HTTP), "headers": Option(dict),
         "basic_auth": Option((str, dict), check=_lazy("panels.amlabels:check_basic_auth")),
         "verify_tls": Option(bool), "ca_file": Option(str),
         "matchers": Option(list, items=((str,), "label matchers like 'team=\"db\"'"),
                            check=_lazy("panels.amlabels:check_matchers"))},
        required=("url",), name_from=("url",), card="panels.cards:alertmanager"),
}


def panel_class(kind: str) -> type[Panel[Any]]:
    return KINDS[kind].load()
