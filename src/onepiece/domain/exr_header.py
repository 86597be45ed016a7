"""Is an OpenEXR file a plain, complete RGB(A) picture? Read from its bytes alone.

Pure. Review movies decode such frames with FFmpeg's EXR decoder, several
times faster than a general reader; but that decoder reads only part of what
EXR can hold, and a chunk it cannot find or decode is left as it was, with
no error (its blocks' results are ignored). So a frame goes that way only
when this module finds, from the header and the chunk offset table, that:

- it is a single-part scanline image (not tiled, deep or multi-part);
- its channels are exactly R, G, B (and maybe A), all half or all float,
  unsubsampled (a layer, luminance or anything else has its own rules);
- its data window is its display window (no black border to place);
- its compression is one the decoder handles exactly (``FAST_COMPRESSIONS``);
- every chunk the offset table names lies inside the file, for a line of the
  picture (a truncated or half-written frame fails here).

Anything else, or a header that does not parse, is ``None``: the general
reader (OpenImageIO) reads it and reports what is wrong.
Layout reference: https://openexr.com/en/latest/OpenEXRFileLayout.html
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"\x76\x2f\x31\x01"
TILED, LONG_NAMES, DEEP, MULTIPART = 0x200, 0x400, 0x800, 0x1000
HALF, FLOAT = 1, 2
# compression code -> scanlines per chunk, for the codecs FFmpeg decodes exactly like
# OpenEXR (checked against OpenImageIO, tests/integration/test_review_media_fast_exr.py):
# none, RLE, ZIPS, ZIP, PIZ, PXR24, B44, B44A, bit for bit. DWAA/DWAB are lossy and
# FFmpeg's decoding differs from OpenEXR's; HTJ2K it lacks: OpenImageIO reads those.
FAST_COMPRESSIONS = {0: 1, 1: 1, 2: 1, 3: 16, 4: 32, 5: 16, 6: 32, 7: 32}


@dataclass(frozen=True)
class PlainExr:
    width: int
    height: int
    pixel_type: int  # HALF or FLOAT
    alpha: bool


class _Reader:
    def __init__(self, data: bytes, offset: int) -> None:
        self.data, self.offset = data, offset

    def name(self, limit: int) -> str:
        end = self.data.index(b"\0", self.offset, self.offset + limit + 1)
        text = self.data[self.offset : end].decode("latin-1")
        self.offset = end + 1
        return text

    def unpack(self, fmt: str) -> tuple[int, ...]:
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return values


def _channels(value: bytes) -> dict[str, tuple[int, int, int]]:
    """name -> (pixel type, x sampling, y sampling)."""
    reader, found = _Reader(value, 0), {}
    while reader.offset < len(value) and value[reader.offset] != 0:
        name = reader.name(255)
        pixel_type, _linear, x_sampling, y_sampling = reader.unpack("<iB3xii")
        found[name] = (pixel_type, x_sampling, y_sampling)
    return found


def _header(data: bytes) -> tuple[dict[str, bytes], int] | None:
    """The attributes (name -> raw value) and where the offset table starts."""
    if data[:4] != MAGIC:
        return None
    (version,) = struct.unpack_from("<i", data, 4)
    if version & 0xFF != 2 or version & (TILED | DEEP | MULTIPART):
        return None
    limit = 255 if version & LONG_NAMES else 31
    reader, attributes = _Reader(data, 8), {}
    while data[reader.offset] != 0:
        name, _kind = reader.name(limit), reader.name(limit)
        (size,) = reader.unpack("<i")
        if size < 0 or reader.offset + size > len(data):
            return None
        attributes[name] = data[reader.offset : reader.offset + size]
        reader.offset += size
    return attributes, reader.offset + 1


def _complete(data: bytes, table: int, chunks: int, y_min: int, y_max: int) -> bool:
    """Every chunk in the offset table lies inside the file and holds lines of the picture."""
    if table + 8 * chunks > len(data):
        return False
    for offset in struct.unpack_from(f"<{chunks}Q", data, table):
        if offset < table + 8 * chunks or offset + 8 > len(data):
            return False
        y, size = struct.unpack_from("<ii", data, offset)
        if not y_min <= y <= y_max or size < 0 or offset + 8 + size > len(data):
            return False
    return True


def plain_exr(data: bytes) -> PlainExr | None:
    """The picture's layout when FFmpeg's decoder reads ``data`` exactly, else None."""
    try:
        parsed = _header(data)
        if parsed is None:
            return None
        attributes, table = parsed
        channels = _channels(attributes["channels"])
        compression = attributes["compression"][0]
        data_window = struct.unpack("<4i", attributes["dataWindow"])
        display_window = struct.unpack("<4i", attributes["displayWindow"])
    except (KeyError, ValueError, IndexError, struct.error):
        return None
    if set(channels) not in ({"R", "G", "B"}, {"R", "G", "B", "A"}):
        return None
    kinds = set(channels.values())
    if len(kinds) != 1:
        return None
    ((pixel_type, x_sampling, y_sampling),) = kinds
    if pixel_type not in (HALF, FLOAT) or (x_sampling, y_sampling) != (1, 1):
        return None
    if compression not in FAST_COMPRESSIONS:
        return None
    x_min, y_min, x_max, y_max = data_window
    if data_window != display_window or x_max < x_min or y_max < y_min:
        return None
    height = y_max - y_min + 1
    lines = FAST_COMPRESSIONS[compression]
    if not _complete(data, table, -(-height // lines), y_min, y_max):
        return None
    return PlainExr(x_max - x_min + 1, height, pixel_type, "A" in channels)
