"""Configuration: the TOML loader and its validation, and discovery when there is none.

No Textual. May import: `panels` (each kind's declaration), `common`.
"""
