"""The traffic panel's figures pinned one by one, fast and in-process (issue #16).

test_traffic_panel.py tells the stories against a real service and a real Prometheus;
`make mutate` cannot start those per mutant. Here the same arithmetic runs against
literal /metrics pages and Prometheus API answers served by a tiny http.server thread
on 127.0.0.1 started by this file, with the panel's clock replaced so a rate is an exact
number. Every expected figure is worked out by hand in the comment beside it, never by
the code under test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from panels import traffic
from panels.base import AlertRule, Condition, Severity
from panels.errors import BadResponse, SourceAbsent
from panels.traffic import (
    Scrape,
    TrafficPanel,
    TrafficSample,
    _histogram_restarted,
    _is_5xx,
    _key,
    _pick_duration,
    _pick_requests,
    _rates_between,
    _round,
    wanted_lines,
)
from tests import test_traffic_panel
from tests.test_traffic_panel import Keep, sample_of

INF = math.inf
GET, POST = (("method", "GET"),), (("method", "POST"),)
HTTP_NAMES = ("http_requests_total", "http_request_duration_seconds")

# --- a local HTTP server serving what each test writes ---------------------------------

Answer = tuple[int, bytes, str]  # status, body, content type


class Served:
    """What a client asked: the path, its query parameters and the request headers."""

    def __init__(self, path: str, query: dict[str, list[str]], headers: dict[str, str]):
        self.path = path
        self.query = query
        self.headers = headers


class LocalServer:
    """http.server on 127.0.0.1:0 in a thread; `answer` decides each response."""

    def __init__(self) -> None:
        self.seen: list[Served] = []
        self.pages: dict[str, Answer] = {}
        self.answer: Callable[[Served], Answer] = self._page
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                asked = Served(parts.path, parse_qs(parts.query),
                               {k: v for k, v in self.headers.items()})
                server.seen.append(asked)
                status, body, ctype = server.answer(asked)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # the panel stops reading an oversized page: as intended
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def _page(self, asked: Served) -> Answer:
        return self.pages.get(asked.path, (404, b"not found", "text/plain"))

    def serve(self, text: str | bytes, path: str = "/metrics", status: int = 200) -> str:
        body = text.encode() if isinstance(text, str) else text
        self.pages[path] = (status, body, "text/plain; version=0.0.4")
        return self.url + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    yield local
    local.close()


# the traffic stories' own: close every panel a test opens; a probe's sample, no error
keep = test_traffic_panel.keep


def clock(monkeypatch: pytest.MonkeyPatch, *times: float) -> None:
    """The panel's monotonic clock reads `times`, one per scrape, so spans are exact."""
    ticks = list(times)
    monkeypatch.setattr(traffic, "time", SimpleNamespace(monotonic=lambda: ticks.pop(0)))


async def error_of(panel: TrafficPanel) -> str:
    probe = await panel.probe()
    assert probe.sample is None and probe.error is not None
    return str(probe.error)


# --- the pages -------------------------------------------------------------------------

#: a service's page: runtime families around the read ones (a NaN quantile, +Inf gauge),
#: four status label sets across two methods, a histogram per method
PAGE_1 = """# HELP go_gc_duration_seconds A summary of the pause duration of GC cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} NaN
go_gc_duration_seconds_sum 0.5
go_gc_duration_seconds_count 3
# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{method="GET",status="200"} 1000
http_requests_total{method="GET",status="404"} 20
http_requests_total{method="GET",status="500"} 10
http_requests_total{method="POST",status="503"} 5
# HELP http_request_duration_seconds Latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{method="GET",le="0.05"} 600
http_request_duration_seconds_bucket{method="GET",le="0.1"} 880
http_request_duration_seconds_bucket{method="GET",le="0.5"} 990
http_request_duration_seconds_bucket{method="GET",le="+Inf"} 1000
http_request_duration_seconds_count{method="GET"} 1000
http_request_duration_seconds_sum{method="GET"} 61.5
http_request_duration_seconds_bucket{method="POST",le="0.05"} 3
http_request_duration_seconds_bucket{method="POST",le="0.1"} 7
http_request_duration_seconds_bucket{method="POST",le="0.5"} 9
http_request_duration_seconds_bucket{method="POST",le="+Inf"} 10
http_request_duration_seconds_count{method="POST"} 10
http_request_duration_seconds_sum{method="POST"} 1.25
# TYPE process_max_fds gauge
process_max_fds +Inf
"""

#: 10 s later: 200 +150, 404 +10, 500 +30, 503 +10 (200 requests, 40 of them 5xx);
#: GET buckets +100/+148/+190/+190, POST +0/+2/+10/+10, so summed by le the increases
#: are (100, 150, 200, 200): rank 0.95 * 200 = 190 falls in (0.1, 0.5], which holds 50,
#: 40 of them below the rank: p95 = 0.1 + 0.4 * 40/50 = 0.42 s. (Totals rather than
#: increases would say 378 ms; the POST series alone 475 ms.)
PAGE_2 = (PAGE_1
          .replace('status="200"} 1000', 'status="200"} 1150')
          .replace('status="404"} 20', 'status="404"} 30')
          .replace('status="500"} 10', 'status="500"} 40')
          .replace('status="503"} 5', 'status="503"} 15')
          .replace('method="GET",le="0.05"} 600', 'method="GET",le="0.05"} 700')
          .replace('method="GET",le="0.1"} 880', 'method="GET",le="0.1"} 1028')
          .replace('method="GET",le="0.5"} 990', 'method="GET",le="0.5"} 1180')
          .replace('method="GET",le="+Inf"} 1000', 'method="GET",le="+Inf"} 1190')
          .replace('count{method="GET"} 1000', 'count{method="GET"} 1190')
          .replace('sum{method="GET"} 61.5', 'sum{method="GET"} 80')
          .replace('method="POST",le="0.1"} 7', 'method="POST",le="0.1"} 9')
          .replace('method="POST",le="0.5"} 9', 'method="POST",le="0.5"} 19')
          .replace('method="POST",le="+Inf"} 10', 'method="POST",le="+Inf"} 20')
          .replace('count{method="POST"} 10', 'count{method="POST"} 20')
          .replace('sum{method="POST"} 1.25', 'sum{method="POST"} 4'))


def test_page_2_differs_from_page_1_where_the_comment_says() -> None:
    """The replacements above all landed (a typo would leave PAGE_2 a copy)."""
    changed = [b for a, b in zip(PAGE_1.splitlines(), PAGE_2.splitlines(), strict=True)
               if a != b]
    assert len(changed) == 15


