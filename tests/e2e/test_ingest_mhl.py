"""ASC MHL both ways against the ASC's own reference tool (``ascmhl`` 1.2, its own venv).

Histories written by ``ascmhl create`` are verified by ``onepiece ingest``;
histories written by ``onepiece ingest --mhl-out`` pass ``ascmhl-debug verify``,
``ascmhl-debug xsd-schema-check``, ``ascmhl info`` and a further ``ascmhl create``.
No code of ours runs on the tool's side.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from onepiece.samples import SampleDelivery
from tests.ascmhl_tool import XSD, tool
from tests.e2e.conftest import Run
from tests.ingest_support import CLIP, SEQUENCE, data_dir

BASE = ("ingest", "--project", "demo", "--show-code", "FG")


def vendor_history(folder: Path) -> None:
    """Two generations from the reference tool: xxh64 first, then md5 added on top."""
    first = tool("ascmhl", "create", folder, "-h", "xxh64")
    assert first.returncode == 0, first.stdout + first.stderr
    second = tool("ascmhl", "create", folder, "-h", "md5")
    assert second.returncode == 0, second.stdout + second.stderr


def test_a_vendor_history_is_recognised_and_every_file_verified(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path
) -> None:
    vendor_history(clean_delivery.folder)

    result = onepiece(*BASE, str(clean_delivery.folder), "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["invalid"] == 0
    assert summary["counts"]["uploaded"] == len(clean_delivery.files)
    stored = data_dir(isolated_env) / "storage" / "vendor-in"
    assert not any("ascmhl" in p.parts for p in stored.rglob("*"))  # never ingested as media


def test_a_file_altered_after_ascmhl_create_is_a_mismatch(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    vendor_history(clean_delivery.folder)
    clip = clean_delivery.folder / CLIP
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
    clip.write_bytes(bytes(data))

    result = onepiece(*BASE, str(clean_delivery.folder))

    assert result.returncode == 5, result.stdout + result.stderr
    assert f"mismatch: {CLIP}: checksum mismatch: expected xxh64:" in result.stdout


def test_an_altered_generation_breaks_the_chain(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    vendor_history(clean_delivery.folder)
    generation = sorted((clean_delivery.folder / "ascmhl").glob("0001_*.mhl"))[0]
    generation.write_text(generation.read_text().replace("<hostname>", "<hostname>x"))

    result = onepiece(*BASE, str(clean_delivery.folder))

    assert result.returncode == 5, result.stdout + result.stderr
    assert "broken chain" in result.stderr
    assert "Traceback" not in result.stderr


def test_files_missing_from_the_list_or_the_folder_are_reported(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    vendor_history(clean_delivery.folder)
    extra = clean_delivery.folder / "FG_ep010_sc02_0040_comp_v001.mov"
    shutil.copy(clean_delivery.folder / CLIP, extra)
    (clean_delivery.folder / "plates" / f"{SEQUENCE}.1012.exr").unlink()

    result = onepiece(*BASE, str(clean_delivery.folder), "--dry-run")

    assert result.returncode == 4, result.stdout + result.stderr
    assert f"{extra.name}: not listed in the MHL" in result.stdout
    assert f"plates/{SEQUENCE}.1012.exr: listed in the MHL" in result.stdout


def test_onepiece_history_passes_the_reference_tool(
    onepiece: Run, clean_delivery: SampleDelivery, isolated_env: Path
) -> None:
    vendor_history(clean_delivery.folder)

    result = onepiece(*BASE, str(clean_delivery.folder), "--mhl-out", "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    bucket = data_dir(isolated_env) / "storage" / "vendor-in"
    generations = sorted((bucket / "ascmhl").glob("*.mhl"))
    assert len(generations) == 1
    assert json.loads(result.stdout)["mhl"].endswith(generations[0].name)
    text = generations[0].read_text()
    assert "<tool version=" in text and ">onepiece</tool>" in text
    assert "<xxh64 " in text and "<xxh3 " in text  # the vendor's format and ours

    for check in (
        tool("ascmhl-debug", "xsd-schema-check", generations[0], "-xsd", XSD / "ASCMHL.xsd"),
        tool(
            "ascmhl-debug",
            "xsd-schema-check",
            "-df",
            bucket / "ascmhl" / "ascmhl_chain.xml",
            "-xsd",
            XSD / "ASCMHLDirectory.xsd",
        ),
        tool("ascmhl-debug", "verify", bucket),
        tool("ascmhl", "info", bucket),
        tool("ascmhl", "create", bucket),  # checks every file against our generation
    ):
        assert check.returncode == 0, check.args + [check.stdout, check.stderr]
        assert "ERROR" not in check.stdout.upper() + check.stderr.upper(), check.stdout

    # A second ingest adds a generation on top of the chain the tool extended.
    again = onepiece(*BASE, str(clean_delivery.folder), "--mhl-out")
    assert again.returncode == 0, again.stdout + again.stderr
    generations = sorted((bucket / "ascmhl").glob("*.mhl"))
    assert [g.name[:4] for g in generations] == ["0001", "0002", "0003"]
    chain = (bucket / "ascmhl" / "ascmhl_chain.xml").read_text()
    assert all(g.name in chain for g in generations)
    verify = tool("ascmhl-debug", "verify", bucket)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_renamed_and_deleted_files_in_the_vendor_history(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    folder = clean_delivery.folder
    vendor_history(folder)
    renamed = "FG_ep010_sc02_0010_comp_v009.mov"
    (folder / CLIP).rename(folder / renamed)
    deleted = "FG_ep010_sc02_0030_comp_v003.mov"
    (folder / deleted).unlink()
    # The tool records the rename, and says the deleted file is missing (exit 10)
    # while still writing the generation of the whole folder without it.
    third = tool("ascmhl", "create", folder, "-h", "c4", "-dr")
    assert third.returncode == 10, third.stdout + third.stderr
    assert f"<previousPath>{CLIP}</previousPath>" in "".join(
        p.read_text() for p in (folder / "ascmhl").glob("0003_*.mhl")
    )

    result = onepiece(*BASE, str(folder), "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert counts["uploaded"] == len(clean_delivery.files) - 1
    assert counts["invalid"] == 0


def test_card_folders_with_their_own_history_and_a_loose_v1_list(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    folder = clean_delivery.folder
    plates = tool("ascmhl", "create", folder / "plates", "-h", "xxh128")  # the card's own
    assert plates.returncode == 0, plates.stdout + plates.stderr
    rows = "".join(
        f"<hash><file>{clip.name}</file><md5>{hashlib.md5(clip.read_bytes()).hexdigest()}</md5>"
        "</hash>"
        for clip in sorted(folder.glob("*.mov"))
    )
    (folder / "clips.mhl").write_text(f'<hashlist version="1.1">{rows}</hashlist>')

    result = onepiece(*BASE, str(folder), "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["counts"]["uploaded"] == len(clean_delivery.files)

    frame = folder / "plates" / f"{SEQUENCE}.1001.exr"
    frame.write_bytes(frame.read_bytes()[::-1])
    check = onepiece("validate", "mhl", str(folder), "--format", "json")
    assert check.returncode == 10, check.stdout + check.stderr
    differences = json.loads(check.stdout)["differences"]
    assert [(d["kind"], d["path"]) for d in differences] == [
        ("mismatch", f"plates/{SEQUENCE}.1001.exr")
    ]


def test_files_the_vendor_history_ignores_are_ingested_unchecked(
    onepiece: Run, clean_delivery: SampleDelivery
) -> None:
    folder = clean_delivery.folder
    shutil.copy(folder / CLIP, folder / "FG_ep010_sc02_0040_comp_v001.mov")
    created = tool("ascmhl", "create", folder, "-h", "xxh64", "-i", "*_0040_*")
    assert created.returncode == 0, created.stdout + created.stderr

    result = onepiece(*BASE, str(folder), "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["counts"]["uploaded"] == len(clean_delivery.files) + 1
