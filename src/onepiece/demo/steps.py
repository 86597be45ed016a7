"""The demo's story, one function per step, each on the real CLI.

Every step prints the commands a user would type and their real output, then
checks their effect (tracker, storage, delivery folder, render history), so
the demo fails loudly, naming the step, when the product does not do what the
story says.
"""

from __future__ import annotations

import json
import zipfile

from onepiece.cli import exit_codes
from onepiece.demo.runner import Workspace, check, heading, onepiece, query, say
from onepiece.samples import make_delivery, manifest_rows, write_manifest

PROJECT, SHOW = "demo", "FG"
APPROVED = ("FG_ep010_sc02_0020_comp_v002", "FG_ep010_sc02_0100_plate_v001")
DAILIES = ("FG_ep010_sc02_0010_comp_v001", "FG_ep010_sc02_0030_comp_v003")
RENDER_FRAMES = 24


def ingest(ws: Workspace) -> None:
    step = "step 1 (ingest)"
    heading(1, "A vendor delivery with real media, ingested, then the rerun that resumes")
    delivery = make_delivery(ws.root / "delivery")
    assert delivery.manifest is not None
    say(
        f"\nThe vendor delivered {len(delivery.files)} files in delivery/: three QuickTime "
        f"clips and an OpenEXR plate sequence (frames {delivery.missing_frames} missing on "
        f"purpose), with {delivery.manifest.name}, whose md5 for {delivery.bad_checksum} is "
        "wrong on purpose. Expect the mismatch to be caught (exit 5) and everything else to go in."
    )
    command = ("ingest", "delivery", "-p", PROJECT, "-s", SHOW)
    onepiece(
        ws,
        step,
        *command,
        "--manifest",
        delivery.manifest.name,
        expect=exit_codes.INTEGRITY,
        shows=(
            "3 registered",
            "11 uploaded",
            "1 checksum mismatch(es)",
            f"frames {delivery.missing_frames} missing",
        ),
    )
    fixed = ws.root / "delivery_manifest_fixed.csv"
    write_manifest(fixed, manifest_rows(delivery.folder, delivery.files), "csv")
    say(
        f"\nThe vendor re-sends the manifest with the right checksum ({fixed.name}). The same "
        "command resumes: the 11 stored files are verified and skipped, only the clip that "
        "failed is sent and registered."
    )
    onepiece(
        ws,
        step,
        *command,
        "--manifest",
        fixed.name,
        "--report-path",
        "ingest-report.csv",
        shows=("1 registered, 3 already registered", "1 uploaded, 11 skipped"),
    )
    versions = query(ws, step, "shotgrid", "versions", "list", "-p", PROJECT)["versions"]
    check(len(versions) == 4, step, f"the tracker holds {len(versions)} Versions, expected 4")


def review(ws: Workspace) -> None:
    step = "step 2 (review)"
    heading(2, "Review: the supervisor approves Versions and builds a dailies playlist")
    onepiece(ws, step, "shotgrid", "versions", "list", "-p", PROJECT, shows=APPROVED)
    onepiece(
        ws, step, "shotgrid", "versions", "set-status", *APPROVED, "-p", PROJECT, "--status", "apr"
    )
    onepiece(
        ws,
        step,
        "shotgrid",
        "playlists",
        "create",
        "dailies",
        "-p",
        PROJECT,
        "--version",
        DAILIES[0],
    )
    onepiece(ws, step, "shotgrid", "playlists", "add", "dailies", *DAILIES[1:], "-p", PROJECT)
    onepiece(ws, step, "shotgrid", "playlists", "show", "dailies", "-p", PROJECT, shows=DAILIES)
    approved = query(
        ws, step, "shotgrid", "versions", "list", "-p", PROJECT, "--status", "approved"
    )["versions"]
    codes = sorted(version["code"] for version in approved)
    check(codes == sorted(APPROVED), step, f"approved Versions are {codes}")


def deliver(ws: Workspace) -> None:
    step = "step 3 (delivery)"
    heading(3, "Client delivery of the approved Versions, and the playlist packaged for review")
    onepiece(
        ws,
        step,
        "shotgrid",
        "deliver",
        "-p",
        PROJECT,
        "--context",
        "client_out",
        "--output",
        "out/FG_client.zip",
        "--manifest",
        "out/FG_client",
        shows=("FG_client.zip",),
    )
    archive = ws.root / "out" / "FG_client.zip"
    with zipfile.ZipFile(archive) as opened:
        check(opened.testzip() is None, step, "the ZIP does not verify")
        names = opened.namelist()
    for code in APPROVED:
        check(any(code in name for name in names), step, f"{code} is not in the ZIP")
    entries = json.loads((ws.root / "out" / "FG_client.json").read_text(encoding="utf-8"))
    check(bool(entries), step, "the JSON manifest beside the ZIP is empty")
    onepiece(
        ws,
        step,
        "shotgrid",
        "package-playlist",
        "-p",
        PROJECT,
        "--playlist",
        "dailies",
        "--destination",
        "outbox",
        "--recipient",
        "client",
        shows=("packaged 2 files",),
    )
    package = ws.root / "outbox" / f"{PROJECT}_dailies_client"
    packaged = sorted(path.name for path in package.rglob("*.mov"))
    check(packaged == [f"{code}.mov" for code in DAILIES], step, f"package holds {packaged}")
    say(f"\n{archive.relative_to(ws.root)}: {len(names)} entries, verified; {package.name}/ ready")


def render(ws: Workspace) -> None:
    step = "step 4 (render)"
    heading(4, "A render job on the local farm: real renderer processes, one per chunk")
    scene = ws.root / "scenes" / "sh010_lighting.json"
    scene.parent.mkdir(parents=True, exist_ok=True)
    # The built-in renderer's scene: image size and a little render time per frame.
    scene.write_text(json.dumps({"width": 320, "height": 180, "delay": 0.05}) + "\n")
    say(f"\nscene written by the demo: {scene.relative_to(ws.root)} (the built-in renderer's)")
    onepiece(ws, step, "render", "farms")
    onepiece(
        ws,
        step,
        "render",
        "submit",
        "--dcc",
        "builtin",
        "--scene",
        "scenes/sh010_lighting.json",
        "--frames",
        f"1-{RENDER_FRAMES}",
        "--output",
        "renders/sh010/beauty.####.png",
        "--chunk-size",
        "8",
        "--wait",
        shows=("succeeded",),
    )
    frames = sorted((ws.root / "renders" / "sh010").glob("beauty.*.png"))
    check(len(frames) == RENDER_FRAMES, step, f"{len(frames)} frames rendered")
    check(frames[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", step, "frames are not PNG")
    onepiece(ws, step, "render", "list", shows=("succeeded",))


def all_steps(ws: Workspace) -> None:
    for run in (ingest, review, deliver, render):
        run(ws)


__all__ = ["all_steps", "ingest", "review", "deliver", "render"]


def expected_state() -> tuple[int, int, int]:
    """What Trafalgar must show after the steps: Versions, finished render jobs, ingest runs."""
    return 4, 1, 2
