"""The ASC's reference MHL tool (``ascmhl`` 1.2), run from its own venv (make install)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

TOOL_BIN = Path(__file__).resolve().parents[1] / ".venv-ascmhl" / "bin"
# The spec's schemas (ascmhl 1.2 looks for them relative to the working folder).
XSD = Path(__file__).resolve().parent / "data" / "ascmhl_xsd"


def tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    binary = TOOL_BIN / name
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `make install` (it builds the ascmhl venv)")
    return subprocess.run(
        [str(binary), *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )
