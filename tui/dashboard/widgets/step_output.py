"""A step's output as it is printed: a bounded log fed in batches.

Lines arrive one by one from the step runner on the event loop; writing each into the
widget at once would let a chatty command (thousands of lines per read) stall the UI, so
they are queued (bounded) and flushed every FLUSH_S, well inside the 50 ms budget. The
widget keeps at most MAX_LINES; older ones scroll away, as in a terminal. Text arrives
masked already; this widget only shows it.
"""

from __future__ import annotations

from collections import deque

from textual.timer import Timer
from textual.widgets import Log

from common.terminal import safe_text

MAX_LINES = 1000
#: longest a printed line waits before it shows
FLUSH_S = 0.02


class StepOutput(Log):
    """`begin()` a step, `line()` its output, `end()` with exit code and duration."""

    DEFAULT_CSS = """
    StepOutput {
        height: 40%;
        min-height: 4;
        border-top: hkey $panel-lighten-2;
        background: $background;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, id=id)
        self._pending: deque[str] = deque(maxlen=MAX_LINES)
        self._dropped = 0
        self._timer: Timer | None = None

    def begin(self, number: int, command: str) -> None:
        self.flush()
        lines = [ln for ln in command.splitlines() if ln.strip()]
        shown = [ln.strip() if ln.lstrip().startswith("#") else f"$ {ln}" for ln in lines]
        self.write_lines([f"── step {number} ──", *(shown or ["$"])])

    def line(self, stream: str, text: str) -> None:
        """Queue one printed line; it shows within FLUSH_S."""
        if len(self._pending) == self._pending.maxlen:
            self._dropped += 1
        self._pending.append(text)
        if self._timer is None:
            self._timer = self.set_timer(FLUSH_S, self.flush)

    def note(self, text: str) -> None:
        self.flush()
        self.write_line(text)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._dropped:
            self.write_line(f"… {self._dropped} lines skipped (output too fast to show)")
            self._dropped = 0
        if self._pending:
            lines = list(self._pending)
            self._pending.clear()
            self.write_lines(lines)

    @classmethod
    def _process_line(cls, line: str) -> str:
        """Textual's Log lets ESC through to the terminal: the colours the step runner kept
        (SGR only) are dropped here, at the last moment, so nothing but text is drawn."""
        return super()._process_line(safe_text(line, single_line=True))

    def text(self) -> str:
        """Everything shown so far (tests and screenshots read it)."""
        self.flush()
        return "\n".join(self.lines)
