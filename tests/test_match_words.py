"""The matcher's word lists and score rules, one exact case each, on hand-built libraries.

Why hand-built: a `Library` of `Section`s made here costs microseconds (no parsing, no
bundled runbooks), so each synonym, stop word, generic word, condition, topic and score
rule gets its own case, and a word dropped from a list fails the case naming it. The
expected values are written out here, not read from runbooks.match.
"""

from __future__ import annotations

import dataclasses
import gc

import pytest

from runbooks.library import Library
from runbooks.match import (
    _INDEXES,
    Match,
    _index,
    _terms,
    canonical_for,
    match,
    split_alert,
)
from runbooks.model import Runbook, Section, Step

STEPS = (Step(text="look"),)


def sec(title: str, file: str = "a.md", **kw: object) -> Section:
    slug = "-".join(title.lower().split()) or "top"
    return Section(file=file, slug=slug, title=title, level=2, **kw)  # type: ignore[arg-type]


def lib(*sections: Section, bundled: bool = False) -> Library:
    """One runbook per section, in order."""
    return Library(runbooks=[Runbook(file=s.file, title=s.doc_title, sections=(s,),
                                     bundled=bundled or s.bundled) for s in sections])


def rows(library: Library, alert: str) -> list[tuple[str, float, str, str]]:
    return [(m.section.title, m.score, m.reason, m.name) for m in match(library, alert)]


def score(heading: str, alert: str) -> float | None:
    """The one section's score, None when it does not match."""
    ranked = match(lib(sec(heading)), alert)
    return ranked[0].score if ranked else None


# --- synonyms: each phrase of each group, in a heading and as the alert's word -------------

#: (alert, {phrase in a heading: score}); "The" is a stop word, so the alert's name is not
#: in the heading and only its one word counts
HEADING_PHRASES: list[tuple[str, dict[str, float]]] = [
    ("TheLatency", {"latency": 80, "slow": 80, "response time": 80, "p95": 80, "p99": 80,
                    "lag": 80, "timeout": 80}),
    ("TheUnreachable", {"unreachable": 80, "down": 80, "connection failed": 80,
                        "connection failure": 80, "refused": 80, "unavailable": 80,
                        "outage": 80, "cannot connect": 80, "can't connect": 80,
                        "not responding": 80, "offline": 80, "notready": 80, "not ready": 80,
                        "disappeared": 80, "absent": 80}),
    ("TheQueue", {"queue": 80, "backlog": 80, "not processing": 80, "piling": 80,
                  "queued": 80, "depth": 80}),
    # backlog, piling, not processing are also the queue's words: another component
    ("TheStuck", {"stuck": 80, "backlog": 70, "not processing": 70, "piling": 70,
                  "growing": 80, "halted": 80, "not decreasing": 80}),
    ("TheMemory", {"memory": 80, "oom": 80, "out of memory": 80, "ram": 80, "swap": 80,
                   "oomkilled": 80}),
    ("TheDisk", {"disk": 80, "filesystem": 80, "file system": 80, "volume": 80, "storage": 80,
                 "inode": 80, "pvc": 80}),
    ("TheFull", {"full": 80, "space": 80, "no space": 80, "out of space": 80,
                 "filling up": 80, "fillingup": 80, "running out": 80}),
    ("TheError", {"error": 80, "5xx": 80, "500": 80, "failure": 80, "failing": 80,
                  "exceptions": 80, "failed": 80}),
    ("ThePool", {"pool": 80, "connections": 80, "too many connections": 80,
                 "max_connections": 80, "connection limit": 80, "pgbouncer": 80}),
    ("TheExhaustion", {"exhaustion": 80, "exhausted": 80, "saturation": 80, "saturated": 80,
                       "too many connections": 80}),
    ("TheContainer", {"container": 80, "pod": 80, "docker": 80}),
    ("TheCrashloop", {"crashloop": 80, "crash loop": 80, "crashloopbackoff": 80,
                      "restarting": 80, "exited": 80, "unhealthy": 80, "crashing": 80,
                      "crashlooping": 80, "crash": 80}),
    ("TheDatabase", {"database": 80, "db": 80, "postgres": 80, "postgresql": 80, "sql": 80}),
    ("TheRedis", {"redis": 80, "cache": 80, "broker": 80}),
    ("TheApi", {"service": 80, "api": 80, "app": 80, "application": 80, "site": 80,
                "website": 80, "health": 80, "instance": 80}),
    ("TheQuery", {"query": 80, "queries": 80, "statement": 80, "blocking": 80, "lock": 80,
                  "transaction": 80}),
    ("TheLong", {"long": 80, "long-running": 80, "long running": 80, "hours": 80}),
    ("TheTask", {"task": 80, "job": 80, "worker": 80, "celery": 80, "sidekiq": 80}),
]


