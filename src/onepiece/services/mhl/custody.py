"""Vendor ASC MHL histories kept with the stored media, so a delivery continues the chain.

At ingest, each vendor history (``ascmhl/``: chain file and generations) that
lists stored media is copied unchanged into the bucket, under
``mhl-custody/<C4 ID of its chain file>/`` (content-addressed: one copy per
history, a longer history of the same folder lands beside it), and each of
its Versions records where (``mhl_history``: ``<bucket>/<prefix>``) and the
folder its files had in the vendor's tree (``mhl_folder``). A delivery reads
it back (``load``), checks the chain again (a generation or chain altered in
storage is an IntegrityError) and adds its own generation on top.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from onepiece.adapters.storage.base import Storage
from onepiece.domain.checksums import is_c4
from onepiece.domain.mhl import (
    CHAIN_FILE,
    HISTORY_FOLDER,
    ChainLink,
    HashList,
    parse_chain,
    parse_hashlist,
)
from onepiece.domain.mhl_custody import HISTORY_KEY
from onepiece.domain.mhl_xml import MAX_XML_BYTES
from onepiece.errors import IntegrityError, ObjectNotFound, ValidationError
from onepiece.services.mhl.history import c4_of, read_bounded

CUSTODY_FOLDER = "mhl-custody"


@dataclass
class KeptHistory:
    ref: str  # "<bucket>/<prefix>", or the folder it was read from
    links: list[ChainLink]
    files: dict[str, bytes]  # chain file and generations by name, bytes unchanged
    lists: list[HashList]  # the generations, oldest first

    def same_folder_as(self, other: KeptHistory) -> bool:
        """Is ``other`` this history, or an earlier state of it (its chain a prefix of ours)?"""
        return [link.c4 for link in self.links[: len(other.links)]] == [
            link.c4 for link in other.links
        ]


def custody_ref(bucket: str, chain_c4: str) -> str:
    return f"{bucket}/{CUSTODY_FOLDER}/{chain_c4}"


def keep(storage: Storage, bucket: str, history: Path, chain_c4: str) -> str:
    """Copy the ``ascmhl/`` folder ``history`` (verified when planned) into storage; its ref.

    The chain and each generation are checked again as they are read: the
    copy is exactly the history the ingest verified the files against.
    """
    chain = read_bounded(history / CHAIN_FILE)
    if c4_of(chain) != chain_c4:
        raise IntegrityError(f"{history / CHAIN_FILE} changed during the ingest")
    ref = custody_ref(bucket, chain_c4)
    prefix = ref.split("/", 1)[1]
    for link in parse_chain(chain, CHAIN_FILE):
        data = read_bounded(history / link.filename)
        if c4_of(data) != link.c4:
            raise IntegrityError(f"{history / link.filename} changed during the ingest")
        storage.put_bytes(bucket, f"{prefix}/{link.filename}", data)
    storage.put_bytes(bucket, f"{prefix}/{CHAIN_FILE}", chain)  # named once its generations exist
    return ref


def load(storage: Storage, ref: str) -> KeptHistory:
    """A kept history with its chain verified; IntegrityError when it was altered."""
    bucket, _, prefix = ref.partition("/")
    if not bucket or not prefix:
        raise ValidationError(f"{HISTORY_KEY} {ref!r} is not <bucket>/<prefix>")
    chain = _get(storage, bucket, f"{prefix}/{CHAIN_FILE}", ref)
    name = prefix.rsplit("/", 1)[-1]
    if is_c4(name) and c4_of(chain) != name:
        raise IntegrityError(f"{ref}/{CHAIN_FILE} was altered in storage: broken chain")
    links = parse_chain(chain, f"{ref}/{CHAIN_FILE}")
    files = {CHAIN_FILE: chain}
    lists = []
    for link in sorted(links, key=lambda link: link.number):
        data = _get(storage, bucket, f"{prefix}/{link.filename}", ref)
        lists.append(parse_hashlist(data, f"{ref}/{link.filename}"))
        if c4_of(data) != link.c4:
            raise IntegrityError(
                f"{ref}/{link.filename} does not match its C4 ID in {CHAIN_FILE}: broken chain",
                hint="the vendor's history was altered after it was ingested",
            )
        files[link.filename] = data
    return KeptHistory(ref, links, files, lists)


def load_all(storage: Storage, refs: Iterable[str]) -> dict[str, KeptHistory]:
    return {ref: load(storage, ref) for ref in sorted(set(refs))}


def from_folder(folder: Path, links: list[ChainLink], lists: list[HashList]) -> KeptHistory:
    """A history read (and verified) on disk, as ``history.read_history`` found it."""
    history = folder / HISTORY_FOLDER
    files = {CHAIN_FILE: read_bounded(history / CHAIN_FILE)}
    for link in links:
        files[link.filename] = read_bounded(history / link.filename)
        if c4_of(files[link.filename]) != link.c4:  # changed since it was verified
            raise IntegrityError(f"{history / link.filename} changed while it was read")
    return KeptHistory(str(folder), sorted(links, key=lambda link: link.number), files, lists)


def _get(storage: Storage, bucket: str, key: str, ref: str) -> bytes:
    try:
        if storage.head(bucket, key).size > MAX_XML_BYTES:
            raise ValidationError(f"{bucket}/{key} is larger than any hash list")
        return storage.get_bytes(bucket, key)
    except ObjectNotFound:
        raise IntegrityError(
            f"the vendor's MHL history {ref} has no {key.rsplit('/', 1)[-1]}: broken chain",
            hint="the history kept at ingest was removed from storage",
        ) from None
