"""Command-line entry points: `check`, `runbooks`, `report`, `demo` (and `replay`).

Each module is one subcommand, imported by `tui.cli` only when chosen. No Textual here:
only `demo` starts the dashboard, through `tui.dashboard.launch`, imported when it runs.
May import: `tui.config`, `tui.incident`, `tui.demo`, `panels`, `runbooks`, `common`.
"""
