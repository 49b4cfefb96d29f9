"""Rank runbook sections for an alert: `match(library, "HighErrorRate") -> [Match, ...]`.

Scores, highest first (`Match.reason` says which rule matched, `Match.name` which alert
name led there):
  100  the config maps the alert to this ref (`[runbooks.map]`), in the mapping's order
   95  the file's front matter names the alert and this section owns it
   92  the section declares the alert itself (heading, `Alert Name:` line, alert table)
       and has steps
   86-90  the runbook declares the alert: its lone H1 (`# KubePodCrashLooping`), its
       title or file name, or an enclosing section; plus the section's role below
   85  the alert's name written in a heading
   78-82  the same condition under another name: a team's `KubePodCrashLooping` answers
       `ContainerDown`, and a firing `KubePodCrashLooping` reaches the bundled
       `ContainerDown` section
   50-80  the alert's words, or their synonyms, in the heading or the runbook's title,
       weighed by BM25 over the library's headings (a word found in few headings counts
       more than one found in many); a heading about another component loses 10
   1-30  the alert's words in the section's text (BM25 over the sections' text)
Within a runbook about the alert the action sections come first: Diagnosis (Quick
check, Immediate actions, Troubleshooting) +4, then Mitigation (Resolution, Fix) +3, any
section with steps +1, Meaning/Impact/Symptoms -6.

What is not relevant is not returned: a word match needs a word that is not generic
("service", "high", "rate" never carry a match alone) and, when the alert names a
condition (down, full, stuck, errors, latency, ...), that condition or a synonym of it.
Small words ("of", "out") never count.

A user's section that matches on its heading or better (score >= HEADING_MATCH) comes
before every bundled one, whatever their scores: the team's own runbook for the alert is
the one they want first, and the bundled ones stay below as candidates. A config mapping
still comes first of all. At equal score a user's runbook comes before a bundled one, then
document order.

Why an in-house BM25 and not `bm25s` or `rank-bm25`: measured on the corpus (470
headings, 100 queries) all three answer in 10-40 ms, but importing either library costs
175-240 ms (numpy), a large share of the 400 ms first-paint budget, and neither knows our
terms: an alert word stands for a group of phrases ("down" = unreachable, refused, not
responding...), matched on word edges. Forty lines over precomputed per-heading phrase
hits do exactly that, with no dependency.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from runbooks.library import Library, RunbookRefError
from runbooks.model import Section
from runbooks.parser import is_info_label

MAPPED = "mapped in the config"
#: a user's section scoring this much (its heading is about the alert) outranks bundled ones
HEADING_MATCH = 50.0
#: BM25's usual constants; headings are short, so length normalisation matters little
K1, B = 1.2, 0.75


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
_CANONICAL_NAMES = {
    "servicedown": "ServiceDown", "diskfull": "DiskFull", "containerdown": "ContainerDown",
    "dbpoolexhaustion": "DBPoolExhaustion", "taskqueuestuck": "TaskQueueStuck",
    "higherrorrate": "HighErrorRate", "longrunningquery": "LongRunningQuery",
    "redismemoryhigh": "RedisMemoryHigh", "memoryhigh": "MemoryHigh",
    "highlatency": "HighLatency",
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


# Each alert word stands for a group of words or phrases meaning the same thing. The
# first word of a group names it. Condition groups say what is wrong; the others say
# with what.
_SYNONYMS: list[tuple[str, ...]] = [
    ("latency", "slow", "response time", "p95", "p99", "lag", "timeout", "timeouts"),
    ("unreachable", "down", "connection failed", "connection failure", "refused", "unavailable",
     "outage", "cannot connect", "can't connect", "not responding", "offline", "notready",
     "not ready", "disappeared", "absent"),
    ("queue", "backlog", "not processing", "piling", "queued", "depth"),
    ("stuck", "backlog", "not processing", "piling", "growing", "halted", "not decreasing"),
    ("memory", "oom", "out of memory", "ram", "swap", "oomkilled"),
    ("disk", "filesystem", "file system", "volume", "storage", "inode", "inodes", "pvc"),
    ("full", "space", "no space", "out of space", "filling up", "fillingup", "running out"),
    ("error", "errors", "5xx", "500", "failure", "failures", "failing", "exceptions", "failed"),
    ("pool", "connections", "too many connections", "max_connections", "connection limit",
     "pgbouncer"),
    ("exhaustion", "exhausted", "saturation", "saturated", "too many connections"),
    ("container", "containers", "pod", "pods", "docker"),
    ("crashloop", "crash loop", "crashloopbackoff", "restarting", "exited", "unhealthy",
     "crashing", "crashlooping", "crash"),
    ("database", "db", "postgres", "postgresql", "sql"),
    ("redis", "cache", "broker"),
    ("service", "api", "app", "application", "site", "website", "health", "instance"),
    ("query", "queries", "statement", "blocking", "locks", "lock", "transaction",
     "transactions"),
    ("long", "long-running", "long running", "hours"),
    ("task", "job", "jobs", "tasks", "worker", "workers", "celery", "sidekiq"),
]
#: what is wrong, rather than with what; an alert naming one needs it (or a synonym)
_CONDITION = {"unreachable", "latency", "stuck", "memory", "full", "error", "exhaustion",
              "crashloop", "long"}
#: words that say little alone: never carry a match by themselves
_GENERIC = {"high", "rate", "running", "service", "low", "too", "many", "check", "alert",
            "ratio", "total", "count", "alerts", "kube", "is"}
_STOP = {"of", "out", "the", "a", "an", "to", "in", "on", "for", "at", "by", "and", "or",
         "with", "almost", "no", "not"}
_TOPICS = ("database", "redis", "container", "disk", "queue", "memory", "service")


def split_alert(alert: str) -> list[str]:
    """`DBPoolExhaustion` -> ["db", "pool", "exhaustion"]; `task_queue-stuck` works too."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", alert)
    return [w.lower() for w in words]


