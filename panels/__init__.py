"""Data layer: one module per panel kind, talking to real systems. No Textual here."""
