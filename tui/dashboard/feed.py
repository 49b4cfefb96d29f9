"""Who hears about each poll: the scheduler writes history, then the app hands each new
PanelState to the feed, and every subscriber (the open drill-down, the runbook dock)
takes what it wants. Nothing fans out by type checks."""

from __future__ import annotations

from collections.abc import Callable

from panels.watch import PanelState

Subscriber = Callable[[PanelState], None]


class PanelFeed:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add `subscriber`; the returned function removes it again."""
        self._subscribers.append(subscriber)
        return lambda: self._unsubscribe(subscriber)

    def _unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def publish(self, state: PanelState) -> None:
        for subscriber in list(self._subscribers):
            subscriber(state)
