"""The traffic panel against a real service's /metrics and a real Prometheus server."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable

import pytest

from panels.alerts import AlertState
from panels.base import AlertRule, Severity, Status
from panels.promql import histogram_quantile
from panels.traffic import TrafficPanel, TrafficSample
from panels.watch import PanelState, PanelWatch
from tests.fixtures.common import free_port
from tests.fixtures.http import HTTPService
from tests.fixtures.prometheus import PrometheusServer

Keep = Callable[[TrafficPanel], TrafficPanel]
P95_OF_90_FAST_10_SLOW_MS = 875.0  # 90 x 50 ms + 10 x 800 ms: rank 95 sits in (0.75, 1.0]


@pytest.fixture
async def keep() -> AsyncIterator[Keep]:
    """Close every panel a test opens, pass or fail."""
    opened: list[TrafficPanel] = []

    def _keep(panel: TrafficPanel) -> TrafficPanel:
        opened.append(panel)
        return panel

    yield _keep
    for panel in opened:
        await panel.aclose()


async def sample_of(panel: TrafficPanel) -> TrafficSample:
    probe = await panel.probe()
    assert probe.error is None, probe.error
    assert probe.sample is not None
    return probe.sample


def alert_state(state: PanelState, name: str) -> AlertState | None:
    return next((a.state for a in state.alerts if a.name == name), None)


def ninety_fast_ten_slow_failing(service: HTTPService) -> None:
    service.observe(n=90, status=200, seconds=0.05)
    service.observe(n=10, status=500, seconds=0.8)


async def test_the_first_scrape_only_warms_up(http_service: HTTPService, keep: Keep) -> None:
    http_service.observe(n=5)
    watch = PanelWatch(keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics"))))

    state = await watch.poll()

    assert state.status is Status.OK
    assert state.metrics["request_rate"] is None
    assert state.metrics["error_ratio"] is None and state.metrics["p95_ms"] is None
    assert "warming up" in state.summary


async def test_a_service_returning_10_percent_5xx_reads_error_ratio_0_10(
        http_service: HTTPService, keep: Keep) -> None:
    panel = keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics")))
    started = time.monotonic()
    await sample_of(panel)
    ninety_fast_ten_slow_failing(http_service)

    sample = await sample_of(panel)
    elapsed = time.monotonic() - started

    assert sample.error_ratio == pytest.approx(0.10)
    assert sample.window_s is not None and 0 < sample.window_s <= elapsed
    assert sample.request_rate == pytest.approx(100 / sample.window_s)
    assert sample.p95_ms == pytest.approx(P95_OF_90_FAST_10_SLOW_MS)
    assert panel.summary(sample).endswith("10.0% 5xx · p95 875 ms")


async def test_the_p95_is_the_one_prometheus_histogram_quantile_gives(
        http_service: HTTPService, prometheus: PrometheusServer, keep: Keep) -> None:
    """Scrape-based, PromQL-mode and Prometheus' own answer agree on one latency histogram."""
    scraping = keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics")))
    asking = keep(TrafficPanel("api", prometheus_url=prometheus.url, job="service",
                               window="1m"))
    await sample_of(scraping)
    # Prometheus has scraped the all-zero histogram (the fixture waited for `up`), so
    # every bucket's rate() is extrapolated alike and the quantile is not skewed
    ninety_fast_ten_slow_failing(http_service)
    from_scrape = await sample_of(scraping)

    # waiting for the hand-computed answer (with a deadline) rather than for any number:
    # Prometheus must have scraped the 100 requests before PromQL mode is asked
    expected_s = P95_OF_90_FAST_10_SLOW_MS / 1000
    prometheus.wait_for_value(
        "histogram_quantile(0.95, sum by (le) (http_request_duration_seconds_bucket))",
        lambda v: v == pytest.approx(expected_s, rel=1e-9))
    prometheus.wait_for_value(
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))",
        lambda v: v == pytest.approx(expected_s, rel=1e-9))
    from_promql = await sample_of(asking)

    assert from_scrape.p95_ms == pytest.approx(P95_OF_90_FAST_10_SLOW_MS, rel=1e-9)
    assert from_promql.p95_ms == pytest.approx(P95_OF_90_FAST_10_SLOW_MS, rel=1e-9)
    assert from_promql.error_ratio == pytest.approx(0.10, rel=1e-9)
    # rate() never extrapolates a counter back past its first sample (0 here, scraped
    # before the requests), so at least the 100 requests show over the 60 s window
    assert from_promql.request_rate is not None
    assert from_promql.request_rate >= 100 / 60 * (1 - 1e-9)
    assert from_promql.window_s == 60.0
    assert from_promql.source == "prometheus"


