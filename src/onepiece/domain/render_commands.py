"""Command-line renderer templates per DCC, and how to read their progress.

A template is one command line with placeholders, e.g.
``blender -b {scene} -o {output} -s {start} -e {end} -j {step} -a``. It is
split with shlex FIRST and each word formatted AFTER, so a scene path with
spaces or quotes stays one argument and nothing is ever run through a shell.
Studios override templates under ``[render.commands]`` in onepiece.toml.

Placeholders: scene, output, output_dir, start, end, step, frames (the chunk
as a frame set, ``1-10x2``), frame_list (``1,3,5``), chunk (index), job (farm
job id), python (this interpreter, for the built-in renderer).
"""

from __future__ import annotations

import re
import shlex
import string
from collections.abc import Mapping
from dataclasses import dataclass

from onepiece.domain.frames import Chunk
from onepiece.errors import ConfigError, JobRejected

# hython -c: sys.argv is ['-c', scene, rop, start, end, step, output].
_HOUDINI_CODE = (
    "import hou,sys; a=sys.argv; hou.hipFile.load(a[1]); "
    "hou.node(a[2]).render(frame_range=(int(a[3]),int(a[4]),int(a[5])), output_file=a[6])"
)

DEFAULT_COMMANDS: dict[str, str] = {
    "builtin": "{python} -m onepiece.render_builtin {scene} -o {output} -s {start} -e {end} "
    "-j {step}",
    "blender": "blender -b {scene} -o {output} -s {start} -e {end} -j {step} -a",
    "maya": "Render -s {start} -e {end} -b {step} -rd {output_dir} {scene}",
    "nuke": "nuke -x -F {start}-{end}x{step} {scene}",
    "houdini": f'hython -c "{_HOUDINI_CODE}" {{scene}} /out/mantra1 {{start}} {{end}} '
    "{step} {output}",
    "katana": "katana --batch --katana-file={scene} --render-node=Render -t {frame_list}",
}

# One match = one frame finished. Group 1, when present, is the frame number.
PROGRESS_PATTERNS: dict[str, str] = {
    "builtin": r"^frame (-?\d+) done",
    "blender": r"^Saved: '",
    "maya": r"Finished Rendering",
    "nuke": r"^Writing .+ took",
    "houdini": r"(?i)^\s*rendering frame (-?\d+)",
    "katana": r"(?i)render (?:of )?frame (-?\d+) (?:finished|done)",
}
GENERIC_PROGRESS = r"(?i)^frame (-?\d+) done"

PLACEHOLDERS = frozenset(
    {
        "scene",
        "output",
        "output_dir",
        "start",
        "end",
        "step",
        "frames",
        "frame_list",
        "chunk",
        "job",
        "python",
    }
)


@dataclass(frozen=True)
class ChunkCommand:
    chunk: Chunk
    argv: list[str]


def templates(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Built-in templates merged with the configured ones (configured win)."""
    return {**DEFAULT_COMMANDS, **{k.lower(): v for k, v in (overrides or {}).items()}}


def progress_pattern(dcc: str) -> re.Pattern[str]:
    return re.compile(PROGRESS_PATTERNS.get(dcc.lower(), GENERIC_PROGRESS))


def check_template(dcc: str, template: str) -> list[str]:
    """Split a template and refuse unknown placeholders. Returns the words."""
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise ConfigError(
            f"render command for {dcc!r} is not a valid command line: {exc}",
            hint="check the quotes in [render.commands] in onepiece.toml",
        ) from exc
    if not words:
        raise ConfigError(f"render command for {dcc!r} is empty")
    for word in words:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(word) if f is not None]
        except ValueError as exc:
            raise ConfigError(
                f"render command for {dcc!r} has unbalanced braces in {word!r}",
                hint="write a literal brace as {{ or }}",
            ) from exc
        unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
        if unknown:
            raise ConfigError(
                f"render command for {dcc!r} uses unknown placeholder(s) {unknown}",
                hint=f"placeholders: {', '.join(sorted(PLACEHOLDERS))}",
            )
    return words


def build_commands(
    dcc: str,
    template_map: Mapping[str, str],
    *,
    chunks: list[Chunk],
    scene: str,
    output: str,
    job: str,
    python: str,
) -> list[ChunkCommand]:
    """One argv per chunk. Raises JobRejected for a DCC without a template."""
    key = dcc.lower()
    if key not in template_map:
        raise JobRejected(
            f"no render command for DCC {dcc!r}",
            hint=f"use one of {sorted(template_map)} or add it under [render.commands]",
            context={"dcc": dcc},
        )
    words = check_template(key, template_map[key])
    output_dir = output.rsplit("/", 1)[0] if "/" in output else "."
    commands = []
    for chunk in chunks:
        values = {
            "scene": scene,
            "output": output,
            "output_dir": output_dir,
            "start": chunk.start,
            "end": chunk.end,
            "step": chunk.step,
            "frames": chunk.frame_set,
            "frame_list": ",".join(str(f) for f in chunk.frames),
            "chunk": chunk.index,
            "job": job,
            "python": python,
        }
        commands.append(ChunkCommand(chunk, [word.format(**values) for word in words]))
    return commands
