"""Runbook engine: parse Markdown runbooks, match alerts, run steps, keep the journal.

The API the app uses (each module's docstring has the details):

    from runbooks.library import load_library        # load_library(dirs) -> Library
    library.sections, library.find("file.md#slug")    # RunbookRefError if unknown
    from runbooks.match import match                 # match(library, alert, mapping) -> [Match]
    from runbooks.model import Section, Step, Command  # Command: lang, code, destructive,
                                                     #   interactive, placeholders
    from runbooks.placeholders import fill_placeholders, missing_placeholders
    from runbooks.execute import run_command, run_attached, StepResult
    from runbooks.journal import Journal               # Journal(path).append(event)
    from common.masking import mask_secrets, is_secret_name
    from common.terminal import safe_text, safe_output
    from runbooks.lint import lint_library
    from runbooks.report import render_report

Nothing here imports Textual, rich, tui or panels (import-linter checks it).
"""
