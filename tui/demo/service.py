"""The embedded demo service: a small real HTTP API with faults you can switch on and off.

`opsdash demo` points the dashboard at it so an engineer can watch an alert fire, open the
matching runbook, run the fix and see the panels turn green, without any real system.

It runs in-process in background threads (stdlib `ThreadingHTTPServer`, one light traffic
generator) so it never blocks the Textual event loop in the main thread, and it imports no
Textual at all so `opsdash demo --serve-only` runs it headless.

HTTP surface (all JSON unless noted):

    GET  /health, /readyz          {"status": "ok", "database": {"ok": true}, "queue": {...}}
    GET  /metrics                  Prometheus text exposition (own CollectorRegistry)
    GET  /api/orders               the fake business endpoint the traffic panel watches
    GET  /admin/faults             {"active": [...], "available": {...}, "redis": ...}
    POST /admin/<fault>            switch a fault on: down | errors | slow | backlog
    POST /admin/recover            switch every fault off
    POST /admin/recover?fault=X    switch one fault off
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import logging
import os
import random
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from common.masking import mask_url

if TYPE_CHECKING:
    import redis

#: silent unless someone listens (`--serve-only` does): under the dashboard, stderr is the
#: terminal the cards are drawn on
_log = logging.getLogger("opsdash.demo")
_log.addHandler(logging.NullHandler())

#: every demo key starts so; each run adds its own part (`opsdash-demo:<pid>-<random>:`), so
#: two demos on one Redis never touch each other's keys and a run deletes only its own
KEY_PREFIX = "opsdash-demo:"
BACKLOG_ITEMS = 1500
#: how long /api/orders takes under the `slow` fault: p95 well over HighLatency's 500 ms
SLOW_SECONDS = 0.8
#: every Nth /api/orders answers 500 under `errors`: a steady 20% the panel shows as-is
ERROR_EVERY = 5
#: Prometheus' default buckets: they hold the 0.5 s HighLatency line and 0.8 s slow answers
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


@dataclass(frozen=True)
class Fault:
    """One injectable fault and the canonical alert it is meant to fire."""

    name: str
    alert: str
    description: str


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault("down", "ServiceDown", "/health and /readyz answer 503: the database is unreachable"),
        Fault("errors", "HighErrorRate", "1 in 5 /api/orders requests answers 500"),
        Fault("slow", "HighLatency", f"/api/orders takes {SLOW_SECONDS:.1f} s"),
        Fault("backlog", "TaskQueueStuck",
              f"{BACKLOG_ITEMS} jobs pile up in the demo's Redis list (needs Redis)"),
    )
}


class FaultError(ValueError):
    """A fault that cannot be switched on: unknown name, or backlog without Redis."""


class DemoService:
    """The demo API on 127.0.0.1 with fault injection, its metrics and its own traffic.

    `port=0` picks a free port; `url` is known once `start()` returns. `redis_url` enables
    the backlog fault (without it the fault reports that it needs Redis). Its Redis keys
    live under `key_prefix`, unique to this instance, and are deleted by `stop()` (and at
    interpreter exit, should stop() never run).
    """

    def __init__(self, port: int = 0, redis_url: str | None = None, *,
                 traffic_rps: float = 8.0) -> None:
        self.redis_url = redis_url
        self.key_prefix = f"{KEY_PREFIX}{os.getpid()}-{secrets.token_hex(4)}:"
        #: the Redis list the backlog fault fills and the redis panel watches
        self.queue_key = f"{self.key_prefix}jobs"
        self._port = port
        self._traffic_rps = traffic_rps
        self._lock = threading.Lock()
        self._faults: set[str] = set()
        self._orders_seen = 0
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._redis: redis.Redis | None = None
        # Own registry, not the process-global one: two services (tests) never collide.
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("http_requests_total", "HTTP requests answered.",
                                ("method", "path", "status"), registry=self.registry)
        self.duration = Histogram("http_request_duration_seconds",
                                  "Time spent answering HTTP requests.", ("path",),
                                  buckets=BUCKETS, registry=self.registry)

    # -- lifecycle -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("DemoService is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> DemoService:
        """Bind, then serve and generate traffic in background threads; returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.service = self
        self._server = server
        serve = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="demo-http", daemon=True)
        serve.start()
        self._threads = [serve]
        atexit.register(self.remove_keys)  # the backstop; stop() unregisters it
        if self._traffic_rps > 0:
            # A few clients in parallel so the rate holds up while `slow` is on.
            workers = 4
            period = workers / self._traffic_rps
            for i in range(workers):
                t = threading.Thread(target=self._traffic, args=(period, i * period / workers),
                                     name=f"demo-traffic-{i}", daemon=True)
                t.start()
                self._threads.append(t)
        return self

    def stop(self) -> None:
        """Stop traffic and the server, join every thread; safe to call twice."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()  # joins in-flight request threads (block_on_close)
        for t in self._threads:
            t.join(timeout=10)
        self._threads = []
        self._server = None
        self.remove_keys()
        atexit.unregister(self.remove_keys)
        if self._redis is not None:
            self._redis.close()
            self._redis = None

    def remove_keys(self) -> None:
        """Delete every key of this run (only under `key_prefix`); quiet if Redis is away."""
        if self.redis_url is None:
            return
        with contextlib.suppress(Exception):  # redis errors arrive as several classes
            client = self._client()
            keys = list(client.scan_iter(match=f"{_glob_escape(self.key_prefix)}*",
                                         count=500))
            if keys:
                client.delete(*keys)

    def __enter__(self) -> DemoService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults ----------------------------------------------------------------------

    @property
    def faults(self) -> frozenset[str]:
        """Names of the faults switched on right now."""
        with self._lock:
            return frozenset(self._faults)

    def inject(self, name: str) -> None:
        """Switch a fault on (idempotent). Raises FaultError when it cannot be."""
        if name not in FAULTS:
            raise FaultError(f"unknown fault {name!r}: choose one of {', '.join(FAULTS)}")
        if name == "backlog":
            self._fill_backlog()
        with self._lock:
            self._faults.add(name)

    def recover(self, name: str | None = None) -> None:
        """Switch one fault off, or every fault when `name` is None."""
        if name is not None and name not in FAULTS:
            raise FaultError(f"unknown fault {name!r}: choose one of {', '.join(FAULTS)}")
        names = set(FAULTS) if name is None else {name}
        if "backlog" in names and self.redis_url is not None:
            # Drained even when not flagged: a backlog left by an earlier run is still one.
            with contextlib.suppress(FaultError):
                self._client().delete(self.queue_key)
        with self._lock:
            self._faults -= names

    def faults_json(self) -> dict[str, Any]:
        return {
            "active": sorted(self.faults),
            "available": {f.name: {"alert": f.alert, "description": f.description}
                          for f in FAULTS.values()},
            "redis": mask_url(self.redis_url) if self.redis_url else None,
            "queue": self.queue_key,
        }

    # -- what the endpoints answer ---------------------------------------------------

    def health(self) -> tuple[int, dict[str, Any]]:
        """Readiness with nested checks; `down` makes the database check fail."""
        depth = self.queue_depth()
        queue: dict[str, Any] = {"ok": depth is not None, "depth": depth or 0,
                                 "backend": "redis" if self.redis_url else "memory"}
        # A deep queue does not fail readiness: pulling the service out of rotation would
        # not drain it. TaskQueueStuck on the redis panel is the alert for that.
        if "down" in self.faults:
            return 503, {"status": "down",
                         "database": {"ok": False, "error": "connection refused "
                                      "(demo fault: down)"},
                         "queue": queue}
        status = "ok" if queue["ok"] else "degraded"
        return 200, {"status": status, "database": {"ok": True, "latency_ms": 2},
                     "queue": queue}

    def queue_depth(self) -> int | None:
        """LLEN of the demo queue; 0 without Redis, None when Redis does not answer."""
        if self.redis_url is None:
            return 0
        try:
            return int(self._client().llen(self.queue_key))
        except FaultError:
            return None

    def order(self) -> tuple[int, dict[str, Any]]:
        """The fake business endpoint: a little work, then the fault's effect."""
        faults = self.faults
        with self._lock:
            self._orders_seen += 1
            seq = self._orders_seen
        delay = SLOW_SECONDS if "slow" in faults else random.uniform(0.004, 0.04)
        if self._stopping.wait(delay):
            return 503, {"error": "shutting down"}
        # read again after the work: a request in flight when `errors` is recovered succeeds
        if "errors" in self.faults and seq % ERROR_EVERY == 0:
            return 500, {"error": "order store rejected the write (demo fault: errors)"}
        return 200, {"orders": [{"id": seq, "status": "paid"}]}

    def metrics_text(self) -> bytes:
        return bytes(generate_latest(self.registry))

    # -- internals -------------------------------------------------------------------

    def _client(self) -> redis.Redis:
        """One shared redis-py client (thread-safe pool); FaultError when Redis is away."""
        if self.redis_url is None:
            raise FaultError("backlog needs Redis: start redis-server on 127.0.0.1:6379 "
                             "or set OPSDASH_DEMO_REDIS")
        import redis as redis_lib  # only when Redis is used: keeps start-up light

        with self._lock:  # request threads race here; only one client may be made
            if self._redis is None:
                self._redis = redis_lib.Redis.from_url(
                    self.redis_url, socket_connect_timeout=0.5, socket_timeout=1.0)
            client = self._redis
        try:
            client.ping()
        except redis_lib.RedisError as exc:
            raise FaultError(f"backlog needs Redis, and {mask_url(self.redis_url or '')} does not "
                             f"answer: {exc}") from exc
        return client

    def _fill_backlog(self) -> None:
        client = self._client()
        try:
            pipe = client.pipeline(transaction=False)
            pipe.delete(self.queue_key)
            for start in range(0, BACKLOG_ITEMS, 500):
                pipe.rpush(self.queue_key, *(json.dumps({"job": "send-receipt", "order": i})
                                        for i in range(start, min(start + 500, BACKLOG_ITEMS))))
            pipe.execute()
        except Exception as exc:  # redis errors arrive as several classes
            raise FaultError(f"backlog could not fill {self.queue_key}: {exc}") from exc

    def _traffic(self, period: float, offset: float) -> None:
        """One synthetic client: GET /api/orders every `period` seconds until stop()."""
        if self._stopping.wait(offset):
            return
        while not self._stopping.is_set():
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/api/orders")
                conn.getresponse().read()
            except OSError:
                pass  # a refused or cut request during shutdown is not worth a traceback
            finally:
                conn.close()
            self._stopping.wait(max(0.0, period - (time.monotonic() - started)))


