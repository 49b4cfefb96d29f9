"""Alertmanager's label vocabulary: matchers (`severity=~"critical|warning"`,
`team="db"`) and what a `severity` label means for a panel's status.

Kept apart from `panels.alertmanager` (and free of httpx) because config validation
checks every matcher at start and cards draw before any network client is imported.
The same `Matcher` builds a silence (`isRegex`/`isEqual` as the v2 API wants them) and the
`filter` query parameter of GET /api/v2/alerts, so what is shown and what is silenced
select the same alerts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from panels.alerts import Severity

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.S)
OPS = ("=", "!=", "=~", "!~")

CRIT_SEVERITIES = frozenset({"critical", "crit", "page", "pager", "emergency", "alert",
                             "fatal", "error", "high", "p1", "sev1"})
WARN_SEVERITIES = frozenset({"warning", "warn", "medium", "major", "minor", "p2", "p3",
                             "sev2", "sev3", ""})
#: informational: listed, never firing the panel
INFO_SEVERITIES = frozenset({"info", "informational", "none", "low", "debug", "notice"})


def severity_of(label: str | None) -> Severity | None:
    """The panel severity a `severity` label stands for; None for informational ones."""
    word = (label or "").strip().lower()
    if word in CRIT_SEVERITIES:
        return Severity.CRIT
    if word in INFO_SEVERITIES:
        return None
    return Severity.WARN  # warning, or a word we do not know: firing is worth a look


def severity_rank(label: str | None) -> int:
    """Most severe first: crit 0, warn 1, informational 2."""
    sev = severity_of(label)
    return 0 if sev is Severity.CRIT else 1 if sev is Severity.WARN else 2


def counts_line(firing: int, crit: int, silenced: int, pending: int = 0) -> str:
    """`3 firing (2 crit) · 1 silenced · 1 pending`, or `nothing firing`: pending (a
    Prometheus rule still inside its `for`) is what may page next, so it is on the card."""
    head = "nothing firing" if not firing else f"{firing} firing" + (
        f" ({crit} crit)" if crit else "")
    return head + (f" · {silenced} silenced" if silenced else "") + (
        f" · {pending} pending" if pending else "")


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # one of OPS
    value: str

    @property
    def is_regex(self) -> bool:
        return self.op in ("=~", "!~")

    @property
    def is_equal(self) -> bool:
        return self.op in ("=", "=~")

    def __str__(self) -> str:
        """The form Alertmanager's `filter` parameter and amtool accept: `name=~"a|b"`."""
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"

    def as_api(self) -> dict[str, Any]:
        """One matcher of a v2 silence."""
        return {"name": self.name, "value": self.value, "isRegex": self.is_regex,
                "isEqual": self.is_equal}

    def matches(self, labels: Mapping[str, str]) -> bool:
        """As Alertmanager judges it: a missing label is the empty string; regexes are
        anchored."""
        value = labels.get(self.name, "")
        hit = (re.fullmatch(self.value, value) is not None) if self.is_regex else (
            value == self.value)
        return hit if self.is_equal else not hit


def parse_matcher(text: str) -> Matcher:
    """`name op value`, the value bare or double-quoted; ValueError with a sentence."""
    m = _MATCHER.match(text)
    if m is None:
        raise ValueError(f"bad matcher {text!r}: expected name=\"value\", name!=\"value\", "
                         "name=~\"regex\" or name!~\"regex\"")
    name, op, raw = m.groups()
    value = raw
    if raw.startswith('"'):
        try:
            value = json.loads(raw)
        except ValueError:
            raise ValueError(f"bad matcher {text!r}: unterminated or badly escaped "
                             "quoted value") from None
        if not isinstance(value, str):
            raise ValueError(f"bad matcher {text!r}: the value must be a string")
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad matcher {text!r}: invalid regex: {exc}") from None
    return Matcher(name, op, value)


def parse_matchers(texts: Iterable[str]) -> tuple[Matcher, ...]:
    return tuple(parse_matcher(t) for t in texts)


def check_matchers(value: Any) -> str | None:
    """Config check for `matchers = [...]`: the first bad one, in a sentence."""
    if not isinstance(value, list):
        return None  # the type check reports it
    for item in value:
        if not isinstance(item, str):
            return None
        try:
            parse_matcher(item)
        except ValueError as exc:
            return str(exc)
    return None


def check_basic_auth(value: Any) -> str | None:
    """Config check for `basic_auth`: "user:password", or {user = ..., password = ...}."""
    try:
        basic_auth_pair(value)
    except ValueError as exc:
        return str(exc)
    return None


def basic_auth_pair(value: Any) -> tuple[str, str] | None:
    """(user, password) from either config form; None when not configured."""
    if value is None:
        return None
    if isinstance(value, str):
        user, sep, password = value.partition(":")
        if not sep or not user:
            raise ValueError("expected \"user:password\" or a table "
                             "{ user = \"...\", password = \"...\" }")
        return user, password
    if isinstance(value, Mapping):
        unknown = set(value) - {"user", "username", "password"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r} in basic_auth "
                             "(expected user and password)")
        user = value.get("user", value.get("username"))
        if not isinstance(user, str) or not user:
            raise ValueError("basic_auth needs a user")
        password = value.get("password", "")
        if not isinstance(password, str):
            raise ValueError("basic_auth password must be a string")
        return user, password
    raise ValueError("expected \"user:password\" or a table")


def silence_matchers(labels: Mapping[str, str]) -> tuple[Matcher, ...]:
    """Matchers that select exactly one alert: every one of its labels, equal."""
    return tuple(Matcher(k, "=", v) for k, v in sorted(labels.items()))
