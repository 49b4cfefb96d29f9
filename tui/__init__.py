"""The application, in layers that show in its folders (each folder's docstring says what
lives there and what it may import; import-linter checks it):

- `tui.cli`: argument parsing and dispatch.
- `tui.commands`: one module per subcommand (no Textual).
- `tui.dashboard`: the Textual app, scheduler, history, screens, widgets.
- `tui.incident`: step runner, runbook session, recovery watch, recording (no Textual).
- `tui.demo`: the embedded demo service (no Textual).
- `tui.config`: loading, validation, discovery (no Textual).
"""

__version__ = "0.1.0"
