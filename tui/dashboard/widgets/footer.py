"""The footer: Textual's, but it never cuts a key in half on a narrow terminal.

With the runbook pane open at 80 columns the pane's keys and the dashboard's do not all
fit; Textual's footer would show them until the edge and cut the next one (`f Fau`),
hiding `r` (back to the cards) and `q` for good. When its keys do not fit, this one
goes compact, keeps the keys that must always be reachable by sight, then as many of
the others, in their order, as fit whole. Every key still works, and the
command palette (`^p`, always shown) lists them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: what the command palette key takes on the right (its border, padding and label)
PALETTE_CELLS = 13


class DashFooter(Footer):
    """A footer that shows whole keys only, the `keep` actions first."""

    def __init__(self, keep: Iterable[str] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        #: actions always shown (back to the cards, help, quit): placed first
        self.keep = frozenset(keep)
        self._width = 0

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        if width != self._width:
            self._width = width
            self.call_after_refresh(self.recompose)

    @staticmethod
    def key_cells(key: FooterKey, compact: bool) -> int:
        """The cells one key takes, as FooterKey draws it in either style."""
        label = cell_len(key.key_display)
        if not key.description:
            return label + 1
        if compact:
            return label + 1 + cell_len(key.description) + 1  # margin-right 1
        return label + 2 + cell_len(key.description) + 1

    def compose(self) -> ComposeResult:
        composed = list(super().compose())
        keys = [w for w in composed if isinstance(w, FooterKey)
                and not w.has_class("-command-palette")]
        width = self._width or self.app.size.width
        left = width - (PALETTE_CELLS if len(keys) < len(composed) else 0)
        self.compact = sum(self.key_cells(k, False) for k in keys) > left
        if not self.compact:
            yield from composed
            return
        shown: set[int] = set()
        for first in (True, False):
            for key in keys:
                cells = self.key_cells(key, True)
                if (key.action in self.keep) == first and cells <= left:
                    shown.add(id(key))
                    left -= cells
        for widget in composed:
            if not isinstance(widget, FooterKey) or id(widget) in shown or widget not in keys:
                yield widget

