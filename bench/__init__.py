"""Side-by-side benchmarks: each module measures OnePiece beside its named peer.

OnePiece is measured as ``pip install`` leaves it: its modules byte-compiled.
The development checkout runs from ``src/``, and where ``PYTHONDONTWRITEBYTECODE``
is set (as on these machines) every process of a run would otherwise compile
OnePiece from source again, about 0.1 s of each command's start that no
installed copy pays. Compiling here (only what changed) keeps any
``python -m bench.NAME`` run honest, not only ``make bench``.
"""

import compileall
from pathlib import Path

import onepiece

compileall.compile_dir(Path(onepiece.__file__).parent, quiet=1)
