"""`opsdash replay`: play the recording back in the same dashboard, read-only.

    opsdash replay                      # the last ten minutes of the recording
    opsdash replay --at 03:12           # today (or yesterday, if 03:12 is still ahead)
    opsdash replay --at -45m            # 45 minutes ago
    opsdash replay --at 2026-11-30T03:12:00
    opsdash replay --incident 2         # 30 s before incident 2 (as `opsdash report` numbers it)
    opsdash replay --speed 10 --recording /path/recording.sqlite

The cards are the recorded panels (the recording names them), so a replay works on a
machine whose config has changed since; the config still gives the runbook folders. No
Textual here: the dashboard starts through `tui.dashboard.launch`, as `opsdash demo` does.
"""

from __future__ import annotations

import argparse
import math
import re
import sqlite3
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common.durations import parse_duration
from runbooks.incidents import incidents
from runbooks.journal import default_journal_path, read_journal
from tui.config.loader import Config, ConfigError, PanelSpec, find_config, load_config
from tui.errors import UsageError
from tui.incident.recording import RecordingStore, recording_path

#: how far before an incident's first firing `--incident` starts: the lead-up shows
INCIDENT_LEAD_S = 30.0
#: where a replay without --at/--incident starts: this long before the recording's end
DEFAULT_BACK_S = 600.0

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_time(text: str, now: float | None = None) -> float:
    """`-10m` (before now), `HH:MM[:SS]` (the last such moment), or an ISO timestamp
    (local time unless it names a zone) -> Unix seconds. UsageError otherwise."""
    now = time.time() if now is None else now
    raw = text.strip()
    hint = "(use e.g. -10m, 03:12 or 2026-11-30T03:12:00)"
    if raw.startswith("-"):
        try:
            return now - parse_duration(raw[1:])
        except ValueError:
            raise UsageError(f"--at {text!r}: not a time {hint}") from None
    m = _CLOCK.match(raw)
    if m:
        hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise UsageError(f"--at {text!r}: not a time of day {hint}")
        today = datetime.fromtimestamp(now).replace(hour=hour, minute=minute, second=second,
                                                    microsecond=0)
        if today.timestamp() > now:
            today -= timedelta(days=1)
        return today.timestamp()
    try:
        return datetime.fromisoformat(raw).timestamp()
    except ValueError:
        raise UsageError(f"--at {text!r}: not a time {hint}") from None


def incident_start(events: list[dict[str, Any]], number: int) -> float:
    """`INCIDENT_LEAD_S` before incident `number` opened, numbered as `opsdash report`
    numbers them (runbooks.incidents), so `report --incident 2` and `replay --incident 2`
    are the same incident."""
    found = incidents(events)
    if not found:
        raise UsageError("the journal records no incident: use --at TIME instead")
    chosen = next((i for i in found if i.number == number), None)
    if chosen is None:
        raise UsageError(f"--incident {number}: the journal records {len(found)} "
                         f"incident(s), number them 1 to {len(found)}")
    return chosen.opened - INCIDENT_LEAD_S


def _user_config(args: argparse.Namespace) -> Config | None:
    try:
        path = find_config(getattr(args, "config", None))
        return load_config(path) if path is not None else None
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def replay_config(store: RecordingStore, user: Config | None,
                  runbook_dirs: tuple[Path, ...] = ()) -> Config:
    """One card per recorded panel; runbooks and alert rules from the user's config."""
    panels = tuple(PanelSpec(kind, name, {}) for _pid, kind, name in store.panels())
    base = user or Config(refresh=1.0)
    return replace(base, panels=panels, refresh=1.0, discovered=False, hints=(),
                   read_only=True, runbook_dirs=runbook_dirs + base.runbook_dirs)


def open_recording(path: Path) -> RecordingStore:
    if not path.is_file():
        raise UsageError(f"no recording at {path}: the dashboard writes one while it runs "
                         "([recording] in the config)")
    try:
        store = RecordingStore.open(path, create=False)
    except (sqlite3.Error, OSError) as exc:
        raise UsageError(f"{path}: not a readable recording ({exc})") from None
    if store.bounds() is None:
        store.close()
        raise UsageError(f"{path}: the recording is empty")
    return store


def start_time(args: argparse.Namespace, bounds: tuple[float, float],
               user: Config | None) -> float:
    if getattr(args, "incident", None) is not None:
        journal = Path(args.journal) if getattr(args, "journal", None) else (
            (user.journal if user else None) or default_journal_path())
        try:
            events = read_journal(journal).events
        except OSError as exc:
            raise UsageError(f"--incident needs the journal, and {journal} cannot be read: "
                             f"{exc.strerror or exc}") from None
        at = incident_start(events, args.incident)
    elif getattr(args, "at", None):
        at = parse_time(args.at)
    else:
        at = bounds[1] - DEFAULT_BACK_S
    return min(max(at, bounds[0]), bounds[1])


def run_replay(args: argparse.Namespace) -> int:
    speed = getattr(args, "speed", None)
    speed = 1.0 if speed is None else float(speed)
    if not math.isfinite(speed) or speed <= 0:
        raise UsageError(f"--speed must be a number > 0, got {speed:g}")
    user = _user_config(args)
    explicit = getattr(args, "recording", None)
    path = Path(explicit).expanduser() if explicit else recording_path(
        user.recording if user else Config().recording)
    store = open_recording(path)
    try:
        bounds = store.bounds()
        assert bounds is not None
        at = start_time(args, bounds, user)
        dirs = tuple(Path(d).expanduser() for d in getattr(args, "runbook_dirs", None) or ())
        config = replay_config(store, user, dirs)
        from tui.dashboard.launch import run_replay as launch

        journal = getattr(args, "journal", None)
        return launch(config, store, start=at, speed=speed,
                      journal=Path(journal) if journal else None)
    finally:
        store.close()
