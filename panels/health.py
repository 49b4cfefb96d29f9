"""HTTP health endpoints: status code, latency, and the checks a JSON body reports.

Services describe their health in many shapes: `{"status": "ok"}`, Spring's
`{"status": "UP", "components": {"db": {"status": "UP"}}}`, `{"database": {"ok": true}}`,
RFC-draft `checks` lists, plus timestamps such as `last_run`. The body is walked once and
flattened into dotted check paths (`database.ok`, `jobs.status`) that pass or fail, so
the card can say *which* part of the service is broken. The body is streamed and
reading stops at `max_body_bytes`: a runaway endpoint cannot eat the dashboard's memory.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import httpx

from common.durations import format_duration
from common.masking import mask_url
from panels.base import AlertRule, Condition, Panel
from panels.http_client import check_url, get_request, panel_client, sent

EXCERPT_BYTES = 2048
#: chunks pulled after closing a capped response (see _stop_reading): only buffered ones
_DRAIN_CHUNKS = 8
RECENT_RESPONSES = 5
_MAX_DEPTH = 8
_MAX_CHECKS = 200
#: longer numbers are kept as _BadNumber: beyond a float's range (about 1.8e308)
_MAX_INT_DIGITS = 309
_MAX_FLOAT_CHARS = 400

_GOOD_WORDS = frozenset({
    "ok", "up", "pass", "passed", "passing", "healthy", "green", "good", "success",
    "succeeded", "available", "ready", "running", "true", "online", "alive", "fine",
    "operational", "serving",
})
_STATUS_KEYS = frozenset({"status", "health"})
_BOOL_KEYS = frozenset({"ok", "healthy", "up", "alive", "ready", "success", "passing",
                        "available", "live"})
_FRESH_KEYS = frozenset({
    "last_run", "last_success", "last_successful_run", "last_ok", "updated_at",
    "last_updated", "last_update", "last_seen", "last_heartbeat", "heartbeat", "timestamp",
    "last_sync", "synced_at", "last_refresh", "refreshed_at", "generated_at", "checked_at",
})
_NAME_KEYS = ("name", "id", "component", "componentId", "component_id")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class HealthResponse:
    """One answer, kept so the drill-down can show the last few and their checks."""

    at: float  # wall clock
    http_status: int
    latency_ms: float
    ok: bool
    failed: tuple[str, ...]
    body_excerpt: str


@dataclass(frozen=True)
class HealthSample:
    http_status: int
    reason: str
    latency_ms: float
    ok: bool
    #: dotted JSON path -> passed (e.g. "database.ok": True, "jobs.status": False)
    checks: dict[str, bool]
    #: one human line per failing check or expectation, e.g. "jobs.status = 'failing'"
    failed: tuple[str, ...]
    #: dotted path of a timestamp field -> its age in seconds
    freshness_s: dict[str, float]
    content_type: str
    body_bytes: int  # bytes actually read (never much past max_body_bytes)
    body_over_limit: bool
    body_excerpt: str  # first 2 KB, decoded leniently
    at: float
    recent: tuple[HealthResponse, ...] = field(default=())  # newest last, this one included


class HealthPanel(Panel[HealthSample]):
    """GET one URL and judge it: expected status code and every JSON check passing."""

    kind: ClassVar[str] = "health"
    unreachable_alert: ClassVar[str | None] = "ServiceDown"
    series_key: ClassVar[str | None] = "latency_ms"

    def __init__(
        self,
        name: str,
        *,
        url: str,
        headers: Mapping[str, str] | None = None,
        verify_tls: bool = True,
        ca_file: str | None = None,
        expect_status: Sequence[int | str] | None = None,
        max_body_bytes: int = 1_000_000,
        fresh_within: float | None = None,
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        super().__init__(name, interval=interval, timeout=timeout, rules=rules)
        self.url = url
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self.verify_tls = verify_tls
        self.ca_file = ca_file
        self.expect_status = tuple(expect_status or ())
        self.max_body_bytes = max_body_bytes
        self.fresh_within = fresh_within
        self._client: httpx.AsyncClient | None = None
        self._request: httpx.Request | None = None
        self._recent: deque[HealthResponse] = deque(maxlen=RECENT_RESPONSES)

    @property
    def target(self) -> str:
        return mask_url(self.url)

    def prepare(self) -> None:
        self._client_for_panel()

    def _client_for_panel(self) -> tuple[httpx.AsyncClient, httpx.Request]:
        if self._client is None or self._request is None:
            check_url(self.url)  # once, with the client: the URL never changes
            self._client = panel_client(self.url, timeout=self.timeout, headers=self.headers,
                                        verify_tls=self.verify_tls, ca_file=self.ca_file)
            self._request = get_request(self._client, self.url)
        return self._client, self._request

    async def collect(self) -> HealthSample:
        client, request = self._client_for_panel()
        started = time.perf_counter()
        chunks: list[bytes] = []
        read = 0
        over = False
        async with sent(client, request) as resp:
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                over = True  # don't even start reading
            else:
                # an async generator in fact; typed as the iterator it promises to be
                stream = cast(AsyncGenerator[bytes, None], resp.aiter_bytes())
                async with contextlib.aclosing(stream):
                    async for chunk in stream:
                        read += len(chunk)
                        if read > self.max_body_bytes:
                            over = True
                            break
                        chunks.append(chunk)
                    if over:
                        await _stop_reading(resp, stream)
            status, reason = resp.status_code, resp.reason_phrase
            ctype = resp.headers.get("content-type", "")
        latency_ms = (time.perf_counter() - started) * 1000
        body = b"".join(chunks)
        return self._judge(status, reason, latency_ms, ctype, body, read, over)

    def _judge(self, status: int, reason: str, latency_ms: float, ctype: str, body: bytes,
               read: int, over: bool) -> HealthSample:
        now = time.time()
        checks: dict[str, bool] = {}
        failed: list[str] = []
        ages: dict[str, float] = {}
        if not _status_expected(status, self.expect_status):
            failed.append(f"HTTP {status} (expected {_expected_text(self.expect_status)})")
        if over:
            checks["body"] = False
            failed.append(f"body over {self.max_body_bytes} bytes")
        elif _looks_like_json(ctype, body):
            try:
                doc = _load_json(body)
            except (ValueError, RecursionError) as exc:
                if "json" in ctype.lower():
                    checks["json"] = False
                    failed.append(f"invalid JSON: {str(exc)[:80]}")
            else:
                walker = _CheckWalker(now, self.fresh_within)
                walker.walk(doc, "", 0)
                checks.update(walker.checks)
                failed.extend(walker.failed)
                ages = walker.ages
        ok = not failed and all(checks.values())
        excerpt = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
        self._recent.append(HealthResponse(now, status, latency_ms, ok, tuple(failed), excerpt))
        return HealthSample(status, reason, latency_ms, ok, checks, tuple(failed), ages, ctype,
                            read, over, excerpt, now, tuple(self._recent))

    def metrics(self, sample: HealthSample) -> dict[str, Any]:
        out: dict[str, Any] = {
            "http_status": sample.http_status,
            "latency_ms": round(sample.latency_ms, 1),
            "ok": sample.ok,
            "checks": dict(sample.checks),
            "failed": list(sample.failed),
            "body_bytes": sample.body_bytes,
        }
        if sample.freshness_s:
            out["freshness_s"] = {k: round(v, 1) for k, v in sample.freshness_s.items()}
        return out

    def detail(self, sample: HealthSample) -> dict[str, Any]:
        return {"body_excerpt": sample.body_excerpt}

    def conditions(self, sample: HealthSample) -> list[Condition]:
        rule = self.rule("ServiceDown")
        detail = "; ".join(sample.failed[:3]) if sample.failed else ""
        if not sample.ok and not detail:
            detail = "health check failed"
        return [Condition("ServiceDown", not sample.ok, rule.severity, detail)]

    def summary(self, sample: HealthSample) -> str:
        head = f"{sample.http_status} {sample.reason}".strip()
        text = f"{head} in {sample.latency_ms:.0f} ms"
        if sample.checks:
            passing = sum(sample.checks.values())
            text += f" · {passing}/{len(sample.checks)} checks pass"
        if sample.failed:
            text += f" · {sample.failed[0]}"
        return text

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


async def _stop_reading(resp: httpx.Response, stream: AsyncIterator[bytes]) -> None:
    """End a body read cut at the cap without leaving work behind for the event loop.

    httpx's `aiter_bytes()` is a stack of nested async generators (httpx, then httpcore,
    down to the connection). Closing the outer one, or just dropping it, leaves each inner
    one to the loop's async-generator finalizer, which closes them one at a time in new
    tasks; a loop that ends soon after the poll (`opsdash check`) destroys that chain
    mid-way and prints "Task was destroyed but it is pending!". Closing the response first
    drops the connection, so the next read fails at the bottom and every generator ends
    by that error, here, inline. The drain is bounded: if a future httpx kept yielding
    after the close, `aclosing` still closes the iterator rather than reading on.
    """
    await resp.aclose()
    with contextlib.suppress(httpx.HTTPError, httpx.StreamError, StopAsyncIteration):
        for _ in range(_DRAIN_CHUNKS):
            await anext(stream)


def _status_expected(status: int, expected: Sequence[int | str]) -> bool:
    if not expected:
        return 200 <= status < 300
    for want in expected:
        text = str(want).strip().lower()
        if text == str(status) or (text.endswith("xx") and text[:1] == str(status)[:1]):
            return True
    return False


def _expected_text(expected: Sequence[int | str]) -> str:
    return ", ".join(str(e) for e in expected) if expected else "2xx"


def _looks_like_json(ctype: str, body: bytes) -> bool:
    return "json" in ctype.lower() or body.lstrip()[:1] in (b"{", b"[")


@dataclass(frozen=True)
class _BadNumber:
    """A number in a health body that no check can use, kept in place of its value.

    Python refuses to turn more than 4300 digits into an int (ValueError, which would
    lose the whole body), a float such as 1e400 silently becomes inf, and NaN/Infinity
    are not JSON at all. Keeping the literal lets the rest of the body be judged while the
    card names the field: a service sending such numbers has a bug worth seeing.
    """

    literal: str

    def __str__(self) -> str:
        text = self.literal
        if len(text) > 24:
            text = f"{text[:12]}… ({len(text)} characters)"
        return f"{text}: number out of range"


def _parse_int(literal: str) -> int | _BadNumber:
    # past a float's range no health field (count, timestamp) means anything, and the
    # int limit is never reached: parsing stays linear in the body's size
    return _BadNumber(literal) if len(literal.lstrip("-")) > _MAX_INT_DIGITS else int(literal)


def _parse_float(literal: str) -> float | _BadNumber:
    if len(literal) > _MAX_FLOAT_CHARS:
        return _BadNumber(literal)
    value = float(literal)
    return value if math.isfinite(value) else _BadNumber(literal)


def _load_json(body: bytes) -> Any:
    """json.loads, with numbers it cannot represent kept as _BadNumber instead of raising
    (over-long integers) or turning into inf/nan (1e400, NaN, Infinity)."""
    return json.loads(body, parse_int=_parse_int, parse_float=_parse_float,
                      parse_constant=_BadNumber)


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower().replace("-", "_")


def _good(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    return value.strip().lower() in _GOOD_WORDS


def _timestamp(value: Any) -> float | None:
    """Epoch seconds (or milliseconds) or an ISO 8601 string; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            stamp = float(value) / 1000 if value > 1e12 else float(value)
        except OverflowError:  # an int past a float's range: no time at all
            return None
        return stamp if math.isfinite(stamp) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None


