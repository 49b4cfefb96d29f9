"""`check --json` is always valid JSON: figures that are nan or inf become null."""

from __future__ import annotations

import json
import math

from tui.commands.check import finite


def test_non_finite_figures_become_null_at_any_depth() -> None:
    doc = {"status": "crit", "panels": [{"metrics": {
        "p95_ms": math.inf, "error_ratio": math.nan, "rate": -math.inf, "ok": 1.5,
        "queues": {"a": 3}, "disks": [{"used_pct": math.nan, "mount": "/"}]}}]}
    text = json.dumps(finite(doc), allow_nan=False)
    assert json.loads(text) == {"status": "crit", "panels": [{"metrics": {
        "p95_ms": None, "error_ratio": None, "rate": None, "ok": 1.5, "queues": {"a": 3},
        "disks": [{"used_pct": None, "mount": "/"}]}}]}
