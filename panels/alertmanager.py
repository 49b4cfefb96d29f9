"""The fleet's alerts, read from an Alertmanager (API v2), and its silences.

Prometheus on every host already knows what is broken; Alertmanager is where those
alerts meet. This panel reads GET /api/v2/alerts (active, silenced and inhibited, with
the configured matchers as `filter`), so the on-call engineer sees the fleet's firing
alerts beside the local panels, each with its `runbook_url`.

Rules: one `Condition` per firing alert, named by its `alertname` and keyed by its
fingerprint, so the recovery watch and the incident record see each alert fire and
resolve (gone from the active list = resolved). Severity `critical`/`page` (and kin) is
crit, `warning` or none given is warn; `info`/`none` alerts are listed but never turn
the panel (the Watchdog alert fires forever by design). A silenced or inhibited alert
is `suppressed`: counted and shown, never firing. While Alertmanager cannot be read its
alerts are not known to have resolved, so they stay as they were and the panel is crit
with the error class.

With `prometheus_url` set, the panel also reads that Prometheus' GET /api/v1/alerts for
alerts still `pending` (inside their rule's `for`, so not yet sent to Alertmanager): what
may page next. They are listed with state `pending` and counted as `pending`, and turn
the panel warn at most, like a local alert inside its `for`, whatever their severity.
A Prometheus that cannot be read leaves the Alertmanager half standing: `pending` is
then unknown (None) and the summary says why.

Silences are created, listed and expired through the same pooled client (POST
/api/v2/silences, GET /api/v2/silences, DELETE /api/v2/silence/{id}); the drill-down
asks for a `y` before each, by the step runner's policy.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import re
import shlex
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from common.masking import mask_url
from panels.amlabels import (
    Matcher,
    basic_auth_pair,
    counts_line,
    parse_matcher,
    parse_matchers,
    severity_of,
    severity_rank,
)
from panels.base import AlertRule, Condition, Panel
from panels.errors import BadResponse, ProbeError, classify
from panels.http_client import check_url, panel_client

#: runbook_url -> a local runbook ref ("file.md#slug"), or None. Set per panel
#: (`panel.runbook_resolver`); the runbook library fills it in where it is loaded.
RunbookResolver = Callable[[str], str | None]

DEFAULT_SILENCE_S = 2 * 3600
_SILENCE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class AMAlert:
    """One alert as Alertmanager holds it."""

    alertname: str
    severity: str  # the label as written ("critical", "warning", ""...)
    state: str  # "active" | "suppressed" | "pending" (from Prometheus, not yet sent)
    silenced_by: tuple[str, ...]
    inhibited_by: tuple[str, ...]
    labels: Mapping[str, str]
    starts_at: str  # RFC 3339, as Alertmanager gives it
    ends_at: str
    summary: str
    description: str
    runbook_url: str
    instance: str
    fingerprint: str
    generator_url: str = ""

    @property
    def firing(self) -> bool:
        return self.state == "active"

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (severity_rank(self.severity), self.alertname, self.instance, self.fingerprint)


@dataclass(frozen=True)
class AlertmanagerSample:
    alerts: tuple[AMAlert, ...]  # most severe first
    pending_error: str | None = None  # why Prometheus' pending alerts are unknown

    @property
    def firing(self) -> tuple[AMAlert, ...]:
        return tuple(a for a in self.alerts if a.firing)

    @property
    def pending(self) -> tuple[AMAlert, ...]:
        return tuple(a for a in self.alerts if a.state == "pending")

    @property
    def silenced(self) -> int:
        return sum(1 for a in self.alerts if a.state == "suppressed")


@dataclass(frozen=True)
class Silence:
    id: str
    state: str  # active | pending | expired
    matchers: tuple[str, ...]  # `name="value"` forms
    starts_at: str
    ends_at: str
    created_by: str
    comment: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "matchers": list(self.matchers),
                "starts_at": self.starts_at, "ends_at": self.ends_at,
                "created_by": self.created_by, "comment": self.comment}


def default_author() -> str:
    """`user@host`, as amtool names a silence's creator."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "opsdash"
    return f"{user}@{socket.gethostname()}"


