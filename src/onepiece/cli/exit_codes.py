"""Documented exit codes (docs/cli_walkthroughs.md#exit-codes lists them).

Kept free of imports so the CLI can map errors without loading anything heavy.
"""

OK = 0
INTERNAL = 1  # a bug: please report it with --debug output
USAGE = 2  # bad command line (Typer/Click usage message)
CONFIG = 3  # configuration missing or malformed
VALIDATION = 4  # invalid input: names, manifests, CSV rows, frames
INTEGRITY = 5  # checksum mismatch or incomplete data
TRACKER = 6  # production tracker unreachable or refused
STORAGE = 7  # storage or transfer failure
FARM = 8  # render farm failure
NOTHING_TO_DO = 9  # nothing matched (e.g. nothing to deliver)
DIFFERENCES = 10  # a comparison found differences (validate reconcile)
INTERRUPTED = 130  # Ctrl-C
