"""The ASC MHL history a delivery carries (``<package>/ascmhl/``), beside its manifests.

A first generation listing every delivered file with the hash computed while
it was packaged (xxh3 by default, or the recorded md5...), plus the package's
own manifest files, so the receiving side can run ``ascmhl verify`` on the
unpacked folder. A checksum in a format MHL does not define (sha256) cannot
be listed: those files are named in the result instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from onepiece.domain.checksums import new_hasher, parse_checksum
from onepiece.domain.delivery import DeliveredFile
from onepiece.domain.mhl import CHAIN_FILE, HASH_FORMATS, HISTORY_FOLDER, MhlEntry
from onepiece.services.mhl_history import creator, new_generation


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
    rows: list[MhlEntry] = []
    left_out: list[str] = []
    for entry in entries:
        hashes = mhl_hashes(entry.checksum) if entry.checksum else {}
        if not hashes:
            left_out.append(entry.name)
            continue
        rows.append(MhlEntry(entry.name.removeprefix(prefix), hashes, entry.size))
    for path, data in extra.items():
        hasher = new_hasher("xxh3")
        hasher.update(data)
        rows.append(MhlEntry(path, {"xxh3": hasher.hexdigest()}, len(data)))
    name, generation, chain = new_generation([], package, rows, creator("onepiece delivery"))
    files = {f"{HISTORY_FOLDER}/{name}": generation, f"{HISTORY_FOLDER}/{CHAIN_FILE}": chain}
    return files, left_out
