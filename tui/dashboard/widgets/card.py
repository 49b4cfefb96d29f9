"""One configured target as a card: status colour and word, key figures, sparkline, note.

The card only renders what it is given (`show(state, series)`); the scheduler fetches.
Status is never colour alone: the word (OK/WARN/CRIT/UNKNOWN) and an icon are always
on the first line, so a colour-blind operator or a monochrome SSH session reads it too.

A card is one widget that draws its lines from its state (no child widgets), and its
size comes from the grid, so an update never needs a layout pass. `show()` works out
what each line would draw at the card's current width (the text, or the sparkline's bar
heights rather than the raw numbers) and repaints only the lines that changed: over SSH
a steady dashboard sends a few lines a second, not whole cards. `show()` is safe at any
time, before the card is mounted too: it keeps the state and the first paint draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from panels.base import Status
from panels.watch import PanelState
from tui.dashboard.messages import DrillDown
from tui.dashboard.widgets.chart import AXIS, DATA, LIMIT, ChartData, rows, title
from tui.dashboard.widgets.figures import STATUS_ICON, STATUS_WORD, card_lines, note
from tui.dashboard.widgets.spark import levels, spark_parts

STATUS_CLASSES = ("-ok", "-warn", "-crit", "-unknown", "-waiting")

#: card border and word colours, shared with the group card
STATUS_CSS = """
    {w}.-ok {{ border: round $success; }}
    {w}.-warn {{ border: round $warning; }}
    {w}.-crit {{ border: round $error; }}
    {w}.-unknown {{ border: round $secondary; }}
    {w}.-waiting {{ border: round $panel-lighten-2; }}
    {w}.-ok:focus {{ border: heavy $success; }}
    {w}.-warn:focus {{ border: heavy $warning; }}
    {w}.-crit:focus {{ border: heavy $error; }}
    {w}.-unknown:focus {{ border: heavy $secondary; }}
    {w}.-waiting:focus {{ border: heavy $accent; }}
    {w}:focus {{ background: $boost; border-title-style: bold reverse; }}
    {w} > .card--word {{ text-style: bold; }}
    {w}.-ok > .card--word {{ color: $success; }}
    {w}.-warn > .card--word {{ color: $warning; }}
    {w}.-crit > .card--word {{ color: $error; }}
    {w}.-unknown > .card--word {{ color: $secondary; }}
    {w}.-waiting > .card--word {{ color: $foreground-muted; }}
    {w} > .card--muted {{ color: $foreground-muted; }}
