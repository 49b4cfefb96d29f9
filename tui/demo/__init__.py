"""The embedded demo: a real HTTP service with switchable faults and its bundled runbook.

Headless on purpose (no Textual import here), so `opsdash demo --serve-only` runs it alone.
"""

from tui.demo.service import FAULTS, DemoService, Fault, FaultError

__all__ = ["FAULTS", "DemoService", "Fault", "FaultError"]