def code_histogram(series: dict[str, tuple[float, float, float, float]],
                   name: str = "api_request_duration_seconds") -> str:
    """One `code` label set per entry: buckets le=0.1, le=1.0, +Inf, then _sum; _count is
    the +Inf bucket, as every client library writes it."""
    lines = [f"# TYPE {name} histogram"]
    for code, (fast, slow, inf, total) in series.items():
        for le, value in (("0.1", fast), ("1.0", slow), ("+Inf", inf)):
            lines.append(f'{name}_bucket{{code="{code}",le="{le}"}} {value}')
        lines.append(f'{name}_count{{code="{code}"}} {inf}')
        lines.append(f'{name}_sum{{code="{code}"}} {total}')
    return "\n".join(lines) + "\n"


def requests_page(**by_status: float) -> str:
    return "# TYPE http_requests_total counter\n" + "".join(
        f'http_requests_total{{status="{code.lstrip("s")}"}} {value}\n'
        for code, value in by_status.items())


# --- scraping: the figures of two pages ------------------------------------------------


async def test_two_scrapes_ten_seconds_apart_give_rate_ratio_and_p95(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch) -> None:
    clock(monkeypatch, 100.0, 110.0)
    panel = keep(TrafficPanel("api", metrics_url=server.serve(PAGE_1)))
    first = await sample_of(panel)
    server.serve(PAGE_2)

    second = await sample_of(panel)

    assert first == TrafficSample("scrape", None, None, None, None, True, *HTTP_NAMES)
    assert panel.summary(first) == "warming up: rates need a second scrape"
    assert (second.source, second.request_rate, second.error_ratio, second.window_s,
            second.warming_up) == ("scrape", 20.0, 0.2, 10.0, False)  # 200/10 s, 40/200
    assert (second.requests_metric, second.duration_metric) == HTTP_NAMES
    assert second.p95_ms == pytest.approx(420.0, rel=1e-12)
    assert panel.metrics(second) == {"request_rate": 20.0, "error_ratio": 0.2,
                                     "p95_ms": 420.0, "window_s": 10.0, "source": "scrape"}
    assert panel.summary(second) == "20.0 req/s · 20.0% 5xx · p95 420 ms"
    assert panel.conditions(second) == [
        Condition("HighErrorRate", True, Severity.CRIT,
                  "20.0% of requests fail with 5xx (limit 5.0%)"),
        Condition("HighLatency", False, Severity.WARN, "p95 420 ms (limit 500 ms)")]
    assert panel.parses == 2


async def test_the_panel_asks_for_classic_text_with_its_own_headers(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch) -> None:
    clock(monkeypatch, 1.0, 2.0)
    url = server.serve(PAGE_1, path="/internal/metrics")
    panel = keep(TrafficPanel("api", metrics_url=url, headers={"X-Scrape-Token": "t0k"}))
    await sample_of(panel)
    await sample_of(panel)

    assert [s.path for s in server.seen] == ["/internal/metrics", "/internal/metrics"]
    for asked in server.seen:
        assert asked.headers["Accept"] == "text/plain;version=0.0.4;q=1,*/*;q=0.1"
        assert asked.headers["X-Scrape-Token"] == "t0k"
        assert asked.headers["User-Agent"] == "opsdash"


async def test_a_configured_accept_header_wins(server: LocalServer, keep: Keep) -> None:
    panel = keep(TrafficPanel("api", metrics_url=server.serve(PAGE_1),
                                headers={"Accept": "application/openmetrics-text"}))
    await sample_of(panel)

    assert server.seen[0].headers["Accept"] == "application/openmetrics-text"


async def test_an_identical_page_is_read_again_as_no_requests_without_a_parse(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch) -> None:
    clock(monkeypatch, 0.0, 5.0, 9.0, 12.0, 20.0)
    panel = keep(TrafficPanel("api", metrics_url=server.serve(PAGE_1)))
    await sample_of(panel)
    idle = await sample_of(panel)  # the same bytes: the same counters, 5 s later
    server.serve(PAGE_2)
    busy = await sample_of(panel)  # 200 requests in 4 s
    still = await sample_of(panel)  # PAGE_2 again: compared with the last page, not PAGE_1
    server.serve(PAGE_1)  # back to PAGE_1: every counter dropped, a restart
    again = await sample_of(panel)

    # no traffic: no ratio (nothing to divide), and no p95 (an empty histogram has none)
    assert idle == TrafficSample("scrape", 0.0, None, None, 5.0, False, *HTTP_NAMES)
    assert panel.summary(idle) == "no requests in 5s"
    assert panel.metrics(idle) == {"request_rate": 0.0, "error_ratio": None, "p95_ms": None,
                                   "window_s": 5.0, "source": "scrape"}
    assert (busy.request_rate, busy.error_ratio, busy.window_s) == (50.0, 0.2, 4.0)
    assert still == TrafficSample("scrape", 0.0, None, None, 3.0, False, *HTTP_NAMES)
    # after the restart PAGE_1's counters are all new: 1035 requests (15 of them 5xx) in
    # 8 s; buckets (603, 887, 999, 1010) from 0, rank 959.5 in (0.1, 0.5], which holds
    # 112, 72.5 of them below the rank: 0.1 + 0.4 * 72.5/112 s
    assert again.request_rate == pytest.approx(1035 / 8, rel=1e-12)
    assert again.error_ratio == pytest.approx(15 / 1035, rel=1e-12)
    assert again.p95_ms == pytest.approx((0.1 + 0.4 * 72.5 / 112) * 1000, rel=1e-12)
    assert panel.parses == 3  # PAGE_1, PAGE_2, PAGE_1: the repeats were not parsed


async def test_a_scrape_at_the_same_instant_still_warms_up(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch) -> None:
    """No time between two scrapes is no span to divide by: no rates yet."""
    clock(monkeypatch, 3.0, 3.0, 4.0)
    panel = keep(TrafficPanel("api", metrics_url=server.serve(PAGE_1)))
    await sample_of(panel)
    server.serve(PAGE_2)
    same = await sample_of(panel)
    server.serve(PAGE_1.replace('status="200"} 1000', 'status="200"} 1004'))
    later = await sample_of(panel)

    assert same == TrafficSample("scrape", None, None, None, None, True, *HTTP_NAMES)
    # compared with PAGE_2 (kept at the same instant): every counter dropped but the 200
    # series (1150 -> 1004); all counted from 0: 1004 + 20 + 10 + 5 = 1039 in 1 s
    assert later.request_rate == 1039.0


@pytest.mark.parametrize(("before", "after", "requests", "errors"), [
    # one series restarted (200: 1000 -> 30), the others grew: 30 + 30 + 10 = 70, 40 5xx
    ({"s200": 1000, "s500": 10, "s503": 5}, {"s200": 30, "s500": 40, "s503": 15}, 70, 40),
    # a series new since the last scrape counts from 0 (502: 7)
    ({"s200": 100}, {"s200": 110, "s502": 7}, 17, 7),
    # a series gone is simply not counted; one at the same value adds nothing
    ({"s200": 100, "s500": 9}, {"s500": 9, "s404": 3}, 3, 0),
    # one request is enough for a ratio: the one that failed, 100 %
    ({"s200": 5}, {"s200": 5, "s500": 1}, 1, 1),
])
async def test_request_counters_reset_series_by_series(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch,
        before: dict[str, float], after: dict[str, float], requests: int,
        errors: int) -> None:
    clock(monkeypatch, 10.0, 12.0)
    panel = keep(TrafficPanel("api", metrics_url=server.serve(requests_page(**before))))
    await sample_of(panel)
    server.serve(requests_page(**after))

    sample = await sample_of(panel)

    assert sample.request_rate == requests / 2
    assert sample.error_ratio == pytest.approx(errors / requests, rel=1e-12)
    assert sample.p95_ms is None  # no histogram on the page
    assert (sample.requests_metric, sample.duration_metric) == ("http_requests_total", None)


