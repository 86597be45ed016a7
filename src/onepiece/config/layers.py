"""Layered configuration: files, profiles, environment and flags, with sources.

Layers, lowest first: built-in defaults; user file
(``$XDG_CONFIG_HOME/onepiece/onepiece.toml``); project file (``onepiece.toml``
under ``ONEPIECE_PROJECT_ROOT``); workspace file (nearest ``onepiece.toml``
from the current folder upwards); the selected ``[profiles.NAME]`` from those
files; environment; command-line flags.

Every value remembers where it came from ("file:line", "env NAME", "--flag")
so ``onepiece profile --show-sources`` can say it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from onepiece.config.model import Settings
from onepiece.errors import ConfigError

CONFIG_NAME = "onepiece.toml"

# Documented environment names that do not follow ONEPIECE_<SECTION>_<KEY>.
ENV_ALIASES: dict[str, str] = {
    "ONEPIECE_INGEST_REGISTRY": "ingest.registry_path",
    "ONEPIECE_S3_ENDPOINT_URL": "storage.endpoint_url",
    "AWS_PROFILE": "storage.aws_profile",
    "AWS_DEFAULT_REGION": "storage.region",
}
ENV_PREFIX_SECTIONS = {"TRAFALGAR_": "trafalgar", "OPENCUE_": "opencue"}
# Variables that steer loading itself rather than setting a value.
ENV_META = {"ONEPIECE_PROJECT_ROOT", "ONEPIECE_PROFILE", "ONEPIECE_DEBUG"}


@dataclass
class ResolvedConfig:
    settings: Settings
    sources: dict[str, str]
    files: list[Path]
    profiles: list[str]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Layer:
    values: dict[str, Any]
    sources: dict[str, str]


def candidate_files(cwd: Path | None = None) -> list[tuple[str, Path]]:
    """The config files that exist, lowest precedence first, with their role."""
    found: list[tuple[str, Path]] = []
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    user = Path(xdg) / "onepiece" / CONFIG_NAME
    if user.is_file():
        found.append(("user", user))
    root = os.environ.get("ONEPIECE_PROJECT_ROOT")
    if root and (Path(root) / CONFIG_NAME).is_file():
        found.append(("project", Path(root) / CONFIG_NAME))
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            if all(candidate.resolve() != p.resolve() for _, p in found):
                found.append(("workspace", candidate))
            break
    return found


def _line_index(text: str) -> dict[str, int]:
    """Map dotted keys to the line that sets them (best effort, plain tables)."""
    index: dict[str, int] = {}
    table: list[str] = []
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    assign = re.compile(r"^\s*([A-Za-z0-9_.\"' -]+?)\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if match := header.match(line):
            table = [part.strip().strip("\"'") for part in match.group(1).split(".")]
        elif match := assign.match(line):
            key = [part.strip().strip("\"'") for part in match.group(1).split(".")]
            index[".".join(table + key)] = number
    return index


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def read_toml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        bad_line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{bad_line} is not UTF-8 text",
            hint="save the file as UTF-8, as TOML requires",
            context={"file": str(path)},
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"{path}:{line.group(1)}" if line else str(path)
        raise ConfigError(
            f"malformed TOML in {where}: {exc}",
            hint="fix the syntax at that line; see docs/configuration.md",
            context={"file": str(path)},
        ) from exc
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, 100,000 nested arrays
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(":")[0]
        raise ConfigError(
            f"malformed TOML in {path}: {why}",
            hint="fix the value; see docs/configuration.md",
            context={"file": str(path)},
        ) from exc
    return data, _line_index(text)


def _file_layers(files: list[tuple[str, Path]], profile: str | None) -> tuple[_Layer, list[str]]:
    base = _Layer({}, {})
    profile_layer = _Layer({}, {})
    known_profiles: list[str] = []
    for _role, path in files:
        data, lines = read_toml(path)
        profiles = data.pop("profiles", {}) or {}
        for dotted, value in _flatten(data).items():
            base.values[dotted] = value
            base.sources[dotted] = f"{path}:{lines.get(dotted, '?')}"
        for name, overrides in profiles.items():
            if name not in known_profiles:
                known_profiles.append(name)
            if name != profile or not isinstance(overrides, Mapping):
                continue
            for dotted, value in _flatten(overrides).items():
                profile_layer.values[dotted] = value
                line = lines.get(f"profiles.{name}.{dotted}", "?")
                profile_layer.sources[dotted] = f"{path}:{line} [profiles.{name}]"
    if profile is not None and profile not in known_profiles:
        available = ", ".join(sorted(known_profiles)) or "none defined"
        raise ConfigError(
            f"unknown profile {profile!r}; profiles available: {available}",
            hint="define it under [profiles.NAME] in onepiece.toml or pick another",
        )
    base.values.update(profile_layer.values)
    base.sources.update(profile_layer.sources)
    return base, known_profiles


def _env_key(name: str) -> str | None:
    if name in ENV_ALIASES:
        return ENV_ALIASES[name]
    fields = Settings.model_fields
    for prefix, section in ENV_PREFIX_SECTIONS.items():
        if name.startswith(prefix):
            # TRAFALGAR_*/OPENCUE_* are shared with other tools (pycue reads
            # OPENCUE_CONFIG_FILE): take only the names we define, ignore the rest.
            key = name[len(prefix) :].lower()
            section_model = fields[section].annotation
            assert isinstance(section_model, type) and issubclass(section_model, BaseModel)
            return f"{section}.{key}" if key in section_model.model_fields else None
    if not name.startswith("ONEPIECE_") or name in ENV_META:
        return None
    rest = name[len("ONEPIECE_") :].lower()
    if "__" in rest:
        return rest.replace("__", ".")
    if rest in fields:
        return rest
    for section in sorted(fields, key=len, reverse=True):
        if rest.startswith(section + "_"):
            return f"{section}.{rest[len(section) + 1 :]}"
    return rest


def _env_layer(environ: Mapping[str, str]) -> _Layer:
    layer = _Layer({}, {})
    # Aliases first so the explicit ONEPIECE_* names win over AWS_* ones.
    for name in sorted(environ, key=lambda n: n.startswith("ONEPIECE_")):
        dotted = _env_key(name)
        if dotted is not None:
            layer.values[dotted] = environ[name]
            layer.sources[dotted] = f"env {name}"
    return layer


def _known(model: type[BaseModel], parts: list[str]) -> bool:
    """Is the dotted path a field of the settings model (free-form dicts accepted)?"""
    field_info = model.model_fields.get(parts[0])
    if field_info is None:
        return False
    annotation = field_info.annotation
    rest = parts[1:]
    if not rest:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _known(annotation, rest)
    origin_args = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is dict and origin_args:
        value_type = origin_args[-1]
        if isinstance(value_type, type) and issubclass(value_type, BaseModel):
            return len(rest) == 1 or _known(value_type, rest[1:])
        return len(rest) == 1
    return False


def load_config(
    *,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ResolvedConfig:
    """Resolve settings from every layer. Raises ConfigError on bad input."""
    env = dict(os.environ if environ is None else environ)
    profile = profile or env.get("ONEPIECE_PROFILE") or None
    files = candidate_files(cwd)
    merged, profiles = _file_layers(files, profile)
    env_layer = _env_layer(env)
    merged.values.update(env_layer.values)
    merged.sources.update(env_layer.sources)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            merged.values[dotted] = value
            merged.sources[dotted] = f"--{dotted.split('.')[-1].replace('_', '-')}"
    if profile:
        merged.values["profile"] = profile
        merged.sources.setdefault(
            "profile",
            "--profile" if env.get("ONEPIECE_PROFILE") != profile else "env ONEPIECE_PROFILE",
        )

    warnings: list[str] = []
    nested: dict[str, Any] = {}
    for dotted, value in merged.values.items():
        if not _known(Settings, dotted.split(".")):
            warnings.append(
                f"unknown configuration key {dotted!r} in {merged.sources[dotted]}; ignored"
            )
            continue
        _set_dotted(nested, dotted, value)
    try:
        settings = Settings(**nested)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        dotted = ".".join(str(p) for p in first["loc"])
        source = merged.sources.get(dotted, "defaults")
        raise ConfigError(
            f"invalid value for {dotted!r} from {source}: {first['msg']}",
            hint="fix it in that file or variable; see docs/configuration.md",
            context={"key": dotted, "source": source},
        ) from exc
    sources = {k: v for k, v in merged.sources.items() if _known(Settings, k.split("."))}
    return ResolvedConfig(settings, sources, [p for _, p in files], profiles, warnings)
