"""A project with media in real storage and Versions in the real local tracker.

Used by the delivery, playlist and reconcile tests, on local storage or on
the loopback S3 endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import xxhash

from onepiece.bootstrap import Container, bootstrap
from onepiece.config import Settings
from onepiece.domain.entities import PublishedFile, Version
from tests.s3_endpoint import unique_bucket

PROJECT = "FG"


def xxh3(data: bytes) -> str:
    return "xxh3:" + xxhash.xxh3_64(data).hexdigest()


@dataclass
class World:
    services: Container
    tmp: Path
    media_bucket: str
    data: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def put(self, key: str, data: bytes) -> str:
        source = self.tmp / "incoming" / key.replace("/", "_")
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        self.services.storage.put_file(self.media_bucket, key, source)
        self.data[key.rsplit("/", 1)[-1]] = data
        return self.services.storage.uri(self.media_bucket, key)

    def add_clip(
        self,
        code: str,
        data: bytes,
        *,
        status: str = "apr",
        episode: str = "ep010",
        shot: str = "0010",
        checksum: str | None = None,
    ) -> Version:
        uri = self.put(f"{PROJECT}/{episode}/{shot}/{code}.mov", data)
        version = Version(
            PROJECT,
            code,
            shot=shot,
            sequence="sc02",
            episode=episode,
            status=status,
            path=uri,
            checksum=checksum or xxh3(data),
            size=len(data),
        )
        self.services.tracker.create_versions([version])
        return version

    def add_sequence(self, code: str, frames: dict[int, bytes], *, status: str = "apr") -> Version:
        published = []
        uri = ""
        for frame, data in frames.items():
            uri = self.put(f"{PROJECT}/ep010/0020/{code}.{frame:04d}.exr", data)
            published.append(
                PublishedFile(
                    PROJECT, f"{code}.{frame:04d}", uri, code, "exr", xxh3(data), len(data)
                )
            )
        pattern = self.services.storage.uri(
            self.media_bucket, f"{PROJECT}/ep010/0020/{code}.%04d.exr"
        )
        version = Version(
            PROJECT,
            code,
            shot="0020",
            sequence="sc02",
            episode="ep010",
            status=status,
            path=pattern,
            frame_first=min(frames),
            frame_last=max(frames),
        )
        self.services.tracker.create_versions([version])
        self.services.tracker.create_published_files(published)
        return version


def make_world(
    tmp: Path, backend: str, endpoint_url: str | None = None, **sections: object
) -> World:
    """``sections``: more settings, e.g. tracker/kitsu for a world on another tracker."""
    storage: dict[str, object] = {"backend": backend, "root": str(tmp / "storage")}
    delivery: dict[str, object] = {}
    if backend == "s3":
        storage = {"backend": "s3", "endpoint_url": endpoint_url, "region": "us-east-1"}
        delivery = {
            "vendor_out_bucket": unique_bucket("vout"),
            "client_out_bucket": unique_bucket("cout"),
        }
    bucket = unique_bucket("media")
    settings = Settings(
        data_dir=tmp / "data",
        storage=storage,  # type: ignore[arg-type]
        delivery=delivery,  # type: ignore[arg-type]
        ingest={"vendor_bucket": bucket},  # type: ignore[arg-type]
        **sections,  # type: ignore[arg-type]
    )
    services = bootstrap(settings)
    services.storage.ensure_bucket(bucket)
    services.tracker.ensure_project(PROJECT)
    return World(services, tmp, bucket)
