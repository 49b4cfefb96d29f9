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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    panel_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    metrics TEXT NOT NULL,
    alerts TEXT NOT NULL,
    error_kind TEXT,
    error_message TEXT,
    duration_ms REAL NOT NULL,
    series_value REAL,
    last_ok_at REAL
);
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);
"""
_COLUMNS = ("ts, panel_id, kind, name, target, status, summary, metrics, alerts, "
            "error_kind, error_message, duration_ms, series_value, last_ok_at")
_INSERT = f"INSERT INTO samples ({_COLUMNS}) VALUES ({', '.join('?' * 14)})"
_SELECT = f"SELECT id, {_COLUMNS} FROM samples"

Row = tuple[Any, ...]


def default_recording_path() -> Path:
    """Under the user state dir, beside the journal, so XDG_STATE_HOME moves it."""
    return platformdirs.user_state_path("opsdash") / "recording.sqlite"


def recording_path(settings: RecordingSettings) -> Path:
    return settings.path if settings.path is not None else default_recording_path()


# --- PanelState <-> row -------------------------------------------------------------------


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {"name": alert.name, "state": alert.state.value, "severity": alert.severity.value,
            "since": alert.since, "active_since": alert.active_since, "detail": alert.detail,
            "target": alert.target, "fired_at": alert.fired_at}


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def state_row(state: PanelState) -> Row:
    """One row; metrics and alerts as compact JSON (a value JSON cannot hold becomes text)."""
    error = state.error
    return (state.updated_at, state.panel_id, state.kind, state.name, state.target,
            state.status.value, state.summary,
            json.dumps(state.metrics, separators=(",", ":"), default=str),
            json.dumps([_alert_json(a) for a in state.alerts], separators=(",", ":")),
            error.kind if error else None, error.message if error else None,
            state.duration_ms, _finite(state.series_value), state.last_ok_at)


def row_state(row: Row) -> PanelState:
    """The PanelState a row was written from (without drill-down detail)."""
    (_id, ts, panel_id, kind, name, target, status, summary, metrics, alerts, error_kind,
     error_message, duration_ms, series_value, last_ok_at) = row
    return PanelState(
        panel_id=panel_id, kind=kind, name=name, target=target, status=Status(status),
        summary=summary, metrics=json.loads(metrics),
        alerts=tuple(Alert(a["name"], AlertState(a["state"]), Severity(a["severity"]),
                           a["since"], a["active_since"], a["detail"], a["target"],
                           a["fired_at"]) for a in json.loads(alerts)),
        error=ProbeError(error_kind, error_message or "") if error_kind else None,
        updated_at=ts, duration_ms=duration_ms, series_value=series_value,
        last_ok_at=last_ok_at)


# --- the store ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pruned:
    """What one retention pass did: rows deleted for age and for size, bytes after."""

    by_age: int
    by_size: int
    size_bytes: int


class RecordingStore:
    """One SQLite file in WAL mode (readers never block the writer, a crash loses at
    most the last batch). One connection; use it from one thread at a time."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

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
            if create:
                conn.executescript(_SCHEMA)
            else:
                conn.execute("SELECT 1 FROM samples LIMIT 1")  # not a recording: say so now
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    # -- writing --
    def write(self, states: Iterable[PanelState]) -> int:
        """Insert a batch in one transaction; the number of rows written."""
        rows = [state_row(s) for s in states]
        return self.write_rows(rows)

    def write_rows(self, rows: list[Row]) -> int:
        if not rows:
            return 0
        with self._transaction():
            self.conn.executemany(_INSERT, rows)
        return len(rows)

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
        `max_bytes` (to 90% of it, so the next prune is not due at once); then give the
        freed pages back and truncate the WAL."""
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
        """(panel_id, kind, name) of every recorded panel, in the order they first appear."""
        rows = self.conn.execute(
            "SELECT panel_id, kind, name FROM samples GROUP BY panel_id ORDER BY min(id)")
        return [(r[0], r[1], r[2]) for r in rows]

    def states_between(self, start: float, end: float) -> list[PanelState]:
        """States with start <= ts <= end, in recorded order."""
        rows = self.conn.execute(f"{_SELECT} WHERE ts >= ? AND ts <= ? ORDER BY ts, id",
                                 (start, end))
        return [row_state(r) for r in rows]

    def states_after(self, ts: float, row_id: int, limit: int) -> list[tuple[int, PanelState]]:
        """Up to `limit` (row id, state) after position (ts, row_id), in recorded order."""
        rows = self.conn.execute(
            f"{_SELECT} WHERE ts > ? OR (ts = ? AND id > ?) ORDER BY ts, id LIMIT ?",
            (ts, ts, row_id, limit))
        return [(r[0], row_state(r)) for r in rows]

    def latest_before(self, ts: float) -> dict[str, PanelState]:
        """Each panel's last state at or before `ts`: what its card showed then."""
        rows = self.conn.execute(
            f"{_SELECT} WHERE id IN (SELECT max(id) FROM samples WHERE ts <= ? "
            "GROUP BY panel_id) ORDER BY ts, id", (ts,))
        return {s.panel_id: s for s in map(row_state, rows)}

    def next_change(self, ts: float) -> float | None:
        """When a panel's status next differs from its previous sample, after `ts`."""
        last = {pid: s.status.value for pid, s in self.latest_before(ts).items()}
        rows = self.conn.execute("SELECT ts, panel_id, status FROM samples WHERE ts > ? "
                                 "ORDER BY ts, id", (ts,))
        for at, panel_id, status in rows:
            before = last.get(panel_id)
            if before is not None and before != status:
                return float(at)
            last[panel_id] = status
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
            if time.monotonic() >= next_prune:
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
