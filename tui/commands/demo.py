"""`opsdash demo`: start the embedded demo service, then the dashboard watching it.

The demo is a rehearsal of a real incident: the panels watch a real HTTP service (and a
local Redis when one answers), its faults fire the canonical alerts within seconds, and
the bundled demo runbook's steps fix them through the same HTTP the service exposes.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from dataclasses import replace
from importlib import resources
from pathlib import Path
from types import FrameType

from common.masking import mask_url
from panels.alerts import DEFAULT_RULES
from panels.base import AlertRule
from tui.config.loader import Config, PanelSpec
from tui.demo.service import FAULTS, DemoService
from tui.errors import UsageError

#: the local Redis the backlog fault uses when it answers; OPSDASH_DEMO_REDIS overrides
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
URL_ENV = "OPSDASH_DEMO_URL"
REDIS_ENV = "OPSDASH_DEMO_REDIS"
#: this run's own job list in that Redis: the runbook's redis-cli steps read it
QUEUE_ENV = "OPSDASH_DEMO_QUEUE"
RUNBOOK_FILE = "runbook.md"
#: demo section of each alert, by heading slug in tui/demo/runbook.md
RUNBOOK_SECTIONS: dict[str, str] = {
    "ServiceDown": "servicedown-demo-service-not-ready",
    "HighErrorRate": "higherrorrate-demo-orders-failing",
    "HighLatency": "highlatency-demo-orders-slow",
    "TaskQueueStuck": "taskqueuestuck-demo-jobs-piling-up",
}
#: `for` durations short enough to watch an alert go pending -> firing in a demo
DEMO_FOR_S: dict[str, float] = {"HighErrorRate": 10.0, "HighLatency": 10.0,
                                "TaskQueueStuck": 5.0}


def run_demo(args: argparse.Namespace) -> int:
    """Start the service; serve it alone (`--serve-only`) or under the dashboard."""
    redis_url = find_redis()
    port = int(getattr(args, "port", 0) or 0)
    service = DemoService(port=port, redis_url=redis_url)
    try:
        service.start()
    except OSError as exc:
        raise UsageError(f"demo service cannot listen on port {port}: "
                         f"{exc.strerror or exc}") from exc
    try:
        export_env(service)
        if getattr(args, "serve_only", False):
            return serve_forever(service)
        from tui.dashboard.launch import run_app

        config = demo_config(service, refresh=getattr(args, "refresh", None))
        if getattr(args, "config", None):
            config = with_user_config(config, args.config)
        journal = getattr(args, "journal", None)
        return run_app(config, read_only=bool(getattr(args, "read_only", False)),
                       journal=Path(journal) if journal else None,
                       title="opsdash demo", demo=service)
    finally:
        service.stop()


def find_redis(timeout: float = 0.3) -> str | None:
    """OPSDASH_DEMO_REDIS when set, else the local Redis if it answers PING quickly."""
    explicit = os.environ.get(REDIS_ENV)
    if explicit:
        return explicit
    # A raw PING rather than redis-py: the demo starts fast and loads no client it
    # may not need; a refused port costs nothing, a silent one at most `timeout`.
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError:
        return None
    # "-NOAUTH" means a Redis we cannot use without a password: leave backlog off.
    return LOCAL_REDIS if answer.startswith(b"+PONG") else None


def export_env(service: DemoService) -> None:
    """Runbook steps run by opsdash inherit os.environ, so they find the demo this way."""
    os.environ[URL_ENV] = service.url
    if service.redis_url:
        os.environ[REDIS_ENV] = service.redis_url
        os.environ[QUEUE_ENV] = service.queue_key


def demo_runbook_dir() -> Path:
    """The folder holding the bundled demo runbook (package data of tui.demo)."""
    return Path(str(resources.files("tui.demo").joinpath(RUNBOOK_FILE))).parent


def demo_config(service: DemoService, *, refresh: float | None = None) -> Config:
    """The dashboard for the demo, built directly (no TOML): its panels, rules, runbooks."""
    panels = [
        PanelSpec("health", "demo", {"url": f"{service.url}/readyz"}, timeout=2.0),
        PanelSpec("traffic", "demo", {"metrics_url": f"{service.url}/metrics"}, timeout=2.0),
    ]
    if service.redis_url:
        panels.append(PanelSpec("redis", "demo", {"url": service.redis_url,
                                                  "queues": [service.queue_key]}, timeout=2.0))
    panels.append(PanelSpec("host", "host", {}))
    alerts: dict[str, AlertRule] = {
        name: replace(DEFAULT_RULES[name], for_s=for_s) for name, for_s in DEMO_FOR_S.items()
    }
    runbook_map: dict[str, tuple[str, ...]] = {alert: (f"{RUNBOOK_FILE}#{slug}",)
                   for alert, slug in RUNBOOK_SECTIONS.items()}
    hints = () if service.redis_url else (
        "start redis-server on 127.0.0.1:6379 (or set OPSDASH_DEMO_REDIS) "
        "to try the backlog fault",)
    return Config(refresh=refresh or 1.0, panels=tuple(panels), alerts=alerts,
                  runbook_dirs=(demo_runbook_dir(),), runbook_map=runbook_map, hints=hints)


def with_user_config(demo: Config, path: str) -> Config:
    """`opsdash demo --config F`: the demo panels first, then F's panels, runbooks and rules.

    The user's own alert overrides win, but the demo's runbook sections stay first for
    its alerts, so the demo still tells its story beside the user's real targets.
    """
    from tui.config.loader import find_config, load_config

    user = load_config(find_config(path), refresh=demo.refresh)
    runbook_map = dict(user.runbook_map)
    for alert, refs in demo.runbook_map.items():
        runbook_map[alert] = (*refs, *(r for r in runbook_map.get(alert, ()) if r not in refs))
    theirs = {(spec.kind, spec.name) for spec in user.panels}
    ours = tuple(spec for spec in demo.panels if (spec.kind, spec.name) not in theirs)
    return replace(demo, panels=ours + user.panels,
                   alerts={**demo.alerts, **user.alerts},
                   runbook_dirs=demo.runbook_dirs + user.runbook_dirs,
                   runbook_map=runbook_map, source=user.source,
                   journal=user.journal, read_only=user.read_only)


def serve_forever(service: DemoService) -> int:
    """`--serve-only`: say where everything is, then serve until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format="opsdash demo: %(message)s")
    url = service.url
    lines = [f"opsdash demo service on {url}",
             f"  health   {url}/readyz   {url}/health",
             f"  metrics  {url}/metrics",
             f"  traffic  {url}/api/orders (about 8 requests/s of its own)",
             f"  faults   curl {url}/admin/faults"]
    for fault in FAULTS.values():
        lines.append(f"           curl -X POST {url}/admin/{fault.name:<8} # {fault.alert}: "
                     f"{fault.description}")
    lines.append(f"  recover  curl -X POST '{url}/admin/recover'   "
                 "(one fault: ?fault=NAME)")
    redis = mask_url(service.redis_url) if service.redis_url else None
    lines.append(f"  redis    {redis or 'none (backlog fault unavailable)'}")
    lines.append(f"  export {URL_ENV}={url}")
    if redis:
        lines.append(f"  export {REDIS_ENV}={redis}")
        lines.append(f"  export {QUEUE_ENV}={service.queue_key}")
    lines.append("Ctrl-C stops it.")
    print("\n".join(lines), flush=True)

    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        while not done.wait(0.5):  # a timed wait so Ctrl-C lands promptly
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("opsdash demo service stopped.", file=sys.stderr, flush=True)
    return 0
