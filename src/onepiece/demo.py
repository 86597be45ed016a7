"""``make demo``: run the main job on the embedded defaults in a scratch data dir."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def main() -> int:
    workdir = tempfile.mkdtemp(prefix="onepiece-demo-")
    env = {**os.environ, "XDG_DATA_HOME": os.path.join(workdir, "data")}
    print(f"demo workspace: {workdir}", file=sys.stderr)
    return subprocess.call([sys.executable, "-m", "onepiece", "info", "--check"], env=env)


if __name__ == "__main__":
    raise SystemExit(main())
