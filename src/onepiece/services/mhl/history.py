"""Read and write ASC MHL histories on disk (the pure format lives in domain/mhl.py).

Reading checks the chain first: every generation the chain file lists must be
there with the C4 ID the chain recorded, and every generation there must be
listed, else IntegrityError (someone altered or slipped in a hash list).
Files are read bounded (hash lists are small), never followed outside the
folder. Writing adds a generation and rewrites the chain, each atomically.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from onepiece import __version__
from onepiece.atomicio import write_bytes
from onepiece.domain.checksums import new_hasher
from onepiece.domain.mhl import (
    CHAIN_FILE,
    DEFAULT_IGNORE,
    GENERATION_NAME,
    HISTORY_FOLDER,
    ChainLink,
    Creator,
    HashList,
    MhlEntry,
    expected_files,
    generation_filename,
    parse_chain,
    parse_hashlist,
    render_chain,
    render_generation,
)
from onepiece.domain.mhl_ignore import IgnoreSpec, ignore_spec, is_ignored
from onepiece.domain.mhl_xml import MAX_XML_BYTES
from onepiece.errors import IntegrityError, ValidationError


@dataclass(frozen=True)
class HistoryRoot:
    """One ``ascmhl/`` history of the delivery: where, its chain's C4 ID, what it lists."""

    prefix: str  # its folder from the delivery's root: "" or "A001/"
    folder: Path  # the ``ascmhl/`` folder
    chain_c4: str
    paths: frozenset[str]  # the files it expects, from the delivery's root


@dataclass
class MhlSource:
    """The hash lists a delivery came with, and which files of the delivery they are."""

    lists: list[HashList]
    files: list[Path]  # the hash list files themselves (never ingested as media)
    chain: list[ChainLink]
    expected: dict[str, MhlEntry] = field(default_factory=dict)  # by path from the root
    histories: list[HistoryRoot] = field(default_factory=list)  # the v2 histories among them
    _ignore: IgnoreSpec | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(
        cls, lists: list[HashList], files: list[Path], chain: list[ChainLink], prefix: str = ""
    ) -> MhlSource:
        expected = {
            f"{prefix}{path}": replace(entry, path=f"{prefix}{path}", previous_path=None)
            for path, entry in expected_files(lists).items()
        }
        return cls(lists, files, chain, expected)

    @classmethod
    def merged(cls, sources: list[MhlSource]) -> MhlSource:
        """Several histories and lists of one delivery (card folders...), each kept whole."""
        lists = [hashlist for source in sources for hashlist in source.lists]
        files = [path for source in sources for path in source.files]
        expected = {path: e for source in sources for path, e in source.expected.items()}
        chain = sources[0].chain if len(sources) == 1 else []
        histories = [history for source in sources for history in source.histories]
        return cls(lists, files, chain, expected, histories)

    def ignores(self, path: str) -> bool:
        """Does an ignore pattern of the lists cover ``path`` (the vendor chose not to hash it)?"""
        if self._ignore is None:  # asked once per file: compile the patterns once
            self._ignore = ignore_spec(dict.fromkeys(p for h in self.lists for p in h.ignore))
        return self._ignore.covers(path)

    @property
    def name(self) -> str:
        return self.lists[-1].name if self.lists else HISTORY_FOLDER