class _CheckWalker:
    """Walks a health document once, collecting checks, failure lines and timestamp ages."""

    def __init__(self, now: float, fresh_within: float | None) -> None:
        self.now = now
        self.fresh_within = fresh_within
        self.checks: dict[str, bool] = {}
        self.failed: list[str] = []
        self.ages: dict[str, float] = {}

    def walk(self, node: Any, path: str, depth: int) -> None:
        if depth > _MAX_DEPTH or len(self.checks) >= _MAX_CHECKS:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                self._field(str(key), value, f"{path}.{key}" if path else str(key), depth)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                name = next((item[k] for k in _NAME_KEYS
                             if isinstance(item, dict) and isinstance(item.get(k), str)), None)
                self.walk(item, f"{path}.{name or i}" if path else str(name or i), depth + 1)
        elif isinstance(node, _BadNumber):
            self._bad_number(path or "body", node)
        elif isinstance(node, bool) and not path:
            self._check("body", node, node)

    def _field(self, key: str, value: Any, path: str, depth: int) -> None:
        norm = _snake(key)
        if isinstance(value, _BadNumber):
            self._bad_number(path, value)
        elif isinstance(value, dict | list):
            self.walk(value, path, depth + 1)
        elif norm in _STATUS_KEYS and isinstance(value, str | bool):
            self._check(path, _good(value), value)
        elif norm in _BOOL_KEYS and isinstance(value, bool):
            self._check(path, value, value)
        elif norm in _FRESH_KEYS:
            stamp = _timestamp(value)
            if stamp is None:
                return
            age = max(0.0, self.now - stamp)
            self.ages[path] = age
            if self.fresh_within is not None:
                fresh = age <= self.fresh_within
                self.checks[path] = fresh
                if not fresh:
                    self.failed.append(f"{path} {format_duration(age)} old "
                                       f"(limit {format_duration(self.fresh_within)})")

    def _bad_number(self, path: str, number: _BadNumber) -> None:
        self.checks[path] = False
        self.failed.append(f"{path} = {number}")

    def _check(self, path: str, passed: bool, raw: Any) -> None:
        self.checks[path] = passed
        if not passed:
            shown = json.dumps(raw) if isinstance(raw, bool) else repr(raw)
            self.failed.append(f"{path} = {shown}")
