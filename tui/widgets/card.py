"""One configured target as a card: status colour and word, key figures, sparkline, note.

The card only renders what it is given (`show(state, series)`); the scheduler fetches.
Status is never colour alone: the word (OK/WARN/CRIT/UNKNOWN) and an icon are always
on the first line, so a colour-blind operator or a monochrome SSH session reads it too.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static

from panels.base import Status
from panels.watch import PanelState
from tui.messages import DrillDown
from tui.widgets.figures import STATUS_ICON, STATUS_WORD, card_lines, note

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
    {w} .status-word {{ text-style: bold; width: auto; padding-right: 1; }}
    {w}.-ok .status-word {{ color: $success; }}
    {w}.-warn .status-word {{ color: $warning; }}
    {w}.-crit .status-word {{ color: $error; }}
    {w}.-unknown .status-word {{ color: $secondary; }}
    {w}.-waiting .status-word {{ color: $foreground-muted; }}
"""


def status_class(status: Status | None) -> str:
    return "-waiting" if status is None else f"-{status.value}"


def status_text(status: Status | None) -> str:
    if status is None:
        return "… WAIT"
    return f"{STATUS_ICON[status]} {STATUS_WORD[status]}"


class CardBase(Vertical, can_focus=True):
    """What a single card and a group card share: focus, status class, drill on click."""

    DEFAULT_CSS = """
    CardBase {
        height: 1fr;
        min-height: 6;
        padding: 0 1;
        border-title-align: left;
    }
    """

    def __init__(self, panel_id: str, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.panel_id = panel_id
        self.border_title = title
        self.status: Status | None = None
        self.add_class("-waiting")

    def set_status(self, status: Status | None) -> None:
        if status is self.status and self.has_class(status_class(status)):
            return
        self.status = status
        self.remove_class(*STATUS_CLASSES)
        self.add_class(status_class(status))

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


class PanelCard(CardBase):
    """One target: `kind name` in the border, status word, two lines of figures, a sparkline."""

    DEFAULT_CSS = """
    PanelCard > .card-head { height: 1; }
    PanelCard .card-target { color: $foreground-muted; width: 1fr; text-overflow: ellipsis; }
    PanelCard > .card-figures { height: 2; text-overflow: ellipsis; }
    PanelCard > Sparkline { height: 1; margin: 0; }
    PanelCard > .card-note { height: 1; color: $text-warning; text-overflow: ellipsis; }
    PanelCard.-crit > .card-note { color: $text-error; }
    """ + STATUS_CSS.format(w="PanelCard")

    def __init__(self, panel_id: str, kind: str, name: str, *, target: str = "",
                 id: str | None = None) -> None:
        super().__init__(panel_id, kind if name == kind else f"{kind} {name}", id=id)
        self.kind = kind
        self.target = target
        self.state: PanelState | None = None
        self._shown: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="card-head"):
            yield Label(status_text(None), classes="status-word")
            yield Label(self.target, classes="card-target")
        yield Static("waiting for the first poll", classes="card-figures")
        yield Sparkline([], summary_function=max)
        yield Static("", classes="card-note")

    def show(self, state: PanelState, series: Sequence[float] = ()) -> None:
        """Render one poll's state; unchanged text is not re-rendered (output stays small)."""
        self.state = state
        self.set_status(state.status)
        figures = "\n".join(card_lines(state))
        texts = (status_text(state.status), state.target, figures, note(state))
        if texts != self._shown:
            self._shown = texts
            self.query_one(".status-word", Label).update(texts[0])
            self.query_one(".card-target", Label).update(texts[1])
            self.query_one(".card-figures", Static).update(texts[2])
            self.query_one(".card-note", Static).update(texts[3])
        spark = self.query_one(Sparkline)
        data = list(series)
        if data != spark.data:
            spark.data = data
