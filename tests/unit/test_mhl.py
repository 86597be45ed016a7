"""ASC MHL format: hash encodings, parsing hostile input, renames, round trips."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onepiece.domain.checksums import new_hasher, parse_checksum
from onepiece.domain.mhl import (
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
from onepiece.errors import ValidationError

# Values printed by the ASC reference tool (ascmhl 1.2, hasher.hash_data) for b"onepiece".
REFERENCE = {
    "c4": "c41vFez6tE4atgy6h5jnMgkRKiJJSyeftsYKJJNXStMgD2YRHqjyvf9c4GWzpo"
    "AuGvyGKB9nXPj5hwgqrBhnr9NUoJ",
    "xxh64": "8939fafd45108618",
    "xxh3": "a94248f9ba7faba5",
    "xxh128": "b66c95f779609d5cb9aef3b676e7080a",
    "md5": "e81502a921e78c4ddb017a555586664c",
    "sha1": "705b55f5501e7bd53f1df1b1663aaf0a9e41b96f",
}
EMPTY_C4 = (
    "c459dsjfscH38cYeXXYogktxf4Cd9ibshE3BHUo6a58hBXmRQdZrAkZzsWcbWtDg5oQstpDuni4Hirj75GEmTc1sFT"
)
WHO = Creator("onepiece", "0.1.0", "host", "ana", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))


def v2(body: str, process: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">\n'
        "<creatorinfo><creationdate>2026-01-01T00:00:00Z</creationdate>"
        "<hostname>h</hostname><tool>t</tool></creatorinfo>\n"
        f"<processinfo><process>in-place</process>{process}</processinfo>\n"
        f"<hashes>{body}</hashes></hashlist>\n"
    ).encode()


def entry(path: str, digest: str = "8939fafd45108618", extra: str = "") -> str:
    return f"<hash><path size='8'>{path}</path><xxh64>{digest}</xxh64>{extra}</hash>"


@pytest.mark.parametrize("algorithm", sorted(REFERENCE))
def test_every_format_matches_the_reference_encoding(algorithm: str) -> None:
    hasher = new_hasher(algorithm)
    hasher.update(b"onepiece")
    assert hasher.hexdigest() == REFERENCE[algorithm]
    assert parse_checksum(f"{algorithm}:{REFERENCE[algorithm]}")[1] == REFERENCE[algorithm]


def test_c4_of_nothing_is_the_published_id() -> None:
    hasher = new_hasher("c4")
    assert hasher.hexdigest() == EMPTY_C4


def test_a_generation_reads_paths_sizes_formats_and_renames() -> None:
    data = v2(entry("A/clip.mov") + entry("b.mov", extra="<previousPath>a.mov</previousPath>"))
    hashlist = parse_hashlist(data, "0001.mhl")
    first, second = hashlist.entries
    assert (first.path, first.size, first.hashes) == (
        "A/clip.mov",
        8,
        {"xxh64": REFERENCE["xxh64"]},
    )
    assert second.previous_path == "a.mov"
    assert first.where == "0001.mhl line 5"


def test_renames_move_and_a_whole_folder_generation_drops_deleted_files() -> None:
    one = HashList("1", [MhlEntry("a", {"md5": "1" * 32}), MhlEntry("b", {"md5": "2" * 32})])
    two = HashList("2", [MhlEntry("c", {"md5": "1" * 32}, previous_path="a")])
    assert set(expected_files([one, two])) == {"b", "c"}  # single files: b still expected
    two.snapshot = True  # the vendor hashed the whole folder: b was deleted
    assert set(expected_files([one, two])) == {"c"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (v2(entry("../escape.mov")), "line 5: path '../escape.mov' is not inside the folder"),
        (v2(entry("/etc/passwd")), "line 5: path '/etc/passwd' is not inside the folder"),
        (v2(entry("a/./b.mov")), "is not inside the folder"),
        (v2("<hash><path>a</path><sha256>00</sha256></hash>"), "line 5: unknown hash format"),
        (v2(entry("a", digest="xyz")), "line 5: 'xyz' is not a valid xxh64 digest"),
        (v2("<hash><path>a</path></hash>"), "line 5: no hash for a"),
        (b"<hashlist version='2.0'><hashes>", "line 1: malformed XML"),
        (b"<hashlist version='2.0'>\xff\xfe</hashlist>", "line 1: malformed XML"),
        (b"<hashlist version='9'/>", "unsupported MHL version"),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<hashlist version="1.1"/>',
            "line 1: encoding 'ISO-8859-1' is not UTF-8",
        ),
        ('<hashlist version="1.1"/>'.encode("utf-16"), "line 1: UTF-16 text"),
        (b"<other/>", "not a hash list"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<hashlist version="2.0">&lol2;</hashlist>',
            "line 2: a document type declaration (DTD) is not allowed",
        ),
        (
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><hashlist>&e;</hashlist>',
            "not allowed",
        ),
    ],
)
def test_hostile_or_broken_lists_are_refused_with_file_and_line(data: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_hashlist(data, "vendor.mhl")
    assert "vendor.mhl" in caught.value.message
    assert message in caught.value.message


def test_an_mhl_v1_list_is_read_relative_to_its_folder() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="1.1">
  <creatorinfo><name>DIT</name></creatorinfo>
  <hash><file>A001/clip.mov</file><size>8</size><xxhash64be>8939FAFD45108618</xxhash64be></hash>
  <hash><file>b.mov</file><size>8</size><xxhash64>18861045fdfa3989</xxhash64>
    <md5>e81502a921e78c4ddb017a555586664c</md5></hash>
</hashlist>"""
    hashlist = parse_hashlist(data, "day1.mhl", base="card")
    assert hashlist.version == 1
    first, second = hashlist.entries
    assert (first.path, first.hashes) == ("card/A001/clip.mov", {"xxh64": REFERENCE["xxh64"]})
    assert second.hashes == {"xxh64": REFERENCE["xxh64"], "md5": REFERENCE["md5"]}


