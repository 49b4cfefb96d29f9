"""The incident journal: one JSON object a line, appended, flushed and fsynced each time.

    journal = Journal()                       # platformdirs user state dir/journal.jsonl
    journal.step_started(ref, 2, command)     # on disk before the step starts
    journal.append({"type": "note", "text": "..."})

Events carry `ts` (Unix seconds) and `type`: `status` (panel, from, to, alerts), `alert`
(name, state, panel), `step_started` (ref, step, command, user, host), `step_output`
(ref, step, tail), `step_finished` (ref, step, exit, duration, timed_out, cancelled),
`recovered` (alerts). Every string is passed through safe_text and mask_secrets before it
is written.
A line cut short (the writer was SIGKILLed mid-write) is skipped and reported by
`read_journal`, and the next append starts on a fresh line so it is not lost with it.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from common.masking import LineMasker, mask_secrets
from common.terminal import safe_text


def default_journal_path() -> Path:
    """Under the user state dir, so XDG_STATE_HOME moves it."""
    return platformdirs.user_state_path("opsdash") / "journal.jsonl"


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _mask(value: Any, secrets: Sequence[str]) -> Any:
    """Secrets masked and control sequences (step output's colours too) removed: the
    journal is read back by `opsdash report` and by people with `less`, not replayed."""
    if isinstance(value, str):
        return mask_secrets(safe_text(value), secrets)
    if isinstance(value, Mapping):
        return {k: _mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, secrets) for v in value]
    return value


class Journal:
    """Append-only JSONL; safe to share between the app and `opsdash runbooks run`."""

    def __init__(self, path: Path | str | None = None, *, secrets: Iterable[str] = ()) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self.secrets = list(secrets)  # literal values to mask as well (from --var)

    def append(self, event: Mapping[str, Any]) -> None:
        """Write one event durably (flush + fsync); `ts` is added unless given."""
        record = {"ts": time.time(), **_mask(dict(event), self.secrets)}
        data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # the last writer died mid-line: do not glue onto it
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def status(self, panel: str, old: str, new: str, alerts: Sequence[str] = ()) -> None:
        self.append({"type": "status", "panel": panel, "from": old, "to": new,
                     "alerts": list(alerts)})

    def alert(self, name: str, state: str, panel: str = "", detail: str = "") -> None:
        self.append({"type": "alert", "name": name, "state": state, "panel": panel,
                     "detail": detail})

    def step_started(self, ref: str, step: int, command: str, *, lang: str = "bash",
                     title: str = "", **context: Any) -> None:
        """`context`: what the dashboard knows then (the open incident, the alert's panel
        and its key figures just before the step), journaled with the step."""
        self.append({**context, "type": "step_started", "ref": ref, "step": step, "title": title,
                     "lang": lang, "command": command, "user": _whoami(),
                     "host": socket.gethostname(), "pid": os.getpid()})

    def step_output(self, ref: str, step: int, tail: Sequence[str]) -> None:
        # masked as a stream first: a private key's inner lines only show as one in context
        masker = LineMasker(self.secrets)
        masked = [masker(safe_text(line)) for line in tail]
        self.append({"type": "step_output", "ref": ref, "step": step,
                     "tail": [line[:500] for line in masked[-20:]]})

    def step_finished(self, ref: str, step: int, exit_code: int | None, duration: float, *,
                      timed_out: bool = False, cancelled: bool = False,
                      signal: str | None = None) -> None:
        """`signal`: the signal (SIGHUP, SIGTERM, SIGINT) that ended opsdash mid-step."""
        event: dict[str, Any] = {"type": "step_finished", "ref": ref, "step": step,
                                 "exit": exit_code, "duration": round(duration, 3),
                                 "timed_out": timed_out, "cancelled": cancelled}
        if signal is not None:
            event["signal"] = signal
        self.append(event)

    def recovered(self, alerts: Sequence[str] = (), panel: str = "",
                  resolved_at: float | None = None) -> None:
        """`resolved_at`: the poll that first saw it resolved, before it was confirmed."""
        event: dict[str, Any] = {"type": "recovered", "alerts": list(alerts), "panel": panel}
        if resolved_at is not None:
            event["resolved_at"] = resolved_at
        self.append(event)


@dataclass
class JournalRead:
    events: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)  # "line 12: cut short", for a warning


def read_journal(path: Path | str) -> JournalRead:
    """Every well-formed event in order; bad lines skipped and described. OSError if unreadable."""
    out = JournalRead()
    with open(path, "rb") as f:
        raw_lines = f.read().split(b"\n")
    for n, raw in enumerate(raw_lines, 1):
        if not raw.strip():
            continue
        try:
            event = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            last = n == len(raw_lines) or all(not r.strip() for r in raw_lines[n:])
            out.bad_lines.append(f"line {n}: " + ("cut short (the writer was killed mid-write?)"
                                                 if last else "not valid JSON"))
            continue
        if not isinstance(event, dict) or "type" not in event:
            out.bad_lines.append(f"line {n}: not a journal event")
            continue
        out.events.append(event)
    return out