@pytest.mark.parametrize(("before", "after", "p95_ms", "requests", "error_ratio"), [
    # only _sum betrays the restart: 10 requests at 0.9 s before (sum 9); since, 15 at
    # 0.05 s and 5 at 0.5 s (sum 3.25): every bucket is at or above its old value.
    # From 0: (15, 20, 20), rank 19 in (0.1, 1.0]: 0.1 + 0.9 * 4/5 = 0.82 s.
    # Differences would say (15, 10, 10), lifted to (15, 15, 15): 95 ms, and 10 requests.
    ({"200": (0, 10, 10, 9.0)}, {"200": (15, 20, 20, 3.25)}, 820.0, 20, 0.0),
    # code=200 dropped (50 -> 10), code=500 refilled past its old 4 (to 10): one restart.
    # From 0: (10, 20, 20), rank 19: 0.1 + 0.9 * 9/10 = 0.91 s; 10 of 20 failed.
    # Series by series: 500 adds (0, 6, 6), so (10, 16, 16): 880 ms and 6 of 16 failed.
    ({"200": (50, 50, 50, 2.5), "500": (0, 4, 4, 3.6)},
     {"200": (10, 10, 10, 0.5), "500": (0, 10, 10, 9.0)}, 910.0, 20, 0.5),
    # a bucket of the refilled series itself dropped (le=1.0: 4 -> 3), +Inf grew:
    # from 0: (0 + 10, 3 + 10, 12 + 10) = (10, 13, 22), rank 20.9 in +Inf: 1.0 s
    ({"200": (50, 50, 50, 2.5), "500": (0, 4, 4, 3.6)},
     {"200": (10, 10, 10, 0.5), "500": (0, 3, 12, 40.0)}, 1000.0, 22, 12 / 22),
    # no drop anywhere (a NaN _sum is no drop): differences, (10, 10, 10) over 10
    # requests, rank 9.5 in (0, 0.1]: 0.1 * 9.5/10 = 95 ms
    ({"200": (0, 10, 10, 9.0)}, {"200": (10, 20, 20, math.nan)}, 95.0, 10, 0.0),
    # every counter the same: no requests, no p95 (Prometheus' NaN), no ratio
    ({"200": (5, 10, 10, 9.0)}, {"200": (5, 10, 10, 9.0), "500": (0, 0, 0, 0)},
     None, 0, None),
])
async def test_a_drop_in_any_series_of_the_histogram_restarts_all_of_it(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch,
        before: dict[str, tuple[float, float, float, float]],
        after: dict[str, tuple[float, float, float, float]],
        p95_ms: float | None, requests: int, error_ratio: float | None) -> None:
    clock(monkeypatch, 50.0, 54.0)
    panel = keep(TrafficPanel("api", metrics_url=server.serve(code_histogram(before))))
    await sample_of(panel)
    server.serve(code_histogram(after))

    sample = await sample_of(panel)

    assert sample.requests_metric == "api_request_duration_seconds_count"
    assert sample.request_rate == requests / 4
    if p95_ms is None:
        assert sample.p95_ms is None
    else:
        assert sample.p95_ms == pytest.approx(p95_ms, rel=1e-12)
    if error_ratio is None:
        assert sample.error_ratio is None
    else:
        assert sample.error_ratio == pytest.approx(error_ratio, rel=1e-12)