async def test_promql_mode_reads_none_for_a_job_with_no_data(
        prometheus_api: PrometheusServer, keep: Keep) -> None:
    panel = keep(TrafficPanel("ghost", prometheus_url=prometheus_api.url, job="nonexistent"))

    state = await PanelWatch(panel).poll()

    assert state.status is Status.OK
    assert state.metrics["request_rate"] is None and state.metrics["p95_ms"] is None
    assert state.summary == "no traffic data yet"


async def test_a_query_prometheus_rejects_is_crit_with_its_reason(
        prometheus_api: PrometheusServer, keep: Keep) -> None:
    panel = keep(TrafficPanel("api", prometheus_url=prometheus_api.url, selector='job=~"('))

    state = await PanelWatch(panel).poll()

    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "parse"
    assert "Prometheus refused the query" in state.error.message


async def test_a_restarted_service_counts_from_zero_not_negative(
        http_service: HTTPService, keep: Keep) -> None:
    panel = keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics")))
    http_service.observe(n=1000, status=200, seconds=0.01)
    await sample_of(panel)
    http_service.observe(n=50, status=200, seconds=0.01)
    await sample_of(panel)

    http_service.reset_metrics()  # the process restarted: every counter back to 0
    http_service.observe(n=10, status=200, seconds=0.05)
    http_service.observe(n=10, status=500, seconds=0.8)
    sample = await sample_of(panel)

    assert sample.window_s is not None
    assert sample.request_rate == pytest.approx(20 / sample.window_s)
    assert sample.error_ratio == pytest.approx(0.5)
    # p95 from the 20 requests since the restart only: rank 19 in the (0.75, 1.0] bucket
    assert sample.p95_ms == pytest.approx(histogram_quantile(
        0.95, [(0.05, 10), (0.75, 10), (1.0, 20), (math.inf, 20)]) * 1000)
    assert sample.p95_ms == pytest.approx(975.0)


