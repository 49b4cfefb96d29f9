"""Turn any client's exception into the error class an operator acts on.

An on-call engineer needs "refused", "timeout", "auth" or "dns" at a glance, not a
traceback; each class suggests a different first move.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass


class SourceAbsent(Exception):
    """The source is not there at all (no socket, nothing configured): status unknown."""


class BadResponse(Exception):
    """The source answered but with something we cannot read (wrong format, too big)."""


@dataclass(frozen=True)
class ProbeError:
    kind: str  # refused | timeout | auth | dns | tls | http | parse | absent | error
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


_AUTH_WORDS = ("password authentication failed", "authentication", "noauth", "wrongpass",
               "invalid password", "access denied", "permission denied")
_DNS_WORDS = ("name or service not known", "nodename nor servname", "temporary failure in name",
              "could not translate host name", "no address associated", "name resolution")
_REFUSED_WORDS = ("connection refused", "connect call failed", "errno 111",
                  "no such file or directory", "connection reset",
                  "server closed the connection", "connection closed",
                  # PostgreSQL going down ends our session with AdminShutdown (57P01)
                  "terminating connection due to administrator command")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def classify(exc: BaseException, *, timeout: float | None = None) -> ProbeError:
    """Map an exception from httpx, psycopg, redis-py, docker or psutil to a ProbeError."""
    if isinstance(exc, SourceAbsent):
        return ProbeError("absent", _one_line(str(exc)))
    if isinstance(exc, BadResponse):
        return ProbeError("parse", _one_line(str(exc)))
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        after = f" after {timeout:g}s" if timeout else ""
        return ProbeError("timeout", f"no answer{after}")
    name = type(exc).__name__
    text = str(exc) or name
    low = text.lower()
    if "timeout" in name.lower() or "timed out" in low:
        return ProbeError("timeout", _one_line(text))
    if isinstance(exc, socket.gaierror) or any(w in low for w in _DNS_WORDS):
        return ProbeError("dns", _one_line(text))
    if isinstance(exc, ssl.SSLError) or "certificate" in low or "ssl" in name.lower():
        return ProbeError("tls", _one_line(text))
    if any(w in low for w in _AUTH_WORDS) or "auth" in name.lower():
        return ProbeError("auth", _one_line(text))
    if isinstance(exc, ConnectionRefusedError) or any(w in low for w in _REFUSED_WORDS):
        return ProbeError("refused", _one_line(text))
    if isinstance(exc, ConnectionError | OSError) or "connect" in name.lower():
        return ProbeError("refused", _one_line(text))
    return ProbeError("error", _one_line(f"{name}: {text}"))
