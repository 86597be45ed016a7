"""``dcc open-shot``: open a scene file in its DCC, detached from the terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from onepiece.config import Settings
from onepiece.domain.dcc import DCC_BATCH_TOOLS, DCC_EXECUTABLES, check_dcc, dcc_for_file
from onepiece.errors import ConfigError, ValidationError


@dataclass(frozen=True)
class Launched:
    dcc: str
    executable: str
    scene: str
    pid: int


def find_executable(dcc: str, settings: Settings) -> str:
    """The configured executable (name or path) or the first interactive one on PATH.

    A batch tool (Maya's ``Render``, Houdini's ``hython``) would run the scene and
    exit, and we would report it "opened": it is refused, configured or found.
    """
    configured = settings.dcc.executables.get(dcc)
    batch = DCC_BATCH_TOOLS.get(dcc, [])
    hint = f'set [dcc.executables] {dcc} = "/path/to/{DCC_EXECUTABLES[dcc][0]}" in onepiece.toml'
    if configured and Path(configured).name in batch:
        raise ConfigError(
            f"dcc.executables.{dcc} = {configured!r} is a batch tool that cannot open a scene",
            hint=hint,
        )
    candidates = [configured] if configured else DCC_EXECUTABLES[dcc]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    where = f"dcc.executables.{dcc} = {configured!r}" if configured else "PATH"
    batch_found = [name for name in batch if shutil.which(name)]
    only = f"; found only {', '.join(batch_found)}, which cannot open a scene" * bool(batch_found)
    raise ConfigError(
        f"{dcc} is not installed (looked for {', '.join(candidates)} on {where}){only}",
        hint=hint,
    )


def open_shot(shot: Path, settings: Settings, dcc: str | None = None) -> Launched:
    """Launch the DCC on ``shot`` in its own session, stdio to /dev/null."""
    scene = shot.expanduser()
    if not scene.exists():
        raise ValidationError(f"scene file {scene} does not exist")
    if not scene.is_file():
        raise ValidationError(f"{scene} is not a file")
    name = check_dcc(dcc) if dcc else dcc_for_file(scene.name)
    executable = find_executable(name, settings)
    try:
        # A new session: closing the terminal (or Ctrl-C) does not take the DCC down.
        process = subprocess.Popen(
            [executable, str(scene.resolve())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            cwd=str(scene.resolve().parent),
            env=dict(os.environ),
        )
    except OSError as exc:
        raise ConfigError(f"cannot start {executable}: {exc.strerror or exc}") from exc
    return Launched(name, executable, str(scene.resolve()), process.pid)
