"""Errors the user can fix, printed as one line by the CLI instead of a traceback.

Kept here, importing nothing, so `tui.cli` can tell them apart without loading config.
"""


class UsageError(Exception):
    """Unknown runbook reference, bad argument, refused step: one clear line, exit 2."""


class ConfigError(Exception):
    """One line: `opsdash.toml:12: [[redis]] #1 "ulr": unknown key (did you mean "url"?)`;
    exit 3 from every command."""