def read_bounded(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > MAX_XML_BYTES:  # refused unread
                raise ValidationError(
                    f"{path} is larger than any hash list ({MAX_XML_BYTES} bytes max)"
                )
            data = handle.read(MAX_XML_BYTES + 1)
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > MAX_XML_BYTES:
        raise ValidationError(f"{path} is larger than any hash list ({MAX_XML_BYTES} bytes max)")
    return data


def c4_of(data: bytes) -> str:
    hasher = new_hasher("c4")
    hasher.update(data)
    return hasher.hexdigest()


def read_history(folder: Path, prefix: str = "") -> MhlSource | None:
    """The folder's ``ascmhl/`` history with its chain verified, or None without one.

    ``prefix`` is the folder's path from the delivery's root ("" or "A001/").
    """
    history = folder / HISTORY_FOLDER
    if not history.is_dir() or history.is_symlink():
        return None
    chain_path = history / CHAIN_FILE
    where = f"{prefix}{HISTORY_FOLDER}"
    for path in [chain_path, *(p for p in history.iterdir() if p.name.endswith(".mhl"))]:
        if path.is_symlink():  # never read outside the delivery, even the vendor's own file
            raise ValidationError(
                f"{where}/{path.name} is a symbolic link; a history is read only as delivered",
                hint="copy the history's files into the delivery",
            )
    if not chain_path.is_file():
        raise IntegrityError(
            f"{history} has no {CHAIN_FILE}: the history cannot be trusted",
            hint="ask the vendor for the complete ascmhl folder",
        )
    chain_bytes = read_bounded(chain_path)
    chain = parse_chain(chain_bytes, f"{where}/{CHAIN_FILE}")
    present = sorted(p.name for p in history.iterdir() if p.name.endswith(".mhl"))
    listed = {link.filename for link in chain}
    for name in present:
        if name not in listed:
            raise IntegrityError(
                f"{where}/{name} is not recorded in {CHAIN_FILE}: broken chain",
                hint="the history was altered after it was written; ask the vendor for it again",
            )
    lists = []
    for link in sorted(chain, key=lambda link: link.number):
        path = history / link.filename
        if not path.is_file() or path.is_symlink():
            raise IntegrityError(f"{where}/{link.filename} is listed in the chain but missing")
        data = read_bounded(path)
        # Parsed first: a malformed or hostile list is bad input (named with its line)
        # whatever the chain says; a well-formed one altered later breaks the chain.
        hashlist = parse_hashlist(data, f"{where}/{link.filename}")
        if c4_of(data) != link.c4:
            raise IntegrityError(
                f"{where}/{link.filename} does not match its C4 ID in {CHAIN_FILE}: broken chain",
                hint="the generation was altered after it was written",
            )
        lists.append(hashlist)
    files = [chain_path, *(history / name for name in present)]
    source = MhlSource.of(lists, files, chain, prefix)
    root = HistoryRoot(prefix, history, c4_of(chain_bytes), frozenset(source.expected))
    source.histories.append(root)
    return source


def read_mhl_file(path: Path, folder: Path) -> MhlSource:
    """``--mhl FILE``: a v1 list or a single v2 generation; paths relative to ``folder``."""
    if not path.is_file():
        raise ValidationError(f"MHL file {path} does not exist")
    return MhlSource.of([parse_hashlist(read_bounded(path), path.name)], [path], [])


def find_mhl(folder: Path, explicit: Path | None = None) -> MhlSource | None:
    """What the delivery says about itself: ``--mhl FILE``, else every ``ascmhl/`` history
    in it (the root's, card folders' own) and every loose list (MHL v1, paths relative to
    the folder holding it); None when there is none. Symlinks are not followed.
    """
    if explicit is not None:
        return read_mhl_file(explicit, folder)
    sources: list[MhlSource] = []
    scopes: list[tuple[str, list[str]]] = []  # (history's folder, its latest ignore patterns)

    def ignored(path: str) -> bool:  # by a history above it (a folder ends with "/")
        return any(
            path.startswith(root) and is_ignored(path.removeprefix(root), patterns)
            for root, patterns in scopes
        )

    for current, dirs, files in os.walk(folder):
        dirs.sort()
        base = relative_to(folder, Path(current))
        prefix = "" if base == "." else f"{base}/"
        if HISTORY_FOLDER in dirs:
            dirs.remove(HISTORY_FOLDER)  # read as a history, never as lists or media
            found = read_history(Path(current), prefix)
            if found is not None:
                sources.append(found)
                scopes.append((prefix, found.lists[-1].ignore if found.lists else []))
        # What a history ignores is not the delivery's (a bucket's kept vendor histories).
        dirs[:] = [d for d in dirs if not ignored(f"{prefix}{d}/")]
        for name in sorted(n for n in files if n.endswith(".mhl")):
            path = Path(current) / name
            if path.is_symlink() or ignored(f"{prefix}{name}"):
                continue
            hashlist = parse_hashlist(read_bounded(path), f"{prefix}{name}", prefix.rstrip("/"))
            sources.append(MhlSource.of([hashlist], [path], []))
    return MhlSource.merged(sources) if sources else None


def creator(comment: str | None = None, when: datetime | None = None) -> Creator:
    try:
        user: str | None = getpass.getuser()
    except (KeyError, OSError):
        user = None  # no login name (a container): the list stays valid without an author
    return Creator(
        tool="onepiece",
        tool_version=__version__,
        hostname=socket.gethostname() or "unknown",
        author=user,
        created=(when or datetime.now(UTC)).replace(microsecond=0),
        comment=comment,
    )


def new_generation(
    existing: list[ChainLink],
    folder_name: str,
    entries: Iterable[MhlEntry],
    who: Creator,
    ignore: Iterable[str] = DEFAULT_IGNORE,
) -> tuple[str, bytes, bytes]:
    """(file name, generation bytes, chain bytes) for the next generation on top of ``existing``."""
    number = max((link.number for link in existing), default=0) + 1
    name = generation_filename(number, folder_name, who.created)
    data = render_generation(sorted(entries, key=lambda e: e.path), who, ignore)
    chain = render_chain([*existing, ChainLink(number, name, c4_of(data))])
    return name, data, chain


def write_generation(folder: Path, entries: Iterable[MhlEntry], who: Creator) -> Path:
    """Add a generation to ``folder``'s history (made if absent); returns its path."""
    history = folder / HISTORY_FOLDER
    existing: list[ChainLink] = []
    if (history / CHAIN_FILE).is_file():
        existing = parse_chain(read_bounded(history / CHAIN_FILE), CHAIN_FILE)
    history.mkdir(parents=True, exist_ok=True)
    name, data, chain = new_generation(existing, folder.resolve().name, entries, who)
    if GENERATION_NAME.match(name) is None:
        raise ValidationError(f"cannot name a generation after the folder {folder.name!r}")
    write_bytes(history / name, data)
    write_bytes(history / CHAIN_FILE, chain)  # the generation exists before the chain names it
    return history / name


def relative_to(folder: Path, path: Path) -> str:
    return os.path.relpath(path, folder).replace(os.sep, "/")