@pytest.mark.parametrize(("alert", "phrase", "expected"), [
    pytest.param(alert, phrase, float(value), id=f"{alert}-{phrase}")
    for alert, phrases in HEADING_PHRASES for phrase, value in phrases.items()])
def test_each_synonym_in_a_heading_answers_its_word(alert: str, phrase: str,
                                                    expected: float) -> None:
    assert score(phrase, alert) == expected


#: (the alert's one word, a heading with the group's first word)
ALERT_WORDS: list[tuple[str, str]] = [
    (w, "latency") for w in ("slow", "lag", "timeout", "timeouts")] + [
    (w, "unreachable") for w in ("down", "refused", "unavailable", "outage", "offline",
                                 "notready", "disappeared", "absent")] + [
    (w, "queue") for w in ("backlog", "piling", "queued", "depth")] + [
    (w, "stuck") for w in ("growing", "halted")] + [
    (w, "memory") for w in ("oom", "ram", "swap", "oomkilled")] + [
    (w, "disk") for w in ("filesystem", "volume", "storage", "inode", "inodes", "pvc")] + [
    (w, "full") for w in ("space", "fillingup")] + [
    (w, "error") for w in ("errors", "failure", "failures", "failing", "exceptions",
                           "failed")] + [
    (w, "pool") for w in ("connections", "pgbouncer")] + [
    (w, "exhaustion") for w in ("exhausted", "saturation", "saturated")] + [
    (w, "container") for w in ("containers", "pod", "pods", "docker")] + [
    (w, "crashloop") for w in ("crashloopbackoff", "restarting", "exited", "unhealthy",
                               "crashing", "crashlooping", "crash")] + [
    (w, "database") for w in ("db", "postgres", "postgresql", "sql")] + [
    (w, "redis") for w in ("cache", "broker")] + [
    (w, "api") for w in ("app", "application", "site", "website", "health", "instance")] + [
    (w, "query") for w in ("queries", "statement", "blocking", "locks", "transaction",
                           "transactions")] + [
    (w, "long") for w in ("hours",)] + [
    (w, "task") for w in ("job", "jobs", "tasks", "worker", "workers", "celery", "sidekiq")]


@pytest.mark.parametrize(("word", "heading"), ALERT_WORDS,
                         ids=[w for w, _ in ALERT_WORDS])
def test_each_synonym_as_the_alerts_word_reaches_its_group(word: str, heading: str) -> None:
    assert score(f"{heading} x", f"The{word.capitalize()}") == 80.0


# --- stop words, generic words, conditions, topics -----------------------------------------

def test_small_words_never_count() -> None:
    words = split_alert("OfOutTheAnAToInOnForAtByAndOrWithAlmostNoNotXDiskDisk")
    assert _terms(words) == ["disk"]


@pytest.mark.parametrize("word", ["high", "rate", "running", "service", "low", "too", "many",
                                  "check", "alert", "ratio", "total", "count", "alerts", "kube",
                                  "is"])
def test_a_generic_word_alone_matches_nothing(word: str) -> None:
    assert score(f"{word} x", f"The{word.capitalize()}") is None


@pytest.mark.parametrize("condition", ["Unreachable", "Latency", "Stuck", "Memory", "Full",
                                       "Error", "Exhaustion", "Crashloop", "Long"])
def test_an_alert_naming_a_condition_needs_it(condition: str) -> None:
    """Two of three words in the heading, but not the condition: no match."""
    assert score("Payment api", f"PaymentApi{condition}") is None
    assert score(f"Payment {condition.lower()}", f"PaymentApi{condition}") == 58.8


