"""Credentials hidden before a URL or DSN reaches a card, a message or a log.

One place for it, so every panel and the config loader hide the same things the same way.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

_SECRET_PARAMS = re.compile(r"token|key|secret|pass|auth|signature|sig$", re.IGNORECASE)
_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


def mask_url(url: str) -> str:
    """http://u:secret@h/?token=x -> http://u:***@h/?token=***, for cards and errors."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    netloc = parts.netloc
    if password is not None:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAMS.search(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _SECRET_PARAMS.search(k) else v) for k, v in pairs],
                              safe="*")
    return parts._replace(netloc=netloc, query=query).geturl()


def mask_dsn(dsn: str) -> str:
    """The DSN with its password replaced by ***, for URL and key=value forms alike."""
    masked = _KV_PASSWORD.sub(r"\1***", dsn)
    scheme, sep, rest = masked.partition("://")
    if not sep:
        return masked
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        authority = f"{userinfo}@{host}"
    return f"{scheme}://{authority}{tail}"


def mask_credentials(text: str) -> str:
    """Any config value that may be a URL or a DSN: both kinds of secret hidden."""
    return mask_dsn(mask_url(text))