def histogram_page(series: dict[str, tuple[float, float, float, float]]) -> str:
    """An exposition with one `code` label set per entry: (le=0.1, le=1, +Inf, _sum).

    _count is written equal to +Inf, as every client library does.
    """
    lines = ["# TYPE api_request_duration_seconds histogram"]
    for code, (fast, slow, inf, total) in series.items():
        for le, value in (("0.1", fast), ("1.0", slow), ("+Inf", inf)):
            lines.append(f'api_request_duration_seconds_bucket{{code="{code}",le="{le}"}} '
                         f"{value}")
        lines.append(f'api_request_duration_seconds_count{{code="{code}"}} {inf}')
        lines.append(f'api_request_duration_seconds_sum{{code="{code}"}} {total}')
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("before", "after", "p95_ms", "requests", "error_ratio"), [
    # only _sum betrays the restart: 10 requests at 0.9 s before (sum 9); since, 15 at
    # 0.05 s and 5 at 0.5 s (sum 3.25), so every bucket is at or above its old value.
    # From 0: buckets (15, 20, 20), rank 19 in (0.1, 1.0]: 0.1 + 0.9 * 4/5 = 0.82 s.
    # Differences would say (15, 10, 10), lifted to (15, 15, 15): 95 ms, and 10 requests.
    ({"200": (0, 10, 10, 9.0)}, {"200": (15, 20, 20, 3.25)}, 820.0, 20, 0.0),
    # code=200 dropped (50 -> 10), code=500 refilled past its old 4 (to 10): one restart.
    # From 0: (10, 20, 20), rank 19: 0.1 + 0.9 * 9/10 = 0.91 s; 10 of 20 failed.
    # Series by series: 500 adds (0, 6, 6), so (10, 16, 16): 880 ms and 6 of 16 failed.
    ({"200": (50, 50, 50, 2.5), "500": (0, 4, 4, 3.6)},
     {"200": (10, 10, 10, 0.5), "500": (0, 10, 10, 9.0)}, 910.0, 20, 0.5),
])
async def test_a_drop_in_any_series_of_the_histogram_restarts_all_of_it(
        http_service: HTTPService, keep: Keep,
        before: dict[str, tuple[float, float, float, float]],
        after: dict[str, tuple[float, float, float, float]],
        p95_ms: float, requests: int, error_ratio: float) -> None:
    """A restart resets every series; the ones that refilled since must count from 0 too."""
    url = http_service.route("/metrics", body=histogram_page(before))
    panel = keep(TrafficPanel("api", metrics_url=url))
    await sample_of(panel)
    http_service.route("/metrics", body=histogram_page(after))

    sample = await sample_of(panel)

    assert sample.requests_metric == "api_request_duration_seconds_count"
    assert sample.p95_ms == pytest.approx(p95_ms)
    assert sample.window_s is not None
    assert sample.request_rate is not None
    assert sample.request_rate * sample.window_s == pytest.approx(requests)
    assert sample.error_ratio == pytest.approx(error_ratio)


async def test_a_histogram_that_only_grew_counts_differences_not_totals(
        http_service: HTTPService, keep: Keep) -> None:
    """The other side of the restart rule: no drop anywhere, so no restart is assumed."""
    url = http_service.route("/metrics", body=histogram_page({"200": (0, 10, 10, 9.0)}))
    panel = keep(TrafficPanel("api", metrics_url=url))
    await sample_of(panel)
    # 10 more at 0.05 s: differences (10, 10, 10) put p95 at 0.1 * 9.5/10 = 95 ms
    http_service.route("/metrics", body=histogram_page({"200": (10, 20, 20, 9.5)}))

    sample = await sample_of(panel)

    assert sample.p95_ms == pytest.approx(95.0)
    assert sample.window_s is not None and sample.request_rate is not None
    assert sample.request_rate * sample.window_s == pytest.approx(10)


async def test_a_malformed_metrics_page_is_crit_with_the_parse_error(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/metrics", body="<html><body>Welcome to nginx!</body></html>",
                             content_type="text/html")
    watch = PanelWatch(keep(TrafficPanel("api", metrics_url=url)))

    state = await watch.poll()

    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "parse"
    assert state.summary.startswith("parse: not Prometheus exposition format: ")
    assert state.alerts == ()  # the traffic card goes crit; ServiceDown is health's


