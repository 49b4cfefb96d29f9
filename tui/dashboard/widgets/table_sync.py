"""Update a DataTable by diffing rows, so the cursor, scroll and sort survive each poll.

Clearing and re-adding rows on every refresh would flicker, lose the operator's place
and resend the whole table to the terminal; this touches only cells that changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable


class SortText(Text):
    """A cell that shows formatted text but sorts by the raw value (42s after 9.5s)."""

    def __init__(self, text: str, sort_key: Any = None, style: str = "") -> None:
        super().__init__(text, style=style, no_wrap=True, overflow="ellipsis")
        # None sorts first whatever the column's type, so a column can mix in gaps
        self.sort_key = (0, 0) if sort_key is None else (1, sort_key)


def cell(text: object, sort_key: Any = None, style: str = "") -> SortText:
    """A display cell: plain text (never markup: queries hold brackets) with a sort key."""
    shown = "–" if text is None else str(text)
    return SortText(shown, shown.lower() if sort_key is None and text is not None else sort_key,
                    style)


def by_sort_key(value: Any) -> Any:
    return value.sort_key if isinstance(value, SortText) else (1, str(value))


def sync_rows(table: DataTable[Any], rows: Mapping[str, Sequence[Any]]) -> bool:
    """Make `table` hold exactly `rows` (key -> cells); True if rows were added or removed."""
    existing = {str(key.value) for key in table.rows}
    changed = False
    with table.app.batch_update():
        for key in existing - rows.keys():
            table.remove_row(key)
            changed = True
        columns = list(table.columns)
        for key, cells in rows.items():
            if key not in existing:
                table.add_row(*cells, key=key)
                changed = True
                continue
            old = table.get_row(key)
            for column, before, after in zip(columns, old, cells, strict=False):
                if before != after:
                    table.update_cell(key, column, after)
    return changed
