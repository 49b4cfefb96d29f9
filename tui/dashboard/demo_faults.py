"""`f` under `opsdash demo`: the fault menu, and injecting or recovering in a thread (the
backlog fault writes 1,500 jobs to Redis). Only the demo's app has one."""

from __future__ import annotations

from typing import Any

from textual.app import App

from tui.dashboard.screens.fault_menu import LABELS, RECOVER_ALL, FaultMenu
from tui.demo.service import FAULTS, DemoService, FaultError


class DemoFaults:
    def __init__(self, app: App[Any], demo: DemoService) -> None:
        self.app = app
        self.demo = demo

    def open_menu(self) -> None:
        alerts = {name: fault.alert for name, fault in FAULTS.items()}
        self.app.push_screen(FaultMenu(self.demo, alerts), self._chosen)

    def _chosen(self, choice: str | None) -> None:
        if choice:
            self.app.run_worker(lambda: self._apply(choice), thread=True, group="demo-faults",
                                exit_on_error=False)

    def _apply(self, choice: str) -> None:
        app = self.app
        try:
            if choice == RECOVER_ALL:
                self.demo.recover()
                message, title = "every demo fault is off", "recovered"
            else:
                self.demo.inject(choice)
                message = (f"{LABELS.get(choice, choice)} injected: "
                           f"{FAULTS[choice].alert} fires within its `for`")
                title = "fault injected"
        except (FaultError, OSError) as exc:
            app.call_from_thread(app.notify, str(exc), title="fault not injected",
                                 severity="error", timeout=8)
            return
        app.call_from_thread(app.notify, message, title=title, timeout=5)
