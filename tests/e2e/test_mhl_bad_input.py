"""Hostile or broken hash lists: exit 4 naming the file and line, no traceback, no read
outside the delivery. Each kind of bad input with several inputs, as a loose list read
by ``ingest`` and as a generation of an ``ascmhl/`` history read by ``validate mhl``."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepiece.domain.mhl import ChainLink, render_chain
from onepiece.services.mhl.history import c4_of
from tests.ascmhl_tool import tool
from tests.e2e.conftest import Run

CLIP = "FG_ep010_sc02_0010_comp_v001.mov"
MD5 = "<md5>e81502a921e78c4ddb017a555586664c</md5>"
GENERATION = "0001_delivery_2026-01-01_000000Z.mhl"


def v1(body: bytes) -> bytes:
    return b'<hashlist version="1.1">\n' + body + b"\n</hashlist>\n"


def v2(body: bytes) -> bytes:
    return (
        b'<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">\n<hashes>\n'
        + body
        + b"\n</hashes></hashlist>\n"
    )


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">' for i in range(9))
    + ']>\n<hashlist version="1.1">&a8;</hashlist>\n'
).encode()
DTD = "a document type declaration (DTD) is not allowed"

CASES = {
    # malformed XML
    "unclosed element": (b'<hashlist version="1.1">\n<hash><file>a.mov', "line 2: malformed XML"),
    "not XML at all": (b"\n\nthis is not XML\n", "line 3: malformed XML"),
    "empty file": (b"", "line 1: malformed XML"),
    "mismatched tag": (v2(b"<hash><path>a.mov</file></hash>"), "line 3: malformed XML"),
    # entity expansion and external entities
    "billion laughs": (BOMB, f"line 2: {DTD}"),
    "external entity": (
        b'<?xml version="1.0"?>\n<!DOCTYPE h [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<hashlist version="1.1"><hash><file>&x;</file></hash></hashlist>',
        f"line 2: {DTD}",
    ),
    "parameter entity": (
        b'<!DOCTYPE h [\n<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd">\n%p;\n]>\n<hashlist/>',
        f"line 1: {DTD}",
    ),
    "deep nesting": (
        b'<hashlist version="1.1">\n' + b"<a>" * 100,
        "line 2: elements nested too deeply",
    ),
    # paths leaving the folder
    "dot-dot in v1": (
        v1(b"<hash><file>../../etc/passwd</file>" + MD5.encode() + b"</hash>"),
        "line 2: path '../../etc/passwd' is not inside the folder",
    ),
    "dot-dot inside a v2 path": (
        v2(b"<hash><path>A001/../../x.mov</path>" + MD5.encode() + b"</hash>"),
        "line 3: path 'A001/../../x.mov' is not inside the folder",
    ),
    "dot-dot in a previousPath": (
        v2(
            b"<hash><path>a.mov</path>"
            + MD5.encode()
            + b"<previousPath>../a.mov</previousPath></hash>"
        ),
        "line 3: path '../a.mov' is not inside the folder",
    ),
    "absolute v1 path": (
        v1(b"<hash><file>/etc/passwd</file>" + MD5.encode() + b"</hash>"),
        "line 2: path '/etc/passwd' is not inside the folder",
    ),
    "drive letter": (
        v2(b"<hash><path>C:/Windows/x.mov</path>" + MD5.encode() + b"</hash>"),
        "line 3: path 'C:/Windows/x.mov' is not inside the folder",
    ),
    "UNC path": (
        v2(b"<hash><path>\\\\server\\share\\x.mov</path>" + MD5.encode() + b"</hash>"),
        "is not inside the folder",
    ),
    # hash formats the spec does not define
    "blake3": (
        v2(b"<hash><path>a.mov</path><blake3>00</blake3></hash>"),
        "line 3: unknown hash format <blake3>",
    ),
    "sha256": (
        v2(b"<hash><path>a.mov</path><sha256>00</sha256></hash>"),
        "line 3: unknown hash format <sha256>",
    ),
    "v1 32-bit xxhash": (
        v1(b"<hash><file>a.mov</file><xxhash>123456</xxhash></hash>"),
        "line 2: hash format 'xxhash' is not supported",
    ),
    "v1 null": (
        v1(b"<hash><file>a.mov</file><null/></hash>"),
        "line 2: hash format 'null' is not supported",
    ),
    # not UTF-8
    "latin-1 byte": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        b"<hash><file>caf\xe9.mov</file></hash></hashlist>",
        "line 3: malformed XML",
    ),
    "UTF-16": ('<hashlist version="1.1"/>'.encode("utf-16"), "line 1: UTF-16 text"),
    "declared ISO-8859-1": (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<hashlist version="1.1"/>',
        "line 1: encoding 'ISO-8859-1' is not UTF-8",
    ),
    "invalid UTF-8 in a v2 path": (
        v2(b"<hash><path>clip\xff\xfe.mov</path>" + MD5.encode() + b"</hash>"),
        "line 3: malformed XML",
    ),
}


def delivery(tmp_path: Path) -> Path:
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / CLIP).write_bytes(b"onepiece")
    return folder


def as_history(folder: Path, generation: bytes) -> None:
    """``generation`` as the one generation of an ``ascmhl/`` history, its chain intact."""
    history = folder / "ascmhl"
    history.mkdir()
    (history / GENERATION).write_bytes(generation)
    (history / "ascmhl_chain.xml").write_bytes(
        render_chain([ChainLink(1, GENERATION, c4_of(generation))])
    )


def assert_refused(result: object, message: str) -> None:
    code, stderr = result.returncode, result.stderr  # type: ignore[attr-defined]
    assert code == 4, result.stdout + stderr  # type: ignore[attr-defined]
    assert message in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) <= 2  # one line, and a hint at most


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_loose_list_stops_the_ingest(onepiece: Run, tmp_path: Path, case: str) -> None:
    content, message = CASES[case]
    folder = delivery(tmp_path)
    (folder / "vendor.mhl").write_bytes(content)

    result = onepiece("ingest", "-p", "demo", "-s", "FG", str(folder), "--dry-run")

    assert_refused(result, f"vendor.mhl {message}" if message.startswith("line") else message)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_generation_stops_validate_mhl(onepiece: Run, tmp_path: Path, case: str) -> None:
    content, message = CASES[case]
    folder = delivery(tmp_path)
    as_history(folder, content)

    result = onepiece("validate", "mhl", str(folder))

    expected = f"ascmhl/{GENERATION} {message}" if message.startswith("line") else message
    assert_refused(result, expected)


def sparse(path: Path) -> Path:
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: costs no disk
    return path


@pytest.mark.parametrize("where", ["loose list", "generation", "chain file", "--mhl FILE"])
def test_a_huge_list_is_refused_unread(onepiece: Run, tmp_path: Path, where: str) -> None:
    folder = delivery(tmp_path)
    extra: list[str] = []
    if where == "loose list":
        sparse(folder / "vendor.mhl")
    elif where == "generation":
        as_history(folder, b"")
        sparse(folder / "ascmhl" / GENERATION)
    elif where == "chain file":
        as_history(folder, b"")
        sparse(folder / "ascmhl" / "ascmhl_chain.xml")
    else:
        extra = ["--mhl", str(sparse(tmp_path / "vendor.mhl"))]

    result = onepiece("ingest", "-p", "demo", "-s", "FG", str(folder), "--dry-run", *extra)

    assert_refused(result, "larger than any hash list")


@pytest.mark.parametrize("linked", ["ascmhl_chain.xml", "generation"])
def test_a_history_file_linking_outside_the_delivery_is_not_read(
    onepiece: Run, tmp_path: Path, linked: str
) -> None:
    folder = delivery(tmp_path)
    created = tool("ascmhl", "create", folder, "-h", "md5")
    assert created.returncode == 0, created.stdout + created.stderr
    history = folder / "ascmhl"
    inside = next(history.glob("0001_*.mhl")) if linked == "generation" else history / linked
    outside = tmp_path / f"outside-{inside.name}"
    inside.rename(outside)  # the very same bytes, now outside the delivery
    inside.symlink_to(outside)

    result = onepiece("validate", "mhl", str(folder))

    assert_refused(result, f"ascmhl/{inside.name} is a symbolic link")
