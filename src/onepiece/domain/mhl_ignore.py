"""ASC MHL ignore patterns: which paths a history leaves out, as the reference tool reads them.

A generation's ``<ignore>`` patterns are gitignore-style. ``ascmhl`` 1.2
matches them against absolute paths, so in practice a pattern without a
slash matches a file or folder name anywhere (``.DS_Store``, ``ascmhl/``),
and ``**/a/b.mov`` matches that relative path wherever the folder is. Those
are the forms OnePiece writes (``ignore_exactly``) and honours here; other
patterns with a slash are matched against the relative path and its
folders. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

_SPECIAL = "*?["


def is_ignored(path: str, patterns: Iterable[str]) -> bool:
    """Does any pattern cover ``path`` (relative, '/'-separated) or one of its folders?

    A folder itself is asked about with a trailing slash (``"plates/"``).
    """
    return ignore_spec(patterns).covers(path)


def ignore_spec(patterns: Iterable[str]) -> IgnoreSpec:
    """The patterns compiled once, for many paths (a history of thousands of files)."""
    return _compile(tuple(patterns))


@dataclass(frozen=True)
class IgnoreSpec:
    # "**/a/b" patterns with no wildcard: a set lookup (a continued history holds
    # one per vendor file left out, thousands of them).
    exact_tails: frozenset[str]
    exact_folder_tails: frozenset[str]
    globs: tuple[tuple[str, bool], ...]  # (pattern body, folders only)

    def covers(self, path: str) -> bool:
        parts = path.split("/")
        folders = ["/".join(parts[:i]) for i in range(1, len(parts))]
        spans = {"/".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts))}
        ends = {"/".join(parts[i:]) for i in range(len(parts))}
        if self.exact_tails & (spans | ends) or self.exact_folder_tails & spans:
            return True
        for body, folder_only in self.globs:
            if body.startswith("**/"):
                # Anchored anywhere: the whole relative path or any tail of it.
                names = spans if folder_only else spans | ends
                if any(fnmatchcase(name, body[3:]) for name in names):
                    return True
            elif "/" not in body:
                if any(fnmatchcase(name, body) for name in (parts[:-1] if folder_only else parts)):
                    return True
            elif any(fnmatchcase(c, body) for c in (folders if folder_only else [*folders, path])):
                return True
        return False


@lru_cache(maxsize=16)
def _compile(patterns: tuple[str, ...]) -> IgnoreSpec:
    exact: set[str] = set()
    exact_folders: set[str] = set()
    globs: list[tuple[str, bool]] = []
    for pattern in patterns:
        folder_only = pattern.endswith("/")
        body = pattern.rstrip("/")
        literal = _literal(body[3:]) if body.startswith("**/") else None
        if literal is not None:
            (exact_folders if folder_only else exact).add(literal)
        elif body:
            globs.append((body, folder_only))
    return IgnoreSpec(frozenset(exact), frozenset(exact_folders), tuple(globs))


def _literal(body: str) -> str | None:
    """``body`` without its one-character brackets, or None when it holds a wildcard."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "[" and index + 2 < len(body) and body[index + 2] == "]":
            out.append(body[index + 1])
            index += 3
            continue
        if char in "*?[\\":
            return None
        out.append(char)
        index += 1
    return "".join(out)


def ignore_exactly(path: str) -> str:
    """A pattern that covers exactly ``path`` (relative) wherever the folder is unpacked.

    Wildcard characters in names are matched literally (``[*]``), which both
    gitignore and fnmatch read the same way.
    """
    escaped = "".join(f"[{c}]" if c in _SPECIAL else c for c in path)
    if escaped.endswith(" "):  # gitignore drops trailing blanks unless bracketed
        escaped = escaped[:-1] + "[ ]"
    return f"**/{escaped}"