def _groups(word: str) -> list[tuple[str, ...]]:
    found = [group for group in _SYNONYMS if word in group]
    return found or [(word,)]


def _group(word: str) -> tuple[str, ...]:
    out: list[str] = []
    for group in _groups(word):
        out.extend(p for p in group if p not in out)
    return tuple(out)


def _is_condition(word: str) -> bool:
    return any(g[0] in _CONDITION for g in _groups(word))


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _contains(text: str, phrase: str) -> bool:
    """The phrase as whole words (plural allowed); a plain substring test first, as most
    texts do not hold it at all."""
    if phrase not in text:
        return False
    pattern = _PATTERNS.get(phrase)
    if pattern is None:
        pattern = _PATTERNS[phrase] = re.compile(
            r"(?<![a-z0-9])" + re.escape(phrase) + r"(?:s|es)?(?![a-z0-9])")
    return pattern.search(text) is not None


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9_' -]+", " ", text.lower())


@dataclass
class _Field:
    """One text field of every section (headings, or whole texts) for BM25."""

    texts: list[str]
    lengths: list[int] = field(default_factory=list)
    avg: float = 1.0
    df: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lengths = [max(1, len(t.split())) for t in self.texts]
        self.avg = sum(self.lengths) / len(self.lengths) if self.lengths else 1.0

    def idf(self, word: str) -> float:
        """How rare the word (any phrase of its group) is in this field, BM25's idf."""
        if word not in self.df:
            phrases = _group(word)
            self.df[word] = sum(1 for t in self.texts if any(_contains(t, p) for p in phrases))
        n, df = len(self.texts), self.df[word]
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


@dataclass
class _Index:
    headings: _Field
    bodies: _Field


#: id(library) -> (a weak reference to it, its section count, its index)
_INDEXES: dict[int, tuple[weakref.ref[Library], int, _Index]] = {}


