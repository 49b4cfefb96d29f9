"""Runbook engine: parse Markdown runbooks, match alerts, run steps, keep the journal."""
