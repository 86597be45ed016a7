"""A renders folder's own ASC MHL history, continued by the package ``dcc publish`` builds.

A render farm or a DIT may run ``ascmhl create`` on the renders: its
``ascmhl/`` folder is read (chain checked: a broken chain is an
IntegrityError) and never published as render files; each listed render is
checked against its hash while it is copied, and the package's history
carries the renders' generations with ours on top (``renders/<path>`` was
``<path>`` in the renders' tree).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onepiece.domain.delivery import Custody
from onepiece.domain.mhl import CHECK_ORDER
from onepiece.services.mhl.custody import KeptHistory, from_folder
from onepiece.services.mhl.history import MhlSource, read_history

RENDERS = "renders/"  # where the renders go inside the package


@dataclass
class RendersHistory:
    source: MhlSource
    kept: KeptHistory

    def expected(self, package_path: str) -> tuple[str, str] | None:
        """(format, digest) the renders' history records for a file of the package."""
        if not package_path.startswith(RENDERS):
            return None
        entry = self.source.expected.get(package_path.removeprefix(RENDERS))
        if entry is None:
            return None
        algorithm = next(a for a in CHECK_ORDER if a in entry.hashes)
        return algorithm, entry.hashes[algorithm]

    def custody(self, package_path: str) -> Custody | None:
        if not package_path.startswith(RENDERS):
            return None
        return Custody(self.kept.ref, package_path.removeprefix(RENDERS))


def renders_history(renders: Path) -> RendersHistory | None:
    source = read_history(renders)
    if source is None:
        return None
    return RendersHistory(source, from_folder(renders, source.chain, source.lists))
