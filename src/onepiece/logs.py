"""Where log lines go: stderr, our INFO lines, third-party chatter only with debug."""

from __future__ import annotations

import sys


def configure_logging(debug: bool) -> None:
    """Our own INFO lines (retries, warnings) reach stderr; third-party chatter
    (botocore's credential notices, ...) only with ``debug``. Also run by each
    ``serve --workers`` process, which starts without the CLI."""
    import logging  # here, not at the top: --help never needs it (~13 ms)

    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("onepiece").setLevel(logging.DEBUG if debug else logging.INFO)
    # pycue logs its own warning for every channel it cannot open; our error
    # line already says that Cuebot is unreachable, once.
    logging.getLogger("opencue").setLevel(logging.DEBUG if debug else logging.ERROR)
