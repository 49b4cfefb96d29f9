"""`opsdash report`: the journal as a Markdown incident timeline on stdout."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path

from common.durations import parse_duration
from runbooks.incidents import incidents
from runbooks.journal import default_journal_path, read_journal
from runbooks.report import render_record, render_report
from tui.config.loader import find_config, load_config
from tui.errors import UsageError


def _journal_path(args: argparse.Namespace) -> Path:
    explicit = getattr(args, "journal", None)
    if explicit:
        return Path(explicit)
    path = find_config(getattr(args, "config", None))
    if path is not None:
        journal = load_config(path).journal
        if journal is not None:
            return journal
    return default_journal_path()


def run_report(args: argparse.Namespace) -> int:
    path = _journal_path(args)
    if not path.exists():
        print(f"opsdash: no journal at {path} yet: nothing has been recorded", file=sys.stderr)
        return 1
    try:
        read = read_journal(path)
    except OSError as exc:
        print(f"opsdash: cannot read the journal {path}: {exc.strerror}", file=sys.stderr)
        return 1
    for bad in read.bad_lines:
        print(f"opsdash: {path}: skipped {bad}", file=sys.stderr)
    if not read.events:
        print(f"opsdash: the journal {path} is empty: nothing has been recorded",
              file=sys.stderr)
        return 1
    events = read.events
    since = parse_since(args.since, time.time()) if getattr(args, "since", None) else None
    wanted = getattr(args, "incident", None)
    if getattr(args, "json", False) or since is not None or wanted is not None:
        found = [i for i in incidents(events)
                 if (since is None or i.opened >= since) and (wanted is None or
                                                              i.number == wanted)]
        if wanted is not None and not found:
            raise UsageError(f"no incident {wanted} in {path}")
        if getattr(args, "json", False):
            print(json.dumps([i.as_json() for i in found], indent=2, ensure_ascii=True))
        else:
            sys.stdout.write(render_record(found))
        return 0
    sys.stdout.write(render_report(events))
    return 0


def parse_since(text: str, now: float) -> float:
    """`2026-11-30T14:00`, `2026-11-30`, `14:00` (today, local time) or `-2h` (ago)."""
    value = text.strip()
    if value.startswith("-"):
        try:
            return now - parse_duration(value[1:])
        except ValueError as exc:
            raise UsageError(f"--since {text!r}: {exc}") from None
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", value):
            today = datetime.fromtimestamp(now).date().isoformat()
            value = f"{today}T{value}"
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise UsageError(f"--since {text!r}: expected 2026-11-30T14:00, 14:00 or -2h"
                         ) from None
