"""What a card shows of a state: its status word and icon, its kind's two lines of key
figures (declared per kind in panels.registry), and the note under them.
"""

from __future__ import annotations

from typing import Any

from common.durations import format_duration
from common.numbers import num, pct, size
from panels.base import Status
from panels.registry import KINDS
from panels.watch import PanelState

STATUS_WORD = {Status.OK: "OK", Status.WARN: "WARN", Status.CRIT: "CRIT",
               Status.UNKNOWN: "UNKNOWN"}
STATUS_ICON = {Status.OK: "●", Status.WARN: "▲", Status.CRIT: "✖", Status.UNKNOWN: "?"}

__all__ = ["duration", "num", "pct", "size"]


def duration(seconds: Any) -> str:
    """Ages and query times in the compact card form (3m05s)."""
    return format_duration(seconds, spaced=False)


def card_lines(state: PanelState) -> list[str]:
    """Two lines of key figures for one card; the summary when the kind is unknown."""
    kind = KINDS.get(state.kind)
    lines = kind.card_lines()(state.metrics) if kind is not None and state.metrics else []
    return lines or [state.summary, ""]


def one_line(state: PanelState) -> str:
    """A single line for a group card's list."""
    if state.error is not None:
        return state.error.kind
    return card_lines(state)[0]


def note(state: PanelState) -> str:
    """Staleness and the error class while failing, else the first firing/pending alert."""
    if state.error is not None:
        parts = [state.error.kind]
        if state.last_ok_at is not None:
            parts.append(f"stale {duration(state.updated_at - state.last_ok_at)}")
        else:
            parts.append("no good sample yet")
        return " · ".join(parts)
    if state.firing:
        alert = state.firing[0]
        more = f" +{len(state.firing) - 1}" if len(state.firing) > 1 else ""
        return f"{alert.name}{more}"
    pending = [a for a in state.alerts if a.state.value == "pending"]
    if pending:
        return f"pending {pending[0].name}"
    return ""
