"""The ASC MHL history a delivery carries (``<package>/ascmhl/``), beside its manifests.

A first generation listing every delivered file with the hash computed while
it was packaged (xxh3 by default, or the recorded md5...), plus the package's
own manifest files, so the receiving side can run ``ascmhl verify`` on the
unpacked folder. A checksum in a format MHL does not define (sha256) cannot
be listed: those files are named in the result instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from onepiece.domain.checksums import new_hasher, parse_checksum
from onepiece.domain.delivery import DeliveredFile
from onepiece.domain.mhl import CHAIN_FILE, HASH_FORMATS, HISTORY_FOLDER, MhlEntry
from onepiece.services.mhl.history import creator, new_generation


def mhl_hashes(checksum: str) -> dict[str, str]:
    """``algo:hex`` as MHL hashes (xxh3 of 32 digits is XXH3-128, MHL's xxh128)."""
    algorithm, digest = parse_checksum(checksum)
    if algorithm == "xxh3" and len(digest) == 32:
        algorithm = "xxh128"
    return {algorithm: digest} if algorithm in HASH_FORMATS else {}


def history_files(
    package: str, entries: Sequence[DeliveredFile], extra: Mapping[str, bytes]
) -> tuple[dict[str, bytes], list[str]]:
    """(path inside the package -> bytes, names left out for lack of an MHL hash).

    ``extra`` are files written into the package (its manifests), by their path
    inside it; they are hashed here.
    """
    prefix = f"{package}/"
    files = [(e.name.removeprefix(prefix), e.checksum, e.size) for e in entries]
    return history_for(package, files, extra)


def history_for(
    folder_name: str, files: Iterable[tuple[str, str | None, int]], extra: Mapping[str, bytes]
) -> tuple[dict[str, bytes], list[str]]:
    """``history_files`` for (path inside the folder, checksum, size) rows."""
    rows: list[MhlEntry] = []
    left_out: list[str] = []
    for path, checksum, size in files:
        hashes = mhl_hashes(checksum) if checksum else {}
        if not hashes:
            left_out.append(path)
            continue
        rows.append(MhlEntry(path, hashes, size))
    for path, data in extra.items():
        hasher = new_hasher("xxh3")
        hasher.update(data)
        rows.append(MhlEntry(path, {"xxh3": hasher.hexdigest()}, len(data)))
    name, generation, chain = new_generation([], folder_name, rows, creator("onepiece delivery"))
    members = {f"{HISTORY_FOLDER}/{name}": generation, f"{HISTORY_FOLDER}/{CHAIN_FILE}": chain}
    return members, left_out
