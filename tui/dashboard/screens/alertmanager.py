"""Alertmanager drill-down: the fleet's alerts most severe first, filtered, and silenced.

`/` filters the table by a substring of any label (or the summary), or by
`label=value`; `s` cycles the sort column. `x` proposes a silence for the selected
alert (every one of its labels, 2 h, `user@host`) and `S` lists the silences, `E`
expires the selected one. Both are shown as the amtool command they amount to and go
through the step runner's policy: a `y` first, refused under --read-only. They use the
panel's own client, so the silence lands on the Alertmanager the card reads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Label, Static

from common.terminal import safe_text
from panels.amlabels import severity_rank, silence_matchers
from tui.dashboard.screens.drilldown import DrillDownScreen
from tui.dashboard.widgets.figures import duration
from tui.dashboard.widgets.table_sync import by_sort_key, cell, sync_rows

COLUMNS = (("severity", "severity"), ("alert", "alertname"), ("state", "state"),
           ("instance", "instance"), ("since", "since"), ("summary", "summary"))
SILENCE_COLUMNS = (("id", "id"), ("state", "state"), ("ends", "ends"),
                   ("by", "created_by"), ("matchers", "matchers"), ("comment", "comment"))
SEVERITY_STYLE = {0: "bold red", 1: "yellow", 2: ""}
#: firing plain, pending (Prometheus, inside its `for`) in italics: what may page next
STATE_STYLE = {"active": "", "pending": "italic"}
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(text: str | None) -> float | None:
    """Alertmanager's RFC 3339 (nanoseconds, `Z`) as epoch seconds; None if unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00")
                                      ).timestamp()
    except ValueError:
        return None


def matches_filter(alert: dict[str, Any], text: str) -> bool:
    """`label=value` (exact), else a case-insensitive substring of a label or summary."""
    text = text.strip()
    if not text:
        return True
    labels: dict[str, str] = alert.get("labels") or {}
    name, sep, value = text.partition("=")
    if sep and name.strip() and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
        return labels.get(name.strip()) == value.strip().strip('"')
    low = text.lower()
    haystack = [*labels.values(), *labels.keys(), alert.get("summary") or ""]
    return any(low in str(v).lower() for v in haystack)


