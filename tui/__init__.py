"""The application: CLI, config, scheduler, the Textual app and the embedded demo service."""

__version__ = "0.1.0"
