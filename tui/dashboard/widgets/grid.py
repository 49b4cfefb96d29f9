"""The grid of cards: reflows its columns to the width it gets, moves focus between cards.

Columns follow the grid's own width (not the terminal's), so when the side pane opens
the grid simply gets narrower and reflows. Rows share the height while the cards fit at
their minimum height; past that, rows keep that height and the grid scrolls.
"""

from __future__ import annotations

import math

from textual import events
from textual.binding import Binding
from textual.containers import Container

from tui.dashboard.messages import DrillDown
from tui.dashboard.widgets.card import CardBase

CARD_MIN_WIDTH = 38
CARD_MIN_HEIGHT = 7
MAX_COLUMNS = 4


class CardGrid(Container, can_focus=False):
    """Holds PanelCard/GroupCard widgets in config order."""

    DEFAULT_CSS = f"""
    CardGrid {{
        layout: grid;
        grid-size: 2;
        grid-gutter: 0 0;
        grid-rows: 1fr;
        height: 1fr;
        width: 1fr;
        min-height: {CARD_MIN_HEIGHT};
        overflow-y: auto;
    }}
    """

    BINDINGS = [
        Binding("left", "move(-1, 0)", "Left", show=False, id="card-left"),
        Binding("right", "move(1, 0)", "Right", show=False, id="card-right"),
        Binding("up", "move(0, -1)", "Up", show=False, id="card-up"),
        Binding("down", "move(0, 1)", "Down", show=False, id="card-down"),
        Binding("h", "move(-1, 0)", "Left", show=False, id="card-h"),
        Binding("l", "move(1, 0)", "Right", show=False, id="card-l"),
        Binding("k", "move(0, -1)", "Up", show=False, id="card-k"),
        Binding("j", "move(0, 1)", "Down", show=False, id="card-j"),
        Binding("enter", "drill", "Details", id="drill-down"),
    ]

    columns = 2

    @property
    def cards(self) -> list[CardBase]:
        return list(self.query_children(CardBase))

    def on_resize(self, event: events.Resize) -> None:
        self.reflow()

    def on_mount(self) -> None:
        self.reflow()

    def reflow(self) -> None:
        """Pick columns from our width and rows from our height; cheap, so call freely."""
        count = max(1, len(self.cards))
        width = self.size.width or self.app.size.width
        height = self.size.height or self.app.size.height
        columns = max(1, min(MAX_COLUMNS, count, width // CARD_MIN_WIDTH))
        rows = math.ceil(count / columns)
        self.columns = columns
        self.styles.grid_size_columns = columns
        fits = rows * CARD_MIN_HEIGHT <= height
        self.styles.grid_size_rows = 0
        self.styles.grid_rows = "1fr" if fits else f"{CARD_MIN_HEIGHT}"

    def selected(self) -> CardBase | None:
        focused = self.app.focused
        return focused if isinstance(focused, CardBase) and focused.parent is self else None

    def select(self, index: int) -> None:
        cards = self.cards
        if cards:
            card = cards[max(0, min(index, len(cards) - 1))]
            card.focus()
            card.scroll_visible()

    def action_move(self, dx: int, dy: int) -> None:
        cards = self.cards
        current = self.selected()
        if current is None:
            self.select(0)
            return
        index = cards.index(current) + dx + dy * self.columns
        if 0 <= index < len(cards):
            self.select(index)

    def action_drill(self) -> None:
        card = self.selected()
        if card is not None:
            self.post_message(DrillDown(card.panel_id))