async def test_a_metrics_page_without_request_metrics_says_what_it_looked_for(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/metrics", body="# TYPE up gauge\nup 1\n")

    state = await PanelWatch(keep(TrafficPanel("api", metrics_url=url))).poll()

    assert state.status is Status.CRIT
    assert state.error is not None and "http_requests_total" in state.error.message


async def test_a_down_metrics_endpoint_is_crit_refused_and_recovers(
        http_service: HTTPService, keep: Keep) -> None:
    dead = keep(TrafficPanel("api", metrics_url=f"http://127.0.0.1:{free_port()}/metrics"))
    failing = await PanelWatch(dead).poll()
    http_service.route("/metrics", status=503, body="overloaded")
    unavailable = await PanelWatch(keep(TrafficPanel(
        "api", metrics_url=http_service.url_for("/metrics")))).poll()

    assert failing.status is Status.CRIT
    assert failing.error is not None and failing.error.kind == "refused"
    assert unavailable.status is Status.CRIT
    assert unavailable.error is not None and "HTTP 503" in unavailable.error.message


async def test_high_error_rate_fires_at_once_with_for_0(http_service: HTTPService,
                                                        keep: Keep) -> None:
    panel = keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics"),
                              rules={"HighErrorRate": AlertRule(0.05, 0.0, Severity.CRIT)}))
    watch = PanelWatch(panel)
    await watch.poll()
    ninety_fast_ten_slow_failing(http_service)

    state = await watch.poll()

    assert alert_state(state, "HighErrorRate") is AlertState.FIRING
    assert state.status is Status.CRIT
    detail = next(a.detail for a in state.alerts if a.name == "HighErrorRate")
    assert detail == "10.0% of requests fail with 5xx (limit 5.0%)"


async def test_a_slow_p95_is_pending_for_five_minutes_then_fires_high_latency(
        http_service: HTTPService, keep: Keep) -> None:
    watch = PanelWatch(keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics"))))
    start = time.time()
    await watch.poll(start)
    http_service.observe(n=100, status=200, seconds=0.8)
    pending = await watch.poll(start + 1)
    http_service.observe(n=100, status=200, seconds=0.8)
    firing = await watch.poll(start + 302)
    http_service.observe(n=100, status=200, seconds=0.01)
    resolved = await watch.poll(start + 303)

    assert alert_state(pending, "HighLatency") is AlertState.PENDING
    assert pending.status is Status.WARN
    assert alert_state(firing, "HighLatency") is AlertState.FIRING
    assert firing.status is Status.WARN  # HighLatency is a warning by default
    assert alert_state(resolved, "HighLatency") is AlertState.RESOLVED
    assert resolved.status is Status.OK


async def test_services_labelled_code_and_counting_only_a_histogram_still_read(
        http_service: HTTPService, keep: Keep) -> None:
    """Go services say `code`, some expose only a histogram: its _count is the traffic."""
    page = ("# TYPE api_request_duration_seconds histogram\n"
            'api_request_duration_seconds_bucket{{code="200",le="0.1"}} {ok}\n'
            'api_request_duration_seconds_bucket{{code="200",le="+Inf"}} {ok}\n'
            'api_request_duration_seconds_count{{code="200"}} {ok}\n'
            'api_request_duration_seconds_bucket{{code="503",le="0.1"}} 0\n'
            'api_request_duration_seconds_bucket{{code="503",le="+Inf"}} {bad}\n'
            'api_request_duration_seconds_count{{code="503"}} {bad}\n'
            "# TYPE promhttp_metric_handler_requests_total counter\n"
            'promhttp_metric_handler_requests_total{{code="200"}} 7\n')
    url = http_service.route("/metrics", body=page.format(ok=100, bad=0))
    panel = keep(TrafficPanel("api", metrics_url=url))
    await sample_of(panel)
    http_service.route("/metrics", body=page.format(ok=175, bad=25))

    sample = await sample_of(panel)

    assert sample.requests_metric == "api_request_duration_seconds_count"
    assert sample.error_ratio == pytest.approx(0.25)
    assert sample.p95_ms == pytest.approx(100.0)  # rank in +Inf: second-highest bound


async def test_no_source_configured_is_unknown_not_crit(keep: Keep) -> None:
    state = await PanelWatch(keep(TrafficPanel("api"))).poll()

    assert state.status is Status.UNKNOWN
    assert state.error is not None and "metrics_url" in state.error.message


async def test_a_bad_window_is_a_clear_error(prometheus_api: PrometheusServer, keep: Keep) -> None:
    state = await PanelWatch(keep(TrafficPanel("api", prometheus_url=prometheus_api.url,
                                               window="five minutes"))).poll()

    assert state.status is Status.CRIT
    assert state.error is not None and "not a Prometheus duration" in state.error.message
