"""Test-wide setup: real-server fixtures, and keeping the developer's own state out."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.http",
    "tests.fixtures.prometheus",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.docker",
]


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test reads the developer's config or writes a journal into their home.

    The homes live in their own folder under random names (mkdtemp): `mktemp("home")`
    lists the whole base folder to pick its next number, per test, and in a run of
    thousands of tests (or a mutant's fork after the baseline made them) that listing
    was a third of a table row's cost."""
    homes = tmp_path_factory.getbasetemp() / "homes"
    homes.mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="home", dir=homes))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    yield home