@pytest.mark.parametrize(("heading", "expected"), [
    ("latency", 80.0), ("database latency", 70.0), ("redis latency", 70.0),
    ("container latency", 70.0), ("disk latency", 70.0), ("queue latency", 70.0),
    ("memory latency", 70.0), ("service latency", 70.0),
    # one component too many loses 10, not 20
    ("database redis latency", 70.0),
])
def test_a_heading_about_another_component_loses_10(heading: str, expected: float) -> None:
    assert score(heading, "TheLatency") == expected


@pytest.mark.parametrize(("alert", "heading"), [
    ("TheDatabaseLatency", "database latency"), ("TheRedisLatency", "redis latency"),
    ("TheContainerLatency", "container latency"), ("TheDiskLatency", "disk latency"),
    ("TheQueueLatency", "queue latency"), ("TheMemoryLatency", "memory latency"),
    ("TheApiLatency", "service latency"),
])
def test_the_alerts_own_component_costs_nothing(alert: str, heading: str) -> None:
    assert score(heading, alert) == 80.0


@pytest.mark.parametrize(("alert", "canonical"), [
    ("InstanceDown", "ServiceDown"), ("TargetNotReady", "ServiceDown"),
    ("ServiceUnreachable", "ServiceDown"), ("ApiUnavailable", "ServiceDown"),
    ("AppDown", "ServiceDown"), ("ServerDown", "ServiceDown"), ("EndpointDown", "ServiceDown"),
    ("NodeDiskFull", "DiskFull"), ("FilesystemAlmostFull", "DiskFull"),
    ("VolumeFillingUp", "DiskFull"), ("StorageLow", "DiskFull"),
    ("SpaceOutOfSpace", "DiskFull"),
    ("KubeCrashLoop", "ContainerDown"), ("ContainerWaiting", "ContainerDown"),
    ("ContainerRestarts", "ContainerDown"), ("PodNotReady", "ContainerDown"),
    ("PodCrash", "ContainerDown"), ("ContainerIsDown", "ContainerDown"),
    ("PoolExhausted", "DBPoolExhaustion"), ("ConnectionsSaturated", "DBPoolExhaustion"),
    ("PoolUsageHigh", "DBPoolExhaustion"), ("ConnectionLimitNear", "DBPoolExhaustion"),
    ("QueueStuck", "TaskQueueStuck"), ("QueueLengthHigh", "TaskQueueStuck"),
    ("QueueDepth", "TaskQueueStuck"), ("QueueBacklog", "TaskQueueStuck"),
    ("QueueLatency", "TaskQueueStuck"), ("QueueGrowing", "TaskQueueStuck"),
    ("ErrorRate", "HighErrorRate"), ("Http5xxRatio", "HighErrorRate"),
    ("ErrorsHigh", "HighErrorRate"),
    ("LongRunningTransaction", "LongRunningQuery"), ("SlowQuery", "LongRunningQuery"),
    ("PgSlowQueries", "LongRunningQuery"),
    ("RedisMemoryPressure", "RedisMemoryHigh"),
    ("MemoryHighUsage", "MemoryHigh"), ("NodeMemoryPressure", "MemoryHigh"),
    ("OomKills", "MemoryHigh"),
    ("LatencyHigh", "HighLatency"), ("P99HighLatency", "HighLatency"),
    ("SlowResponses", "HighLatency"),
    # the canonical alerts themselves, in any case, are no other alert's name
    ("ServiceDown", None), ("DISKFULL", None), ("containerdown", None),
    ("DBPoolExhaustion", None), ("TaskQueueStuck", None), ("HighErrorRate", None),
    ("LongRunningQuery", None), ("RedisMemoryHigh", None), ("MemoryHigh", None),
    ("HighLatency", None), ("PrinterOnFire", None),
])
def test_each_pattern_of_a_condition_names_its_canonical_alert(alert: str,
                                                               canonical: str | None) -> None:
    assert canonical_for(alert) == canonical


# --- the score rules, their order and the section's role ---------------------------------

