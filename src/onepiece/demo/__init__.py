"""``onepiece demo`` (and ``make demo``): the whole product on the embedded defaults.

In a fresh workspace with its own HOME and XDG dirs (nothing configured, none
of the user's settings read or written), the real CLI runs the story a studio
lives every day, each command printed as a user would type it:

1. a vendor delivery with real media (``onepiece.samples``), ingested with
   progress, a deliberate checksum error caught, then the rerun that resumes;
2. review: Versions approved, a dailies playlist built;
3. a client delivery of the approved Versions (ZIP + manifests) and the
   playlist packaged;
4. a render job on the local farm (the built-in renderer, real processes);
5. Trafalgar serving the workspace: the URLs of both pages and a token made
   for this run. It stays in the foreground until Ctrl-C, or, with
   ``--no-serve`` or ``CI=true``, the pages are checked and the server stopped.

Exit 0 when every step did what it says, 1 (naming the step) otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from onepiece.demo.runner import StepFailed, Workspace, say

DEFAULT_PORT = 8000


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="onepiece demo", description="The whole product on the embedded defaults."
    )
    parser.add_argument(
        "workspace",
        nargs="?",
        type=Path,
        help="a new or empty folder for the demo (default: a new temporary folder)",
    )
    parser.add_argument(
        "--no-serve",
        action="store_true",
        help="check the pages, then stop Trafalgar and exit (the default when CI=true)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="Trafalgar's port (busy: any free one)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from onepiece.demo.serve import serve
    from onepiece.demo.steps import all_steps, expected_state

    options = parse(sys.argv[1:] if argv is None else argv)
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    root = options.workspace or Path(tempfile.mkdtemp(prefix="onepiece-demo-"))
    started = time.monotonic()
    try:
        workspace = Workspace.create(root)
        say(f"OnePiece demo in {workspace.root} (its own HOME: nothing of yours is touched)")
        all_steps(workspace)
        foreground = not (options.no_serve or in_ci)
        serve(
            workspace,
            foreground=foreground,
            port=options.port if foreground else 0,  # a check needs any free port
            expected=expected_state(),
        )
    except StepFailed as failure:
        print(f"\ndemo FAILED: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo interrupted", file=sys.stderr)
        return 130
    say(f"\ndemo OK: every step did what it says ({time.monotonic() - started:.0f} s)")
    return 0
