"""The grid of cards: reflows its columns to the width it gets, moves focus between cards.

Columns follow the grid's own width (not the terminal's), so when the side pane opens
the grid simply gets narrower and reflows; the cards are spread evenly over the rows
(six cards in four columns would leave two holes: three and three instead).

Heights: a card takes the rows its own lines need (`CARD_HEIGHT`), and the height left
goes to history: when every row of cards can also hold a chart (`CHART_CARD_HEIGHT`) the
rows share the whole height and each card charts its kind's figures under its lines;
otherwise (80x24) cards keep their own height, and past the screen the grid scrolls.
"""

from __future__ import annotations

import math

from textual import events
from textual.binding import Binding
from textual.containers import Container

from tui.dashboard.messages import DrillDown
from tui.dashboard.widgets.card import CARD_LINES, CHART_MIN_ROWS, CardBase

CARD_MIN_WIDTH = 38
#: a card's own lines and its border
CARD_HEIGHT = CARD_LINES + 2
#: the least a card with a chart under its lines takes
CHART_CARD_HEIGHT = CARD_HEIGHT + CHART_MIN_ROWS
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
        min-height: {CARD_HEIGHT};
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
    rows = 0

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
        most = max(1, min(MAX_COLUMNS, count, width // CARD_MIN_WIDTH))
        rows = math.ceil(count / most)
        columns = math.ceil(count / rows)  # as few holes in the last row as the rows allow
        if (columns, rows) != (self.columns, self.rows):
            self.columns, self.rows = columns, rows
            self.styles.grid_size_columns = columns
            self.styles.grid_size_rows = 0
        charts = rows * CHART_CARD_HEIGHT <= height
        self.styles.grid_rows = "1fr" if charts else f"{CARD_HEIGHT}"

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