@pytest.mark.parametrize(("heading", "expected"), [
    ("Diagnosis", 90.0), ("Diagnose", 90.0), ("Quick check", 90.0),
    ("Immediate action", 90.0), ("Immediate actions", 90.0), ("Investigating", 90.0),
    ("Troubleshooting", 90.0), ("Triage", 90.0), ("First steps", 90.0), ("诊断", 90.0),
    ("Diagnosis and fix", 90.0),
    ("Mitigation", 89.0), ("Mitigate", 89.0), ("Resolution", 89.0), ("Resolving", 89.0),
    ("Fixes", 89.0), ("Remediation", 89.0), ("Recovery", 89.0), ("缓解", 89.0),
    ("Meaning", 80.0), ("Impact", 80.0),
    # whole words only
    ("Other", 86.0), ("Prediagnosis", 86.0), ("Unfixed", 86.0),
])
def test_a_runbook_about_the_alert_orders_its_sections_by_role(heading: str,
                                                               expected: float) -> None:
    assert rows(lib(sec(heading, alerts=("Foo",))), "Foo") == [
        (heading, expected, "the runbook declares the alert", "Foo")]


def test_each_score_rule_exactly() -> None:
    def one(alert: str, heading: str, **kw: object) -> list[tuple[str, float, str, str]]:
        return rows(lib(sec(heading, **kw)), alert)

    assert one("foo", "Diagnosis", alerts=("Foo",), explicit_alerts=("FOO",)) == [
        ("Diagnosis", 99.0, "front matter names the alert", "foo")]
    assert one("Foo", "Foo down", alerts=("Foo",), own_alerts=("Foo",), steps=STEPS) == [
        ("Foo down", 92.0, "the section declares the alert", "Foo")]
    # its own alert: a role bonus only ever lowers it
    assert one("Foo", "Diagnosis", alerts=("Foo",), own_alerts=("Foo",), steps=STEPS) == [
        ("Diagnosis", 92.0, "the section declares the alert", "Foo")]
    assert one("Foo", "Meaning", alerts=("Foo",), own_alerts=("Foo",), steps=STEPS) == [
        ("Meaning", 86.0, "the section declares the alert", "Foo")]
    # declared but without steps: the runbook's rule
    assert one("Foo", "Diagnosis", alerts=("Foo",), own_alerts=("Foo",)) == [
        ("Diagnosis", 90.0, "the runbook declares the alert", "Foo")]
    assert one("Foo", "Other", alerts=("Foo",), steps=STEPS) == [
        ("Other", 87.0, "the runbook declares the alert", "Foo")]
    assert one("Foo", "The foo alert") == [("The foo alert", 85.0, "alert name in the heading",
                                            "Foo")]
    assert one("Foo", "The foo alert", steps=STEPS) == [
        ("The foo alert", 86.0, "alert name in the heading", "Foo")]
    # the same condition declared under a team's name: +2 when it shares a word
    assert one("ContainerDown", "Checks", alerts=("KubePodCrashLooping",)) == [
        ("Checks", 80.0, "declares KubePodCrashLooping, the same condition",
         "KubePodCrashLooping")]
    assert one("ContainerDown", "Checks", alerts=("ContainerWaiting",)) == [
        ("Checks", 82.0, "declares ContainerWaiting, the same condition", "ContainerWaiting")]
    assert one("ContainerDown", "Diagnosis", alerts=("ContainerWaiting",)) == [
        ("Diagnosis", 86.0, "declares ContainerWaiting, the same condition",
         "ContainerWaiting")]
    # a team's name reaching the canonical alert's section
    assert one("KubePodCrashLooping", "Checks", alerts=("ContainerDown",)) == [
        ("Checks", 78.0, "KubePodCrashLooping is ContainerDown by another name",
         "ContainerDown")]
    assert one("KubePodCrashLooping", "Diagnosis", alerts=("ContainerDown",)) == [
        ("Diagnosis", 82.0, "KubePodCrashLooping is ContainerDown by another name",
         "ContainerDown")]