"""

#: what one line draws: compared between polls, turned into text only when painted
LineKey = tuple[Hashable, ...]


def status_class(status: Status | None) -> str:
    return "-waiting" if status is None else f"-{status.value}"


def status_text(status: Status | None) -> str:
    if status is None:
        return "… WAIT"
    return f"{STATUS_ICON[status]} {STATUS_WORD[status]}"


class CardBase(Widget, can_focus=True):
    """What a single card and a group card share: focus, status class, drill on click,
    and drawing by lines (`line_keys()` says what each line shows, `line_text()` draws it).
    """

    DEFAULT_CSS = """
    CardBase {
        height: 1fr;
        min-height: 6;
        padding: 0 1;
        border-title-align: left;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"card--word", "card--muted"}

    def __init__(self, panel_id: str, title: str, *, id: str | None = None) -> None:
        #: what each line shows now, worked out for this content width
        self._line_keys: list[LineKey] = []
        self._keys_width = -1
        #: drawn lines by key: a line that looks as before is not drawn again
        self._strips: dict[LineKey, Strip] = {}
        #: the card's own style and its component styles, worked out once per restyle
        #: (each walks the DOM: they were half the cost of a repainted line)
        self._paint_styles: dict[str, Style] = {}
        #: line keys worked out (`rebuilds`) and repaints asked of Textual (`repaints`):
        #: what "no work for an unchanged card" is tested by
        self.rebuilds = 0
        self.repaints = 0
        super().__init__(id=id, classes="-waiting")
        self.panel_id = panel_id
        self.border_title = title
        self.status: Status | None = None

    def set_status(self, status: Status | None) -> None:
        if status is self.status and self.has_class(status_class(status)):
            return
        self.status = status
        self.remove_class(*STATUS_CLASSES)
        self.add_class(status_class(status))  # restyles: the whole card repaints

    # -- drawing by lines ------------------------------------------------------------

    def line_keys(self, width: int) -> list[LineKey]:
        """What each line shows at `width` cells, as comparable data."""
        raise NotImplementedError

    def line_parts(self, key: LineKey, width: int) -> list[tuple[str, Style | None]]:
        """One line, drawn from its key: (text, style over the card's own) pairs."""
        raise NotImplementedError

    def _keys(self, width: int) -> list[LineKey]:
        if width != self._keys_width:
            self.rebuilds += 1
            self._line_keys, self._keys_width = self.line_keys(width), width
        return self._line_keys

    def paint_style(self, component: str | None = None) -> Style:
        """The card's rich style (None) or a component's, cached until the next restyle."""
        key = component or ""
        style = self._paint_styles.get(key)
        if style is None:
            style = self._paint_styles[key] = (
                self.get_component_rich_style(component) if component else self.rich_style)
        return style

    def render_line(self, y: int) -> Strip:
        # Textual asks for content lines only (border and padding are its own), and only
        # for lines marked dirty: an unchanged line is neither rebuilt nor sent
        width = self.content_size.width
        keys = self._keys(width)
        base = self.paint_style()
        if y >= len(keys):
            return Strip.blank(width, base)
        key = keys[y]
        strip = self._strips.get(key)
        if strip is None or strip.cell_length != width:
            segments = [Segment(text, base + style if style else base)
                        for text, style in self.line_parts(key, width) if text]
            strip = self._strips[key] = Strip(segments).crop_extend(0, width, base)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # status, focus or theme changed: colours are new
        self._paint_styles.clear()

    def on_resize(self) -> None:
        self._keys_width = -1
        self._strips.clear()

    def repaint_changed(self) -> None:
        """Work out each line anew and repaint only those whose keys changed."""
        width = self.content_size.width
        before = self._line_keys if width == self._keys_width else None
        self._keys_width = -1
        if not self.is_mounted or width <= 0 or before is None:
            self.repaints += 1
            self.refresh()  # not painted yet (or resized): the next paint draws it all
            return
        keys = self._keys(width)
        if len(keys) != len(before):
            self.repaints += 1
            self.refresh()
            return
        changed = [Region(0, y, width, 1)
                   for y, (new, old) in enumerate(zip(keys, before, strict=True)) if new != old]
        if changed:
            if len(self._strips) > 4 * len(keys):  # keep only what is on screen now
                self._strips = {k: v for k, v in self._strips.items() if k in keys}
            self.repaints += 1
            self.refresh(*changed)

    def text(self) -> str:
        """What the card shows, as plain text (tests, the e2e checks, screen readers)."""
        width = max(1, self.content_size.width)
        return "\n".join("".join(text for text, _ in self.line_parts(key, width))
                         for key in self.line_keys(width))

    def fitted(self, *parts: tuple[str, str | None], width: int
               ) -> list[tuple[str, Style | None]]:
        """Parts (text, component class or None) on one line, cut with … at `width`."""
        styled = [(text, self.paint_style(component) if component else None)
                  for text, component in parts]
        if sum(cell_len(text) for text, _ in styled) <= width:
            return styled
        out: list[tuple[str, Style | None]] = []
        left = width - 1  # room for the ellipsis
        for text, style in styled:
            size = cell_len(text)
            if size >= left:
                out.append((set_cell_size(text, left) + "…", style))
                break
            out.append((text, style))
            left -= size
        return out

    # -- selection -------------------------------------------------------------------

    _selected_before_click = False

    def focus_on_click(self) -> bool:
        # Textual asks this on mouse down, just before it moves focus here: remember
        # whether the card was already selected, so this click opens it rather than selects
        self._selected_before_click = self.has_focus
        return True

    async def _on_click(self, event: events.Click) -> None:
        # first click selects; a second click (or a double-click) opens the drill-down
        if event.chain >= 2 or self._selected_before_click:
            self.post_message(DrillDown(self.panel_id))
        else:
            self.focus()


#: a card's own lines: head, two figure lines, sparkline, note
CARD_LINES = 5
#: the least room a chart is drawn in: its title, three plot rows, the time axis
CHART_MIN_ROWS = 5
#: rows per chart before a second chart of the kind is drawn too
CHART_SHARE_ROWS = 9

#: the charts a card draws, worked out only when it has room for them
ChartSource = Callable[[], Sequence[ChartData]]