class AlertmanagerPanel(Panel[AlertmanagerSample]):
    """Every alert one Alertmanager holds (those the matchers select), and its silences."""

    kind: ClassVar[str] = "alertmanager"
    series_key: ClassVar[str | None] = "firing"

    def __init__(
        self,
        name: str,
        *,
        url: str,
        headers: Mapping[str, str] | None = None,
        basic_auth: str | Mapping[str, str] | None = None,
        verify_tls: bool = True,
        ca_file: str | None = None,
        matchers: Sequence[str] | None = None,
        prometheus_url: str | None = None,
        runbook_resolver: RunbookResolver | None = None,
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        super().__init__(name, interval=interval, timeout=timeout, rules=rules)
        self.url = url.rstrip("/")
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self.auth = basic_auth_pair(basic_auth)
        self.verify_tls = verify_tls
        self.ca_file = ca_file
        self.matchers: tuple[Matcher, ...] = parse_matchers(matchers or ())
        self.prometheus_url = prometheus_url.rstrip("/") if prometheus_url else None
        self.runbook_resolver = runbook_resolver
        self._client: httpx.AsyncClient | None = None
        self._last_conditions: list[Condition] = []

    @property
    def target(self) -> str:
        return mask_url(self.url)

    def prepare(self) -> None:
        self._client_for_panel()

    def _client_for_panel(self) -> httpx.AsyncClient:
        if self._client is None:
            check_url(self.url)
            if self.prometheus_url:
                check_url(self.prometheus_url)
            self._client = panel_client(self.url, self.prometheus_url, timeout=self.timeout,
                                        headers=self.headers, verify_tls=self.verify_tls,
                                        ca_file=self.ca_file, auth=self.auth)
        return self._client

    async def _request(self, method: str, path: str, *, base: str | None = None,
                       **kwargs: Any) -> httpx.Response:
        base = base or self.url
        resp = await self._client_for_panel().request(method, f"{base}{path}", **kwargs)
        if resp.status_code in (401, 403):
            raise PermissionError(f"authentication refused: HTTP {resp.status_code} "
                                  f"from {mask_url(base)}")
        if resp.status_code >= 400:
            text = " ".join(resp.text.split())[:160]
            raise BadResponse(f"HTTP {resp.status_code} from {method} {path}: {text}")
        return resp

    # -- collect -----------------------------------------------------------------------

    async def collect(self) -> AlertmanagerSample:
        params: list[tuple[str, str]] = [("active", "true"), ("silenced", "true"),
                                         ("inhibited", "true"), ("unprocessed", "true")]
        params += [("filter", str(m)) for m in self.matchers]
        # both at once: a slow Prometheus must not add its latency to Alertmanager's
        pending_task = (asyncio.ensure_future(self._pending()) if self.prometheus_url
                        else None)
        try:
            resp = await self._request("GET", "/api/v2/alerts", params=params)
        except BaseException:
            if pending_task is not None:
                pending_task.cancel()
            raise
        try:
            body = resp.json()
        except ValueError:
            raise BadResponse("Alertmanager answered with something that is not JSON") from None
        if not isinstance(body, list):
            raise BadResponse("expected a list of alerts from /api/v2/alerts")
        alerts = [_alert(item) for item in body if isinstance(item, dict)]
        pending_error = None
        if pending_task is not None:
            try:
                alerts += await pending_task
            except (httpx.HTTPError, OSError, ValueError, BadResponse) as exc:
                # Alertmanager's half still stands; the summary says what is unknown
                pending_error = str(classify(exc))
        return AlertmanagerSample(tuple(sorted(alerts, key=lambda a: a.sort_key)),
                                  pending_error)

    async def _pending(self) -> list[AMAlert]:
        """Prometheus' alerts in state `pending` that the matchers select."""
        resp = await self._request("GET", "/api/v1/alerts", base=self.prometheus_url)
        body = resp.json()
        items = (body.get("data") or {}).get("alerts") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise BadResponse("expected data.alerts from Prometheus' /api/v1/alerts")
        out = []
        for item in items:
            if not isinstance(item, dict) or item.get("state") != "pending":
                continue
            alert = _pending_alert(item)
            if all(m.matches(alert.labels) for m in self.matchers):
                out.append(alert)
        return out

    # -- metrics and rules -------------------------------------------------------------

    def runbook_ref(self, url: str) -> str | None:
        """The local runbook for a runbook_url, when a resolver is set and knows it."""
        if not url or self.runbook_resolver is None:
            return None
        try:
            return self.runbook_resolver(url)
        except Exception:  # a resolver's bug must not take the panel down
            return None

    def metrics(self, sample: AlertmanagerSample) -> dict[str, Any]:
        return {
            "alerts": [{
                "alertname": a.alertname, "severity": a.severity, "state": a.state,
                "labels": dict(a.labels), "starts_at": a.starts_at, "summary": a.summary,
                "runbook_url": a.runbook_url or None, "runbook_ref": self.runbook_ref(
                    a.runbook_url), "instance": a.instance, "fingerprint": a.fingerprint,
            } for a in sample.alerts],
            "firing": len(sample.firing),
            "silenced": sample.silenced,
            **({"pending": None if sample.pending_error else len(sample.pending)}
               if self.prometheus_url else {}),
        }

    def detail(self, sample: AlertmanagerSample) -> dict[str, Any]:
        """Everything the drill-down shows beyond the contract, per fingerprint."""
        return {"alerts": {a.fingerprint: {
            "description": a.description, "silenced_by": list(a.silenced_by),
            "inhibited_by": list(a.inhibited_by), "ends_at": a.ends_at,
            "generator_url": a.generator_url} for a in sample.alerts}}

    def conditions(self, sample: AlertmanagerSample) -> list[Condition]:
        out: list[Condition] = []
        for a in sample.firing:
            severity = severity_of(a.severity)
            if severity is None:
                continue
            where = f" on {a.instance}" if a.instance else ""
            out.append(Condition(a.alertname, True, severity,
                                 (a.summary or a.alertname) + where, target=a.fingerprint))
        for a in sample.pending:
            severity = severity_of(a.severity)
            if severity is None:
                continue
            where = f" on {a.instance}" if a.instance else ""
            # held pending: warn at most until Prometheus says it fires
            out.append(Condition(a.alertname, True, severity,
                                 (a.summary or a.alertname) + where, target=a.fingerprint,
                                 pending=True))
        self._last_conditions = out
        return out

    def failure_conditions(self, error: ProbeError) -> list[Condition]:
        # Alertmanager unreachable says nothing about the fleet: what fired still fires
        return list(self._last_conditions)

    def summary(self, sample: AlertmanagerSample) -> str:
        line = counts_line(len(sample.firing),
                           sum(1 for a in sample.firing if severity_rank(a.severity) == 0),
                           sample.silenced, len(sample.pending))
        if sample.pending_error:
            line += f" · pending unknown: {sample.pending_error}"
        return line

    # -- silences ----------------------------------------------------------------------

    async def create_silence(self, matchers: Iterable[Matcher | str], duration_s: float,
                             comment: str, created_by: str | None = None) -> str:
        """POST a silence from now for `duration_s`; returns its id."""
        parsed = [m if isinstance(m, Matcher) else parse_matcher(m) for m in matchers]
        if not parsed:
            raise ValueError("a silence needs at least one matcher")
        if duration_s <= 0:
            raise ValueError("a silence needs a positive duration")
        now = datetime.now(UTC)
        body = {"matchers": [m.as_api() for m in parsed],
                "startsAt": _rfc3339(now),
                "endsAt": _rfc3339(now + timedelta(seconds=duration_s)),
                "createdBy": created_by or default_author(),
                "comment": comment or "silenced from opsdash"}
        resp = await self._request("POST", "/api/v2/silences", json=body)
        silence_id = resp.json().get("silenceID")
        if not isinstance(silence_id, str):
            raise BadResponse("Alertmanager did not return a silence id")
        return silence_id

    async def list_silences(self, *, include_expired: bool = False) -> list[Silence]:
        """Silences, active and pending first, newest end first."""
        resp = await self._request("GET", "/api/v2/silences")
        body = resp.json()
        if not isinstance(body, list):
            raise BadResponse("expected a list of silences from /api/v2/silences")
        out = [_silence(s) for s in body if isinstance(s, dict)]
        if not include_expired:
            out = [s for s in out if s.state != "expired"]
        order = {"active": 0, "pending": 1, "expired": 2}
        return sorted(out, key=lambda s: (order.get(s.state, 3), s.ends_at), reverse=False)

    async def expire_silence(self, silence_id: str) -> None:
        if not _SILENCE_ID.match(silence_id):
            raise ValueError(f"not a silence id: {silence_id!r}")
        await self._request("DELETE", f"/api/v2/silence/{silence_id}")

    def silence_command(self, matchers: Iterable[Matcher], duration_s: float, comment: str,
                        created_by: str) -> str:
        """What `create_silence` amounts to, as amtool would say it: shown before a `y`
        and judged by the step runner's policy like any command."""
        words = ["amtool", f"--alertmanager.url={self.target}", "silence", "add",
                 f"--duration={go_duration(duration_s)}", f"--author={created_by}",
                 f"--comment={comment}", *(str(m) for m in matchers)]
        return shlex.join(words)

    def expire_command(self, silence_id: str) -> str:
        return shlex.join(["amtool", f"--alertmanager.url={self.target}", "silence",
                           "expire", silence_id])

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def go_duration(seconds: float) -> str:
    """`2h`, `1h30m`: Go's duration form, as amtool's --duration takes it."""
    total = max(1, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s"))
                   if n)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _alert(item: Mapping[str, Any]) -> AMAlert:
    labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
    notes = {str(k): str(v) for k, v in (item.get("annotations") or {}).items()}
    status = item.get("status") or {}
    silenced_by, inhibited_by = _strs(status.get("silencedBy")), _strs(status.get("inhibitedBy"))
    # "unprocessed" is an alert just received: it fires until a silence says otherwise
    suppressed = status.get("state") == "suppressed" or bool(silenced_by or inhibited_by)
    return AMAlert(
        alertname=labels.get("alertname", "(no alertname)"),
        severity=labels.get("severity", ""),
        state="suppressed" if suppressed else "active",
        silenced_by=silenced_by, inhibited_by=inhibited_by, labels=labels,
        starts_at=str(item.get("startsAt") or ""), ends_at=str(item.get("endsAt") or ""),
        summary=notes.get("summary", notes.get("message", "")),
        description=notes.get("description", ""),
        runbook_url=notes.get("runbook_url", notes.get("runbook", "")),
        instance=labels.get("instance", ""),
        fingerprint=str(item.get("fingerprint") or ""),
        generator_url=str(item.get("generatorURL") or ""),
    )


def _pending_alert(item: Mapping[str, Any]) -> AMAlert:
    """A Prometheus alert still inside its `for`, in the shape Alertmanager's have.

    Prometheus gives no fingerprint; one is made from the labels (prefixed `pending:`) so
    the same pending alert keeps its key, and never collides with a firing one's.
    """
    labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
    notes = {str(k): str(v) for k, v in (item.get("annotations") or {}).items()}
    digest = hashlib.sha256("\xff".join(f"{k}\xfe{v}" for k, v in sorted(labels.items()))
                            .encode()).hexdigest()[:16]
    return AMAlert(
        alertname=labels.get("alertname", "(no alertname)"),
        severity=labels.get("severity", ""), state="pending", silenced_by=(),
        inhibited_by=(), labels=labels, starts_at=str(item.get("activeAt") or ""),
        ends_at="", summary=notes.get("summary", notes.get("message", "")),
        description=notes.get("description", ""),
        runbook_url=notes.get("runbook_url", notes.get("runbook", "")),
        instance=labels.get("instance", ""), fingerprint=f"pending:{digest}")


def _silence(item: Mapping[str, Any]) -> Silence:
    matchers = []
    for m in item.get("matchers") or []:
        op = ("=~" if m.get("isRegex") else "=") if m.get("isEqual", True) else (
            "!~" if m.get("isRegex") else "!=")
        matchers.append(str(Matcher(str(m.get("name", "")), op, str(m.get("value", "")))))
    return Silence(
        id=str(item.get("id") or ""), state=str((item.get("status") or {}).get("state") or ""),
        matchers=tuple(matchers), starts_at=str(item.get("startsAt") or ""),
        ends_at=str(item.get("endsAt") or ""), created_by=str(item.get("createdBy") or ""),
        comment=str(item.get("comment") or ""))

