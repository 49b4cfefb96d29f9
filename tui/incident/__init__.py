"""Incident logic that needs no screen: the one step runner, the runbook session, the
recovery watch, the live figures beside checklist items, and the recording of every panel
sample with its playback cursor (`recording`, `replay`).

The pane and `opsdash runbooks run` both drive steps through `tui.incident.steps`; a
widget never decides what runs or what needs a confirmation. No Textual.
May import: `runbooks`, `panels`, `common`.
"""
