"""The one place an HTTP panel's client is built (health, traffic, alertmanager, host_prom).

Every poll used to pay for set-up the panel could have done once; collection is most of
opsdash's steady CPU (issue #15), so the client is built for a panel's whole life:

- one client per panel, kept alive between polls: a poll is one request on an open
  connection, not a TCP handshake (a pool shared by all panels measured worse: 2.04 vs
  1.36 ms CPU per GET, its bookkeeping grows with the connections it holds);
- a few connections at most: a panel asks one target, at most a handful of requests at a
  time (traffic's three PromQL queries), so a bigger pool only holds memory;
- headers (User-Agent, the panel's own, Accept) and the timeout set on the client, not
  merged into each request; a panel that GETs one URL at every poll builds that request
  once (`get_request`) and sends it again (`sent`): about 14 % fewer Python calls per GET;
- TLS only where it can be used: verification (the CA bundle, ~30 ms and ~0.7 MiB to
  load) for https:// targets; a panel whose URLs are all http:// never loads it. Redirects
  are not followed, so an http:// panel never reaches an https:// one.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from common.masking import mask_url
from panels.tls import tls_context

#: connections a panel keeps: its requests at once (traffic's PromQL sends three)
CONNECTIONS = 4
#: a little longer than the panel's own timeout, so probe() reports "no answer after Ns"
#: (the panel's asyncio timeout) rather than httpx's terser exception names
TIMEOUT_MARGIN_S = 0.5


def check_url(url: str) -> None:
    """Fail with a sentence, not an httpx exception name, on a URL that cannot work."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ValueError(f"bad url {mask_url(url)!r}: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"bad url {mask_url(url)!r}: expected http://host[:port]/path "
                         "or https://...")


def _verify(urls: tuple[str, ...], verify_tls: bool,
            ca_file: str | None) -> bool | ssl.SSLContext:
    """The TLS context to verify with, or False when no URL is https:// (none needed)."""
    if not verify_tls:
        return False
    if ca_file and not Path(ca_file).is_file():  # a config mistake whatever the scheme
        raise ValueError(f"ca_file {ca_file} is not a readable file")
    if not any(url.lower().startswith("https:") for url in urls):
        return False
    return tls_context(ca_file)


def panel_client(*urls: str | None, timeout: float, headers: Mapping[str, str] | None = None,
                 verify_tls: bool = True, ca_file: str | None = None,
                 auth: Any = None) -> httpx.AsyncClient:
    """A panel's keep-alive client for `urls` (the ones it will ask; None ones skipped).

    `headers` go on every request, after the User-Agent (so a configured User-Agent wins,
    whatever its case). The URLs are not checked here (`check_url` says why one cannot
    work). Blocking (TLS context): build it in `Panel.prepare()`.
    """
    wanted = tuple(url for url in urls if url)
    sent = httpx.Headers({"User-Agent": "opsdash"})
    sent.update(headers or {})
    return httpx.AsyncClient(
        verify=_verify(wanted, verify_tls, ca_file), follow_redirects=False, auth=auth,
        headers=sent, timeout=httpx.Timeout(timeout + TIMEOUT_MARGIN_S),
        limits=httpx.Limits(max_connections=CONNECTIONS,
                            max_keepalive_connections=CONNECTIONS))


def get_request(client: httpx.AsyncClient, url: str) -> httpx.Request:
    """The GET a panel sends at every poll, built once: URL parsed, headers merged, timeout
    set. No cookies: a probe does not carry a session from one poll to the next."""
    return client.build_request("GET", url)


@contextlib.asynccontextmanager
async def sent(client: httpx.AsyncClient,
               request: httpx.Request) -> AsyncIterator[httpx.Response]:
    """`client.stream()` for a request built once: the body is read as it streams."""
    response = await client.send(request, stream=True)
    try:
        yield response
    finally:
        await response.aclose()
