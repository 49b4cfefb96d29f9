"""Request traffic: rate, 5xx ratio and p95 latency, the three numbers of an HTTP service.

Two sources. `metrics_url` scrapes the service's own Prometheus exposition (parsed by
prometheus_client, only the lines of the families the panel reads, and not at all when
the page is byte-identical to the last one) and derives rates from the difference with
the previous scrape, so the first poll only warms up. `prometheus_url` asks a Prometheus
server the equivalent PromQL over `window`. Either way p95 is Prometheus'
histogram_quantile arithmetic (`panels.promql`), so the card agrees with Grafana. If both
are set, Prometheus wins: its window smooths what two scrapes cannot.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import httpx

from common.masking import mask_url
from panels.base import AlertRule, Condition, Panel
from panels.errors import BadResponse, SourceAbsent
from panels.http_client import get_request, panel_client, sent
from panels.promql import counter_increase, histogram_quantile, parse_duration

QUANTILE = 0.95
MAX_EXPOSITION_BYTES = 20_000_000
STATUS_LABELS = ("status", "code", "status_code", "http_status")
DEFAULT_REQUESTS = "http_requests_total"
DEFAULT_DURATION = "http_request_duration_seconds"
#: pages up to this size are parsed on the event loop (filtered, about a millisecond)
INLINE_PARSE_BYTES = 64 * 1024
EXPOSITION_ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

SeriesKey = tuple[tuple[str, str], ...]  # sorted label pairs


@dataclass(frozen=True)
class Scrape:
    """Cumulative counters read from one exposition, kept until the next one."""

    at: float  # monotonic seconds
    requests_metric: str | None
    duration_metric: str | None
    status_label: str | None
    requests: dict[SeriesKey, float]
    #: histogram series (labels without `le`) -> {le: cumulative count}
    buckets: dict[SeriesKey, dict[float, float]]
    duration_unit_ms: float  # 1000 for *_seconds histograms, 1 for *_milliseconds
    #: the histogram's other counters, `_count` and `_sum` per series: read only to see
    #: a restart that the buckets alone may hide
    totals: dict[tuple[str, SeriesKey], float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrafficSample:
    source: str  # "scrape" | "prometheus"
    request_rate: float | None  # requests per second
    error_ratio: float | None  # 5xx / all, 0..1; None without traffic
    p95_ms: float | None
    window_s: float | None  # seconds between scrapes, or the PromQL window
    warming_up: bool = False
    requests_metric: str | None = None
    duration_metric: str | None = None


class TrafficPanel(Panel[TrafficSample]):
    """One service's traffic, from its /metrics page or from a Prometheus server."""

    kind: ClassVar[str] = "traffic"
    # a dead metrics endpoint turns the card crit with its error class; the alert for a
    # dead service is health's ServiceDown, so it is not raised twice
    unreachable_alert: ClassVar[str | None] = None
    series_key: ClassVar[str | None] = "request_rate"
    rate_based: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        *,
        metrics_url: str | None = None,
        prometheus_url: str | None = None,
        job: str | None = None,
        selector: str | None = None,
        requests_metric: str | None = None,
        duration_metric: str | None = None,
        status_label: str | None = None,
        window: str = "5m",
        headers: Mapping[str, str] | None = None,
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        super().__init__(name, interval=interval, timeout=timeout, rules=rules)
        self.metrics_url = metrics_url
        self.prometheus_url = prometheus_url.rstrip("/") if prometheus_url else None
        self.job = job
        self.selector = selector
        self.requests_metric = requests_metric
        self.duration_metric = duration_metric
        self.status_label = status_label
        self.window = window
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self._client: httpx.AsyncClient | None = None
        self._previous: Scrape | None = None
        self._last_body = b""
        self._scrape: httpx.Request | None = None
        #: expositions parsed (an identical page is not parsed again)
        self.parses = 0
        self._promql_status_label: str | None = None

    @property
    def target(self) -> str:
        if self.prometheus_url:
            return f"{mask_url(self.prometheus_url)} {self._matchers() or ''}".strip()
        return mask_url(self.metrics_url or self.name)

    def prepare(self) -> None:
        self._http()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # collect() asks one source for the panel's life: Prometheus' API if set, else
            # the exposition, in classic text rather than OpenMetrics
            accept = {} if self.prometheus_url else {"Accept": EXPOSITION_ACCEPT}
            self._client = panel_client(self.prometheus_url or self.metrics_url,
                                        timeout=self.timeout,
                                        headers={**accept, **self.headers})
        return self._client

    async def collect(self) -> TrafficSample:
        if self.prometheus_url:
            return await self._collect_promql(self.prometheus_url)
        if self.metrics_url:
            return await self._collect_scrape(self.metrics_url)
        raise SourceAbsent("set metrics_url (the service's /metrics) or prometheus_url")

    # -- scraping the exposition directly ----------------------------------------------

    async def _collect_scrape(self, url: str) -> TrafficSample:
        body = await self._fetch_exposition(url)
        at = time.monotonic()
        if self._previous is not None and body == self._last_body:
            # byte-identical page (an idle service): the same counters, read again now
            current = replace(self._previous, at=at)
        elif len(body) <= INLINE_PARSE_BYTES:  # a thread hop costs more than a small parse
            current = self._read_exposition(body, at)
        else:
            current = await asyncio.to_thread(self._read_exposition, body, at)
        self._last_body = body
        previous, self._previous = self._previous, current
        names = (current.requests_metric, current.duration_metric)
        if previous is None or current.at <= previous.at:
            return TrafficSample("scrape", None, None, None, None, True, *names)
        return _rates_between(previous, current)

    async def _fetch_exposition(self, url: str) -> bytes:
        client = self._http()
        if self._scrape is None:
            self._scrape = get_request(client, url)  # the same GET at every poll
        async with sent(client, self._scrape) as resp:
            if not 200 <= resp.status_code < 300:
                raise BadResponse(f"HTTP {resp.status_code} {resp.reason_phrase} "
                                  f"from {mask_url(url)}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > MAX_EXPOSITION_BYTES:
                    raise BadResponse(f"metrics page over {MAX_EXPOSITION_BYTES} bytes")
                chunks.append(chunk)
        return b"".join(chunks)

    def wanted(self, name: str) -> bool:
        """Whether a metric (family or sample) name is one the panel could read.

        A superset of what `_read_exposition` picks from: the configured names, else any
        `*_requests_total` and any name with "request" and "duration" (histograms' series).
        `name + "_total"` too: the parser names a counter `foo`'s sample `foo_total`.
        """
        return self._wanted(name) or self._wanted(name + "_total")

    def _wanted(self, name: str) -> bool:
        req = self.requests_metric
        if req is not None:
            if name in (req, f"{req}_total"):
                return True
        elif name.endswith("_requests_total"):
            return True
        dur = self.duration_metric
        if dur is not None:
            return name == dur or name.startswith(dur + "_")
        return "request" in name and "duration" in name

    def _read_exposition(self, body: bytes, at: float) -> Scrape:
        """Parse with prometheus_client, only the lines of the families the panel reads."""
        from prometheus_client.parser import text_string_to_metric_families

        self.parses += 1
        text = wanted_lines(body.decode("utf-8", errors="replace"), self.wanted)
        try:
            samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]
        except Exception as exc:  # the parser raises ValueError, IndexError, ...
            raise BadResponse(f"not Prometheus exposition format: {exc}") from None
        names = {s.name for s in samples}
        bucket_bases = {s.name[: -len("_bucket")] for s in samples
                        if s.name.endswith("_bucket") and "le" in s.labels}
        duration = _pick_duration(self.duration_metric, bucket_bases)
        requests = _pick_requests(self.requests_metric, names)
        if requests is None and duration is not None and f"{duration}_count" in names:
            requests = f"{duration}_count"  # histogram counts are request counts too
        if requests is None and duration is None:
            wanted = self.requests_metric or f"{DEFAULT_REQUESTS} or *_requests_total"
            raise BadResponse(f"no request metrics in the exposition (looked for {wanted} "
                              f"and {self.duration_metric or DEFAULT_DURATION})")
        req_series: dict[SeriesKey, float] = {}
        buckets: dict[SeriesKey, dict[float, float]] = {}
        totals: dict[tuple[str, SeriesKey], float] = {}
        histogram_totals = ({f"{duration}_count", f"{duration}_sum"}
                            if duration is not None else set())
        label_sets: list[dict[str, str]] = []
        for s in samples:
            if s.name == requests:
                req_series[_key(s.labels)] = float(s.value)
                label_sets.append(s.labels)
            elif duration is not None and s.name == f"{duration}_bucket" and "le" in s.labels:
                try:
                    le = float(s.labels["le"])
                except ValueError:
                    continue  # Prometheus ignores a bucket whose bound is not a number
                rest = {k: v for k, v in s.labels.items() if k != "le"}
                buckets.setdefault(_key(rest), {})[le] = float(s.value)
            if s.name in histogram_totals:
                totals[(s.name, _key(s.labels))] = float(s.value)
        status = self.status_label or next(
            (name for name in STATUS_LABELS if any(name in ls for ls in label_sets)), None)
        unit = 1.0 if duration and duration.endswith(("_milliseconds", "_ms")) else 1000.0
        return Scrape(at, requests, duration, status, req_series, buckets, unit, totals)

    # -- asking a Prometheus server ----------------------------------------------------

    def _matchers(self) -> str:
        if self.selector:
            return self.selector.strip().strip("{}").strip()
        return f'job="{self.job}"' if self.job else ""

    async def _collect_promql(self, base: str) -> TrafficSample:
        window_s = parse_duration(self.window)
        req = self.requests_metric or DEFAULT_REQUESTS
        dur = self.duration_metric or DEFAULT_DURATION
        match = self._matchers()
        label = self.status_label or await self._promql_status(base, req, match)
        both = f"{match}, " if match else ""
        w = self.window
        total = f"sum(rate({req}{{{match}}}[{w}]))"
        errors = f'(sum(rate({req}{{{both}{label}=~"5.."}}[{w}])) or vector(0))'
        unit = 1.0 if dur.endswith(("_milliseconds", "_ms")) else 1000.0
        p95 = (f"histogram_quantile({QUANTILE}, sum by (le) "
               f"(rate({dur}_bucket{{{match}}}[{w}]))) * {unit:g}")
        rate, ratio, latency = await asyncio.gather(
            self._instant(base, total), self._instant(base, f"{errors} / {total}"),
            self._instant(base, p95))
        return TrafficSample("prometheus", rate, ratio, latency, window_s, False, req, dur)

    async def _promql_status(self, base: str, req: str, match: str) -> str:
        """Which label carries the status code ("status", "code", ...), asked once."""
        if self._promql_status_label is None:
            data = await self._api(base, "labels", {"match[]": f"{req}{{{match}}}"})
            present = set(data) if isinstance(data, list) else set()
            found = next((name for name in STATUS_LABELS if name in present), None)
            if found is None:
                return STATUS_LABELS[0]
            self._promql_status_label = found
        return self._promql_status_label

    async def _instant(self, base: str, expr: str) -> float | None:
        data = await self._api(base, "query", {"query": expr})
        result = data.get("result") if isinstance(data, dict) else None
        if not result:
            return None  # no series at all: nothing to say, not zero
        try:
            value = float(result[0]["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            raise BadResponse(f"unexpected Prometheus answer to {expr}") from None
        return value if math.isfinite(value) else None

    async def _api(self, base: str, endpoint: str, params: dict[str, str]) -> Any:
        resp = await self._http().get(f"{base}/api/v1/{endpoint}", params=params)
        try:
            body = resp.json()
        except ValueError:
            raise BadResponse(f"not a Prometheus API: HTTP {resp.status_code} from "
                              f"{mask_url(base)}/api/v1/{endpoint}") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error", body) if isinstance(body, dict) else body
            raise BadResponse(f"Prometheus refused the query: {error}")
        return body.get("data")

    # -- judging -----------------------------------------------------------------------

    def metrics(self, sample: TrafficSample) -> dict[str, Any]:
        return {
            "request_rate": _round(sample.request_rate, 3),
            "error_ratio": _round(sample.error_ratio, 4),
            "p95_ms": _round(sample.p95_ms, 2),
            "window_s": _round(sample.window_s, 1),
            "source": sample.source,
        }

    def conditions(self, sample: TrafficSample) -> list[Condition]:
        errors = self.rule("HighErrorRate")
        latency = self.rule("HighLatency")
        max_ratio = errors.threshold if errors.threshold is not None else 0.05
        max_p95 = latency.threshold if latency.threshold is not None else 500.0
        ratio, p95 = sample.error_ratio, sample.p95_ms
        return [
            Condition("HighErrorRate", ratio is not None and ratio > max_ratio, errors.severity,
                      f"{ratio:.1%} of requests fail with 5xx (limit {max_ratio:.1%})"
                      if ratio is not None else ""),
            Condition("HighLatency", p95 is not None and p95 > max_p95, latency.severity,
                      f"p95 {p95:.0f} ms (limit {max_p95:.0f} ms)" if p95 is not None else ""),
        ]

    def summary(self, sample: TrafficSample) -> str:
        if sample.warming_up:
            return "warming up: rates need a second scrape"
        if sample.request_rate is None:
            return "no traffic data yet"
        if not sample.request_rate:
            span = f" in {sample.window_s:.0f}s" if sample.window_s else ""
            return f"no requests{span}"
        ratio = "–" if sample.error_ratio is None else f"{sample.error_ratio:.1%}"
        p95 = "–" if sample.p95_ms is None else f"{sample.p95_ms:.0f} ms"
        return f"{sample.request_rate:.1f} req/s · {ratio} 5xx · p95 {p95}"

    async def aclose(self) -> None:
        self._scrape = None
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def wanted_lines(text: str, wanted: Callable[[str], bool]) -> str:
    """The exposition cut to the families `wanted` names, parsing to the same samples.

    prometheus_client's parser costs per sample line; most of a service's page (runtime,
    process, client-library families) is never read. Kept: HELP/TYPE lines and samples of
    wanted names, and anything that is not a plain `name...` line (a quoted name, or
    garbage the parser must still reject). Each run of dropped lines leaves its first line
    in place: it ends the family before it exactly as the whole run would (a wanted
    sample after it then starts a family of its own, as in the full parse). Blank lines
    and other comments, which the parser ignores, go.
    """
    kept: list[str] = []
    dropping = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line[0] == "#":
            parts = line.split(None, 3)
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
                continue
            name = parts[2]
            keep = name[0] == '"' or wanted(name)
        else:
            match = _METRIC_NAME.match(line)
            keep = match is None or wanted(match.group())
        if keep or not dropping:
            kept.append(line)
        dropping = not keep
    kept.append("")
    return "\n".join(kept)


def _key(labels: Mapping[str, str]) -> SeriesKey:
    return tuple(sorted(labels.items()))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _pick_requests(wanted: str | None, names: set[str]) -> str | None:
    if wanted:
        return next((n for n in (wanted, f"{wanted}_total") if n in names), None)
    if DEFAULT_REQUESTS in names:
        return DEFAULT_REQUESTS
    # promhttp_metric_handler_requests_total counts scrapes, not the service's traffic
    found = sorted(n for n in names
                   if n.endswith("_requests_total") and not n.startswith("promhttp_"))
    return next((n for n in found if "http" in n), found[0] if found else None)


def _pick_duration(wanted: str | None, bases: set[str]) -> str | None:
    if wanted:
        return wanted if wanted in bases else None
    if DEFAULT_DURATION in bases:
        return DEFAULT_DURATION
    found = sorted(b for b in bases if "request" in b and "duration" in b)
    return next((b for b in found if "http" in b), found[0] if found else None)


def _is_5xx(value: str) -> bool:
    return len(value) == 3 and value[0] == "5"


def _histogram_restarted(previous: Scrape, current: Scrape) -> bool:
    """Whether any counter of the duration histogram went down since the last scrape.

    A restart resets every series of the histogram at once: every bucket of every label
    set, `_count` and `_sum`. Judged series by series (as rate() does), the ones that
    happen to have refilled past their old value would count only the difference, and
    p95 would mix the old process' buckets with the new one's. So one drop anywhere
    means the whole histogram restarted, and every series counts from 0.
    """
    if previous.duration_metric != current.duration_metric:
        return False
    for key, counts in current.buckets.items():
        before = previous.buckets.get(key, {})
        if any(value < before[le] for le, value in counts.items() if le in before):
            return True
    return any(value < previous.totals[name]
               for name, value in current.totals.items() if name in previous.totals)


def _rates_between(previous: Scrape, current: Scrape) -> TrafficSample:
    """Rates over the gap between two scrapes, resets handled as Prometheus' rate() does."""
    span = current.at - previous.at
    label = current.status_label
    restarted = _histogram_restarted(previous, current)
    # a histogram's _count is one of its series: it restarted with the buckets
    requests_restarted = restarted and current.requests_metric == (
        f"{current.duration_metric}_count")
    total = errors = 0.0
    for key, value in current.requests.items():
        increase = counter_increase(
            None if requests_restarted else previous.requests.get(key), value)
        total += increase
        if label is not None and _is_5xx(dict(key).get(label, "")):
            errors += increase
    by_le: dict[float, float] = {}
    for key, counts in current.buckets.items():
        before = previous.buckets.get(key, {})
        for le, value in counts.items():
            by_le[le] = by_le.get(le, 0.0) + counter_increase(
                None if restarted else before.get(le), value)
    p95: float | None = None
    if by_le:
        seconds = histogram_quantile(QUANTILE, by_le.items())
        p95 = None if math.isnan(seconds) else seconds * current.duration_unit_ms
    # without a status label failures cannot be told apart: no ratio rather than 0
    ratio = errors / total if total > 0 and label is not None else None
    return TrafficSample("scrape", total / span, ratio, p95, span, False,
                         current.requests_metric, current.duration_metric)
