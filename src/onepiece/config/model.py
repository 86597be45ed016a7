"""The one settings model. Every section a capability needs lives here.

Values arrive already merged from the layers (see ``layers.py``); this model
only validates and supplies defaults. Secrets are ``SecretStr`` so they never
print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "token", "xxx"}


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "onepiece"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _refuse_placeholder(value: SecretStr | None) -> SecretStr | None:
    if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDER_SECRETS:
        raise ValueError("placeholder secret refused: set a real value")
    if value is not None and not value.get_secret_value().strip():
        return None
    return value


class TrackerSettings(Section):
    # "auto" picks ShotGrid, else Kitsu, when its URL is configured, else the local tracker.
    backend: Literal["auto", "local", "shotgrid", "kitsu"] = "auto"
    path: Path | None = None  # local SQLite file; default <data_dir>/tracker.db
    create_missing_hierarchy: bool = True
    # Status given to the shots ingest creates (show setup uses its CSV's column).
    initial_shot_status: str = Field("wtg", min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")


class ShotGridSettings(Section):
    url: str | None = None
    script: str | None = None
    key: SecretStr | None = None
    batch_size: int = Field(100, ge=1, le=500)
    max_attempts: int = Field(5, ge=1, le=20)
    deadline_seconds: float = Field(60.0, gt=0)
    timeout_seconds: float = Field(30.0, gt=0)

    _check_key = field_validator("key")(_refuse_placeholder)


class KitsuSettings(Section):
    """Kitsu (zou) API: ONEPIECE_KITSU_URL ends in /api, as gazu.set_host takes it."""

    url: str | None = None
    email: str | None = None
    password: SecretStr | None = None
    # Task types a Version is published on: shots, assets, and versions linked to neither.
    shot_task_type: str = "Compositing"
    asset_task_type: str = "Modeling"
    max_attempts: int = Field(5, ge=1, le=20)
    deadline_seconds: float = Field(60.0, gt=0)
    timeout_seconds: float = Field(30.0, gt=0)

    _check_password = field_validator("password")(_refuse_placeholder)


class StorageSettings(Section):
    backend: Literal["local", "s3"] = "local"
    root: Path | None = None  # local buckets; default <data_dir>/storage
    # Local storage: where each object's record goes (adapters/storage/local/records.py).
    records: Literal["attribute", "sidecar"] = "attribute"
    endpoint_url: str | None = None
    region: str | None = None
    aws_profile: str | None = None
    part_size_mb: int = Field(16, ge=5, le=5120)
    concurrency: int = Field(8, ge=1, le=64)
    # Every S3 call is bounded: attempts x (connect + read timeout) at most.
    connect_timeout_seconds: float = Field(5.0, gt=0)
    read_timeout_seconds: float = Field(60.0, gt=0)
    max_attempts: int = Field(5, ge=1, le=20)


class ShowSettings(Section):
    name_pattern: str | None = None  # regex with named groups; default in domain.naming
    layout: str | None = None


class IngestSettings(Section):
    vendor_bucket: str = "vendor-in"
    client_bucket: str = "client-in"
    layout: str = "{show}/{episode}/{scene}/{shot}/{asset}/v{version:03d}/{filename}"
    workers: int | None = Field(None, ge=1, le=64)
    checksum: Literal["xxh3", "md5", "sha256"] = "xxh3"
    registry_path: Path | None = None  # default <data_dir>/ingest-runs.json


class DeliverySettings(Section):
    vendor_out_bucket: str = "vendor-out"
    client_out_bucket: str = "client-out"
    registry_path: Path | None = None


class TrafalgarSettings(Section):
    dashboard_token: SecretStr | None = None
    read_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # uvicorn worker processes of ``onepiece serve`` (docs/deployment.md).
    workers: int = Field(1, ge=1, le=64)
    render_jobs_path: Path | None = None
    render_jobs_history_limit: int = Field(10_000, ge=1)
    render_jobs_retention_hours: float = Field(24 * 30, gt=0)
    # "normal": a submit survives kill -9 of any process; "full": also power loss
    # (one fsync per submit). See docs/decisions.md "Render job history".
    render_jobs_sync: Literal["normal", "full"] = "normal"
    # SSE keep-alive comment / WebSocket ping interval: below common clients'
    # read timeouts (httpx: 5 s) and your proxy's idle timeout.
    stream_keepalive_seconds: float = Field(3.0, gt=0, le=300)
    # A connection must send a complete request head within this many seconds.
    header_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # An idle keep-alive connection is closed after this many seconds.
    keep_alive_timeout_seconds: float = Field(5.0, gt=0, le=3600)
    # Beyond this many open connections (or requests in flight) new requests get 503.
    max_connections: int = Field(1000, ge=1)
    # Largest request body accepted (bytes); larger ones get 413 while streaming.
    max_body_bytes: int = Field(1_048_576, ge=1024, le=1 << 30)

    _check_tokens = field_validator("dashboard_token", "read_token")(_refuse_placeholder)


class DashboardSettings(Section):
    cache_ttl: float = 30.0
    cache_max_records: int = 5000
    cache_max_projects: int = 50
    projects: list[str] = Field(default_factory=list)

    @field_validator("projects", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value


class RenderSettings(Section):
    default_farm: str = "local"
    max_concurrency: int = Field(2, ge=1, le=256)
    default_chunk_size: int = Field(10, ge=1)
    mock_enabled: bool = False
    # How often the web service refreshes unfinished jobs from their farms.
    poll_seconds: float = Field(1.0, gt=0, le=300)
    # Command templates per DCC, e.g.
    # {"blender": "blender -b {scene} -o {output} -s {start} -e {end} -a"}
    commands: dict[str, str] = Field(default_factory=dict)


class OpenCueSettings(Section):
    hosts: str | None = None  # comma-separated host:port
    default_show: str | None = None
    facility: str | None = None
    timeout_seconds: float = Field(5.0, gt=0)
    # How long the render queue summary/details answers are reused.
    cache_seconds: float = Field(5.0, ge=0)


class DCCSettings(Section):
    # Executable per DCC name, overriding what is found on PATH.
    executables: dict[str, str] = Field(default_factory=dict)


class DatabaseSettings(Section):
    # SQLAlchemy URL of the state database (docs/database.md); default a SQLite
    # file <data_dir>/state.db. postgresql://... uses psycopg 3.
    url: SecretStr | None = None  # may carry a password: never printed


class ReviewMediaSettings(Section):
    """Thumbnails and review movies made at ingest and publish (docs/review_media.md)."""

    enabled: bool = True
    workers: int = Field(2, ge=1, le=32)
    ocio_config: str = "ocio://studio-config-latest"  # a file path or an ocio:// built-in
    display: str | None = None  # default: the config's default display
    view: str | None = None  # default: the display's default view
    # Colour space of each still format; "display" means already display-referred.
    input_colorspaces: dict[str, str] = Field(
        default_factory=lambda: {
            "exr": "scene_linear",
            "hdr": "scene_linear",
            "dpx": "display",
            "tif": "display",
            "tiff": "display",
            "png": "display",
            "jpg": "display",
            "jpeg": "display",
        }
    )
    thumbnail_width: int = Field(480, ge=16, le=4096)
    thumbnail_format: Literal["jpg", "png"] = "jpg"
    proxy_max_width: int = Field(1920, ge=16, le=8192)
    proxy_crf: int = Field(20, ge=0, le=51)
    max_pixels: int = Field(8192 * 8192, ge=1)  # larger stills are reported, not decoded


class Settings(BaseSettings):
    """Resolved OnePiece settings. Build with ``onepiece.config.load_settings``."""

    model_config = SettingsConfigDict(extra="forbid", validate_default=True)

    profile: str | None = None
    project: str | None = None
    show_code: str | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    tracker: TrackerSettings = Field(default_factory=TrackerSettings)
    shotgrid: ShotGridSettings = Field(default_factory=ShotGridSettings)
    kitsu: KitsuSettings = Field(default_factory=KitsuSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    shows: dict[str, ShowSettings] = Field(default_factory=dict)
    trafalgar: TrafalgarSettings = Field(default_factory=TrafalgarSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    render: RenderSettings = Field(default_factory=RenderSettings)
    opencue: OpenCueSettings = Field(default_factory=OpenCueSettings)
    dcc: DCCSettings = Field(default_factory=DCCSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    review_media: ReviewMediaSettings = Field(default_factory=ReviewMediaSettings)
    # Raw status code -> canonical bucket overrides (see domain.status).
    status_map: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Layers are merged by onepiece.config.layers so each value keeps its source.
        return (init_settings,)

    @property
    def tracker_backend(self) -> Literal["local", "shotgrid", "kitsu"]:
        if self.tracker.backend == "auto":
            if self.shotgrid.url:
                return "shotgrid"
            return "kitsu" if self.kitsu.url else "local"
        return self.tracker.backend

    @property
    def tracker_path(self) -> Path:
        return self.tracker.path or self.data_dir / "tracker.db"

    @property
    def storage_root(self) -> Path:
        return self.storage.root or self.data_dir / "storage"

    @property
    def ingest_registry_path(self) -> Path:
        return self.ingest.registry_path or self.data_dir / "ingest-runs.json"

    @property
    def delivery_registry_path(self) -> Path:
        return self.delivery.registry_path or self.data_dir / "deliveries.json"

    @property
    def reconcile_results_path(self) -> Path:
        return self.data_dir / "reconcile-results.json"

    @property
    def render_jobs_path(self) -> Path:
        return self.trafalgar.render_jobs_path or self.data_dir / "render-jobs.db"

    @property
    def local_farm_root(self) -> Path:
        """The local farm's queue and job folders (only this host sees them)."""
        return self.data_dir / "farm" / "local"

    @property
    def dashboard_projects_path(self) -> Path:
        return self.data_dir / "dashboard-projects.json"

    @property
    def state_db_path(self) -> Path:
        return self.data_dir / "state.db"
