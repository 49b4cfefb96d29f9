"""Rank runbook sections for an alert: `match(library, "HighErrorRate") -> [Match, ...]`.

Scores, highest first (a reason says which rule matched):
  100  the config maps the alert to this ref (`[runbooks.map]`), in the mapping's order
   95  the file's front matter names the alert and this section owns it
   90  the heading or an `**Alert**:` line names the alert exactly
   50-80  the alert's words, or their synonyms, are in the heading (`DatabaseUnreachable`
       -> "Database connection refused"); a heading about another component loses 10
   1-30  the alert's words in the section's text (keyword scoring)
A user's section that matches on its heading or better (score >= HEADING_MATCH) comes
before every bundled one, whatever their scores: the team's own runbook for the alert is
the one they want first, and the bundled ones stay below as candidates. A config mapping
still comes first of all. At equal score a user's runbook comes before a bundled one, then
document order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runbooks.library import Library, RunbookRefError
from runbooks.model import Section
from runbooks.parser import is_info_label

MAPPED = "mapped in the config"
#: a user's section scoring this much (its heading is about the alert) outranks bundled ones
HEADING_MATCH = 50.0


@dataclass(frozen=True)
class Match:
    """A ranked section; `name` is the alert name that matched it (the section's own
    declared name when a synonym or a canonical condition led there), `reason` why."""

    section: Section
    score: float
    reason: str
    name: str = ""


#: canonical opsdash alerts reached through teams' own names for the same condition
CONDITIONS: dict[str, re.Pattern[str]] = {
    "servicedown": re.compile(r"(instance|target|service|api|app|server|endpoint)\w*"
                              r"(down|notready|unreachable|unavailable)|^targetdown$"),
    "diskfull": re.compile(r"(disk|filesystem|volume|storage|space)\w*"
                           r"(full|fillingup|low|outofspace|almostoutofspace)"),
    "containerdown": re.compile(r"crashloop|container\w*(down|waiting|restart)|"
                                r"pod\w*(notready|crash)"),
    "dbpoolexhaustion": re.compile(r"(pool|connection)\w*(exhaust|saturat|high|limit)"),
    "taskqueuestuck": re.compile(r"queue\w*(stuck|high|depth|backlog|latency|growing)"),
    "higherrorrate": re.compile(r"(error|5xx)\w*(rate|ratio|high)"),
    "longrunningquery": re.compile(r"(longrunning|slow)\w*(query|queries|transaction)"),
    "redismemoryhigh": re.compile(r"redis\w*memory"),
    "memoryhigh": re.compile(r"memory\w*(high|pressure)|oom"),
    "highlatency": re.compile(r"latency\w*high|highlatency|slowresponse"),
}
_ACTION = re.compile(r"(?i)\b(diagnos\w*|quick check|immediate actions?|investigat\w*|"
                     r"troubleshoot\w*|triage|first steps|how to investigate|诊断)")
_FIX = re.compile(r"(?i)\b(mitigat\w*|resolution|resolv\w*|fix\w*|remediat\w*|"
                  r"recovery|potential resolution|缓解)")


def _role_bonus(section: Section) -> float:
    """Within a runbook about the alert, open the action sections first."""
    title = section.title
    if _ACTION.search(title):
        return 4.0
    if _FIX.search(title):
        return 3.0
    if is_info_label(title):
        return -6.0
    return 1.0 if section.steps else 0.0


# Each alert word stands for a group of words or phrases meaning the same thing.
_SYNONYMS: list[tuple[str, ...]] = [
    ("latency", "slow", "response time", "p95", "p99", "lag", "timeout", "timeouts"),
    ("unreachable", "down", "connection failed", "connection failure", "refused", "unavailable",
     "outage", "cannot connect", "can't connect", "not responding", "offline", "unreachable"),
    ("queue", "backlog", "stuck", "not processing", "jobs", "tasks", "piling"),
    ("memory", "oom", "out of memory", "ram", "swap", "oomkilled"),
    ("disk", "space", "full", "inode", "inodes", "no space", "filesystem", "volume"),
    ("error", "errors", "5xx", "500", "failure", "failures", "failing", "exceptions"),
    ("pool", "connections", "exhaustion", "exhausted", "too many connections",
     "max_connections", "connection limit"),
    ("container", "containers", "pod", "restarting", "crashloop", "crash loop", "exited",
     "unhealthy", "docker"),
    ("database", "db", "postgres", "postgresql", "sql"),
    ("redis", "cache", "broker"),
    ("service", "api", "app", "application", "site", "website", "health"),
    ("query", "queries", "statement", "blocking", "locks", "lock"),
    ("long", "long-running", "long running", "hours"),
    ("task", "job", "worker", "workers", "celery"),
]
_WEAK = {"high", "rate", "running", "stuck", "full", "long"}  # carry little meaning alone
_TOPICS = ("database", "redis", "container", "disk", "queue", "memory", "service")


def split_alert(alert: str) -> list[str]:
    """`DBPoolExhaustion` -> ["db", "pool", "exhaustion"]; `task_queue-stuck` works too."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", alert)
    return [w.lower() for w in words]


