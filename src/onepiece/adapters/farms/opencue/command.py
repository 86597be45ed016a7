"""The command line of an OpenCue layer, from the DCC templates in ``[render.commands]``.

The templates, their defaults and their checks are the local farm's
(``domain/render_commands.py``), so one ``[render.commands]`` table serves
both farms. On OpenCue the per-chunk values are Cuebot's command tokens,
replaced when a chunk is dispatched:

=============  ==================  =========================================
placeholder    becomes             meaning
=============  ==================  =========================================
``start``      ``#FRAME_START#``   first frame of the chunk
``end``        ``#FRAME_END#``     last frame of the chunk
``frames``     ``#FRAMESPEC#``     the chunk's frames as a frame set
``frame_list`` ``#FRAMESPEC#``     (OpenCue has no comma-list token)
``chunk``      ``#IFRAME#``        the chunk's first frame (unique per chunk)
``job``        ``#JOB#``           the OpenCue job name
``step``       the range's step    from the submitted frame set (1 if mixed)
``python``     ``python3``         the render hosts' interpreter
=============  ==================  =========================================

A chunk of a frame set with gaps (``1-10,20-30``) spans the gap between
``#FRAME_START#`` and ``#FRAME_END#``; templates that take ``{frames}``
render exactly the chunk's frames. ``[dcc.executables]`` is not applied:
those are paths on this machine, not on the render hosts. The template's
words are quoted back into one shell command line, Cuebot's tokens left
bare so the command reads as it will run.
"""

from __future__ import annotations

import re
import shlex

from onepiece.domain.render import JobRequest
from onepiece.domain.render_commands import check_template, templates
from onepiece.errors import JobRejected

TOKENS = {
    "start": "#FRAME_START#",
    "end": "#FRAME_END#",
    "frames": "#FRAMESPEC#",
    "frame_list": "#FRAMESPEC#",
    "chunk": "#IFRAME#",
    "job": "#JOB#",
    "python": "python3",
}

_STEPPED = re.compile(r"^-?\d+--?\d+x(\d+)$")
_TOKEN = re.compile(r"#(?:FRAME_START|FRAME_END|FRAMESPEC|IFRAME|JOB)#")
_SAFE = re.compile(r"^[\w@%+=:,./-]*$")


def _quote(word: str) -> str:
    """shlex.quote, but a word made only of Cuebot tokens and safe characters stays bare.

    Cuebot swaps the tokens for frame numbers and names before the command
    runs, so ``-s #FRAME_START#`` reads as it will run (``-s 1001``).
    """
    return word if word and _SAFE.match(_TOKEN.sub("", word)) else shlex.quote(word)


def uniform_step(frames: str) -> int:
    """The step shared by every range of a frame set (``1-99x2,101-199x2`` -> 2), else 1."""
    steps = set()
    for item in "".join(frames.split()).split(","):
        match = _STEPPED.match(item)
        steps.add(int(match.group(1)) if match else 1)
    return steps.pop() if len(steps) == 1 else 1


def command_for(request: JobRequest, configured: dict[str, str]) -> str:
    """The layer's shell command. Raises JobRejected (unknown DCC) or ConfigError (template)."""
    known = templates(configured)
    dcc = request.dcc.lower()
    if dcc not in known:
        raise JobRejected(
            f"no render command for DCC {request.dcc!r}",
            hint=f"use one of {sorted(known)} or add it under [render.commands]",
            context={"dcc": request.dcc},
        )
    output = request.output
    values = {
        **TOKENS,
        "scene": request.scene,
        "output": output,
        "output_dir": output.rsplit("/", 1)[0] if "/" in output else ".",
        "step": uniform_step(request.frames),
    }
    return " ".join(_quote(word.format(**values)) for word in check_template(dcc, known[dcc]))
