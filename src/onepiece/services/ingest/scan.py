"""Scan a delivery folder without changing anything in it.

Every file becomes a ``ScannedFile`` row; what cannot be ingested carries the
reason instead of stopping the scan: names that are not UTF-8, unreadable
files and folders, empty files, things that are not regular files, broken
symlinks, and symlinks that point outside the folder (followed only with
``follow_symlinks``). Symlinked folders are walked once, so a loop cannot hang
the scan. Files are opened (never read) to prove they are readable.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from onepiece.domain.ingest_plan import ScannedFile
from onepiece.errors import ValidationError
from onepiece.services.mhl.history import MhlSource


@dataclass
class ScanResult:
    files: list[ScannedFile] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)  # relative path -> file to read
    mhl: MhlSource | None = None  # the delivery's own hash lists, when it has any


def check_folder(folder: Path) -> Path:
    """The delivery folder, resolved; ValidationError when it cannot be one."""
    if not folder.exists():
        raise ValidationError(
            f"delivery folder {folder} does not exist", hint="check the path you passed"
        )
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder", hint="pass the delivery folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise ValidationError(f"cannot read the delivery folder {folder} (permission denied)")
    return folder.resolve()


def scan_folder(
    folder: Path, *, follow_symlinks: bool = False, exclude: frozenset[Path] = frozenset()
) -> ScanResult:
    root = check_folder(folder)
    scanner = _Scanner(root, follow_symlinks, _identities(exclude))
    scanner.walk(os.fsencode(root), "", None)
    scanner.result.files.sort(key=lambda f: f.path)
    return scanner.result


def _identities(paths: frozenset[Path]) -> set[tuple[int, int]]:
    """(device, inode) of each file that exists: the scan recognises them by the
    stat it makes anyway, where resolving every file's path cost five more."""
    found = set()
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        found.add((info.st_dev, info.st_ino))
    return found


class _Scanner:
    def __init__(self, root: Path, follow_symlinks: bool, exclude: set[tuple[int, int]]) -> None:
        self.root = root
        self.root_text = str(root)
        self.follow = follow_symlinks
        self.exclude = exclude
        self.visited: set[str] = {os.path.realpath(root)}
        self.result = ScanResult()

    def inside(self, real: str) -> bool:
        return real == self.root_text or real.startswith(self.root_text.rstrip(os.sep) + os.sep)

    def add(self, rel: str, size: int, problem: str | None, path: Path | None = None) -> None:
        self.result.files.append(ScannedFile(rel, size, problem))
        if path is not None and problem is None:
            self.result.sources[rel] = path

    def walk(self, directory: bytes, prefix: str, inherited: str | None) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            self.add(prefix.rstrip("/") or ".", 0, f"cannot read the folder: {_why(exc)}")
            return
        for entry in entries:
            self.visit(entry, prefix, inherited)

    def visit(self, entry: os.DirEntry[bytes], prefix: str, inherited: str | None) -> None:
        problem = inherited
        try:
            name = entry.name.decode("utf-8")
        except UnicodeDecodeError:
            name = entry.name.decode("utf-8", "backslashreplace")
            problem = problem or f"name {name!r} is not valid UTF-8: rename it"
        rel = f"{prefix}{name}"
        path = Path(os.fsdecode(entry.path))
        if entry.is_symlink():
            real = os.path.realpath(entry.path)
            if not os.path.exists(real):
                self.add(rel, 0, problem or "broken symlink (its target does not exist)")
                return
            if not self.inside(os.fsdecode(real)) and not self.follow:
                target = os.fsdecode(real)
                reason = f"symlink points outside the delivery folder (to {target}); "
                self.add(rel, 0, problem or reason + "pass --follow-symlinks to ingest it")
                return
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError as exc:
            self.add(rel, 0, problem or f"cannot read: {_why(exc)}")
            return
        if stat.S_ISDIR(info.st_mode):
            real = os.path.realpath(entry.path)
            if os.fsdecode(real) in self.visited:
                return  # a symlink loop or a second link to a folder already walked
            self.visited.add(os.fsdecode(real))
            self.walk(entry.path, rel + "/", problem)
            return
        if (info.st_dev, info.st_ino) in self.exclude:
            return  # the manifest itself, kept inside the delivery
        if not stat.S_ISREG(info.st_mode):
            self.add(rel, 0, problem or "not a regular file (device, socket or pipe)")
            return
        if problem is None and info.st_size == 0:
            problem = "empty file (0 bytes)"
        if problem is None:
            problem = _unreadable(entry.path)
        self.add(rel, info.st_size, problem, path)


def _unreadable(path: bytes) -> str | None:
    """Open (never read) to prove the file can be read; the reason if not."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
    except PermissionError:
        try:
            fd = os.open(path, os.O_RDONLY)  # O_NOATIME needs ownership; plain open may work
        except OSError as exc:
            return f"cannot read the file: {_why(exc)}"
    except OSError as exc:
        return f"cannot read the file: {_why(exc)}"
    os.close(fd)
    return None


def _why(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