def _group(word: str) -> tuple[str, ...]:
    for group in _SYNONYMS:
        if word in group:
            return group
    return (word,)


def _contains(text: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?:s|es)?(?![a-z0-9])", text)\
        is not None


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9_' -]+", " ", text.lower())


def _heading_score(words: list[str], title: str) -> float:
    text = _normal(title)
    hit = weight = 0.0
    for word in words:
        w = 0.3 if word in _WEAK else 1.0
        weight += w
        if any(_contains(text, p) for p in _group(word)):
            hit += w
    if not weight or not hit:
        return 0.0
    strong_hit = any(w not in _WEAK and any(_contains(text, p) for p in _group(w)) for w in words)
    if not strong_hit:
        return 0.0
    score = 50 + 30 * hit / weight
    own_topics = {t for w in words for t in _TOPICS if t in _group(w)}
    for topic in _TOPICS:
        if topic not in own_topics and any(_contains(text, p) for p in _group(topic)):
            score -= 10
            break
    return score


def _body_score(words: list[str], body: str) -> float:
    text = _normal(body)
    strong = [w for w in words if w not in _WEAK] or words
    found = [w for w in strong if any(_contains(text, p) for p in _group(w))]
    if not found:
        return 0.0
    return round(30 * len(found) / len(strong), 1)


def _score(section: Section, alert: str, words: list[str]) -> tuple[float, str, str]:
    name = alert.lower()
    bonus = _role_bonus(section)
    if name in {a.lower() for a in section.explicit_alerts}:
        return 95.0 + bonus, "front matter names the alert", alert
    if name in {a.lower() for a in section.alerts}:
        return 90.0 + bonus, "the runbook declares the alert", alert
    if name in _normal(section.title).replace(" ", ""):
        return 85.0 + bonus, "alert name in the heading", alert
    condition = CONDITIONS.get(name)
    if condition is not None:
        for declared in section.alerts:
            if condition.search(declared.lower()):
                own = 2.0 if any(w in declared.lower() for w in words if w not in _WEAK) else 0
                return 80.0 + own + bonus, f"declares {declared}, the same condition", declared
    heading = _heading_score(words, section.title)
    if heading:
        return round(heading, 1), "alert words in the heading", alert
    doc = _heading_score(words, section.doc_title) if section.doc_title != section.title \
        else 0.0
    if doc and not section.alerts:
        return round(doc - 2 + bonus, 1), "alert words in the runbook's title", alert
    body = _body_score(words, section.body)
    if body:
        return body, "alert words in the text", alert
    return 0.0, "", ""


def match(library: Library, alert: str, mapping: Mapping[str, Sequence[str]] | None = None,
          *, limit: int | None = None) -> list[Match]:
    """Sections for `alert`, best first; `mapping` is the config's alert -> refs."""
    alert = alert.strip().split(":", 1)[0]  # "ContainerDown:web" -> "ContainerDown"
    words = split_alert(alert)
    results: dict[str, Match] = {}
    order: dict[str, int] = {}
    for key, refs in (mapping or {}).items():
        if key.lower() != alert.lower():
            continue
        for i, ref in enumerate(refs):
            try:
                sec = library.find(ref)
            except RunbookRefError:
                continue  # `opsdash runbooks lint` reports it; matching goes on without it
            results.setdefault(sec.ref, Match(sec, 100.0 - i * 0.1, MAPPED))
    for n, sec in enumerate(library.sections):
        order.setdefault(sec.ref, n)
        if sec.ref in results:
            continue
        score, reason, name = _score(sec, alert, words)
        if score > 0:
            results[sec.ref] = Match(sec, score, reason, name)
    def tier(m: Match) -> int:
        if m.reason == MAPPED:
            return 0
        return 1 if not m.section.bundled and m.score >= HEADING_MATCH else 2

    ranked = sorted(results.values(), key=lambda m: (
        tier(m), -m.score, m.section.bundled, order.get(m.section.ref, 0)))
    return ranked[:limit] if limit else ranked
