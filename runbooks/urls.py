"""Alertmanager's `runbook_url` annotation, resolved to a local section.

Teams link every alert rule to its runbook; that link beats every heuristic. A URL
resolves when a `[runbooks.urls]` prefix maps it into a local folder
(`"https://runbooks.example.com/" = "./runbooks/"`), or else when its file name and
anchor match a runbook in the library (`.../runbooks/redis.md#redis-memory-high` ->
`redis.md#redis-memory-high`). Otherwise it resolves to nothing and the alert's name is
matched as any alert name is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from runbooks.library import Library
from runbooks.model import Section
from runbooks.parser import slugify

_SUFFIXES = (".md", ".markdown", ".html", ".htm")


def _stem(name: str) -> str:
    lowered = name.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _in_file(sections: list[Section], anchor: str) -> Section | None:
    if not sections:
        return None
    if anchor:
        wanted = slugify(unquote(anchor))
        return next((s for s in sections if s.slug in (anchor, wanted)), None)
    return sections[0]


def resolve(url: str, library: Library,
            prefixes: Mapping[str, Path | str] | None = None) -> str | None:
    """The local `file.md#slug` a runbook URL points at, or None."""
    if not url:
        return None
    parts = urlsplit(url)
    anchor = parts.fragment
    for prefix, folder in (prefixes or {}).items():
        if not url.startswith(prefix):
            continue
        rest = unquote(url[len(prefix):].split("#", 1)[0].split("?", 1)[0]).strip("/")
        target = (Path(folder).expanduser() / rest).resolve()
        candidates = [s for s in library.sections if s.source is not None and
                      _stem(str(s.source.resolve())) == _stem(str(target))]
        found = _in_file(candidates, anchor)
        if found is not None:
            return found.ref
    name = PurePosixPath(unquote(parts.path).rstrip("/")).name
    if not name:
        return None
    by_name = [s for s in library.sections
               if _stem(PurePosixPath(s.file).name).lower() == _stem(name).lower()]
    # a team's own file before a bundled one of the same name
    by_name.sort(key=lambda s: s.bundled)
    files = list(dict.fromkeys(s.file for s in by_name))
    for file in files:
        found = _in_file([s for s in by_name if s.file == file], anchor)
        if found is not None:
            return found.ref
    return None
