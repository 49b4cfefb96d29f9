"""The recording: every PanelState the dashboard shows, kept in a bounded SQLite file so
`opsdash replay` can show the same screens later ("what did the cards say at 03:12?").

    store = RecordingStore.open(path)          # WAL, created with its schema when new
    store.write(states)                        # one transaction for a batch
    store.prune(now, keep_s=86400, max_bytes=200 * 2**20)
    store.states_between(t0, t1)               # PanelStates back, in recorded order

    recorder = Recorder(settings, on_warning=...)   # a thread: queue -> batch insert ~1 s
    recorder.start(); app.feed.subscribe(recorder.offer); ...; recorder.stop()

Writes never happen on the event loop: `Recorder.offer` only appends to a deque; the
recorder's own thread inserts a batch a second in one transaction and prunes by age and
size every few minutes. A store that cannot be written (locked, read-only disk, full)
gives one warning and the dashboard goes on without a recording: monitoring matters more.

Drill-down detail (`PanelState.extra`: query texts, container lists) is not kept: it is
the largest part of a state and replay shows cards, history and alerts. No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from common.status import Status
from panels.alerts import Alert, AlertState, Severity
from panels.errors import ProbeError
from panels.watch import PanelState
from tui.config.model import RecordingSettings

#: how often the recorder thread writes what it queued (one transaction each time)
FLUSH_S = 1.0
#: how often it applies retention (by age, then by size)
PRUNE_S = 180.0
#: states held in memory while the store cannot be written; the oldest go first
QUEUE_MAX = 50_000
#: retention deletes in chunks so one prune never holds the write lock for long
DELETE_CHUNK = 20_000
#: a panel's compression dictionary is renewed after this many samples, to follow drift
DICT_EVERY = 3600
#: the on-disk format (PRAGMA user_version); another one is refused, not misread
FORMAT = 2

# Each sample's body (summary, metrics, alerts, error, timings) is JSON compressed with
# zlib against a dictionary: an earlier body of the same panel. Consecutive polls of one
# panel differ in a few figures, so a ~480-byte body becomes ~40 bytes and a day of 20
# panels at 1 s fits the 200 MB default (benchmarks/bench_recording.py).
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS panels (
    id INTEGER PRIMARY KEY,
    panel_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, target TEXT NOT NULL,
    UNIQUE (panel_id, kind, name, target)
);
CREATE TABLE IF NOT EXISTS dicts (
    id INTEGER PRIMARY KEY,
    panel INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    panel INTEGER NOT NULL,
    status TEXT NOT NULL,
    series_value REAL,
    dict INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);
PRAGMA user_version = {FORMAT};
"""
_INSERT = "INSERT INTO samples (ts, panel, status, series_value, dict, body) VALUES (?,?,?,?,?,?)"
_SELECT = "SELECT id, ts, panel, status, series_value, dict, body FROM samples"

Row = tuple[Any, ...]


def default_recording_path() -> Path:
    """Under the user state dir, beside the journal, so XDG_STATE_HOME moves it."""
    return platformdirs.user_state_path("opsdash") / "recording.sqlite"


def recording_path(settings: RecordingSettings) -> Path:
    return settings.path if settings.path is not None else default_recording_path()


# --- PanelState <-> body ------------------------------------------------------------------


def _alert_json(alert: Alert) -> list[Any]:
    return [alert.name, alert.state.value, alert.severity.value, alert.since,
            alert.active_since, alert.detail, alert.target, alert.fired_at]


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def state_body(state: PanelState) -> bytes:
    """What a sample holds beside its columns, as compact JSON (a value JSON cannot hold
    becomes text)."""
    error = state.error
    return json.dumps([state.summary, state.metrics, [_alert_json(a) for a in state.alerts],
                       error.kind if error else None, error.message if error else None,
                       state.duration_ms, state.last_ok_at],
                      separators=(",", ":"), default=str).encode()


