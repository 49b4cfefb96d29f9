"""The four statuses and their order, shared by panels, the journal and every screen."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    CRIT = "crit"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Order for "worst of": crit beats warn beats unknown beats ok."""
        return {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}[self.value]

    @property
    def exit_code(self) -> int:
        """Nagios plugin convention, so `opsdash check` drops into cron and CI."""
        return {"ok": 0, "warn": 1, "crit": 2, "unknown": 3}[self.value]

    @staticmethod
    def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
        return max(statuses, key=lambda s: s.rank, default=Status.OK)
