"""`onepiece ingest` with MHL v1 lists, ``--mhl FILE``, a manifest beside, and hostile lists."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import xxhash

from onepiece.samples import SampleDelivery
from tests.e2e.conftest import Run
from tests.ingest_support import CLIP

BASE = ("ingest", "--project", "demo", "--show-code", "FG")


def v1_list(folder: Path, *, wrong: str | None = None, base: Path | None = None) -> bytes:
    """An MHL v1 list as DIT tools write it: xxhash64be, md5 on every other file."""
    rows = []
    for index, path in enumerate(sorted(p for p in folder.rglob("*") if p.is_file())):
        data = path.read_bytes()
        digest = xxhash.xxh64(data).hexdigest().upper()
        if path.name == wrong:
            digest = "0" * 16
        md5 = f"<md5>{hashlib.md5(data).hexdigest()}</md5>" if index % 2 else ""
        name = path.relative_to(base or folder).as_posix()
        rows.append(
            f"<hash><file>{name}</file><size>{len(data)}</size>"
            f"<xxhash64be>{digest}</xxhash64be>{md5}</hash>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        "<creatorinfo><name>DIT</name></creatorinfo>\n" + "\n".join(rows) + "\n</hashlist>\n"
    ).encode()


def test_an_mhl_v1_file_in_the_delivery_is_verified_not_ingested(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    listing = v1_list(clean_delivery.folder)
    (clean_delivery.folder / "day1.mhl").write_bytes(listing)

    result = onepiece(*BASE, str(clean_delivery.folder), "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "day1.mhl" not in result.stdout


def test_mhl_and_manifest_are_both_checked(onepiece: Run, clean_delivery: SampleDelivery) -> None:
    outside = clean_delivery.folder.parent / "vendor.mhl"
    outside.write_bytes(v1_list(clean_delivery.folder, wrong=CLIP))
    assert clean_delivery.manifest is not None

    result = onepiece(
        *BASE,
        str(clean_delivery.folder),
        "--mhl",
        str(outside),
        "--manifest",
        str(clean_delivery.manifest),
    )

    assert result.returncode == 5, result.stdout + result.stderr  # the manifest is right
    assert f"mismatch: {CLIP}: checksum mismatch: expected xxh64:0000000000000000" in result.stdout


def test_a_wrong_manifest_is_caught_beside_a_right_mhl(
    onepiece: Run, sample_delivery: SampleDelivery
) -> None:
    outside = sample_delivery.folder.parent / "vendor.mhl"
    outside.write_bytes(v1_list(sample_delivery.folder))
    assert sample_delivery.manifest is not None

    result = onepiece(
        *BASE,
        str(sample_delivery.folder),
        "--mhl",
        str(outside),
        "--manifest",
        str(sample_delivery.manifest),
    )

    assert result.returncode == 5, result.stdout + result.stderr
    assert f"mismatch: {CLIP}: checksum mismatch: expected md5:" in result.stdout


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">' for i in range(9))
    + ']>\n<hashlist version="1.1">&a8;</hashlist>\n'
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'<hashlist version="1.1">\n<hash><file>a.mov', "vendor.mhl line 2: malformed XML"),
        (BOMB.encode(), "vendor.mhl line 2: a document type declaration (DTD) is not allowed"),
        (
            b'<hashlist version="1.1">\n<hash><file>../../etc/passwd</file>'
            b"<md5>e81502a921e78c4ddb017a555586664c</md5></hash></hashlist>",
            "vendor.mhl line 2: path '../../etc/passwd' is not inside the folder",
        ),
        (
            b'<hashlist version="1.1">\n<hash><file>/etc/passwd</file>'
            b"<md5>e81502a921e78c4ddb017a555586664c</md5></hash></hashlist>",
            "vendor.mhl line 2: path '/etc/passwd' is not inside the folder",
        ),
        (
            b'<hashlist version="2.0">\n<hashes><hash><path>a.mov</path>'
            b"<blake3>00</blake3></hash></hashes></hashlist>",
            "vendor.mhl line 2: unknown hash format <blake3>",
        ),
        (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
            b"<hash><file>caf\xe9.mov</file></hash></hashlist>",
            "vendor.mhl line 3: malformed XML",
        ),
    ],
)
def test_hostile_lists_exit_4_naming_file_and_line(
    onepiece: Run, clean_delivery: SampleDelivery, content: bytes, message: str
) -> None:
    (clean_delivery.folder / "vendor.mhl").write_bytes(content)

    result = onepiece(*BASE, str(clean_delivery.folder), "--dry-run")

    assert result.returncode == 4, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # one line, and a hint at most


def test_a_huge_list_is_refused_unread(onepiece: Run, clean_delivery: SampleDelivery) -> None:
    huge = clean_delivery.folder / "vendor.mhl"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: costs no disk

    result = onepiece(*BASE, str(clean_delivery.folder), "--dry-run")

    assert result.returncode == 4, result.stdout + result.stderr
    assert "larger than any hash list" in result.stderr
