"""What a config holds: the shapes the scheduler, the app and `opsdash check` code
against. Kept apart from the loader so discovery builds them without importing it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panels.alerts import DEFAULT_RULES
from panels.base import AlertRule
from tui.errors import ConfigError

__all__ = ["Config", "ConfigError", "PanelSpec", "slug"]

DEFAULT_REFRESH = 2.0
DEFAULT_TIMEOUT = 5.0
#: what the recording keeps by default (DESIGN.md: 24 h / 200 MB)
DEFAULT_RECORDING_KEEP_S = 24 * 3600.0
DEFAULT_RECORDING_MAX_MB = 200.0


def slug(name: str) -> str:
    """A name as ids and CSS see it: `api.1` and `api_1` are the same slug, so config
    refuses the second one rather than let two cards share an id."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


@dataclass(frozen=True)
class PanelSpec:
    """One configured target; built into a Panel only after the first frame."""

    kind: str  # a key of panels.registry.KINDS
    name: str
    options: dict[str, Any]  # kind-specific constructor keywords, ${VAR} already expanded
    interval: float | None = None
    timeout: float = 5.0
    #: "opsdash.toml:12: [[redis]] #1" so errors raised later still point at the file
    where: str = ""


@dataclass(frozen=True)
class RecordingSettings:
    """`[recording]`: where panel samples are kept for `opsdash replay`, and how many.

    `path` None means the user state dir (`tui.incident.recording.default_recording_path`).
    """

    enabled: bool = True
    path: Path | None = None
    keep_s: float = DEFAULT_RECORDING_KEEP_S
    max_mb: float = DEFAULT_RECORDING_MAX_MB

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


@dataclass(frozen=True)
class Config:
    """Everything read from one file (or discovered); immutable so screens can share it."""

    refresh: float = 2.0
    panels: tuple[PanelSpec, ...] = ()
    alerts: dict[str, AlertRule] = field(default_factory=dict)  # overrides of DEFAULT_RULES
    runbook_dirs: tuple[Path, ...] = ()
    #: explicit alert -> ["file.md#slug", ...] mapping from `[runbooks.map]`
    runbook_map: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: `[runbooks.urls]`: runbook_url prefix -> local folder (Alertmanager's annotations)
    runbook_urls: dict[str, Path] = field(default_factory=dict)
    #: `[prometheus] url`: the server whose alert rules `runbooks lint` checks
    prometheus: str | None = None
    journal: Path | None = None
    source: Path | None = None  # the file read, None when discovered
    discovered: bool = False  # True when no config was found and local discovery ran
    hints: tuple[str, ...] = ()  # "add a [[health]] table to watch your API", ...
    read_only: bool = False
    #: default per-panel timeout (top-level `timeout`)
    timeout: float = DEFAULT_TIMEOUT
    recording: RecordingSettings = field(default_factory=RecordingSettings)

    @property
    def rules(self) -> dict[str, AlertRule]:
        """Every canonical alert's effective rule: the defaults with this file's overrides."""
        return {**DEFAULT_RULES, **self.alerts}

    def prometheus_url(self) -> str | None:
        """`[prometheus] url`, else the first traffic panel's `prometheus_url`: where
        `runbooks lint` reads the alert rules."""
        if self.prometheus:
            return self.prometheus
        for spec in self.panels:
            if spec.kind == "traffic" and spec.options.get("prometheus_url"):
                return str(spec.options["prometheus_url"])
        return None

    def redis_url(self) -> str | None:
        """The first configured Redis: where `redis` runbook steps run."""
        for spec in self.panels:
            if spec.kind == "redis" and spec.options.get("url"):
                return str(spec.options["url"])
        return None

    def postgres_dsn(self) -> str | None:
        """The first configured Postgres DSN: where `sql` runbook steps run."""
        for spec in self.panels:
            if spec.kind == "postgres" and spec.options.get("dsn"):
                return str(spec.options["dsn"])
        return None
