"""A step's output as it is printed: a bounded log that repaints only what changed.

Mid-incident this widget is what moves on screen, often over SSH, so what it costs per
line matters (DESIGN.md: under 10 KB/s to the terminal, output on screen within 50 ms):

- Lines are queued and flushed at most once per frame (FRAME_S): a chatty command
  (thousands of lines per read) costs one flush per frame, and a lone line shows at once.
  A flush appends and repaints only the new lines' cells: no layout, no thread.
- Following the tail, the view does not scroll by a line per line (each scroll repaints
  the whole region): when the last line would go past the bottom, it jumps so the last
  line sits half a page up, and the next half page of lines fill in below it.
- Scrolling up stops the following; coming back to the bottom resumes it.
- Lines are cut at the widget's width with `…` and never scroll sideways: no horizontal
  scrollbar, one row fewer.
- At most MAX_LINES are kept (older ones go PRUNE_LINES at a time, so the view shifts
  once per PRUNE_LINES lines, not on every line), and at most QUEUE_LINES wait for a
  frame (a flood beyond that is shown as its newest lines and a count of the skipped).

Text arrives masked already; every line goes through common.terminal.safe_text (colours
dropped too) before it is kept, so nothing but text is ever drawn.
"""

from __future__ import annotations

from collections import deque

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer

from common.terminal import safe_text

MAX_LINES = 1000
#: lines dropped at once when MAX_LINES is passed
PRUNE_LINES = 100
#: lines waiting for a frame: older ones are skipped (and counted), and the newest
#: QUEUE_LINES with the `… N lines skipped` note still fit after a prune
QUEUE_LINES = MAX_LINES - PRUNE_LINES - 1
#: at most one flush per frame (Textual's own screen refresh runs at 60 Hz)
FRAME_S = 1 / 60


class StepOutput(ScrollView, can_focus=True):
    """`begin()` a step, `line()` its output, `note()` exit code and duration."""

    ALLOW_SELECT = True
    DEFAULT_CSS = """
    StepOutput {
        height: 40%;
        min-height: 4;
        border-top: hkey $panel-lighten-2;
        background: $background;
        color: $text;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        &:focus { background-tint: $foreground 5%; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[str] = []
        self._pending: deque[str] = deque(maxlen=QUEUE_LINES)
        self._dropped = 0
        #: rows of the scrollable area: the lines plus the room the last jump made
        self._rows = 0
        self._following = True
        self._timer: Timer | None = None

    # -- what the pane calls --------------------------------------------------------------

    def begin(self, number: int, command: str) -> None:
        self.flush()
        lines = [ln for ln in command.splitlines() if ln.strip()]
        shown = [ln.strip() if ln.lstrip().startswith("#") else f"$ {ln}" for ln in lines]
        self._append([f"── step {number} ──", *(shown or ["$"])])

    def line(self, stream: str, text: str) -> None:
        """Queue one printed line; it shows within a frame."""
        if len(self._pending) == self._pending.maxlen:
            self._dropped += 1
        self._pending.append(text)
        if self._timer is None:
            self._timer = self.set_interval(FRAME_S, self._tick, name="step-output")
        else:
            self._timer.resume()

    def note(self, text: str) -> None:
        self.flush()
        self._append([text])

    def clear(self) -> None:
        """Start over (another session in the pane): empty, following."""
        self._pending.clear()
        self._dropped = 0
        self._lines.clear()
        self._rows = 0
        self._following = True
        self.virtual_size = Size(0, 0)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def flush(self) -> None:
        """Show what is queued now."""
        lines: list[str] = []
        if self._dropped:
            lines.append(f"… {self._dropped} lines skipped (output too fast to show)")
            self._dropped = 0
        lines.extend(self._pending)
        self._pending.clear()
        if lines:
            self._append(lines)

    def _tick(self) -> None:
        # one flush per frame; a frame with nothing queued parks the timer until line()
        if self._pending:
            self.flush()
        elif self._timer is not None:
            self._timer.pause()

    @property
    def lines(self) -> list[str]:
        """The lines kept, as shown (terminal-safe)."""
        return self._lines

    @property
    def following(self) -> bool:
        """The view follows the last line (until the user scrolls up)."""
        return self._following

    def text(self) -> str:
        """Everything shown so far (tests and screenshots read it)."""
        self.flush()
        return "\n".join(self._lines)

    # -- keeping the lines and the view -----------------------------------------------

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height)

    def _append(self, lines: list[str]) -> None:
        kept = self._lines
        start = len(kept)
        for line in lines:
            kept.extend(safe_text(part, single_line=True) for part in line.split("\n"))
        pruned = max(0, len(kept) - MAX_LINES)
        if pruned:
            pruned += PRUNE_LINES
            del kept[:pruned]
            start = 0
        rows = max(0, self._rows - pruned)
        if len(kept) > rows:
            # room for half a page more: the next lines fill rows already on screen
            page = self._page
            rows = max(page, len(kept) + page // 2)
        if rows != self._rows:
            self._rows = rows
            top = round(self.scroll_y)
            self.virtual_size = Size(0, rows)
            # following: the bottom, where the last line is; else the same lines as before
            self._scroll_y_to(self.max_scroll_y if self._following else max(0, top - pruned))
        if pruned:
            self.refresh()  # every line moved up
        else:
            self._refresh_new(start)

    def _scroll_y_to(self, y: int) -> None:
        """Scroll now: max_scroll_y follows virtual_size at once, no layout is waited for."""
        following = self._following
        self.scroll_to(y=y, animate=False, immediate=True, force=True)
        self._following = following

    def _refresh_new(self, first: int) -> None:
        """Paint the lines from `first` on that are on screen: each lands on a blank row, so
        only the cells its text covers are sent, not the row's width in spaces."""
        top = round(self.scroll_y)
        width = self.scrollable_content_region.width
        for index in range(max(first, top), min(len(self._lines), top + self._page)):
            cells = min(width, cell_len(self._lines[index]))
            if cells:
                self.refresh(Region(0, index - top, cells, 1))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # the user scrolled: at the bottom the view follows again, anywhere else it stays
        self._following = round(new_value) >= self.max_scroll_y

    def on_resize(self) -> None:
        """Another height: half a page of room for the new one (the room left for a taller
        view would hide every line of a shorter one), and the last line kept in view."""
        page = self._page
        rows = max(page, len(self._lines) + page // 2)
        if rows != self._rows:
            self._rows = rows
            self.virtual_size = Size(0, rows)
        if self._following:
            self._scroll_y_to(self.max_scroll_y)

    # -- drawing ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        line = self._lines[index]
        if cell_len(line) > width:
            line = set_cell_size(line, max(0, width - 1)) + "…"
        selection = self.text_selection
        span = selection.get_span(index) if selection is not None else None
        if span is None:
            # one segment, padded: one colour change per row sent, not one per part
            strip = Strip([Segment(set_cell_size(line, width), style)], width)
        else:
            text = Text(line, style=style, no_wrap=True, end="")
            select: Style = self.screen.get_component_rich_style("screen--selection")
            text.stylize(select, span[0], len(line) if span[1] == -1 else span[1])
            strip = Strip(text.render(self.app.console), cell_len(line))
            strip = strip.crop_extend(0, width, style)
        return strip.apply_offsets(0, index)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self._lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()