def test_the_runbooks_title_and_file_name_give_context() -> None:
    """A heading that names half the alert, the title the other half; a section with no
    alert word of its own, by the title alone (2 below, plus its role)."""
    library = lib(sec("Memory usage", file="r.md", doc_title="Redis alerts"),
                  sec("Diagnosis", file="redis-memory.md", doc_title="Runbook"),
                  sec("Meaning", file="x.md", doc_title="Redis memory"),
                  sec("Clients", file="y.md", doc_title="Redis memory", alerts=("Other",)))
    assert rows(library, "RedisMemoryHigh") == [
        ("Diagnosis", 77.1, "alert words in the runbook's title", "RedisMemoryHigh"),
        ("Meaning", 67.1, "alert words in the runbook's title", "RedisMemoryHigh"),
        ("Memory usage", 65.1, "alert words in the heading", "RedisMemoryHigh")]
    assert rows(lib(sec("Memory usage", file="r.md", doc_title="Redis alerts")),
                "RedisMemoryHigh") == [
        ("Memory usage", 62.4, "alert words in the heading", "RedisMemoryHigh")]


def test_the_text_scores_by_bm25_over_the_sections_texts() -> None:
    library = lib(sec("One", body="the disk is full again"),
                  sec("Two", body="disk usage"),
                  sec("Three", body="the disk is full and the disk is full, full disk"),
                  sec("Four", body="nothing"))
    assert rows(library, "DiskFull") == [
        ("One", 30.0, "alert words in the text", "DiskFull"),
        ("Three", 30.0, "alert words in the text", "DiskFull")]
    assert rows(library, "PaymentDisk") == []


def test_ties_a_teams_section_then_document_order_and_the_mapping_first() -> None:
    team = [sec(f"Disk full {n}", file=f"t{n}.md") for n in (1, 2)]
    bundled = [sec(f"Disk full {n}", file=f"b{n}.md", bundled=True) for n in (3, 4)]
    library = lib(bundled[0], team[0], bundled[1], team[1])
    assert [(m.section.file, m.score) for m in match(library, "DiskFull")] == [
        ("t1.md", 85.0), ("t2.md", 85.0), ("b3.md", 85.0), ("b4.md", 85.0)]
    ranked = match(library, "DiskFull", {"diskfull": ["b4.md#disk-full-4", "b3.md"]}, limit=3)
    assert [(m.section.file, round(m.score, 6), m.reason) for m in ranked] == [
        ("b4.md", 100.0, "mapped in the config"), ("b3.md", 99.9, "mapped in the config"),
        ("t1.md", 85.0, "alert name in the heading")]
    low = lib(sec("Notes", file="b.md", body="disk full", bundled=True),
              sec("Notes", file="t.md", body="disk full"))
    assert [(m.section.file, m.score) for m in match(low, "DiskFull")] == [
        ("t.md", 30.0), ("b.md", 30.0)]


def test_the_index_is_kept_per_library_until_it_changes() -> None:
    library = lib(sec("Disk full"), sec("Disk"))
    first = _index(library)
    assert _index(library) is first
    library.runbooks.append(Runbook(file="z.md", title="", sections=(sec("Zed", "z.md"),)))
    again = _index(library)
    assert again is not first and len(again.headings.texts) == 3
    other = lib(sec("Other"))
    _index(other)
    del other
    gc.collect()
    third = lib(sec("Third"))
    _index(third)  # drops the entries of libraries gone since
    assert all(ref() is not None for ref, _, _ in _INDEXES.values())


@pytest.mark.parametrize(("heading", "alert", "expected"), [
    # whole words, plural "s" or "es"
    ("crashes", "TheCrashloop", 80.0), ("disks", "TheDisk", 80.0), ("ramdisk", "TheDisk", None),
    ("diskette", "TheDisk", None), ("disk2", "TheDisk", None),
    # no condition known: more than half of the alert's words
    ("Payment gateway", "PaymentGatewaySplit", 58.8), ("Payment x", "PaymentGatewaySplit", None),
    ("Payment", "PaymentGateway", None),
    # a condition: it, and one word saying with what
    ("queue stuck", "TaskQueueStuck", 58.8), ("stuck", "TaskQueueStuck", None),
    # the canonical alert's pattern shows the condition ("queue depth" is a stuck queue)
    ("Queue depth high", "TaskQueueStuck", 52.8), ("Queue depth high", "TheQueueStuck", None),
    # two words written as one
    ("foobar is down", "FooBarDown", 80.0), ("foobar", "FooBarDown", None),
])
def test_word_edges_and_what_makes_a_heading_relevant(heading: str, alert: str,
                                                      expected: float | None) -> None:
    assert score(heading, alert) == expected