def test_v1_xxhash32_is_refused_clearly() -> None:
    data = b'<hashlist version="1.1"><hash><file>a</file><xxhash>123</xxhash></hash></hashlist>'
    with pytest.raises(ValidationError, match="hash format 'xxhash' is not supported"):
        parse_hashlist(data, "old.mhl")


def test_a_written_generation_and_chain_read_back() -> None:
    entries = [MhlEntry("a & b/clip.mov", dict(REFERENCE), 8)]
    data = render_generation(entries, WHO)
    back = parse_hashlist(data, "gen.mhl")
    assert back.entries[0].path == "a & b/clip.mov"
    assert back.entries[0].hashes == REFERENCE
    text = data.decode()
    assert text.index("<c4 ") < text.index("<md5 ") < text.index("<xxh64 ")  # the XSD's order
    name = generation_filename(1, "vendor-in", WHO.created)
    assert name == "0001_vendor-in_2026-01-02_030405Z.mhl"
    chain = render_chain([ChainLink(1, name, EMPTY_C4)])
    assert parse_chain(chain, "ascmhl_chain.xml") == [ChainLink(1, name, EMPTY_C4)]


@pytest.mark.parametrize(
    ("path", "c4", "message"),
    [
        ("../0001_x_2026-01-01_000000Z.mhl", EMPTY_C4, "is not a generation file name"),
        ("0001_x_2026-01-01_000000Z.mhl", "c4bad", "is not a C4 ID"),
    ],
)
def test_a_chain_with_bad_entries_is_refused(path: str, c4: str, message: str) -> None:
    data = (
        '<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0"><hashlist sequencenr="1">'
        f"<path>{path}</path><c4>{c4}</c4></hashlist></ascmhldirectory>"
    ).encode()
    with pytest.raises(ValidationError, match=message):
        parse_chain(data, "ascmhl_chain.xml")


def test_a_storage_write_checks_every_expected_checksum_in_one_pass() -> None:
    from onepiece.adapters.storage.streaming import ChecksumTee
    from onepiece.errors import IntegrityError

    good = [f"md5:{REFERENCE['md5']}", f"xxh64:{REFERENCE['xxh64']}", f"c4:{REFERENCE['c4']}"]
    tee = ChecksumTee("xxh3", good)
    tee.update(b"onepiece")
    tee.verify("clip")  # all hold
    assert tee.checksum() == f"xxh3:{REFERENCE['xxh3']}"

    tee = ChecksumTee("xxh3", [good[0], "xxh64:" + "0" * 16])
    tee.update(b"onepiece")
    with pytest.raises(IntegrityError, match="expected xxh64:0000000000000000, got xxh64:8939"):
        tee.verify("clip")
