"""Errors the user can fix, printed as one line by the CLI instead of a traceback."""


class UsageError(Exception):
    """Bad config, unknown runbook reference, bad argument: one clear line, exit 2."""