async def test_a_restarted_histogram_does_not_restart_a_separate_request_counter(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a histogram's own _count restarts with its buckets; http_requests_total is
    judged series by series, like every counter."""
    clock(monkeypatch, 0.0, 10.0)
    before = requests_page(s200=100, s500=4) + code_histogram(
        {"200": (50, 90, 104, 30.0)}, name="http_request_duration_seconds")
    # 130 - 100 and 10 - 4: 36 requests, 6 of them 5xx; the histogram dropped (50 -> 2):
    # from 0, (2, 30, 36), rank 34.2 in +Inf: the highest finite bound, 1.0 s
    after = requests_page(s200=130, s500=10) + code_histogram(
        {"200": (2, 30, 36, 12.0)}, name="http_request_duration_seconds")
    panel = keep(TrafficPanel("api", metrics_url=server.serve(before)))
    await sample_of(panel)
    server.serve(after)

    sample = await sample_of(panel)

    assert sample == TrafficSample("scrape", 3.6, 6 / 36, 1000.0, 10.0, False, *HTTP_NAMES)


@pytest.mark.parametrize(("name", "bounds", "p95_ms"), [
    # a *_milliseconds or *_ms histogram is in ms already: buckets (100, 250, +Inf) hold
    # (10, 20, 20) new observations, rank 19 in (100, 250]: 100 + 150 * 9/10 = 235 ms
    ("api_request_duration_milliseconds", ("100", "250"), 235.0),
    ("rpc_request_duration_ms", ("100", "250"), 235.0),
    # a *_seconds one is scaled: 0.1 + 0.15 * 9/10 = 0.235 s
    ("api_request_duration_seconds", ("0.1", "0.25"), 235.0),
])
async def test_the_histogram_unit_follows_its_name(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch,
        name: str, bounds: tuple[str, str], p95_ms: float) -> None:
    clock(monkeypatch, 0.0, 1.0)

    def page(fast: int, slow: int) -> str:
        return (f"# TYPE {name} histogram\n"
                f'{name}_bucket{{le="{bounds[0]}"}} {fast}\n'
                f'{name}_bucket{{le="{bounds[1]}"}} {slow}\n'
                f'{name}_bucket{{le="+Inf"}} {slow}\n'
                f"{name}_count {slow}\n{name}_sum 1\n")

    panel = keep(TrafficPanel("api", metrics_url=server.serve(page(5, 5))))
    await sample_of(panel)
    server.serve(page(15, 25))

    sample = await sample_of(panel)

    assert sample.p95_ms == pytest.approx(p95_ms, rel=1e-12)
    assert sample.request_rate == 20.0
    assert sample.error_ratio is None  # no status label at all: failures unknown
    assert panel.summary(sample) == "20.0 req/s · – 5xx · p95 235 ms"


# --- scraping: what goes wrong ---------------------------------------------------------


@pytest.mark.parametrize(("status", "reason"), [
    (503, "Service Unavailable"), (404, "Not Found"),
    (300, "Multiple Choices"),  # a redirect is not followed: not a page either
])
async def test_a_metrics_page_that_is_not_a_2xx_is_a_bad_response(
        server: LocalServer, keep: Keep, status: int, reason: str) -> None:
    port = server.url.rsplit(":", 1)[1]
    server.serve(PAGE_1, status=status)
    panel = keep(TrafficPanel(
        "api", metrics_url=f"http://scraper:s3cret@127.0.0.1:{port}/metrics"))

    assert await error_of(panel) == (f"parse: HTTP {status} {reason} from "
                                     f"http://scraper:****@127.0.0.1:{port}/metrics")


async def test_a_2xx_other_than_200_is_read(server: LocalServer, keep: Keep,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    clock(monkeypatch, 0.0, 1.0)
    server.serve(PAGE_1, status=203)
    panel = keep(TrafficPanel("api", metrics_url=server.url + "/metrics"))

    assert (await sample_of(panel)).warming_up is True


@pytest.mark.parametrize(("size", "limit", "refused"), [(100, 100, False), (101, 100, True)])
async def test_a_metrics_page_over_the_limit_is_refused(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch,
        size: int, limit: int, refused: bool) -> None:
    monkeypatch.setattr(traffic, "MAX_EXPOSITION_BYTES", limit)
    body = requests_page(s200=1)  # 60 bytes, padded with a comment to `size`
    body += "#" * (size - len(body) - 1) + "\n"
    assert len(body) == size
    panel = keep(TrafficPanel("api", metrics_url=server.serve(body)))

    if refused:
        assert await error_of(panel) == "parse: metrics page over 100 bytes"
    else:
        assert (await sample_of(panel)).warming_up is True


async def test_the_real_limit_is_twenty_million_bytes(server: LocalServer,
                                                      keep: Keep) -> None:
    panel = keep(TrafficPanel("api", metrics_url=server.serve(b"#" * 20_000_001)))

    assert await error_of(panel) == "parse: metrics page over 20000000 bytes"


@pytest.mark.parametrize(("size", "in_a_thread"), [(64 * 1024, False), (64 * 1024 + 1, True)])
async def test_only_pages_over_64_kib_are_parsed_off_the_event_loop(
        server: LocalServer, keep: Keep, size: int, in_a_thread: bool) -> None:
    parsed_in: list[threading.Thread] = []

    class Watched(TrafficPanel):
        def _read_exposition(self, body: bytes, at: float) -> Scrape:
            parsed_in.append(threading.current_thread())
            return super()._read_exposition(body, at)

    body = requests_page(s200=1)
    body += "#" * (size - len(body) - 1) + "\n"
    panel = keep(Watched("api", metrics_url=server.serve(body)))

    await sample_of(panel)

    assert len(parsed_in) == 1
    assert (parsed_in[0] is not threading.current_thread()) is in_a_thread


async def test_a_page_read_in_many_chunks_is_read_whole(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page over 64 KiB (httpx's largest read) arrives in several reads; joined, its
    1400 series are all there."""
    clock(monkeypatch, 0.0, 1.0)

    def page(failed: int) -> str:
        return "# TYPE http_requests_total counter\n" + "".join(
            f'http_requests_total{{path="/item/{n:04d}",status="200"}} {n}\n'
            for n in range(1400)) + f'http_requests_total{{path="/",status="500"}} {failed}\n'

    panel = keep(TrafficPanel("api", metrics_url=server.serve(page(0))))
    assert len(page(0)) > 65536
    await sample_of(panel)
    server.serve(page(1400))  # only the 500 series moved: 1400 failures in 1 s

    sample = await sample_of(panel)

    assert (sample.request_rate, sample.error_ratio) == (1400.0, 1.0)
    assert panel.parses == 2


async def test_no_source_at_all_is_absent(keep: Keep) -> None:
    panel = keep(TrafficPanel("api"))

    with pytest.raises(SourceAbsent) as absent:
        await panel.collect()
    assert str(absent.value) == "set metrics_url (the service's /metrics) or prometheus_url"


async def test_a_closed_panel_builds_its_client_and_request_again(
        server: LocalServer, keep: Keep, monkeypatch: pytest.MonkeyPatch) -> None:
    clock(monkeypatch, 0.0, 2.0)
    panel = keep(TrafficPanel("api", metrics_url=server.serve(PAGE_1)))
    await sample_of(panel)
    await panel.aclose()
    await panel.aclose()  # twice is harmless

    again = await sample_of(panel)

    # the counters are kept across the close: the same page 2 s later is no traffic
    assert again == TrafficSample("scrape", 0.0, None, None, 2.0, False, *HTTP_NAMES)
    assert [s.path for s in server.seen] == ["/metrics", "/metrics"]


# --- asking a Prometheus server --------------------------------------------------------


def vector(value: str) -> dict[str, object]:
    return {"resultType": "vector", "result": [{"metric": {}, "value": [1.7e9, value]}]}


class FakePrometheus:
    """Answers /api/v1/labels and /api/v1/query from what the test sets, as Prometheus'
    HTTP API does (JSON envelope with status and data); unknown queries: no series."""

    def __init__(self, server: LocalServer) -> None:
        self.labels: object = {"status": "success", "data": ["__name__", "job"]}
        self.values: dict[str, object] = {}
        server.answer = self.answer

    def answer(self, asked: Served) -> Answer:
        if asked.path == "/api/v1/labels":
            body = self.labels
        elif asked.path == "/api/v1/query":
            body = self.values.get(asked.query["query"][0],
                                   {"status": "success",
                                    "data": {"resultType": "vector", "result": []}})
        else:
            return 404, b"404 page not found", "text/plain"
        if isinstance(body, bytes):
            return 502, body, "text/html"
        return 200, json.dumps(body).encode(), "application/json"

    def value(self, expr: str, text: str) -> None:
        self.values[expr] = {"status": "success", "data": vector(text)}


@pytest.fixture
def prom(server: LocalServer) -> FakePrometheus:
    return FakePrometheus(server)


TOTAL = 'sum(rate(http_requests_total{job="api"}[5m]))'
ERRORS = '(sum(rate(http_requests_total{job="api", code=~"5.."}[5m])) or vector(0))'
P95 = ('histogram_quantile(0.95, sum by (le) '
       '(rate(http_request_duration_seconds_bucket{job="api"}[5m]))) * 1000')


def queries(server: LocalServer) -> list[str]:
    return sorted(s.query["query"][0] for s in server.seen if s.path == "/api/v1/query")


async def test_promql_mode_asks_the_three_queries_and_reads_their_answers(
        server: LocalServer, prom: FakePrometheus, keep: Keep) -> None:
    prom.labels = {"status": "success", "data": ["__name__", "code", "instance", "job"]}
    prom.value(TOTAL, "12.5")
    prom.value(f"{ERRORS} / {TOTAL}", "0.04")
    prom.value(P95, "180")
    # the trailing slash is dropped; the exposition's Accept is not sent to an API
    panel = keep(TrafficPanel("api", prometheus_url=server.url + "/", job="api",
                                metrics_url=server.url + "/metrics",
                                headers={"Authorization": "Bearer t0k"}))

    first = await sample_of(panel)
    second = await sample_of(panel)

    assert first == second == TrafficSample("prometheus", 12.5, 0.04, 180.0, 300.0, False,
                                            *HTTP_NAMES)
    labels = [s for s in server.seen if s.path == "/api/v1/labels"]
    assert len(labels) == 1  # the status label is asked once for the panel's life
    assert labels[0].query == {"match[]": ['http_requests_total{job="api"}']}
    assert queries(server) == sorted([TOTAL, f"{ERRORS} / {TOTAL}", P95] * 2)
    assert {s.path for s in server.seen} == {"/api/v1/labels", "/api/v1/query"}
    for asked in server.seen:
        assert asked.headers["Accept"] == "*/*"
        assert asked.headers["Authorization"] == "Bearer t0k"
    assert panel.summary(first) == "12.5 req/s · 4.0% 5xx · p95 180 ms"
    assert panel.metrics(first)["window_s"] == 300.0


@pytest.mark.parametrize(("options", "labels", "expected"), [
    # no matchers at all, a millisecond histogram, a 1h30m window; no status label found
    # in Prometheus: "status" is assumed (and asked again next time)
    ({"duration_metric": "api_latency_ms", "window": "1h30m"}, ["__name__"],
     ["sum(rate(http_requests_total{}[1h30m]))",
      '(sum(rate(http_requests_total{status=~"5.."}[1h30m])) or vector(0)) / '
      "sum(rate(http_requests_total{}[1h30m]))",
      "histogram_quantile(0.95, sum by (le) (rate(api_latency_ms_bucket{}[1h30m]))) * 1"]),
    # a selector wins over job, its braces and spaces dropped; http_status is found
    ({"selector": ' {job="api", env="prod"} ', "job": "ignored",
      "requests_metric": "rpc_total", "duration_metric": "rpc_duration_milliseconds"},
     ["http_status", "job"],
     ['sum(rate(rpc_total{job="api", env="prod"}[5m]))',
      '(sum(rate(rpc_total{job="api", env="prod", http_status=~"5.."}[5m])) or vector(0))'
      ' / sum(rate(rpc_total{job="api", env="prod"}[5m]))',
      "histogram_quantile(0.95, sum by (le) "
      '(rate(rpc_duration_milliseconds_bucket{job="api", env="prod"}[5m]))) * 1']),
    # status_code is the third name looked for; a configured status label is not asked
    ({"job": "api", "status_label": "rc"}, None,
     [TOTAL, f'{ERRORS.replace("code=", "rc=")} / {TOTAL}', P95]),
    ({"job": "api"}, ["status_code", "code"], [TOTAL, f"{ERRORS} / {TOTAL}", P95]),
])
async def test_promql_mode_builds_its_queries_from_the_options(
        server: LocalServer, prom: FakePrometheus, keep: Keep,
        options: dict[str, str], labels: list[str] | None, expected: list[str]) -> None:
    prom.labels = {"status": "success", "data": labels}
    panel = keep(TrafficPanel("api", prometheus_url=server.url, **options))  # type: ignore[arg-type]

    sample = await sample_of(panel)
    await sample_of(panel)

    assert sample == TrafficSample(
        "prometheus", None, None, None, 5400.0 if "window" in options else 300.0, False,
        options.get("requests_metric", "http_requests_total"),
        options.get("duration_metric", "http_request_duration_seconds"))
    assert queries(server) == sorted(expected * 2)
    asked = len([s for s in server.seen if s.path == "/api/v1/labels"])
    assert asked == {None: 0, "__name__": 2}.get(labels[0] if labels else None, 1)


async def test_a_labels_answer_that_is_not_a_list_means_status(
        server: LocalServer, prom: FakePrometheus, keep: Keep) -> None:
    prom.labels = {"status": "success", "data": {"code": 1}}
    panel = keep(TrafficPanel("api", prometheus_url=server.url))

    await sample_of(panel)

    assert '(sum(rate(http_requests_total{status=~"5.."}[5m])) or vector(0)) / ' \
           "sum(rate(http_requests_total{}[5m]))" in queries(server)


@pytest.mark.parametrize(("labels", "error"), [
    (b"<html>bad gateway</html>", "parse: not a Prometheus API: HTTP 502 from "
                                  "http://prom:****@127.0.0.1:{port}/api/v1/labels"),
    ({"status": "error", "errorType": "bad_data", "error": "parse error at char 5"},
     "parse: Prometheus refused the query: parse error at char 5"),
    ({"status": "error"}, "parse: Prometheus refused the query: {'status': 'error'}"),
    ({"data": ["code"]}, "parse: Prometheus refused the query: {'data': ['code']}"),
    ([1, 2], "parse: Prometheus refused the query: [1, 2]"),
])
async def test_what_prometheus_refuses_is_said(
        server: LocalServer, prom: FakePrometheus, keep: Keep,
        labels: object, error: str) -> None:
    prom.labels = labels
    port = server.url.rsplit(":", 1)[1]
    panel = keep(TrafficPanel("api", prometheus_url=f"http://prom:s3cret@127.0.0.1:{port}"))

    assert await error_of(panel) == error.replace("{port}", port)


@pytest.mark.parametrize(("data", "value"), [
    (vector("0.25"), 0.25),
    (vector("0"), 0.0),  # zero is an answer, not "no data"
    (vector("NaN"), None),  # histogram_quantile of nothing
    (vector("+Inf"), None),
    (vector("-Inf"), None),
    ({"resultType": "vector", "result": []}, None),  # no series at all
    ({"resultType": "vector"}, None),
    (["not", "an", "object"], None),
    (None, None),
])
async def test_an_instant_query_reads_one_finite_value_or_none(
        server: LocalServer, prom: FakePrometheus, keep: Keep,
        data: object, value: float | None) -> None:
    prom.values["up"] = {"status": "success", "data": data}
    panel = keep(TrafficPanel("api", prometheus_url=server.url))

    assert await panel._instant(server.url, "up") == value


@pytest.mark.parametrize("result", [
    [{"metric": {}}],  # KeyError
    [{"value": [1.7e9]}],  # IndexError
    ["up"],  # TypeError
    [{"value": [1.7e9, "fast"]}],  # ValueError
])
async def test_an_instant_answer_of_another_shape_is_a_bad_response(
        server: LocalServer, prom: FakePrometheus, keep: Keep,
        result: list[object]) -> None:
    prom.values["up"] = {"status": "success", "data": {"result": result}}
    panel = keep(TrafficPanel("api", prometheus_url=server.url))

    with pytest.raises(BadResponse) as bad:
        await panel._instant(server.url, "up")
    assert str(bad.value) == "unexpected Prometheus answer to up"


async def test_prometheus_wins_over_the_metrics_page(
        server: LocalServer, prom: FakePrometheus, keep: Keep) -> None:
    panel = keep(TrafficPanel("api", prometheus_url=server.url,
                                metrics_url=server.url + "/metrics"))

    await sample_of(panel)

    assert "/metrics" not in {s.path for s in server.seen}


@pytest.mark.parametrize(("options", "target"), [
    ({"prometheus_url": "http://u:pw@prom:9090/", "job": "api"},
     'http://u:****@prom:9090 job="api"'),
    ({"prometheus_url": "http://prom:9090", "selector": "{}"}, "http://prom:9090"),
    ({"prometheus_url": "http://prom:9090", "selector": '{env="prod"}', "job": "api"},
     'http://prom:9090 env="prod"'),
    # only the slashes at the end go, and only the braces around a selector
    ({"prometheus_url": "http://gw/monitoring/prom-X//", "selector": ' {X_team="core"} '},
     'http://gw/monitoring/prom-X X_team="core"'),
    ({"metrics_url": "http://u:pw@api:8000/metrics"}, "http://u:****@api:8000/metrics"),
    ({}, "api"),
])
def test_the_target_names_the_source_with_secrets_masked(options: dict[str, str],
                                                         target: str) -> None:
    assert TrafficPanel("api", **options).target == target  # type: ignore[arg-type]


# --- the pure parts ---------------------------------------------------------------------


def test_a_page_is_read_into_counters_by_series() -> None:
    panel = TrafficPanel("api", metrics_url="http://127.0.0.1:1/metrics")

    scrape = panel._read_exposition(PAGE_1.encode(), 7.0)

    assert scrape == Scrape(
        7.0, "http_requests_total", "http_request_duration_seconds", "status",
        {(*GET, ("status", "200")): 1000.0, (*GET, ("status", "404")): 20.0,
         (*GET, ("status", "500")): 10.0, (*POST, ("status", "503")): 5.0},
        {GET: {0.05: 600.0, 0.1: 880.0, 0.5: 990.0, INF: 1000.0},
         POST: {0.05: 3.0, 0.1: 7.0, 0.5: 9.0, INF: 10.0}},
        1000.0,
        {("http_request_duration_seconds_count", GET): 1000.0,
         ("http_request_duration_seconds_sum", GET): 61.5,
         ("http_request_duration_seconds_count", POST): 10.0,
         ("http_request_duration_seconds_sum", POST): 1.25})
    assert panel.parses == 1


@pytest.mark.parametrize(("labels", "options", "status"), [
    ('code="200",status="200"', {}, "status"),  # "status" is looked for first
    ('code="200",status_code="200"', {}, "code"),
    ('status_code="200",http_status="200"', {}, "status_code"),
    ('http_status="200"', {}, "http_status"),
    ('rc="200"', {}, None),
    ('rc="200"', {"status_label": "rc"}, "rc"),  # configured: taken as it is
])
def test_the_status_label_is_found_among_the_request_series(
        labels: str, options: dict[str, str], status: str | None) -> None:
    page = (f"# TYPE http_requests_total counter\n"
            f'http_requests_total{{path="/"}} 1\nhttp_requests_total{{{labels}}} 2\n')
    panel = TrafficPanel("api", metrics_url="http://127.0.0.1:1/metrics", **options)  # type: ignore[arg-type]

    assert panel._read_exposition(page.encode(), 0.0).status_label == status


def test_a_bucket_whose_bound_is_not_a_number_is_ignored() -> None:
    page = ("# TYPE d_request_duration_seconds histogram\n"
            'd_request_duration_seconds_bucket{le="0.5"} 3\n'
            'd_request_duration_seconds_bucket{le="slow"} 4\n'
            'd_request_duration_seconds_bucket{le="+Inf"} 5\n'
            "d_request_duration_seconds_count 5\n"
            'd_request_duration_seconds_sum{le="x"} 1.5\n')
    panel = TrafficPanel("api", metrics_url="http://127.0.0.1:1/metrics")

    scrape = panel._read_exposition(page.encode(), 0.0)

    assert scrape == Scrape(0.0, "d_request_duration_seconds_count",
                            "d_request_duration_seconds", None, {(): 5.0},
                            {(): {0.5: 3.0, INF: 5.0}}, 1000.0,
                            {("d_request_duration_seconds_count", ()): 5.0,
                             ("d_request_duration_seconds_sum", (("le", "x"),)): 1.5})


def test_a_histogram_without_count_reads_latency_but_no_requests() -> None:
    page = ("d_request_duration_ms_bucket{le=\"10\"} 3\n"
            "d_request_duration_ms_bucket{le=\"+Inf\"} 5\n")
    panel = TrafficPanel("api", metrics_url="http://127.0.0.1:1/metrics")

    scrape = panel._read_exposition(page.encode(), 0.0)

    assert scrape == Scrape(0.0, None, "d_request_duration_ms", None, {},
                            {(): {10.0: 3.0, INF: 5.0}}, 1.0, {})


def test_a_configured_request_counter_is_read_under_its_total_name() -> None:
    page = "# TYPE rpc counter\nrpc{code=\"503\"} 4\nhttp_requests_total 9\n"
    panel = TrafficPanel("api", metrics_url="http://127.0.0.1:1/metrics",
                         requests_metric="rpc")

    scrape = panel._read_exposition(page.encode(), 0.0)

    assert (scrape.requests_metric, scrape.requests, scrape.status_label) == (
        "rpc_total", {(("code", "503"),): 4.0}, "code")


@pytest.mark.parametrize(("options", "page", "error"), [
    ({}, "# TYPE up gauge\nup 1\n",
     "no request metrics in the exposition (looked for http_requests_total or "
     "*_requests_total and http_request_duration_seconds)"),
    ({"requests_metric": "rpc", "duration_metric": "rpc_seconds"}, "http_requests_total 1\n",
     "no request metrics in the exposition (looked for rpc and rpc_seconds)"),
    ({}, "http_requests_total{status=\"200\" 1\n", "not Prometheus exposition format: "),
])
def test_a_page_without_what_the_panel_reads_says_what_it_looked_for(
        options: dict[str, str], page: str, error: str) -> None:
    panel = TrafficPanel("api", metrics_url="http://127.0.0.1:1/metrics", **options)  # type: ignore[arg-type]

    with pytest.raises(BadResponse) as bad:
        panel._read_exposition(page.encode(), 0.0)
    if error.endswith(": "):
        assert str(bad.value).startswith(error) and len(str(bad.value)) > len(error)
    else:
        assert str(bad.value) == error


@pytest.mark.parametrize(("wanted", "names", "picked"), [
    ("rpc", {"rpc", "rpc_total"}, "rpc"),
    ("rpc", {"rpc_total", "http_requests_total"}, "rpc_total"),
    ("rpc", {"http_requests_total"}, None),
    (None, {"http_requests_total", "a_http_requests_total"}, "http_requests_total"),
    (None, {"b_requests_total", "a_requests_total"}, "a_requests_total"),
    (None, {"z_http_requests_total", "a_requests_total"}, "z_http_requests_total"),
    (None, {"b_http_requests_total", "a_http_requests_total"}, "a_http_requests_total"),
    # the client library's own scrape counter is not the service's traffic
    (None, {"promhttp_metric_handler_requests_total"}, None),
    (None, {"promhttp_metric_handler_requests_total", "grpc_requests_total"},
     "grpc_requests_total"),
    (None, {"requests_total", "http_requests"}, None),
    (None, set(), None),
])
def test_the_request_counter_is_picked_by_name(wanted: str | None, names: set[str],
                                               picked: str | None) -> None:
    assert _pick_requests(wanted, names) == picked


@pytest.mark.parametrize(("wanted", "bases", "picked"), [
    ("lat", {"lat", "http_request_duration_seconds"}, "lat"),
    ("lat", {"http_request_duration_seconds"}, None),
    (None, {"http_request_duration_seconds", "a_request_duration_seconds"},
     "http_request_duration_seconds"),
    (None, {"b_request_duration_seconds", "a_request_duration_seconds"},
     "a_request_duration_seconds"),
    (None, {"z_http_request_duration_seconds", "a_request_duration_seconds"},
     "z_http_request_duration_seconds"),
    (None, {"request_size_bytes", "gc_duration_seconds"}, None),
    (None, set(), None),
])
def test_the_duration_histogram_is_picked_by_name(wanted: str | None, bases: set[str],
                                                  picked: str | None) -> None:
    assert _pick_duration(wanted, bases) == picked


@pytest.mark.parametrize(("options", "names"), [
    ({}, {"http_requests_total": True, "api_requests_total": True,
          "api_requests": True,  # a counter's family name: its sample is api_requests_total
          "http_request_duration_seconds_bucket": True, "request_duration": True,
          "http_request_size_bytes": False, "go_goroutines": False,
          "process_duration_seconds": False}),
    ({"requests_metric": "rpc", "duration_metric": "lat"},
     {"rpc": True, "rpc_total": True, "rpc_count": False, "http_requests_total": False,
      "lat": True, "lat_bucket": True, "latency": False,
      "http_request_duration_seconds": False}),
    ({"requests_metric": "rpc"},
     {"http_requests_total": False, "x_request_duration_seconds_sum": True}),
    ({"duration_metric": "lat"},
     {"api_requests_total": True, "lat_sum": True, "x_request_duration_seconds": False}),
])
def test_the_families_a_panel_wants(options: dict[str, str],
                                    names: dict[str, bool]) -> None:
    panel = TrafficPanel("api", **options)  # type: ignore[arg-type]

    assert {name: panel.wanted(name) for name in names} == names


def test_wanted_lines_keeps_the_read_families_and_the_first_line_of_each_gap() -> None:
    page = ("# just a comment\n"
            "\n"
            "# HELP go_goroutines Goroutines.\n"
            "# TYPE go_goroutines gauge\n"
            "go_goroutines 42\n"
            "# TYPE http_requests_total counter\n"
            '  http_requests_total{status="200"} 7  \n'
            "# TYPE\n"
            "# HELP\n"
            "process_open_fds 9\n"
            '# HELP "odd.name" quoted\n'
            '{__name__="x"} 1\n'
            "# HELP http_requests_total\n"
            'http_requests_total{status="500"} 1')

    cut = wanted_lines(page, lambda name: name.startswith("http_"))

    assert cut == ("# HELP go_goroutines Goroutines.\n"
                   "# TYPE http_requests_total counter\n"
                   'http_requests_total{status="200"} 7\n'
                   "process_open_fds 9\n"
                   '# HELP "odd.name" quoted\n'
                   '{__name__="x"} 1\n'
                   "# HELP http_requests_total\n"
                   'http_requests_total{status="500"} 1\n')


@pytest.mark.parametrize(("code", "is_5xx"), [
    ("500", True), ("503", True), ("599", True),
    ("200", False), ("404", False), ("50", False), ("5000", False), ("", False),
    ("E50", False),
])
def test_only_three_digit_5_codes_are_server_errors(code: str, is_5xx: bool) -> None:
    assert _is_5xx(code) is is_5xx


def test_series_keys_and_rounding() -> None:
    assert _key({"b": "2", "a": "1"}) == (("a", "1"), ("b", "2"))
    assert _round(None, 2) is None
    assert _round(1.23456, 2) == 1.23


def scrape(at: float, buckets: dict[SeriesKeyT, dict[float, float]],
           totals: dict[tuple[str, SeriesKeyT], float] | None = None,
           duration: str = "d_seconds", requests: dict[SeriesKeyT, float] | None = None,
           requests_metric: str | None = "d_seconds_count") -> Scrape:
    return Scrape(at, requests_metric, duration, "code", requests or {}, buckets, 1000.0,
                  totals or {})


SeriesKeyT = tuple[tuple[str, str], ...]
A, B = (("code", "200"),), (("code", "500"),)


@pytest.mark.parametrize(("previous", "current", "restarted"), [
    # one bucket of one series went down
    (scrape(0, {A: {1.0: 5, INF: 5}, B: {1.0: 1, INF: 2}}),
     scrape(1, {A: {1.0: 9, INF: 9}, B: {1.0: 0, INF: 2}}), True),
    # every value the same: no restart
    (scrape(0, {A: {1.0: 5, INF: 5}}, {("d_seconds_sum", A): 2.0}),
     scrape(1, {A: {1.0: 5, INF: 5}}, {("d_seconds_sum", A): 2.0}), False),
    # a series or a bucket new since: nothing to compare with
    (scrape(0, {A: {1.0: 5, INF: 5}}),
     scrape(1, {A: {0.5: 1, 1.0: 6, INF: 6}, B: {1.0: 0, INF: 0}}), False),
    # only _sum went down
    (scrape(0, {A: {INF: 5}}, {("d_seconds_sum", A): 2.0, ("d_seconds_count", A): 5}),
     scrape(1, {A: {INF: 6}}, {("d_seconds_sum", A): 1.5, ("d_seconds_count", A): 6}), True),
    # a total new since
    (scrape(0, {A: {INF: 5}}, {("d_seconds_count", A): 5}),
     scrape(1, {A: {INF: 6}}, {("d_seconds_count", A): 6, ("d_seconds_sum", A): 0.5}),
     False),
    # another histogram altogether (the page changed what it exposes): nothing to compare
    (scrape(0, {A: {1.0: 5, INF: 5}}, {("d_seconds_sum", A): 2.0}),
     scrape(1, {A: {1.0: 1, INF: 1}}, {("d_seconds_sum", A): 0.5}, duration="e_seconds"),
     False),
])
def test_a_histogram_restarted_when_any_of_its_counters_went_down(
        previous: Scrape, current: Scrape, restarted: bool) -> None:
    assert _histogram_restarted(previous, current) is restarted


def test_rates_between_two_hand_made_scrapes() -> None:
    """_count as the request counter restarts with its histogram: 200's 4 -> 6 counts 6."""
    before = scrape(10.0, {A: {1.0: 4, INF: 4}, B: {1.0: 3, INF: 3}},
                    requests={A: 4, B: 3})
    after = scrape(12.5, {A: {1.0: 6, INF: 6}, B: {1.0: 0, INF: 4}},
                   requests={A: 6, B: 4})

    sample = _rates_between(before, after)

    # from 0: buckets (6, 10), rank 9.5 in +Inf: 1.0 s; 10 requests, 4 of them 5xx
    assert sample == TrafficSample("scrape", 4.0, 0.4, 1000.0, 2.5, False,
                                   "d_seconds_count", "d_seconds")


@pytest.mark.parametrize(("ratio", "p95", "rules", "expected"), [
    (0.05, 500.0, {}, [
        Condition("HighErrorRate", False, Severity.CRIT,
                  "5.0% of requests fail with 5xx (limit 5.0%)"),
        Condition("HighLatency", False, Severity.WARN, "p95 500 ms (limit 500 ms)")]),
    (0.0501, 500.4, {}, [
        Condition("HighErrorRate", True, Severity.CRIT,
                  "5.0% of requests fail with 5xx (limit 5.0%)"),
        Condition("HighLatency", True, Severity.WARN, "p95 500 ms (limit 500 ms)")]),
    (None, None, {}, [Condition("HighErrorRate", False, Severity.CRIT, ""),
                      Condition("HighLatency", False, Severity.WARN, "")]),
    (0.15, 700.0, {"HighErrorRate": AlertRule(0.2, 0.0, Severity.WARN),
                   "HighLatency": AlertRule(650.0, 0.0, Severity.CRIT)}, [
        Condition("HighErrorRate", False, Severity.WARN,
                  "15.0% of requests fail with 5xx (limit 20.0%)"),
        Condition("HighLatency", True, Severity.CRIT, "p95 700 ms (limit 650 ms)")]),
    # a rule without a threshold keeps the default one
    (0.06, 450.0, {"HighErrorRate": AlertRule(None, 0.0, Severity.WARN),
                   "HighLatency": AlertRule(None, 0.0, Severity.CRIT)}, [
        Condition("HighErrorRate", True, Severity.WARN,
                  "6.0% of requests fail with 5xx (limit 5.0%)"),
        Condition("HighLatency", False, Severity.CRIT, "p95 450 ms (limit 500 ms)")]),
])
def test_the_alert_conditions(ratio: float | None, p95: float | None,
                              rules: dict[str, AlertRule],
                              expected: list[Condition]) -> None:
    panel = TrafficPanel("api", rules=rules)
    sample = TrafficSample("scrape", 10.0, ratio, p95, 5.0)

    assert panel.conditions(sample) == expected


@pytest.mark.parametrize(("sample", "summary"), [
    (TrafficSample("scrape", None, None, None, None), "no traffic data yet"),
    (TrafficSample("prometheus", 0.0, None, None, 300.0), "no requests in 300s"),
    (TrafficSample("prometheus", 0.0, None, None, None), "no requests"),
    (TrafficSample("scrape", 0.04, 0.5, 1234.5, 60.0), "0.0 req/s · 50.0% 5xx · p95 1234 ms"),
    (TrafficSample("scrape", 3.25, None, None, 2.0), "3.2 req/s · – 5xx · p95 –"),
])
def test_the_summary_line(sample: TrafficSample, summary: str) -> None:
    assert TrafficPanel("api").summary(sample) == summary


def test_metrics_are_rounded_for_the_json_contract() -> None:
    sample = TrafficSample("prometheus", 12.34567, 0.123456, 123.456, 9.87)

    assert TrafficPanel("api").metrics(sample) == {
        "request_rate": 12.346, "error_ratio": 0.1235, "p95_ms": 123.46, "window_s": 9.9,
        "source": "prometheus"}


def test_samples_and_scrapes_are_frozen_values_with_plain_defaults() -> None:
    """Samples are shared by the card, the history and the journal: none may change one."""
    sample = TrafficSample("scrape", 1.0, None, None, 1.0)
    read = Scrape(1.0, None, None, None, {}, {}, 1000.0)

    assert (sample.warming_up, sample.requests_metric, sample.duration_metric) == (
        False, None, None)
    assert read.totals == {}
    assert read.totals is not Scrape(2.0, None, None, None, {}, {}, 1.0).totals
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.request_rate = 2.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.at = 2.0  # type: ignore[misc]
    # two scrapes without a histogram's totals: rates all the same
    assert _rates_between(read, replace(read, at=3.0, requests={(): 4.0})) == (
        TrafficSample("scrape", 2.0, None, None, 2.0, False))


def test_the_panel_declares_itself() -> None:
    panel = TrafficPanel("api")

    assert panel.id == "traffic:api"
    # the sparkline draws the request rate; `check` scrapes twice, rates need two pages;
    # a dead endpoint raises no alert of its own (ServiceDown is health's)
    assert (panel.series_key, panel.rate_based, panel.unreachable_alert) == (
        "request_rate", True, None)
    assert (panel.timeout, panel.window) == (5.0, "5m")


@pytest.mark.parametrize(("options", "urls"), [
    ({"prometheus_url": "https://prom:9090/"}, ("https://prom:9090",)),
    ({"prometheus_url": "https://prom:9090", "metrics_url": "http://api/metrics"},
     ("https://prom:9090",)),
    ({"metrics_url": "https://api/metrics"}, ("https://api/metrics",)),
])
def test_the_client_is_built_for_the_source_it_asks(
        monkeypatch: pytest.MonkeyPatch, options: dict[str, str],
        urls: tuple[str, ...]) -> None:
    """The URL decides TLS verification: an https:// source must be the one named."""
    built: list[tuple[str | None, ...]] = []

    def client(*asked: str | None, **kwargs: object) -> object:
        built.append(asked)
        return object()

    monkeypatch.setattr(traffic, "panel_client", client)
    panel = TrafficPanel("api", **options)  # type: ignore[arg-type]
    panel.prepare()
    panel.prepare()  # built once

    assert built == [urls]


def test_a_page_with_bytes_that_are_not_utf8_is_still_read() -> None:
    page = (b"# HELP http_requests_total Requests \xff\xfe served.\n"
            b"# TYPE http_requests_total counter\n"
            b'http_requests_total{path="/caf\xe9",status="500"} 3\n')
    panel = TrafficPanel("api", metrics_url="http://127.0.0.1:1/metrics")

    scrape = panel._read_exposition(page, 0.0)

    assert scrape.requests == {(("path", "/caf\ufffd"), ("status", "500")): 3.0}
