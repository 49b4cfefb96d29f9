"""`opsdash report`: the journal as a Markdown incident timeline on stdout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runbooks.journal import default_journal_path, read_journal
from runbooks.report import render_report
from tui.config.loader import find_config, load_config


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
    sys.stdout.write(render_report(read.events))
    return 0