def body_state(panel: tuple[str, str, str, str], ts: float, status: str,
               series_value: float | None, body: bytes) -> PanelState:
    """The PanelState a sample was written from (without drill-down detail)."""
    panel_id, kind, name, target = panel
    summary, metrics, alerts, error_kind, error_message, duration_ms, last_ok_at = (
        json.loads(body))
    return PanelState(
        panel_id=panel_id, kind=kind, name=name, target=target, status=Status(status),
        summary=summary, metrics=metrics,
        alerts=tuple(Alert(a[0], AlertState(a[1]), Severity(a[2]), *a[3:]) for a in alerts),
        error=ProbeError(error_kind, error_message or "") if error_kind else None,
        updated_at=ts, duration_ms=duration_ms, series_value=series_value,
        last_ok_at=last_ok_at)


def _compress(body: bytes, zdict: bytes) -> bytes:
    packer = zlib.compressobj(6, zdict=zdict)
    return packer.compress(body) + packer.flush()


def _decompress(blob: bytes, zdict: bytes) -> bytes:
    unpacker = zlib.decompressobj(zdict=zdict)
    return unpacker.decompress(blob) + unpacker.flush()


# --- the store ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pruned:
    """What one retention pass did: rows deleted for age and for size, bytes after."""

    by_age: int
    by_size: int
    size_bytes: int


@dataclass
class _Dict:
    id: int
    data: bytes
    uses: int = 0


