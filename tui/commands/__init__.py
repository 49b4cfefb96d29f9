"""Command-line entry points: `check`, `runbooks`, `report`, `demo` and `replay`.

Each module is one subcommand, imported by `tui.cli` only when chosen. No Textual here:
only `demo` and `replay` start the dashboard, through `tui.dashboard.launch`, imported
when they run.
May import: `tui.config`, `tui.incident`, `tui.demo`, `panels`, `runbooks`, `common`.
"""
