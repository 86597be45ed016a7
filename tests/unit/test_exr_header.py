"""Which EXRs the fast review decoder may read: plain, complete RGB(A) scanline files (pure).

The files are built byte by byte (uncompressed, one line a chunk) after the
OpenEXR file layout, so each rule is shown on exactly the header that breaks it.
"""

from __future__ import annotations

import struct

import pytest

from onepiece.domain.exr_header import FLOAT, HALF, MAGIC, PlainExr, plain_exr


def _attribute(name: str, kind: str, value: bytes) -> bytes:
    return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value


def _channels(names: tuple[str, ...], pixel_type: int, sampling: int) -> bytes:
    entries = (
        name.encode() + b"\0" + struct.pack("<iB3xii", pixel_type, 0, sampling, sampling)
        for name in sorted(names)
    )
    return b"".join(entries) + b"\0"


def exr_bytes(
    *,
    width: int = 4,
    height: int = 3,
    channels: tuple[str, ...] = ("R", "G", "B"),
    pixel_type: int = HALF,
    compression: int = 0,
    display_window: tuple[int, int, int, int] | None = None,
    flags: int = 0,
    sampling: int = 1,
) -> bytes:
    window = (0, 0, width - 1, height - 1)
    header = b"".join(
        [
            MAGIC,
            struct.pack("<i", 2 | flags),
            _attribute("channels", "chlist", _channels(channels, pixel_type, sampling)),
            _attribute("compression", "compression", bytes([compression])),
            _attribute("dataWindow", "box2i", struct.pack("<4i", *window)),
            _attribute("displayWindow", "box2i", struct.pack("<4i", *(display_window or window))),
            _attribute("lineOrder", "lineOrder", b"\0"),
            _attribute("pixelAspectRatio", "float", struct.pack("<f", 1.0)),
            b"\0",
        ]
    )
    line = width * len(channels) * (2 if pixel_type == HALF else 4)
    first = len(header) + 8 * height
    offsets = [first + y * (8 + line) for y in range(height)]
    chunks = b"".join(struct.pack("<ii", y, line) + bytes(line) for y in range(height))
    return header + struct.pack(f"<{height}Q", *offsets) + chunks


def test_a_plain_half_rgb_file_is_read_fast_with_its_size() -> None:
    assert plain_exr(exr_bytes(width=7, height=5)) == PlainExr(7, 5, HALF, alpha=False)


def test_rgba_and_float_files_are_plain_too() -> None:
    found = plain_exr(exr_bytes(channels=("R", "G", "B", "A"), pixel_type=FLOAT))
    assert found == PlainExr(4, 3, FLOAT, alpha=True)


@pytest.mark.parametrize(
    "channels",
    [
        ("diffuse.R", "diffuse.G", "diffuse.B"),  # a layer: pick_channels' rules apply
        ("R", "G", "B", "Z"),  # depth beside RGB: the decoder would pick differently
        ("Y",),  # luminance
        ("R", "G"),
    ],
)
def test_any_other_channel_set_goes_to_the_general_reader(channels: tuple[str, ...]) -> None:
    assert plain_exr(exr_bytes(channels=channels)) is None


@pytest.mark.parametrize(
    "change",
    [
        {"display_window": (0, 0, 9, 9)},  # the picture sits on a black border
        {"flags": 0x200},  # tiled
        {"flags": 0x800},  # deep
        {"flags": 0x1000},  # multi-part
        {"compression": 8},  # DWAA: FFmpeg decodes it differently from OpenEXR
        {"compression": 10},  # HTJ2K: FFmpeg cannot
        {"pixel_type": 0},  # UINT
        {"sampling": 2},  # subsampled channels
    ],
)
def test_headers_the_fast_decoder_would_read_wrongly_are_refused(change: dict) -> None:
    assert plain_exr(exr_bytes(**change)) is None


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.999])
def test_a_truncated_file_is_refused(keep: float) -> None:
    data = exr_bytes(width=16, height=16)
    assert plain_exr(data) is not None
    assert plain_exr(data[: int(len(data) * keep)]) is None


def test_a_half_written_file_with_an_empty_offset_table_is_refused() -> None:
    data = bytearray(exr_bytes(height=3))
    header_end = len(data) - 3 * 8 - 3 * (8 + 4 * 3 * 2)
    data[header_end : header_end + 8] = bytes(8)  # OpenEXR writes the table last
    assert plain_exr(bytes(data)) is None


def test_a_chunk_for_a_line_outside_the_picture_is_refused() -> None:
    data = bytearray(exr_bytes(height=3))
    last_chunk = len(data) - (8 + 4 * 3 * 2)
    data[last_chunk : last_chunk + 4] = struct.pack("<i", 99)
    assert plain_exr(bytes(data)) is None


@pytest.mark.parametrize("data", [b"", b"not an exr", MAGIC + b"\x02\0\0\0", MAGIC + bytes(40)])
def test_garbage_is_refused_without_an_exception(data: bytes) -> None:
    assert plain_exr(data) is None
