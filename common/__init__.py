"""Small helpers every layer shares, one implementation of each meaning.

Durations (one grammar to parse, one way to print), masking of secrets, terminal-safe
text and the order of statuses. This package imports nothing else of opsdash, so
`panels`, `runbooks` and `tui` may all depend on it (checked by import-linter).
"""
