"""`opsdash demo`'s fault menu: pick a fault to inject, or recover everything.

A modal OptionList; choosing dismisses with the choice (a fault name, or RECOVER_ALL),
and the app applies it in a thread worker (the backlog fault talks to Redis). Faults
the demo cannot inject (backlog without Redis) are listed, disabled, with the reason.
"""

from __future__ import annotations

from typing import Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

RECOVER_ALL = "recover-all"

#: menu wording, in menu order, by demo fault name
LABELS: dict[str, str] = {
    "down": "service down",
    "errors": "error spike",
    "slow": "slow responses",
    "backlog": "queue backlog",
}
NO_REDIS = ("needs Redis: start redis-server on 127.0.0.1:6379 or set OPSDASH_DEMO_REDIS, "
            "then restart the demo")


class FaultSource(Protocol):
    """What the menu needs of the demo service."""

    @property
    def faults(self) -> frozenset[str]: ...

    redis_url: str | None


def menu_options(demo: FaultSource, alerts: dict[str, str]) -> list[Option]:
    """One option per fault (`alerts`: fault -> the alert it fires), then recover all."""
    active = demo.faults
    options: list[Option] = []
    for name, label in LABELS.items():
        alert = alerts.get(name, "")
        text = f"{label}  → {alert}" if alert else label
        if name in active:
            text += "  (on)"
        disabled = name == "backlog" and not demo.redis_url
        if disabled:
            text += f"  — {NO_REDIS}"
        options.append(Option(text, id=name, disabled=disabled))
    on_now = ", ".join(sorted(active)) or "none on"
    options.append(Option(f"recover all  ({on_now})", id=RECOVER_ALL))
    return options


class FaultMenu(ModalScreen[str | None]):
    """`push_screen(FaultMenu(demo, alerts), callback)`: callback gets the choice or None."""

    DEFAULT_CSS = """
    FaultMenu { align: center middle; }
    FaultMenu > Vertical {
        width: 80%; max-width: 90; height: auto; max-height: 80%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    FaultMenu #fault-title { text-style: bold; }
    FaultMenu OptionList { height: auto; max-height: 12; margin: 1 0; }
    FaultMenu #fault-keys { color: $foreground-muted; }
    """

    BINDINGS = [Binding("escape", "close", "Close", id="fault-close"),
                Binding("f", "close", "Close", show=False, id="fault-close-f")]

    def __init__(self, demo: FaultSource, alerts: dict[str, str]) -> None:
        super().__init__()
        self.demo = demo
        self.alerts = alerts

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Inject a fault into the demo service", id="fault-title")
            yield OptionList(*menu_options(self.demo, self.alerts), id="fault-options")
            yield Label("enter: apply · esc: close", id="fault-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)

    def action_close(self) -> None:
        self.dismiss(None)
