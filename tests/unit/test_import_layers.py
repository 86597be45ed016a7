"""The layers of docs/architecture.md, enforced: who may import whom under src/onepiece.

Every ``import`` and ``from ... import`` of our own modules counts, wherever it
sits (module top, inside a function, under ``TYPE_CHECKING``): a lazy import is
still a dependency. A module no rule names fails too, so a new room is placed
on purpose. Known breaches are listed in ``EXCEPTIONS``, each one named; an
entry that no longer matches fails, so the list can only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# Ports: the Protocols (``adapters/<port>/base.py``) and the farm registry, which
# holds built Farm objects and imports no adapter (bootstrap hands it factories).
PORTS = (
    "onepiece.adapters.trackers.base",
    "onepiece.adapters.trackers.review_media",  # an optional capability beside the port
    "onepiece.adapters.storage.base",
    "onepiece.adapters.farms.base",
    "onepiece.adapters.farms.registry",
)
# Shared by every layer: the exception tree, the atomic-write helpers, the
# process-liveness check and the mount table's filesystem types.
KERNEL = ("onepiece.errors", "onepiece.atomicio", "onepiece.processes", "onepiece.filesystems")

# Room (module prefix, longest match wins) -> what it may import besides itself.
# "onepiece" alone is the package root (``__version__``).
RULES: dict[str, tuple[str, ...]] = {
    "onepiece.domain": ("onepiece.errors",),
    "onepiece.errors": (),
    "onepiece.atomicio": ("onepiece.errors",),
    "onepiece.processes": (),
    "onepiece.filesystems": (),
    "onepiece.logs": (),  # where log lines go, for the CLI and each serve worker
    "onepiece.events": (),
    "onepiece.config": ("onepiece.errors",),
    "onepiece.state": (
        *KERNEL,
        "onepiece.domain",
        "onepiece.config",
    ),  # paths and URLs from settings
    **{port: ("onepiece.errors", "onepiece.domain", *PORTS) for port in PORTS},
    # Concrete adapters: see ADAPTER_PACKAGES for which adapter modules each may use.
    "onepiece.adapters": (*KERNEL, "onepiece.domain", "onepiece.config", "onepiece"),
    "onepiece.services": (
        *KERNEL,
        *PORTS,
        "onepiece.domain",
        "onepiece.state",
        "onepiece.config",
        "onepiece.events",
        "onepiece",
    ),
    "onepiece.cli": (
        *PORTS,  # to name what bootstrap hands over, never to build it
        "onepiece.errors",
        "onepiece.services",
        "onepiece.bootstrap",
        "onepiece.domain",
        "onepiece.config",
        "onepiece.web.server",  # `onepiece serve` starts the web service
        "onepiece.web.client",  # `onepiece render --server` talks to one
        "onepiece.demo",  # `onepiece demo` runs the demo
        "onepiece.logs",
        "onepiece",
    ),
    "onepiece.web": (
        *PORTS,
        "onepiece.errors",
        "onepiece.services",
        "onepiece.bootstrap",
        "onepiece.domain",
        "onepiece.config",
        "onepiece.events",  # streams subscribe to the container's broker
        "onepiece.logs",  # each `serve --workers` process sets up its own
        "onepiece",
    ),
    # The web's typed dependencies name what the container hands out, stores included.
    "onepiece.web.deps": (
        *PORTS,
        "onepiece.errors",
        "onepiece.services",
        "onepiece.bootstrap",
        "onepiece.config",
        "onepiece.events",
        "onepiece.state",
        "onepiece.web",
    ),
    # The composition root: the only room that builds adapters (by module path, see
    # bootstrap.TRACKERS/STORAGES/FARMS) and the only one the edges ask for objects.
    "onepiece.bootstrap": (
        *KERNEL,
        *PORTS,
        "onepiece.config",
        "onepiece.events",
        "onepiece.services",
        "onepiece.state",
        "onepiece.domain",
    ),
    # The built-in renderer, run as its own process.
    "onepiece.render_builtin": (*KERNEL, "onepiece.domain"),
    "onepiece.samples": (*KERNEL, "onepiece.domain"),  # sample deliveries for the demo
    "onepiece.demo": ("onepiece.cli", "onepiece.samples"),  # runs the CLI as subprocesses
    "onepiece.__main__": ("onepiece.cli",),
    "onepiece": (),
}

# Known breaches, (importer, imported): each is debt to remove, never to add to.
EXCEPTIONS: set[tuple[str, str]] = {
    # Kitsu takes ShotGrid's retry limits ("the same policy as ShotGrid"); the
    # policy's generic part belongs beside the tracker port.
    ("onepiece.adapters.trackers.kitsu.session", "onepiece.adapters.trackers.shotgrid.retry"),
    # Services reaching concrete adapters.
    ("onepiece.services.ingest.transfer", "onepiece.adapters.storage.streaming"),
    ("onepiece.services.mhl.verify", "onepiece.adapters.storage.streaming"),
    ("onepiece.services.reconcile.storage", "onepiece.adapters.storage.local.layout"),
    ("onepiece.services.reconcile.storage", "onepiece.adapters.storage.local.storage"),
    ("onepiece.services.reconcile.storage", "onepiece.adapters.storage.s3.errors"),
    ("onepiece.services.reconcile.storage", "onepiece.adapters.storage.s3.storage"),
    ("onepiece.services.sync.checks", "onepiece.adapters.storage.s3.errors"),
    ("onepiece.services.sync.checks", "onepiece.adapters.storage.s3.client"),
    ("onepiece.services.sync.s3", "onepiece.adapters.storage.s5cmd"),
}

ADAPTER_PORTS = ("trackers", "storage", "farms")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Our modules that ``path`` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importer's package
                package = module_name(path).split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                base = package[: len(package) - node.level + 1]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                found.update(from_import(node.module, [alias.name for alias in node.names]))
    return {name for name in found if name == "onepiece" or name.startswith("onepiece.")}


def from_import(module: str, names: list[str]) -> set[str]:
    """``from a import b``: ``a.b`` when b is a module, else ``a``."""
    folder = Path(SRC, *module.split("."))
    submodules = {
        f"{module}.{name}"
        for name in names
        if (folder / f"{name}.py").is_file() or (folder / name).is_dir()
    }
    return submodules if len(submodules) == len(names) else submodules | {module}


def within(module: str, prefix: str) -> bool:
    return module == prefix or (prefix != "onepiece" and module.startswith(prefix + "."))


def room_of(module: str) -> str | None:
    matches = [prefix for prefix in RULES if within(module, prefix)]
    return max(matches, key=len) if matches else None


def adapter_may_import(importer: str, imported: str) -> bool:
    """An adapter uses its own package, its port and the helpers beside the port
    (``adapters/<port>/*.py``), never another adapter or another port's modules."""
    mine, theirs = importer.split("."), imported.split(".")
    if len(mine) < 3 or len(theirs) < 3 or theirs[2] not in ADAPTER_PORTS or mine[2] != theirs[2]:
        return False
    own_package = ".".join(mine[:4])
    beside_port = len(theirs) == 4 and not Path(SRC, *theirs).is_dir()
    return within(imported, own_package) or beside_port


def allowed(importer: str, imported: str) -> bool:
    room = room_of(importer)
    assert room is not None
    if within(imported, room) and room != "onepiece":
        # Inside its own room, except adapters, which keep to their own package.
        return room != "onepiece.adapters" or adapter_may_import(importer, imported)
    if room == "onepiece.adapters" and within(imported, "onepiece.adapters"):
        return adapter_may_import(importer, imported)
    return any(within(imported, target) for target in RULES[room])


def layer_breaches(src: Path = SRC) -> set[tuple[str, str]]:
    breaches = set()
    for path in sorted((src / "onepiece").rglob("*.py")):
        importer = module_name(path)
        for imported in imported_modules(path):
            if not allowed(importer, imported):
                breaches.add((importer, imported))
    return breaches


def test_every_module_belongs_to_a_room() -> None:
    unplaced = [
        module_name(path)
        for path in (SRC / "onepiece").rglob("*.py")
        if room_of(module_name(path)) is None
    ]
    assert not unplaced, f"add these to RULES in {__file__}: {unplaced}"


def test_imports_follow_the_layers() -> None:
    new = sorted(layer_breaches() - EXCEPTIONS)
    assert not new, (
        "imports that break docs/architecture.md (go through a port or bootstrap): "
        + "; ".join(f"{importer} imports {imported}" for importer, imported in new)
    )


def test_exceptions_only_shrink() -> None:
    gone = sorted(EXCEPTIONS - layer_breaches())
    assert not gone, f"fixed, remove from EXCEPTIONS: {gone}"


def test_a_service_importing_a_concrete_adapter_is_caught() -> None:
    assert not allowed("onepiece.services.ingest.scan", "onepiece.adapters.storage.s3.storage")
    assert not allowed("onepiece.web.routers.jobs", "onepiece.adapters.farms.local.farm")
    assert not allowed("onepiece.adapters.storage.s3.storage", "onepiece.adapters.storage.local")
    assert not allowed("onepiece.adapters.trackers.local.db", "onepiece.adapters.storage.base")
    assert not allowed("onepiece.domain.naming", "onepiece.config")
    assert allowed("onepiece.services.ingest.scan", "onepiece.adapters.storage.base")
    assert allowed("onepiece.adapters.storage.s3.storage", "onepiece.adapters.storage.streaming")
