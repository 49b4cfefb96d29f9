"""The dashboard: the Textual app, its scheduler and history, screens, widgets, `.tcss`.

The only layer that imports Textual. Widgets display state and forward keys; policy
(what runs, what needs a `y`) comes from `tui.incident`.
May import: every other layer of `tui`, `panels`, `runbooks`, `common`.
"""
