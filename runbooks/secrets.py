"""Masking secrets in anything opsdash writes down or shows: commands, output, journal.

`mask_secrets(text)` replaces the secret part with `****` and keeps the rest readable
(`postgres://app:****@db:5432/app`), so a timeline still says what was run where.
Patterns: passwords in URLs, `password=`/`token=` key-values (DSNs, query strings),
`Authorization:`/API-key headers, `--password X`-style flags, `redis-cli -a X`, and env
assignments whose name ends in TOKEN, KEY, SECRET, PASSWORD, PASS or AUTH.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "****"

_SECRET_WORDS = r"(?:password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key" \
                r"|secret[_-]?key|private[_-]?key|auth[_-]?token|client[_-]?secret|sslpassword)"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # scheme://user:PASSWORD@host   (also redis://:PASSWORD@host)
    (re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"]*:)([^@\s'\"/]+)(@)"),
     r"\1" + MASK + r"\3"),
    # Authorization: Bearer X / Basic X / Token X, and bare Authorization: X
    (re.compile(r"(?i)(\bauthorization\s*[:=]\s*(?:bearer|basic|token|digest)?\s*)([^\s'\"]+)"),
     r"\1" + MASK),
    # API key headers
    (re.compile(r"(?i)(\b(?:x-)?(?:api|auth)[-_]?(?:key|token)\s*:\s*)([^\s'\"]+)"), r"\1" + MASK),
    # ENV assignments: FOO_TOKEN=x, PGPASSWORD=x, REDISCLI_AUTH=x, AWS_SECRET_ACCESS_KEY=x
    (re.compile(r"\b([A-Z0-9_]*(?:TOKEN|KEY|SECRET|PASSWORD|PASSWD|PASS|AUTH)[A-Z0-9_]*=)"
                r"(\"[^\"]*\"|'[^']*'|[^\s;&|]+)"), r"\1" + MASK),
    # key=value (DSN keywords, query strings): password=x, token=x
    (re.compile(r"(?i)(\b" + _SECRET_WORDS + r"\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s&;'\"]+)"),
     r"\1" + MASK),
    # JSON / YAML: "password": "x", token: x
    (re.compile(r"(?i)([\"']?\b" + _SECRET_WORDS + r"[\"']?\s*:\s*)(\"[^\"]*\"|'[^']*')"),
     r"\1\"" + MASK + "\""),
    # flags: --password X, --password=X, --token X, --requirepass X
    (re.compile(r"(?i)(--(?:password|passwd|pass|token|api-key|apikey|secret|auth|requirepass"
                r"|access-key|secret-key)(?:=|\s+))(\"[^\"]*\"|'[^']*'|[^\s'\"]+)"),
     r"\1" + MASK),
    # redis-cli -a X (anywhere after redis-cli on the same line)
    (re.compile(r"(\bredis-cli\b[^\n]*?\s-a\s+)(\"[^\"]*\"|'[^']*'|[^\s'\"]+)"), r"\1" + MASK),
    # mysql -pSECRET
    (re.compile(r"(\bmysql(?:dump|admin)?\b[^\n]*?\s-p)([^\s'\"]+)"), r"\1" + MASK),
]


def mask_secrets(text: str, values: Iterable[str] = ()) -> str:
    """`text` with every secret replaced by ****; `values` are literal secrets to hide too."""
    for value in sorted({v for v in values if len(v) >= 4}, key=len, reverse=True):
        text = text.replace(value, MASK)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def secret_values(variables: dict[str, str]) -> list[str]:
    """Values of variables whose names say they are secret, and passwords inside URLs."""
    found: list[str] = []
    name_re = re.compile(r"(?i)(TOKEN|KEY|SECRET|PASSWORD|PASSWD|PASS|AUTH)")
    url_re = re.compile(r"://[^:/@\s]*:([^@\s/]+)@")
    for name, value in variables.items():
        if name_re.search(name):
            found.append(value)
        found.extend(m.group(1) for m in url_re.finditer(value))
    return found


def is_secret_name(name: str) -> bool:
    """Whether a variable or placeholder name says its value is secret (asked hidden)."""
    return re.search(r"(?i)(TOKEN|KEY|SECRET|PASSWORD|PASSWD|PASS|AUTH)", name) is not None
