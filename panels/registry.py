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
class Chart:
    """A figure a card charts over its history, and where its alert line comes from.

    Declared on the kind so the card, its chart and the alert rules agree on one number:
    the line is the alert's configured threshold (times `per`, a metric of the same
    sample, for ratios such as 90% of max_connections), else `per` alone.
    """

    #: a numeric metric key as History keeps it ("queues.celery" nests); "queues.*" is
    #: the deepest member of that mapping now
    metric: str
    label: str
    #: how values read: "ms", "%", "ratio" (shown as %), "bytes", or "" for counts
    unit: str = ""
    alert: str | None = None
    per: str | None = None
    #: multiplies the alert's threshold (MemoryHigh is a ratio, memory_used_pct a percent)
    scale: float = 1.0

    def limit(self, metrics: Mapping[str, Any], rules: Mapping[str, Any]) -> float | None:
        """The threshold line for these metrics under these rules, None when none applies."""
        base: float | None = None
        if self.per is not None:
            per = metrics.get(self.per)
            if isinstance(per, bool) or not isinstance(per, int | float) or per <= 0:
                return None
            base = float(per)
        if self.alert is not None:
            rule = rules.get(self.alert)
            threshold = getattr(rule, "threshold", None)
            if threshold is None:
                return None
            return float(threshold) * self.scale * (base if base is not None else 1.0)
        return base


@dataclass(frozen=True)
class PanelKind:
    path: str  # "module:Class"
    options: dict[str, Option] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    #: at least one of these keys (traffic: a /metrics page or a Prometheus server)
    one_of: tuple[str, ...] = ()
    #: one table (`[host]`) rather than an array of tables (`[[health]]`)
    single: bool = False
    #: key -> the key it needs beside it (a Prometheus URL means nothing without the
    #: instance to ask it about, nor `job` without a Prometheus to filter)
    needs: tuple[tuple[str, str], ...] = ()
    #: options whose host names a panel when the config gives no `name`
    name_from: tuple[str, ...] = ()
    #: "module:function" turning metrics into a card's two lines (no network clients there)
    card: str = "panels.cards:summary_only"
    #: (option, "module:Class"): the class to build when that option is set
    variants: tuple[tuple[str, str], ...] = ()
    #: the canonical alerts this kind raises (their defaults are in panels.alerts)
    alerts: tuple[str, ...] = ()
    #: what a card charts over time when it has room, most telling first
    charts: tuple[Chart, ...] = ()

    def load(self, options: Mapping[str, Any] | None = None) -> type[Panel[Any]]:
        """The kind's class; a variant's when its option is given (a `[[host]]` reading a
        node_exporter through Prometheus is panels.host_prom, imported only then)."""
        for option, path in self.variants:
            if options and options.get(option) is not None:
                variant: type[Panel[Any]] = _load(path)
                return variant
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
        alerts=("ServiceDown",), charts=(Chart("latency_ms", "latency", "ms"),)),
    "traffic": PanelKind(
        "panels.traffic:TrafficPanel",
        {"metrics_url": Option(str, schemes=_HTTP), "prometheus_url": Option(str, schemes=_HTTP),
         "job": Option(str), "selector": Option(str), "requests_metric": Option(str),
         "duration_metric": Option(str), "status_label": Option(str),
         "window": Option(str, check=promql_window), "headers": Option(dict)},
        one_of=("metrics_url", "prometheus_url"), name_from=("metrics_url", "prometheus_url"),
        card="panels.cards:traffic", alerts=("HighErrorRate", "HighLatency", "ServiceDown"),
        charts=(Chart("p95_ms", "p95", "ms", alert="HighLatency"),
                Chart("error_ratio", "errors", "ratio", alert="HighErrorRate"))),
    "postgres": PanelKind(
        "panels.postgres:PostgresPanel",
        {"dsn": Option(str, schemes=("postgres", "postgresql", "")),
         "statement_timeout_ms": Option(int, check=positive)},
        required=("dsn",), name_from=("dsn",), card="panels.cards:postgres",
        alerts=("DatabaseUnreachable", "DBPoolExhaustion", "LongRunningQuery"),
        charts=(Chart("connections", "connections", alert="DBPoolExhaustion",
                      per="max_connections"),)),
    "redis": PanelKind(
        "panels.redis:RedisPanel",
        {"url": Option(str, schemes=("redis", "rediss", "unix")),
         "queues": Option(list, items=_STRINGS)},
        required=("url",), name_from=("url",), card="panels.cards:redis",
        alerts=("RedisUnreachable", "RedisMemoryHigh", "TaskQueueStuck"),
        charts=(Chart("used_memory_bytes", "memory", "bytes", alert="RedisMemoryHigh",
                      per="maxmemory_bytes"),
                Chart("queues.*", "queue", alert="TaskQueueStuck"))),
    "host": PanelKind(
        "panels.host:HostPanel",
        {"mounts": Option(list, items=_STRINGS), "prometheus_url": Option(str, schemes=_HTTP),
         "instance": Option(str), "job": Option(str), "headers": Option(dict)},
        single=True, name_from=("instance",),
        needs=(("prometheus_url", "instance"), ("instance", "prometheus_url"),
               ("job", "prometheus_url"), ("headers", "prometheus_url")),
        variants=(("prometheus_url", "panels.host_prom:HostPromPanel"),),
        card="panels.cards:host", alerts=("DiskFull", "MemoryHigh"),
        charts=(Chart("memory_used_pct", "memory", "%", alert="MemoryHigh", scale=100.0),
                Chart("cpu_pct", "cpu", "%"))),
    "containers": PanelKind(
        "panels.containers:ContainersPanel",
        {"docker_host": Option(str, schemes=("unix", "tcp", "ssh", "npipe", "http", "https")),
         "all": Option(bool), "names": Option(list, items=_STRINGS)},
        single=True, card="panels.cards:containers", alerts=("ContainerDown",),
        charts=(Chart("running", "running", per="total"),)),
    "alertmanager": PanelKind(
        "panels.alertmanager:AlertmanagerPanel",
        {"url": Option(str, schemes=_HTTP), "headers": Option(dict),
         "basic_auth": Option((str, dict), check=_lazy("panels.amlabels:check_basic_auth")),
         "verify_tls": Option(bool), "ca_file": Option(str),
         "prometheus_url": Option(str, schemes=_HTTP),
         "matchers": Option(list, items=((str,), "label matchers like 'team=\"db\"'"),
                            check=_lazy("panels.amlabels:check_matchers"))},
        required=("url",), name_from=("url",), card="panels.cards:alertmanager"),
}


def panel_class(kind: str) -> type[Panel[Any]]:
    return KINDS[kind].load()