class PanelCard(CardBase):
    """One target: `kind name` in the border, status word, two lines of figures, a sparkline,
    and, when the grid gives it room, its kind's charts over the history window."""

    DEFAULT_CSS = """
    PanelCard > .card--note { color: $text-warning; }
    PanelCard > .card--chart { color: $primary; }
    PanelCard > .card--limit { color: $error; }
    PanelCard.-crit > .card--note { color: $text-error; }
    PanelCard > .card--spark-max { color: $primary; }
    PanelCard > .card--spark-min { color: $primary 30%; }
    """ + STATUS_CSS.format(w="PanelCard")

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "card--word", "card--muted", "card--note", "card--spark-max", "card--spark-min",
        "card--chart", "card--limit"}

    #: points the sparkline draws (two minutes at a 1 s refresh)
    SPARK_POINTS = 120

    def __init__(self, panel_id: str, kind: str, name: str, *, target: str = "",
                 id: str | None = None) -> None:
        super().__init__(panel_id, kind if name == kind else f"{kind} {name}", id=id)
        self.kind = kind
        self.target = target
        self.state: PanelState | None = None
        self.series: Sequence[float] = ()
        self.charts: ChartSource | None = None
        self._spark_colors: tuple[Color, Color] | None = None
        #: what the last `take` was drawn from: the same again needs no work at all
        self._inputs: tuple[object, ...] | None = None
        #: seconds per chart column (the smallest of the charts drawn), None: no chart
        self._chart_step: float | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._spark_colors = None

    def show(self, state: PanelState, series: Sequence[float] = (),
             charts: ChartSource | None = None) -> None:
        """Take one poll's state; lines that would look the same are not repainted."""
        if self.take(state, series, charts):
            self.repaint_changed()

    def take(self, state: PanelState, series: Sequence[float] = (),
             charts: ChartSource | None = None) -> bool:
        """Keep the state without repainting yet (a batch repaints once at its end);
        False when nothing the card draws can have changed: then skip `repaint_changed`.

        `charts` is called only when the card has room to draw them (not at 80x24).
        """
        inputs = self.inputs(state, series)
        self.state = state
        self.series = series
        self.charts = charts
        self.set_status(state.status)
        if inputs == self._inputs and self._keys_width >= 0:
            return False
        self._inputs = inputs
        return True

    def inputs(self, state: PanelState, series: Sequence[float]) -> tuple[object, ...]:
        """Everything the lines are worked out from, compared before working them out.

        A failing card's note ages (`stale 3m05s`), so it counts its time; a chart moves
        only when a poll opens a new column, so it counts columns, not seconds.
        """
        step = self._chart_step
        return (state.status, state.target, state.summary, state.metrics, state.error,
                state.alerts, state.updated_at if state.last_ok_at is not None
                and state.error is not None else None, tuple(series),
                None if step is None else state.updated_at // step)

    def chart_rows(self) -> int:
        """Rows left under the card's own lines for charts, 0 when too few for one."""
        spare = self.content_size.height - CARD_LINES
        return spare if spare >= CHART_MIN_ROWS else 0

    def chart_keys(self, width: int) -> list[LineKey]:
        spare = self.chart_rows()
        datas = list(self.charts()) if spare and self.charts is not None else []
        self._chart_step = None
        if not datas:
            return []
        count = max(1, min(len(datas), spare // CHART_SHARE_ROWS))
        # at most `width - 1` cells of two columns each: a step no longer than the real one
        self._chart_step = min(d.window_s for d in datas[:count]) / (2 * max(1, width - 1))
        keys: list[LineKey] = []
        for i, data in enumerate(datas[:count]):
            block = spare // count + (1 if i < spare % count else 0)
            keys.append(("chart-title", title(data)))
            keys.extend(("chart", row) for row in rows(data, width, block - 1))
        return keys

    def line_keys(self, width: int) -> list[LineKey]:
        state = self.state
        if state is None:
            head, figures, note_line = (status_text(None), self.target), [
                "waiting for the first poll", ""], ""
        else:
            head = (status_text(state.status), state.target)
            figures = [*card_lines(state), "", ""][:2]
            note_line = note(state)
        return [("head", *head), ("figures", figures[0]), ("figures", figures[1]),
                ("spark", levels(self.series, width)), ("note", note_line),
                *self.chart_keys(width)]

    def line_parts(self, key: LineKey, width: int) -> list[tuple[str, Style | None]]:
        kind = key[0]
        if kind == "head":
            return self.fitted((str(key[1]), "card--word"), (" ", None),
                               (str(key[2]), "card--muted"), width=width)
        if kind == "spark":
            if self._spark_colors is None:
                base = self.background_colors[1]
                self._spark_colors = (
                    base + self.get_component_styles("card--spark-min").color,
                    base + self.get_component_styles("card--spark-max").color)
            low, high = self._spark_colors
            bars = key[1]
            assert isinstance(bars, tuple)
            return spark_parts(bars, low, high)
        if kind == "note":
            return self.fitted((str(key[1]), "card--note"), width=width)
        if kind == "chart-title":
            return self.fitted((str(key[1]), "card--muted"), width=width)
        if kind == "chart":
            runs = key[1]
            assert isinstance(runs, tuple)
            styles = {DATA: self.paint_style("card--chart"),
                      LIMIT: self.paint_style("card--limit"),
                      AXIS: self.paint_style("card--muted")}
            return [(text, styles[what]) for text, what in runs]
        return self.fitted((str(key[1]), None), width=width)