def _glob_escape(text: str) -> str:
    """`text` matched literally by Redis' SCAN MATCH glob."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


class _Server(ThreadingHTTPServer):
    """Request threads are joined on close, so stop() leaves nothing running."""

    daemon_threads = False
    block_on_close = True
    service: DemoService

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a poll timed out mid-answer) is routine; and a traceback
        on stderr would scribble over the dashboard drawn on the same terminal."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            _log.warning("demo request from %s failed: %r", client_address, exc)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5  # a client that connects and says nothing cannot hold stop() up
    server_version = "opsdash-demo/1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines on stderr would scribble over the dashboard."""

    @property
    def service(self) -> DemoService:
        return self.server.service

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        if path in ("/health", "/readyz", "/healthz"):
            self._json(*self.service.health())
        elif path == "/metrics":
            self._send(200, self.service.metrics_text(), CONTENT_TYPE_LATEST)
        elif path == "/api/orders":
            self._counted_order()
        elif path == "/admin/faults":
            self._json(200, self.service.faults_json())
        elif path == "/":
            self._json(200, {"service": "opsdash demo", "endpoints": [
                "/health", "/readyz", "/metrics", "/api/orders", "/admin/faults",
                "POST /admin/<down|errors|slow|backlog>", "POST /admin/recover[?fault=NAME]"]})
        else:
            self._json(404, {"error": f"no such endpoint: {path}"})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        if not path.startswith("/admin/"):
            self._json(404, {"error": f"no such endpoint: {path}"})
            return
        action = path.removeprefix("/admin/")
        try:
            if action == "recover":
                names: list[str | None] = [*parse_qs(parts.query).get("fault", [])] or [None]
                for name in names:
                    self.service.recover(name)
            elif action in FAULTS:
                self.service.inject(action)
            else:
                self._json(404, {"error": f"no such fault: {action}",
                                 "faults": list(FAULTS)})
                return
        except FaultError as exc:
            self._json(409, {"error": str(exc), **self.service.faults_json()})
            return
        self._json(200, self.service.faults_json())

    def _counted_order(self) -> None:
        """Only the business endpoint feeds the metrics, so one fault fires one alert.

        Health checks and scrapes stay out of `http_requests_total`: otherwise `down`
        would also push the error ratio up and fire HighErrorRate beside ServiceDown.
        """
        started = time.perf_counter()
        status, body = self.service.order()
        # Counted before answering, so a scrape right after the answer already sees it.
        self.service.duration.labels("/api/orders").observe(time.perf_counter() - started)
        self.service.requests.labels("GET", "/api/orders", str(status)).inc()
        self._json(status, body)

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client went away; nothing to answer
