"""All the runbooks opsdash knows: the user's folders first, then the bundled ones.

    library = load_library([Path("./runbooks")])      # bundled ones are added last
    section = library.find("database.md#database-unreachable")   # RunbookRefError if not

A file's name is relative to its folder (`team/db.md`); a file of the same name earlier
in the list shadows a later one, so a team can replace a bundled runbook by writing its
own `database.md`. Unreadable or undecodable files become problems on the library,
never exceptions, so one bad file hides nothing else.
"""

from __future__ import annotations

import difflib
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from common.terminal import safe_text
from runbooks.model import Problem, Runbook, Section
from runbooks.parser import parse_runbook, slugify


class RunbookRefError(LookupError):
    """An unknown `file.md#slug`; the message lists the closest refs."""


@dataclass
class Library:
    runbooks: list[Runbook] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # loading problems, not lint

    @property
    def sections(self) -> list[Section]:
        return [s for rb in self.runbooks for s in rb.sections]

    def all_problems(self) -> list[Problem]:
        return self.problems + [p for rb in self.runbooks for p in rb.problems]

    def find(self, ref: str) -> Section:
        """Section for `file.md#slug` (also `file#slug`, `file.md` with one top section)."""
        ref = ref.strip()
        file, _, slug = ref.partition("#")
        if file and not file.endswith(".md"):
            file += ".md"
        candidates = [rb for rb in self.runbooks if rb.file == file] if file else self.runbooks
        for rb in candidates:
            if not slug:
                tops = [s for s in rb.sections if not _enclosed(s, rb.sections)]
                if len(tops) == 1:
                    return tops[0]
                continue
            for sec in rb.sections:
                if sec.slug == slug or sec.slug == slugify(slug):
                    return sec
        refs = [s.ref for s in self.sections]
        close = difflib.get_close_matches(ref, refs, n=3, cutoff=0.8)
        if not close and file:
            close = [r for r in refs if r.startswith(file + "#")][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else (
            "; `opsdash runbooks list` shows every ref" if refs else "; no runbooks are loaded")
        raise RunbookRefError(f"unknown runbook section {ref!r}{hint}")


def _enclosed(sec: Section, sections: Iterable[Section]) -> bool:
    return any(other.title in sec.parents and other.level < sec.level for other in sections) or (
        sec.level > 0 and any(o.level == 0 for o in sections))


#: a runbook is a page a person wrote; anything bigger is a mistake (a log, a dump)
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


def _read(entry: Path | Traversable, name: str, bundled: bool,
          max_bytes: int = DEFAULT_MAX_BYTES) -> Runbook | Problem:
    """Parse one file, or say in one line why not: only regular files, only so big.

    A FIFO named `*.md` would block the reader forever and a device would never end,
    so anything but a regular file is refused before it is opened.
    """
    name = safe_text(name, single_line=True)  # a file name is outside text too: refs show it
    if isinstance(entry, Path):
        try:
            st = entry.stat()
        except OSError as exc:
            return Problem(name, f"cannot read: {exc.strerror or exc}")
        if not stat.S_ISREG(st.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else (
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            return Problem(name, f"skipped: {kind}, not a regular file")
        if st.st_size > max_bytes:
            return Problem(name, f"skipped: {st.st_size} bytes, over the {max_bytes}-byte "
                                 "limit for a runbook")
    try:
        with entry.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return Problem(name, f"cannot read: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return Problem(name, f"skipped: over the {max_bytes}-byte limit for a runbook")
    try:
        # terminal-safe once, here: no heading, step or command can carry an escape after
        text = safe_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Problem(name, f"not UTF-8 text (byte {exc.start}): cannot read it as Markdown")
    source = entry if isinstance(entry, Path) else Path(str(entry))
    return parse_runbook(text, name, source=source, bundled=bundled)


def _walk_traversable(root: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and not entry.name.startswith(("_", ".")):
            found.extend(_walk_traversable(entry, f"{prefix}{entry.name}/"))
        elif entry.name.endswith(".md"):
            found.append((prefix + entry.name, entry))
    return found


def bundled_files() -> list[tuple[str, Traversable]]:
    return _walk_traversable(resources.files("runbooks.bundled"))


def load_library(dirs: Sequence[Path | str] = (), *, bundled: bool = True,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> Library:
    """Parse every `*.md` under each dir (recursively), then the bundled runbooks.

    Files over `max_bytes` and anything that is not a regular file (FIFO, device,
    socket) are skipped with a one-line problem each, so a stray dump or pipe in a
    runbook folder neither blocks nor slows the dashboard.
    """
    lib = Library()
    seen: dict[str, str] = {}
    sources: list[tuple[str, list[tuple[str, Path | Traversable]], bool]] = []
    for d in dirs:
        path = Path(d).expanduser()
        if not path.is_dir():
            why = "does not exist" if not path.exists() else "is not a directory"
            lib.problems.append(Problem(str(path), f"runbook folder {why}"))
            continue
        try:
            files: list[tuple[str, Path | Traversable]] = [
                (p.relative_to(path).as_posix(), p) for p in sorted(path.rglob("*.md"))
                if not p.is_dir()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)]
        except OSError as exc:
            lib.problems.append(Problem(str(path), f"cannot list runbook folder: {exc}"))
            continue
        sources.append((str(path), files, False))
    if bundled:
        sources.append(("bundled runbooks", list(bundled_files()), True))
    for origin, files, is_bundled in sources:
        for name, entry in files:
            if name in seen:
                if not is_bundled:
                    lib.problems.append(Problem(
                        f"{origin}/{name}", f"shadowed by {seen[name]}/{name}", severity="warning"))
                continue
            seen[name] = origin
            result = _read(entry, name, is_bundled, max_bytes)
            if isinstance(result, Problem):
                lib.problems.append(Problem(f"{origin}/{name}" if not is_bundled else name,
                                            result.message))
            else:
                lib.runbooks.append(result)
    return lib
