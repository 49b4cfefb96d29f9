"""Alertmanager's runbook_url, resolved to a local section: by a [runbooks.urls] prefix,
or by file name and anchor; `check --json` carries the ref and `r` opens that section
with the alert's labels in its placeholders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from panels.alertmanager import AlertmanagerPanel
from runbooks.library import load_library
from runbooks.urls import resolve
from tests.fixtures.prometheus import AlertmanagerServer
from tests.test_app_live import until
from tests.test_check_command import CALM_HOST, check
from tui.config.model import Config, PanelSpec
from tui.dashboard.app import OpsdashApp
from tui.dashboard.widgets.runbook_pane import RunbookPane

REDIS_BOOK = """\
# Redis

## Redis memory high

1. Look at the biggest keys on the host:

   ```bash
   redis-cli -h <instance> --bigkeys
   ```
"""


@pytest.fixture
def books(tmp_path: Path) -> Path:
    folder = tmp_path / "books"
    (folder / "db").mkdir(parents=True)
    (folder / "redis.md").write_text(REDIS_BOOK)
    (folder / "db" / "pg.md").write_text("# Postgres\n\n## Pool\n\n1. `psql -c 'select 1'`\n")
    return folder


@pytest.mark.parametrize(("url", "ref"), [
    ("https://git.example.com/ops/runbooks/blob/main/redis.md#redis-memory-high",
     "redis.md#redis-memory-high"),
    ("https://runbooks.example.com/redis#redis-memory-high", "redis.md#redis-memory-high"),
    ("https://runbooks.example.com/db/pg.md#pool", "db/pg.md#pool"),
    ("https://runbooks.example.com/db/pg.md", "db/pg.md#pool"),  # the file's first section
    ("https://wiki.example.com/pages/service.md#service-down", "service.md#service-down"),
    ("https://wiki.example.com/pages/nothing-like-it.md#x", None),
    ("", None),
])
def test_a_runbook_url_resolves_by_prefix_or_by_file_name_and_anchor(
        books: Path, url: str, ref: str | None) -> None:
    library = load_library([books])
    assert resolve(url, library, {"https://runbooks.example.com/": books}) == ref


def test_check_json_carries_the_resolved_runbook_ref(tmp_path: Path, books: Path,
                                                     alertmanager: AlertmanagerServer) -> None:
    alertmanager.fire("RedisMemoryHigh", severity="warning", labels={"instance": "cache-1"},
                      annotations={"runbook_url": "https://runbooks.example.com/redis.md"
                                                  "#redis-memory-high"})
    run = check(tmp_path, CALM_HOST + f"""
        [runbooks]
        dirs = ["{books}"]
        [runbooks.urls]
        "https://runbooks.example.com/" = "{books}"
        [[alertmanager]]
        name = "prod"
        url = "{alertmanager.url}"
    """, "--json")
    assert run.code == 1, run.err
    (alert,) = run.panel("alertmanager:prod")["metrics"]["alerts"]
    assert alert["runbook_ref"] == "redis.md#redis-memory-high"


async def test_r_on_a_relayed_alert_opens_its_runbook_with_labels_filled(
        books: Path, alertmanager: AlertmanagerServer) -> None:
    alertmanager.fire("SomethingOddWithCache", severity="critical",
                      labels={"instance": "cache-1"},
                      annotations={"runbook_url": "https://git.example.com/redis.md"
                                                  "#redis-memory-high"})
    config = Config(refresh=0.3, runbook_dirs=(books,),
                    panels=(PanelSpec("alertmanager", "prod", {"url": alertmanager.url}),))
    app = OpsdashApp(config, hostname="test")
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: bool(app.firing_alerts("alertmanager:prod")),
                    what="the relayed alert")
        await pilot.press("r")
        await until(pilot, lambda: bool(app.query(RunbookPane)), what="the pane")
        pane = app.query_one(RunbookPane)
        assert pane.session.section.ref == "redis.md#redis-memory-high"
        assert pane.session.match.reason == "runbook_url of the alert rule"
        assert pane.session.values == {"instance": "cache-1"}
        assert pane.session.prepare(0).text == "redis-cli -h cache-1 --bigkeys"
        await app.action_quit()


def test_the_alertmanager_panel_resolves_nothing_without_a_resolver() -> None:
    panel = AlertmanagerPanel("prod", url="http://127.0.0.1:9")
    assert panel.runbook_ref("https://x/redis.md#a") is None


RULES = """
groups:
  - name: fleet
    interval: 1s
    rules:
      - alert: RedisMemoryHigh
        expr: vector(0) > 1
        annotations:
          runbook_url: https://runbooks.example.com/redis.md#redis-memory-high
      - alert: GhostAlert
        expr: vector(0) > 1
        annotations:
          runbook_url: https://runbooks.example.com/gone.md#nowhere
      - alert: NoLinkAtAll
        expr: vector(0) > 1
"""


def test_lint_lists_rules_whose_runbook_url_leads_nowhere(
        tmp_path: Path, books: Path, start_prometheus: Any) -> None:
    import subprocess
    import sys

    (books / "orphan.md").write_text("# OrphanAlert\n\n## Mitigation\n\n1. `uptime`\n")
    prometheus = start_prometheus([], rules=RULES)
    config = tmp_path / "opsdash.toml"
    config.write_text(f'[prometheus]\nurl = "{prometheus.url}"\n[runbooks]\ndirs = ["{books}"]\n'
                      f'[runbooks.urls]\n"https://runbooks.example.com/" = "{books}"\n')
    run = subprocess.run([str(Path(sys.executable).parent / "opsdash"), "--config", str(config),
                          "runbooks", "lint"], capture_output=True, text=True, timeout=60,
                         check=False, cwd=tmp_path, env={**__import__("os").environ,
                                                         "PATH": "/usr/bin:/bin"})
    lines = run.stdout.splitlines()
    assert f"{prometheus.url}: error: alert rule GhostAlert (fleet): runbook_url " \
           "https://runbooks.example.com/gone.md#nowhere resolves to no local runbook " \
           "section" in lines
    assert not any("RedisMemoryHigh" in line for line in lines)  # it resolves
    assert not any("NoLinkAtAll" in line for line in lines)  # no link, nothing to check
    assert (f"orphan.md#mitigation: warning: claims alert OrphanAlert, which no Prometheus "
            f"rule at {prometheus.url} defines") in lines
    assert run.returncode == 1
