"""One TLS context per CA bundle, shared by every HTTP panel.

Building a context loads the whole CA bundle: ~30 ms of CPU and ~0.7 MiB each. Twenty
health checks with a context apiece paid that twenty times (and on the event loop when
the first poll built the client); one shared context pays it once. httpx's own default
(`create_ssl_context()`: certifi, or SSL_CERT_FILE/SSL_CERT_DIR) is kept as the default.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The verifying context for `ca_file`, or httpx's default one; built once each."""
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    import httpx

    return httpx.create_ssl_context()