class RecordingStore:
    """One SQLite file in WAL mode (readers never block the writer, a crash loses at
    most the last batch). One connection; use it from one thread at a time."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        #: (panel_id, kind, name, target) <-> row id of `panels`
        self._panel_ids: dict[tuple[str, str, str, str], int] = {}
        self._panels: dict[int, tuple[str, str, str, str]] = {}
        #: the dictionary each panel's new samples are compressed with (writer side)
        self._current: dict[int, _Dict] = {}
        #: every dictionary read so far (reader side; a dictionary never changes)
        self._dicts: dict[int, bytes] = {}

    @classmethod
    def open(cls, path: Path, *, create: bool = True, timeout: float = 2.0) -> RecordingStore:
        """Open (creating the folder, file and schema when `create`); sqlite3.Error or
        OSError when it cannot be. `check_same_thread=False`: the recorder opens it in its
        own thread, and replay reads it wherever the caller is."""
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise FileNotFoundError(str(path))
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False,
                               isolation_level=None)
        try:
            # auto_vacuum must be chosen before the first table exists: freed pages can
            # then be handed back to the file system after a size prune
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch {path} to WAL (got {mode})")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable enough
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables and version != FORMAT:
                raise sqlite3.DatabaseError(f"recording format {version}, this opsdash "
                                            f"reads format {FORMAT}")
            if create and not tables:
                conn.executescript(_SCHEMA)
            elif not tables:
                raise sqlite3.DatabaseError("no recording in it")
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    # -- writing --
    def write(self, states: Iterable[PanelState]) -> int:
        """Insert a batch in one transaction; the number of rows written."""
        count = 0
        with self._transaction():
            try:
                rows = [self._row(s) for s in states]
                self.conn.executemany(_INSERT, rows)
                count = len(rows)
            except BaseException:
                self._current.clear()  # dictionaries made here were rolled back
                raise
        return count

    def _row(self, state: PanelState) -> Row:
        panel = self._panel_id((state.panel_id, state.kind, state.name, state.target))
        body = state_body(state)
        current = self._current.get(panel)
        if current is None or current.uses >= DICT_EVERY:
            cur = self.conn.execute("INSERT INTO dicts (panel, data) VALUES (?, ?)",
                                    (panel, body))
            # not cached for reading: a rolled-back id may be handed out again
            current = self._current[panel] = _Dict(int(cur.lastrowid or 0), body)
        current.uses += 1
        return (state.updated_at, panel, state.status.value, _finite(state.series_value),
                current.id, _compress(body, current.data))

    def _panel_id(self, key: tuple[str, str, str, str]) -> int:
        found = self._panel_ids.get(key)
        if found is None:
            self.conn.execute("INSERT OR IGNORE INTO panels (panel_id, kind, name, target) "
                              "VALUES (?, ?, ?, ?)", key)
            found = int(self.conn.execute(
                "SELECT id FROM panels WHERE panel_id = ? AND kind = ? AND name = ? "
                "AND target = ?", key).fetchone()[0])
            self._panel_ids[key] = found
            self._panels[found] = key
        return found

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- retention --
    def size_bytes(self) -> int:
        """Bytes the data takes: pages in use (freed pages excluded) plus the WAL file."""
        page_size = self.conn.execute("PRAGMA page_size").fetchone()[0]
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        free = self.conn.execute("PRAGMA freelist_count").fetchone()[0]
        wal = Path(f"{self.path}-wal")
        wal_bytes = wal.stat().st_size if wal.exists() else 0
        return int((pages - free) * page_size + wal_bytes)

    def file_bytes(self) -> int:
        """What the files take on disk: the database plus its WAL."""
        total = 0
        for p in (self.path, Path(f"{self.path}-wal")):
            with contextlib.suppress(OSError):
                total += p.stat().st_size
        return total

    def prune(self, now: float, *, keep_s: float, max_bytes: int) -> Pruned:
        """Delete rows older than `keep_s`, then the oldest rows until the store is under
        `max_bytes` (to 90% of it, so the next prune is not due at once); then drop the
        dictionaries nothing uses, give the freed pages back and truncate the WAL."""
        by_age = self._delete_where("ts < ?", (now - keep_s,))
        by_size = 0
        self._compact()
        for _ in range(20):  # each pass deletes what the size overshoot says, bounded
            size = self.size_bytes()
            rows = self.count()
            if size <= max_bytes or rows == 0:
                break
            share = 1.0 - (0.9 * max_bytes) / size
            drop = max(1, math.ceil(rows * share))
            cut = self.conn.execute("SELECT id FROM samples ORDER BY id LIMIT 1 OFFSET ?",
                                    (drop - 1,)).fetchone()
            by_size += self._delete_where("id <= ?", (cut[0],))
            self._compact()
        return Pruned(by_age, by_size, self.size_bytes())

    def _delete_where(self, where: str, args: tuple[Any, ...]) -> int:
        deleted = 0
        while True:
            with self._transaction():
                cur = self.conn.execute(
                    f"DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE {where} "
                    f"ORDER BY id LIMIT {DELETE_CHUNK})", args)
            deleted += cur.rowcount
            if cur.rowcount < DELETE_CHUNK:
                break
        if deleted:
            in_use = ",".join(str(d.id) for d in self._current.values()) or "0"
            with self._transaction():
                self.conn.execute("DELETE FROM dicts WHERE id NOT IN (SELECT DISTINCT dict "
                                  f"FROM samples) AND id NOT IN ({in_use})")
        return deleted

    def _compact(self) -> None:
        # executescript steps the pragma to the end (execute() frees only one page)
        self.conn.executescript("PRAGMA incremental_vacuum;")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reading (replay) --
    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM samples").fetchone()[0])

    def bounds(self) -> tuple[float, float] | None:
        """(first ts, last ts) of what is kept; None for an empty recording."""
        first, last = self.conn.execute("SELECT min(ts), max(ts) FROM samples").fetchone()
        return None if first is None else (float(first), float(last))

    def panels(self) -> list[tuple[str, str, str]]:
        """(panel_id, kind, name) of every panel with samples kept, first recorded first."""
        rows = self.conn.execute(
            "SELECT panel_id, kind, name FROM panels p WHERE EXISTS "
            "(SELECT 1 FROM samples s WHERE s.panel = p.id) ORDER BY id")
        out: dict[str, tuple[str, str, str]] = {}
        for panel_id, kind, name in rows:
            out.setdefault(panel_id, (panel_id, kind, name))
        return list(out.values())

    def _state(self, row: Row) -> PanelState:
        _id, ts, panel, status, series_value, dict_id, blob = row
        key = self._panels.get(panel)
        if key is None:
            found = self.conn.execute("SELECT panel_id, kind, name, target FROM panels "
                                      "WHERE id = ?", (panel,)).fetchone()
            key = self._panels[panel] = (found[0], found[1], found[2], found[3])
        zdict = self._dicts.get(dict_id)
        if zdict is None:
            zdict = self._dicts[dict_id] = bytes(self.conn.execute(
                "SELECT data FROM dicts WHERE id = ?", (dict_id,)).fetchone()[0])
        return body_state(key, ts, status, series_value, _decompress(blob, zdict))

    def states_between(self, start: float, end: float) -> list[PanelState]:
        """States with start <= ts <= end, in recorded order."""
        rows = self.conn.execute(f"{_SELECT} WHERE ts >= ? AND ts <= ? ORDER BY ts, id",
                                 (start, end)).fetchall()
        return [self._state(r) for r in rows]

    def states_after(self, ts: float, row_id: int, limit: int) -> list[tuple[int, PanelState]]:
        """Up to `limit` (row id, state) after position (ts, row_id), in recorded order."""
        rows = self.conn.execute(
            f"{_SELECT} WHERE ts > ? OR (ts = ? AND id > ?) ORDER BY ts, id LIMIT ?",
            (ts, ts, row_id, limit)).fetchall()
        return [(r[0], self._state(r)) for r in rows]

    def next_change(self, ts: float, lookback_s: float = 3600.0) -> float | None:
        """When a panel's status next differs from its previous sample, after `ts` (a
        panel silent for `lookback_s` before `ts` starts afresh)."""
        last: dict[int, str] = {}
        rows = self.conn.execute("SELECT ts, panel, status FROM samples WHERE ts >= ? "
                                 "ORDER BY ts, id", (ts - lookback_s,))
        for at, panel, status in rows:
            before = last.get(panel)
            last[panel] = status
            if at > ts and before is not None and before != status:
                return float(at)
        return None


# --- the recorder thread ------------------------------------------------------------------


class Recorder:
    """Queues states (from the event loop, cheaply) and writes them from its own thread."""

    def __init__(self, settings: RecordingSettings, *,
                 on_warning: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time,
                 flush_s: float = FLUSH_S, prune_s: float = PRUNE_S,
                 busy_timeout: float = 2.0) -> None:
        self.settings = settings
        self.path = recording_path(settings)
        self.on_warning = on_warning
        self.clock = clock
        self.flush_s = flush_s
        self.prune_s = prune_s
        self.busy_timeout = busy_timeout
        self._queue: deque[PanelState] = deque(maxlen=QUEUE_MAX)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: RecordingStore | None = None
        self._warned = False
        self.written = 0
        self.write_seconds = 0.0  # time spent inside write transactions, for benchmarks

    def offer(self, state: PanelState) -> None:
        """PanelFeed subscriber: O(1), no I/O, safe to call from the event loop."""
        self._queue.append(state)

    def start(self) -> Recorder:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="opsdash-recorder",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued, close the store, join the thread; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)

    def _run(self) -> None:
        next_prune = time.monotonic()  # prune once at start: the last run may have left much
        while True:
            stopping = self._stop.wait(self.flush_s)
            self.flush()
            if not stopping and time.monotonic() >= next_prune:  # quitting is not held up
                self.prune()
                next_prune = time.monotonic() + self.prune_s
            if stopping:
                break
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(sqlite3.Error):
                store.close()

    def _open(self) -> RecordingStore | None:
        if self._store is None:
            try:
                self._store = RecordingStore.open(self.path, timeout=self.busy_timeout)
            except (sqlite3.Error, OSError) as exc:
                self._warn(f"cannot open the recording {self.path}: {_reason(exc)}")
                return None
        return self._store

    def flush(self) -> int:
        """Write everything queued so far in one transaction (called in the thread)."""
        batch: list[PanelState] = []
        while self._queue:
            try:
                batch.append(self._queue.popleft())
            except IndexError:
                break
        if not batch:
            return 0
        store = self._open()
        if store is None:
            return 0  # dropped: a recording that cannot be written is not worth the memory
        started = time.perf_counter()
        try:
            written = store.write(batch)
        except (sqlite3.Error, OSError) as exc:
            self._warn(f"cannot write the recording {self.path}: {_reason(exc)}")
            return 0
        self.write_seconds += time.perf_counter() - started
        self.written += written
        return written

    def prune(self) -> Pruned | None:
        store = self._open()
        if store is None:
            return None
        try:
            return store.prune(self.clock(), keep_s=self.settings.keep_s,
                               max_bytes=self.settings.max_bytes)
        except (sqlite3.Error, OSError) as exc:
            self._warn(f"cannot trim the recording {self.path}: {_reason(exc)}")
            return None

    def _warn(self, message: str) -> None:
        """Once per run: a locked store every second must not bury the screen in toasts."""
        if self._warned:
            return
        self._warned = True
        if self.on_warning is not None:
            with contextlib.suppress(Exception):
                self.on_warning(message + " (panels are not being recorded)")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