def _index(library: Library) -> _Index:
    """Per-library statistics, built once and rebuilt when the library changes size."""
    sections = library.sections
    cached = _INDEXES.get(id(library))
    if cached is not None and cached[0]() is library and cached[1] == len(sections):
        return cached[2]
    idx = _Index(_Field([_normal(s.title) for s in sections]),
                 _Field([_normal(s.body) for s in sections]))
    for key in [k for k, v in _INDEXES.items() if v[0]() is None]:
        del _INDEXES[key]  # libraries gone since
    _INDEXES[id(library)] = (weakref.ref(library), len(sections), idx)
    return idx


def _terms(words: list[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        if w not in _STOP and len(w) > 1 and w not in out:
            out.append(w)
    return out


def _relevant(words: list[str], hits: set[str]) -> bool:
    """A match needs a word that is not generic; if the alert names a condition, that
    condition (or a synonym) and one of the words saying with what."""
    if not any(w not in _GENERIC for w in hits):
        return False
    conditions = [w for w in words if _is_condition(w)]
    if conditions and not any(w in hits for w in conditions):
        return False
    specific = [w for w in words if w not in _GENERIC and not _is_condition(w)]
    if not specific:
        return True  # `ServiceDown`: the condition is the whole of what it says
    found = sum(1 for w in specific if w in hits)
    if conditions:  # `TaskQueueStuck`: "stuck" alone is some other thing stuck
        return found >= 1
    # `ZooKeeperEnsembleSplit`, no condition we know: most of its words
    return 2 * found > len(specific)


def _hits(words: list[str], text: str) -> set[str]:
    """The alert's words found in the text, or their synonyms; two words written as one
    (`PgBouncer` in `PgBouncerSaturation` is "pgbouncer" in the text) count as both."""
    if not text:
        return set()
    found = {w for w in words if any(_contains(text, p) for p in _group(w))}
    for a, b in pairwise(words):
        if (a not in found or b not in found) and _contains(text, a + b):
            found |= {a, b}
    return found


def _bm25(words: list[str], hits: set[str], fld: _Field, length: int) -> tuple[float, float]:
    """(score of the matched words, best possible score) for one text of a field."""
    got = best = 0.0
    norm = K1 * (1 - B + B * length / fld.avg)
    for w in words:
        idf = fld.idf(w) * (0.3 if w in _GENERIC else 1.0)
        top = idf * (K1 + 1) / (1 + norm)
        best += top
        if w in hits:
            got += top
    return got, best


def _heading_score(words: list[str], title: str, fld: _Field, *, context: str = "",
                   pattern: re.Pattern[str] | None = None) -> float:
    """50-80 when the heading is about the alert, by BM25 over the library's headings.

    `context` is the runbook's title: "Debugging tools for high memory usage" in a file
    titled "Redis alerts" is about `RedisMemoryHigh`; its words count half. `pattern`
    is the canonical alert's condition (`TaskQueueStuck`: a queue's depth high), which
    stands for the condition words when the heading or title shows it.
    """
    text, ctx = _normal(title), _normal(context)
    hits = _hits(words, text)
    if not hits:
        return 0.0
    around = _hits(words, ctx) - hits
    shown = pattern is not None and any(
        pattern.search(t.replace(" ", "")) for t in (text, ctx) if t)
    conditions = {w for w in words if _is_condition(w)} if shown else set()
    if not _relevant(words, hits | around | conditions):
        return 0.0
    got, best = _bm25(words, hits, fld, max(1, len(text.split())))
    if around:
        extra, _ = _bm25(sorted(around), around, fld, max(1, len(ctx.split())))
        got += extra / 2
    if not best or not got:
        return 0.0
    score = 50 + 30 * min(1.0, got / best)
    own_topics = {t for w in words for t in _TOPICS if t in _group(w)}
    for topic in _TOPICS:
        if topic not in own_topics and any(_contains(text, p) for p in _group(topic)):
            score -= 10
            break
    return score


def _body_score(words: list[str], text: str, fld: _Field) -> float:
    """1-30 for the alert's words in a section's (normalised) text, by BM25."""
    hits = _hits(words, text)
    if not hits or not _relevant(words, hits):
        return 0.0
    got, best = _bm25(words, hits, fld, max(1, len(text.split())))
    return round(30 * got / best, 1) if best and got else 0.0


def canonical_for(alert: str) -> str | None:
    """The canonical opsdash alert a team's alert name means, if any (`KubePodCrashLooping`
    -> `ContainerDown`)."""
    name = alert.lower()
    if name in _CANONICAL_NAMES:
        return None
    for key, pattern in CONDITIONS.items():
        if pattern.search(name):
            return _CANONICAL_NAMES[key]
    return None


def _score(section: Section, alert: str, words: list[str], idx: _Index,
           n: int) -> tuple[float, str, str]:
    name = alert.lower()
    bonus = _role_bonus(section)
    declared = {a.lower() for a in section.alerts}
    if name in {a.lower() for a in section.explicit_alerts}:
        return 95.0 + bonus, "front matter names the alert", alert
    if name in declared:
        itself = name in {a.lower() for a in section.own_alerts}
        if itself and section.steps:  # "## Database down" with its steps: the section itself
            return 92.0 + min(bonus, 0.0), "the section declares the alert", alert
        # a section of a runbook about the alert: Diagnosis first, then Mitigation
        return 86.0 + bonus, "the runbook declares the alert", alert
    if name in _normal(section.title).replace(" ", ""):
        return 85.0 + bonus, "alert name in the heading", alert
    condition = CONDITIONS.get(name)
    if condition is not None:
        for own in section.alerts:
            if condition.search(own.lower()):
                mine = 2.0 if any(w in own.lower() for w in words if w not in _GENERIC) else 0
                return 80.0 + mine + bonus, f"declares {own}, the same condition", own
    canonical = canonical_for(alert)
    if canonical is not None and canonical.lower() in declared:
        return 78.0 + bonus, f"{alert} is {canonical} by another name", canonical
    pattern = CONDITIONS.get(name)
    # what the runbook is about: its title and its file name (`pgbouncer-saturation.md`)
    stem = re.sub(r"[-_.]+", " ", section.file.rsplit("/", 1)[-1].removesuffix(".md"))
    title = section.doc_title if section.doc_title != section.title else ""
    context = f"{title} {stem}".strip()
    heading = _heading_score(words, section.title, idx.headings, context=context,
                             pattern=pattern)
    if heading:
        return round(heading, 1), "alert words in the heading", alert
    if context and not section.alerts:
        doc = _heading_score(words, context, idx.headings, pattern=pattern)
        if doc:
            return round(doc - 2 + bonus, 1), "alert words in the runbook's title", alert
    body = _body_score(words, idx.bodies.texts[n], idx.bodies)
    if body:
        return body, "alert words in the text", alert
    return 0.0, "", ""


def match(library: Library, alert: str, mapping: Mapping[str, Sequence[str]] | None = None,
          *, limit: int | None = None) -> list[Match]:
    """Sections for `alert`, best first; `mapping` is the config's alert -> refs.

    An empty list means no section is about the alert: better than a wrong runbook.
    """
    alert = alert.strip().split(":", 1)[0]  # "ContainerDown:web" -> "ContainerDown"
    words = _terms(split_alert(alert))
    idx = _index(library)
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
            results.setdefault(sec.ref, Match(sec, 100.0 - i * 0.1, MAPPED, alert))
    for n, sec in enumerate(library.sections):
        order.setdefault(sec.ref, n)
        if sec.ref in results:
            continue
        score, reason, name = _score(sec, alert, words, idx, n)
        if score > 0:
            results[sec.ref] = Match(sec, score, reason, name)

    def tier(m: Match) -> int:
        if m.reason == MAPPED:
            return 0
        return 1 if not m.section.bundled and m.score >= HEADING_MATCH else 2

    ranked = sorted(results.values(), key=lambda m: (
        tier(m), -m.score, m.section.bundled, order.get(m.section.ref, 0)))
    return ranked[:limit] if limit else ranked