def test_names_split_into_words_and_digits() -> None:
    assert split_alert("HTTP5xxErrors") == ["http", "5", "xx", "errors"]
    assert split_alert("API_Latency-p99") == ["api", "latency", "p", "99"]


def test_an_empty_library_matches_nothing() -> None:
    assert match(Library(), "DiskFull") == []


@pytest.mark.parametrize(("heading", "alert", "expected"), [
    # two words written as one, with one of them also on its own
    ("foobar bar is down", "FooBarDown", 80.0), ("foo foobar is down", "FooBarDown", 80.0),
    # the alert's name in the heading, its words apart or across punctuation
    ("Disk/full", "DiskFull", 85.0), ("The foo bar alert", "FooBar", 85.0),
])
def test_names_written_as_one_word_or_across_punctuation(heading: str, alert: str,
                                                         expected: float) -> None:
    assert score(heading, alert) == expected


@pytest.mark.parametrize(("section", "expected"), [
    # a one-word heading with the runbook's title, or its file name alone, as context
    (sec("Memory", file="r.md", doc_title="Redis alerts"), 59.6),
    (sec("Memory usage", file="redis.md"), 66.6),
    # a title equal to the heading says nothing more: the file name alone
    (sec("Memory", file="redis.md", doc_title="Memory"), 64.1),
])
def test_context_weighs_by_its_own_length(section: Section, expected: float) -> None:
    assert rows(lib(section), "RedisMemoryHigh") == [
        (section.title, expected, "alert words in the heading", "RedisMemoryHigh")]


def test_a_long_heading_with_short_context_stays_at_80() -> None:
    long = sec("Memory usage on the primary nodes and replicas today", file="redis.md")
    others = [sec(f"N{i}", file=f"n{i}.md") for i in range(4)]
    assert [m.score for m in match(lib(long, *others), "RedisMemoryHigh")] == [80.0]


def test_a_faint_text_match_still_counts() -> None:
    """"disk full" in every one of 100 texts, "high" in none: 0.2, above nothing."""
    many = lib(*[sec(f"Notes {i}", file=f"n{i}.md", body="disk full") for i in range(100)])
    ranked = match(many, "DiskFullHigh")
    assert len(ranked) == 100
    assert {(m.score, m.reason) for m in ranked} == {(0.2, "alert words in the text")}


def test_a_team_heading_at_exactly_the_threshold_comes_before_bundled_ones() -> None:
    library = lib(sec("API errors", file="t.md"), sec("Zq", file="z.md"),
                  sec("Errors", file="e.md"),
                  sec("Checks", file="b.md", alerts=("HighErrorRate",), bundled=True))
    assert [(m.section.title, m.score) for m in match(library, "HighErrorRate")] == [
        ("Errors", 60.0), ("API errors", 50.0), ("Checks", 86.0)]


def test_a_mapping_for_other_alerts_is_skipped_whatever_its_place() -> None:
    library = lib(sec("Notes", file="n.md"), sec("Disk full", file="d.md"))
    ranked = match(library, "DiskFull", {"Other": ["d.md"], "DiskFull": ["n.md"]})
    assert [(m.section.file, m.score, m.reason) for m in ranked] == [
        ("n.md", 100.0, "mapped in the config"), ("d.md", 85.0, "alert name in the heading")]


def test_a_match_is_frozen_and_names_nothing_by_default() -> None:
    (found,) = match(lib(sec("Disk full")), "DiskFull")  # the module's own Match
    m = type(found)(sec("x"), 1.0, "why")
    assert type(found) is Match
    assert m.name == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.score = 2.0  # type: ignore[misc]


def test_a_long_mapping_stays_above_every_other_section() -> None:
    """Refs past the tenth score under 99, the best a front-matter section can; mapped
    still come first."""
    mapped = [sec(f"Step {n}", file=f"m{n}.md") for n in range(12)]
    best = sec("Diagnosis", file="d.md", alerts=("DiskFull",), explicit_alerts=("DiskFull",))
    ranked = match(lib(best, *mapped), "DiskFull",
                   {"DiskFull": [f"m{n}.md" for n in range(12)]})
    assert [(m.section.file, round(m.score, 6)) for m in ranked] == [
        *[(f"m{n}.md", round(100.0 - n * 0.1, 6)) for n in range(12)], ("d.md", 99.0)]
