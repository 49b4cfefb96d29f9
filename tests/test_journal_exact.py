"""The journal writer's events, exactly, where tests/test_journal.py leaves a field out:
the signal that ended a step, nested values masked, an empty read. Milliseconds each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbooks.journal import Journal, JournalRead, read_journal


def test_a_step_ended_by_a_signal_journals_the_signal(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("runbooks.journal.time.time", lambda: 1_700_000_000.5)
    path = tmp_path / "j.jsonl"
    Journal(path).step_finished("svc.md#down", 2, None, 3.0, cancelled=True, signal="SIGHUP")
    assert json.loads(path.read_text()) == {
        "ts": 1_700_000_000.5, "type": "step_finished", "ref": "svc.md#down", "step": 2,
        "exit": None, "duration": 3.0, "timed_out": False, "cancelled": True,
        "signal": "SIGHUP"}


def test_nested_values_are_masked_and_cleaned_at_every_depth(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal(path, secrets=["s3cr3t-value"]).append(
        {"ts": 5, "type": "note", "text": "token s3cr3t-value\x1b[31m red",
         "nested": {"list": ["s3cr3t-value", ("a", 1)], "n": 2.5, "none": None}})
    assert read_journal(path).events == [
        {"ts": 5, "type": "note", "text": "token **** red",
         "nested": {"list": ["****", ["a", 1]], "n": 2.5, "none": None}}]


def test_an_empty_journal_reads_as_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"")
    assert read_journal(path) == JournalRead(events=[], bad_lines=[])
    assert JournalRead() == JournalRead(events=[], bad_lines=[])
