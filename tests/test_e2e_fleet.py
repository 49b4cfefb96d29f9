"""The fleet in a real terminal: an alert relayed by a real Alertmanager, carrying a
`runbook_url`, opens its local runbook section with `r`, the alert's labels filling the
step's placeholders, in the console script run by tmux.

What only a real terminal shows: the card naming the relayed alert, the pane drawn with
the command as it would run (`<instance>` replaced by the alert's `instance` label), and
the terminal given back with exit status 0 after `q`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.prometheus import AlertmanagerServer
from tests.test_e2e_tmux import OPSDASH, Tmux

pytestmark = pytest.mark.e2e

RUNBOOK_URL = "https://runbooks.example.com/redis.md#redis-memory-high"
REDIS_BOOK = """\
# Redis

## Redis memory high

1. Look at the memory figures of the instance that alerted:

   ```bash
   redis-cli -h <instance> info memory
   ```
"""


@pytest.fixture
def wide_tmux(tmp_path: Path) -> Iterator[Tmux]:
    """Wide enough that the pane beside the cards shows the whole command on one line."""
    session = Tmux(tmp_path, width=140, height=40)
    try:
        yield session
    finally:
        session.kill()


def test_r_on_a_relayed_alert_opens_its_runbook_url_with_labels_filled(
        wide_tmux: Tmux, tmp_path: Path, alertmanager: AlertmanagerServer) -> None:
    tmux = wide_tmux
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "redis.md").write_text(REDIS_BOOK)
    # a team's own alert name no heuristic would tie to the section: the URL does
    alertmanager.fire("CachePressure", severity="critical",
                      labels={"instance": "cache-1", "team": "cache"},
                      annotations={"summary": "cache-1 near maxmemory",
                                   "runbook_url": RUNBOOK_URL})
    config = tmp_path / "opsdash.toml"
    config.write_text(f"""
refresh = 1.0
[runbooks]
dirs = ["{books}"]
[runbooks.urls]
"https://runbooks.example.com/" = "{books}/"
[[alertmanager]]
name = "prod"
url = "{alertmanager.url}"
""")
    tmux.type(f"XDG_STATE_HOME={tmp_path / 'state'} {OPSDASH} --config {config} "
              f"--journal {tmp_path / 'j.jsonl'}; echo opsdash-exit=$?")
    tmux.wait_for("alertmanager prod", "CachePressure", "1 firing (1 crit)")
    tmux.send("r")
    screen = tmux.wait_for("Redis memory high", "redis-cli -h cache-1 info memory")
    assert "<instance>" not in screen  # filled from the alert's label, not left to type
    tmux.send("q")
    after = tmux.wait_for("opsdash-exit=0", timeout=15)
    assert "alertmanager prod" not in after  # alternate screen left
