"""The traffic panel's cheap scrape: the line pre-filter reads the same figures as a full
parse, and a byte-identical /metrics page is not parsed again."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from panels.traffic import Scrape, TrafficPanel, _rates_between, wanted_lines
from tests import test_traffic_panel
from tests.fixtures.http import HTTPService
from tests.test_traffic_panel import Keep

#: the traffic tests' own fixture: every panel a test opens is closed, pass or fail
keep = test_traffic_panel.keep


class WholePage(TrafficPanel):
    """The reference: the same panel reading every line of the page (no pre-filter)."""

    def wanted(self, name: str) -> bool:
        return True


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value)
            for fam in text_string_to_metric_families(text) for s in fam.samples]


def assert_same_reading(body: bytes, **options: str) -> Scrape:
    """The filtered parse equals the full one: every sample the panel can read, in order,
    and the Scrape (and so every figure) built from them."""
    panel = TrafficPanel("t", metrics_url="http://127.0.0.1:1/metrics", **options)
    whole = WholePage("t", metrics_url="http://127.0.0.1:1/metrics", **options)
    text = body.decode()
    cut = wanted_lines(text, panel.wanted)
    assert len(cut) < len(text)  # something was left out, or the test proves nothing
    read = [s for s in samples(text) if panel.wanted(s[0])]
    assert [s for s in samples(cut) if panel.wanted(s[0])] == read
    filtered, full = panel._read_exposition(body, 1.0), whole._read_exposition(body, 1.0)
    assert filtered == full
    return filtered


async def test_the_fixture_services_real_metrics_read_the_same(
        http_service: HTTPService) -> None:
    http_service.observe(n=90, status=200, seconds=0.05)
    http_service.observe(n=10, status=500, seconds=0.8)
    first = assert_same_reading(http_service.render_metrics())
    http_service.observe(n=50, status=500, seconds=2.0)
    http_service.reset_metrics()  # a restart: counters go down
    http_service.observe(n=7, status=200, seconds=0.01)
    second = assert_same_reading(http_service.render_metrics())
    assert first.requests_metric == "http_requests_total"
    assert first.duration_metric == "http_request_duration_seconds"
    later = Scrape(2.0, *[getattr(second, f) for f in (
        "requests_metric", "duration_metric", "status_label", "requests", "buckets",
        "duration_unit_ms", "totals")])
    rates = _rates_between(first, later)
    assert rates.request_rate == 7.0  # the reset is seen: 7 new requests, not -93
    assert rates.error_ratio == 0.0


#: other families around and between the read ones, comments, escaped label values
#: holding the family's name, names that are prefixes of others, a counter without
#: `_total` (the parser names its sample `..._total`), a summary with request+duration
TRICKY = r"""# A comment the parser ignores: http_requests_total 999
# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/http_requests_total"} 100
http_requests_total{code="500",path="/a\"http_requests_total{code=\"500\"} 7\""} 5

# HELP http_requests_total_created Created.
# TYPE http_requests_total_created gauge
http_requests_total_created{code="200"} 1.7e9
http_requests_total_created{code="500"} 1.7e9
process_cpu_seconds_total 12.5
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 90
http_request_duration_seconds_bucket{le="1.0"} 100
http_request_duration_seconds_bucket{le="+Inf"} 105
http_request_duration_seconds_count 105
http_request_duration_seconds_sum 20.5
# TYPE http_request_duration_seconds_extra gauge
http_request_duration_seconds_extra 3
# HELP rpc_requests RPCs (a counter without _total).
# TYPE rpc_requests counter
rpc_requests{status="503"} 4
# TYPE rpc_request_duration_ms summary
rpc_request_duration_ms{quantile="0.95"} 12
rpc_request_duration_ms_count 4
rpc_request_duration_ms_sum 30
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 8
python_info{implementation="CPython",name="http_requests_total"} 1
"""


def test_a_page_with_other_families_interleaved_reads_the_same() -> None:
    scrape = assert_same_reading(TRICKY.encode())
    assert scrape.requests == {(("code", "200"), ("path", "/http_requests_total")): 100.0,
                               (("code", "500"), ("path", '/a"http_requests_total{code="500"} '
                                                  '7"')): 5.0}
    assert scrape.buckets == {(): {0.1: 90.0, 1.0: 100.0, float("inf"): 105.0}}


@pytest.mark.parametrize("options", [
    {"requests_metric": "rpc_requests"},  # the parser's rpc_requests_total
    {"requests_metric": "http_requests", "duration_metric": "http_request_duration_seconds"},
    {"duration_metric": "rpc_request_duration_ms"},  # a summary: no buckets
    {"requests_metric": "http_request_duration_seconds_count"},
])
def test_configured_names_read_the_same(options: dict[str, str]) -> None:
    assert_same_reading(TRICKY.encode(), **options)


def test_a_family_cut_by_other_lines_reads_the_same() -> None:
    """Samples of a counter split by another family's lines: the full parse makes the
    second half an untyped family (no `_total` added); the filtered one must too."""
    body = ("# TYPE rpc_requests counter\nrpc_requests{status=\"200\"} 1\n"
            "go_goroutines 3\ngo_threads 4\nrpc_requests{status=\"500\"} 2\n"
            "# TYPE http_requests_total counter\nhttp_requests_total 9\n")
    assert_same_reading(body.encode(), requests_metric="rpc_requests")


def test_a_page_that_is_not_an_exposition_is_still_refused() -> None:
    panel = TrafficPanel("t", metrics_url="http://127.0.0.1:1/metrics")
    with pytest.raises(Exception, match="not Prometheus exposition format"):
        panel._read_exposition(b"<html><body>Welcome to nginx!</body></html>", 1.0)


async def test_an_identical_page_is_not_parsed_again(http_service: HTTPService,
                                                     keep: Keep) -> None:
    http_service.observe(n=10, status=200, seconds=0.05)
    panel = keep(TrafficPanel("api", metrics_url=http_service.url_for("/metrics")))

    for _ in range(3):  # nothing served in between: the same bytes each time
        probe = await panel.probe()
        assert probe.error is None, probe.error
    assert panel.parses == 1
    assert probe.sample is not None and probe.sample.request_rate == 0.0

    http_service.observe(n=4, status=500, seconds=0.05)
    probe = await panel.probe()
    assert panel.parses == 2
    assert probe.sample is not None and probe.sample.error_ratio == 1.0
