"""Numbers as an operator reads them on a card or a drill-down: a dash when missing,
bytes in the unit that keeps them short, ratios as percentages."""

from __future__ import annotations

from typing import Any


def num(value: Any, fmt: str = "{:.0f}", missing: str = "–") -> str:
    if value is None or isinstance(value, bool):
        return missing
    try:
        return fmt.format(float(value))
    except (TypeError, ValueError):
        return missing


def size(value: Any) -> str:
    """Bytes in the largest unit that keeps three significant digits."""
    if value is None or isinstance(value, bool):
        return "–"
    amount = float(value)
    for unit in ("B", "K", "M", "G", "T"):
        if abs(amount) < 1024 or unit == "T":
            return f"{amount:.0f}{unit}" if unit == "B" else f"{amount:.1f}{unit}"
        amount /= 1024
    return f"{amount:.1f}T"  # pragma: no cover


def pct(ratio: Any) -> str:
    return num(None if ratio is None else float(ratio) * 100, "{:.1f}%")
