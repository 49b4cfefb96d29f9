"""Panels that relay alerts with a `runbook_url` (Alertmanager) get a resolver from the
runbook library, so each alert carries its local `runbook_ref` in the metrics, on the
card, in `check --json` and when `r` opens the pane."""

from __future__ import annotations

from functools import partial
from typing import Any

from runbooks.library import Library, load_library
from runbooks.urls import resolve
from tui.config.model import Config


def link_runbooks(panels: list[Any], config: Config) -> Library | None:
    """Load the library once (in a worker thread) when some panel wants a resolver."""
    wanting = [p for p in panels if hasattr(p, "runbook_resolver")]
    if not wanting:
        return None
    library = load_library(list(config.runbook_dirs))
    resolver = partial(_resolve, library=library, prefixes=dict(config.runbook_urls))
    for panel in wanting:
        panel.runbook_resolver = resolver
    return library


def _resolve(url: str, *, library: Library, prefixes: dict[str, Any]) -> str | None:
    return resolve(url, library, prefixes)
