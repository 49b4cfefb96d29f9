"""panels/http_client.py: the HTTP panels' one client builder, against real servers.

A poll reuses the panel's open connection (counted by the server), the CA bundle is
loaded only for https:// targets (and still verifies them), and a target that never
answers still ends as the panel's own timeout.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from panels.alertmanager import AlertmanagerPanel
from panels.base import Panel
from panels.health import HealthPanel
from panels.http_client import TIMEOUT_MARGIN_S, panel_client
from panels.tls import tls_context
from panels.traffic import EXPOSITION_ACCEPT, TrafficPanel
from tests.fixtures.common import require_binary
from tests.fixtures.http import HTTPService

Keep = Callable[[Panel[Any]], Panel[Any]]


@pytest.fixture
async def keep() -> AsyncIterator[Keep]:
    """Close every panel a test opens, pass or fail."""
    opened: list[Panel[Any]] = []

    def _keep(panel: Panel[Any]) -> Panel[Any]:
        opened.append(panel)
        return panel

    yield _keep
    for panel in opened:
        await panel.aclose()


async def test_a_health_panel_polls_on_one_kept_alive_connection(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/readyz", body={"status": "ok"})
    panel = keep(HealthPanel("api", url=url))

    for _ in range(5):
        probe = await panel.probe()
        assert probe.error is None, probe.error

    assert http_service.hits("/readyz") == 5
    assert http_service.connections == 1


async def test_each_panel_keeps_its_own_connection(http_service: HTTPService,
                                                   keep: Keep) -> None:
    health = keep(HealthPanel("api", url=http_service.route("/readyz", body={"ok": True})))
    traffic = keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics")))

    for _ in range(3):
        assert (await health.probe()).error is None
        assert (await traffic.probe()).error is None

    assert http_service.connections == 2


async def test_headers_are_set_once_on_the_client_and_a_configured_one_wins(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/readyz", body={"ok": True})
    panel = keep(HealthPanel("api", url=url, headers={"user-agent": "probe/2", "X-Key": "k"}))
    traffic = keep(TrafficPanel("api", metrics_url=url))

    await panel.probe()
    sent = {k.lower(): v for k, v in http_service.last_headers("/readyz").items()}
    assert sent["user-agent"] == "probe/2"
    assert sent["x-key"] == "k"
    await traffic.probe()
    sent = {k.lower(): v for k, v in http_service.last_headers("/readyz").items()}
    assert sent["user-agent"] == "opsdash"
    assert sent["accept"] == EXPOSITION_ACCEPT


async def test_the_client_timeout_is_the_panels_plus_a_margin_and_the_panels_wins(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/stuck", hang=True)
    panel = keep(HealthPanel("api", url=url, timeout=0.5))
    client = panel_client(url, timeout=0.5)
    try:
        assert client.timeout == httpx.Timeout(0.5 + TIMEOUT_MARGIN_S)
    finally:
        await client.aclose()

    probe = await panel.probe()

    assert probe.error is not None
    assert (probe.error.kind, probe.error.message) == ("timeout", "no answer after 0.5s")


# -- TLS: verified for https:// only ---------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl, as an operator would make one)."""
    openssl = require_binary("openssl", "openssl")
    base = tmp_path_factory.mktemp("tls")
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def https_url(certificate: tuple[Path, Path]) -> Iterator[str]:
    """A real HTTPS health endpoint with that certificate, answering {"status": "ok"}."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = json.dumps({"status": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/healthz"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def test_plain_http_targets_never_load_a_ca_bundle(http_service: HTTPService,
                                                         keep: Keep) -> None:
    tls_context.cache_clear()
    url = http_service.route("/readyz", body={"ok": True})
    health = keep(HealthPanel("api", url=url))
    traffic = keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics")))
    alerts = keep(AlertmanagerPanel("am", url=http_service.url))
    for panel in (health, traffic, alerts):
        panel.prepare()
    assert (await health.probe()).error is None

    assert tls_context.cache_info().currsize == 0

    https = panel_client("http://127.0.0.1:1", "https://127.0.0.1:2", timeout=1.0)
    await https.aclose()
    assert tls_context.cache_info().currsize == 1  # one https URL among them is enough


async def test_an_https_target_is_still_verified(https_url: str, certificate: tuple[Path, Path],
                                                 keep: Keep) -> None:
    untrusted = await keep(HealthPanel("api", url=https_url)).probe()
    trusted = await keep(HealthPanel("api", url=https_url, ca_file=str(certificate[0]))).probe()
    unverified = await keep(HealthPanel("api", url=https_url, verify_tls=False)).probe()

    assert untrusted.error is not None and untrusted.error.kind == "tls"
    assert trusted.error is None and trusted.sample is not None and trusted.sample.ok
    assert unverified.error is None


async def test_a_missing_ca_file_is_a_config_error_even_for_http(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/readyz", body={"ok": True})
    probe = await keep(HealthPanel("api", url=url, ca_file="/nonexistent/ca.pem")).probe()

    assert probe.error is not None
    assert "ca_file /nonexistent/ca.pem is not a readable file" in probe.error.message