class AlertmanagerScreen(DrillDownScreen):
    kind: ClassVar[str] = "alertmanager"

    DEFAULT_CSS = """
    AlertmanagerScreen #am-figures { height: 1; padding: 0 1; }
    AlertmanagerScreen #am-filter { display: none; }
    AlertmanagerScreen #am-filter.-shown { display: block; }
    AlertmanagerScreen #am-alerts { height: 1fr; min-height: 5; }
    AlertmanagerScreen #am-detail { height: auto; max-height: 7; padding: 0 1;
                                    background: $boost; }
    AlertmanagerScreen #am-silences-title { height: 1; padding: 0 1; background: $panel;
                                            display: none; }
    AlertmanagerScreen #am-silences { height: auto; max-height: 10; display: none; }
    AlertmanagerScreen #am-silences-title.-shown, AlertmanagerScreen #am-silences.-shown {
        display: block;
    }
    """

    BINDINGS = [
        Binding("s", "sort_next", "Sort column", id="am-sort"),
        Binding("slash", "filter", "Filter", id="am-filter"),
        Binding("x", "silence", "Silence alert", id="am-silence"),
        Binding("S", "silences", "Silences", id="am-silences"),
        Binding("E", "expire", "Expire silence", id="am-expire"),
    ]

    sort_column = "severity"
    filter_text = ""

    def compose_body(self) -> ComposeResult:
        yield Label("", id="am-figures")
        yield Input(placeholder="filter: text in any label, or label=value (enter: done)",
                    id="am-filter")
        table: DataTable[Any] = DataTable(id="am-alerts", cursor_type="row", zebra_stripes=True)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="am-detail", markup=False)
        yield Label("silences (E: expire the selected one)", id="am-silences-title")
        silences: DataTable[Any] = DataTable(id="am-silences", cursor_type="row")
        for label, key in SILENCE_COLUMNS:
            silences.add_column(label, key=key)
        yield silences

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#am-alerts", DataTable).focus()

    # -- the alerts --------------------------------------------------------------------

    def alerts(self) -> list[dict[str, Any]]:
        if self.state is None:
            return []
        return list(self.state.metrics.get("alerts") or [])

    def render_state(self, state: Any) -> None:
        m = state.metrics
        shown = [a for a in self.alerts() if matches_filter(a, self.filter_text)]
        head = f"{m.get('firing', '–')} firing · {m.get('silenced', '–')} silenced"
        if "pending" in m:  # only with a prometheus_url: None when Prometheus is unread
            head += f" · {'–' if m['pending'] is None else m['pending']} pending"
        if self.filter_text:
            head += f" · filter {self.filter_text!r}: {len(shown)} shown"
        self.query_one("#am-figures", Label).update(head)
        rows: dict[str, list[Any]] = {}
        for i, a in enumerate(shown):
            rank = severity_rank(a.get("severity"))
            since = parse_time(a.get("starts_at"))
            age = max(0.0, state.updated_at - since) if since is not None else None
            rows[str(a.get("fingerprint") or i)] = [
                cell(a.get("severity") or "–", (rank, a.get("alertname"), a.get("instance")),
                     style=SEVERITY_STYLE[rank]),
                cell(a.get("alertname")),
                cell(a.get("state"), style=STATE_STYLE.get(str(a.get("state")), "dim")),
                cell(a.get("instance") or None), cell(duration(age), age),
                cell(" ".join((a.get("summary") or "").split()) or None),
            ]
        table = self.query_one("#am-alerts", DataTable)
        sync_rows(table, rows)
        self._sort(table)
        self._show_detail()

    def _sort(self, table: DataTable[Any]) -> None:
        if table.row_count:
            table.sort(self.sort_column, key=by_sort_key)

    def action_sort_next(self) -> None:
        keys = [key for _, key in COLUMNS]
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self._sort(self.query_one("#am-alerts", DataTable))
        self.notify(f"sorted by {self.sort_column}", timeout=2)

    def selected_alert(self) -> dict[str, Any] | None:
        table = self.query_one("#am-alerts", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((a for i, a in enumerate(self.alerts())
                     if str(a.get("fingerprint") or i) == key), None)

    @on(DataTable.RowHighlighted, "#am-alerts")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        alert = self.selected_alert()
        text = ""
        if alert is not None and self.state is not None:
            more = (self.state.extra.get("alerts") or {}).get(alert.get("fingerprint")) or {}
            labels = alert.get("labels") or {}
            lines = [" ".join(f"{k}={v}" for k, v in sorted(labels.items()))]
            lines += [x for x in (alert.get("summary"), more.get("description")) if x]
            if alert.get("runbook_url"):
                ref = alert.get("runbook_ref")
                lines.append(f"runbook: {alert['runbook_url']}" + (f" -> {ref}" if ref else ""))
            if more.get("silenced_by"):
                lines.append("silenced by " + ", ".join(more["silenced_by"]))
            if more.get("inhibited_by"):
                lines.append("inhibited by " + ", ".join(more["inhibited_by"]))
            text = "\n".join(lines)
        self.query_one("#am-detail", Static).update(text)

    # -- filter ------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#am-filter", Input)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#am-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        if self.state is not None:
            self.render_state(self.state)

    @on(Input.Submitted, "#am-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.query_one("#am-filter", Input).remove_class("-shown")
        self.query_one("#am-alerts", DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#am-filter", Input)
        if box.has_focus:  # escape leaves the filter box first, then the screen
            box.value = ""
            box.remove_class("-shown")
            self.query_one("#am-alerts", DataTable).focus()
            return
        super().action_back()

    # -- silences ----------------------------------------------------------------------

    def action_silence(self) -> None:
        alert = self.selected_alert()
        if alert is None:
            self.notify("no alert selected", severity="warning")
            return
        if self.panel is None or not hasattr(self.panel, "create_silence"):
            self.notify("not connected to this Alertmanager", severity="error")
            return
        from panels.alertmanager import DEFAULT_SILENCE_S, default_author, go_duration

        panel: Any = self.panel
        matchers = silence_matchers(alert.get("labels") or {})
        author = default_author()
        name = alert.get("alertname") or "alert"
        comment = f"{name} silenced from opsdash by {author}"
        command = panel.silence_command(matchers, DEFAULT_SILENCE_S, comment, author)
        shown = (f"{command}\n\nfor {go_duration(DEFAULT_SILENCE_S)}, matching exactly:\n  "
                 + "\n  ".join(str(m) for m in matchers))

        async def create() -> None:
            try:
                silence_id = await panel.create_silence(matchers, DEFAULT_SILENCE_S, comment,
                                                        author)
            except Exception as exc:  # said on screen, never a traceback
                self.notify(safe_text(f"silence failed: {exc}", single_line=True), severity="error")
                return
            self.notify(safe_text(f"silence {silence_id} created for {name}", single_line=True))
            if self.query_one("#am-silences", DataTable).has_class("-shown"):
                await self._load_silences()

        self.ask_to_run(f"Silence {name} for {go_duration(DEFAULT_SILENCE_S)}?", command,
                        "bash", shown,
                        lambda: self.run_worker(create(), group="am-silence",
                                                exit_on_error=False))

    def action_silences(self) -> None:
        table = self.query_one("#am-silences", DataTable)
        title = self.query_one("#am-silences-title", Label)
        if table.has_class("-shown"):
            table.remove_class("-shown")
            title.remove_class("-shown")
            self.query_one("#am-alerts", DataTable).focus()
            return
        table.add_class("-shown")
        title.add_class("-shown")
        table.focus()
        self.run_worker(self._load_silences(), group="am-silences", exclusive=True,
                        exit_on_error=False)

    async def _load_silences(self) -> None:
        panel: Any = self.panel
        if panel is None or not hasattr(panel, "list_silences"):
            self.notify("not connected to this Alertmanager", severity="error")
            return
        try:
            silences = await panel.list_silences()
        except Exception as exc:
            self.notify(safe_text(f"cannot list silences: {exc}", single_line=True),
                        severity="error")
            return
        rows: dict[str, list[Any]] = {}
        for s in silences:
            ends = parse_time(s.ends_at)
            when = datetime.fromtimestamp(ends, UTC).strftime("%m-%d %H:%M UTC") if ends else None
            rows[s.id] = [cell(safe_text(s.id, single_line=True)),
                          cell(safe_text(s.state, single_line=True)), cell(when, ends),
                          cell(safe_text(s.created_by, single_line=True)),
                          cell(safe_text(" ".join(s.matchers), single_line=True)),
                          cell(safe_text(s.comment, single_line=True))]
        sync_rows(self.query_one("#am-silences", DataTable), rows)

    def selected_silence(self) -> str | None:
        table = self.query_one("#am-silences", DataTable)
        if not table.has_class("-shown") or not table.row_count:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(value) if value is not None else None

    def action_expire(self) -> None:
        silence_id = self.selected_silence()
        if silence_id is None:
            self.notify("no silence selected (S lists them)", severity="warning")
            return
        panel: Any = self.panel
        command = panel.expire_command(silence_id)

        async def expire() -> None:
            try:
                await panel.expire_silence(silence_id)
            except Exception as exc:
                self.notify(safe_text(f"expire {silence_id} failed: {exc}", single_line=True),
                            severity="error")
                return
            self.notify(f"silence {silence_id} expired")
            await self._load_silences()

        self.ask_to_run(f"Expire silence {silence_id}?", command, "bash", command,
                        lambda: self.run_worker(expire(), group="am-expire",
                                                exit_on_error=False))
