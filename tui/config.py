"""Config: TOML read with tomllib, `${VAR}` from the environment, validated with file:line:key.

INTERFACE STUB — the config owner fills in the bodies; the shapes below are what the
scheduler, the app and `opsdash check` code against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panels.base import AlertRule, Panel


class ConfigError(Exception):
    """One line: `opsdash.toml:12: [[redis]] key "ulr": unknown key (did you mean "url"?)`."""


@dataclass(frozen=True)
class PanelSpec:
    """One configured target; built into a Panel only after the first frame."""

    kind: str  # a key of panels.registry.KINDS
    name: str
    options: dict[str, Any]  # kind-specific constructor keywords, ${VAR} already expanded
    interval: float | None = None
    timeout: float = 5.0


@dataclass(frozen=True)
class Config:
    refresh: float = 2.0
    panels: tuple[PanelSpec, ...] = ()
    alerts: dict[str, AlertRule] = field(default_factory=dict)  # overrides of DEFAULT_RULES
    runbook_dirs: tuple[Path, ...] = ()
    #: explicit alert -> ["file.md#slug", ...] mapping from `[runbooks.map]`
    runbook_map: dict[str, tuple[str, ...]] = field(default_factory=dict)
    journal: Path | None = None
    source: Path | None = None  # the file read, None when discovered
    discovered: bool = False  # True when no config was found and local discovery ran
    hints: tuple[str, ...] = ()  # "add a [[health]] table to watch your API", ...
    read_only: bool = False


def find_config(explicit: str | None) -> Path | None:
    """--config, else ./opsdash.toml, else platformdirs.user_config_path('opsdash')/opsdash.toml."""
    raise NotImplementedError


def load_config(path: Path | None, *, refresh: float | None = None) -> Config:
    """Read and validate `path`; with None, run local discovery. Raises ConfigError."""
    raise NotImplementedError


def build_panels(config: Config) -> list[Panel[Any]]:
    """Instantiate every PanelSpec (imports panel modules lazily) with the alert overrides."""
    raise NotImplementedError
