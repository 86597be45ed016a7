"""Uploading a finished delivery (ZIP and manifests) to its context's bucket."""

from __future__ import annotations

from pathlib import Path

from onepiece.domain.safe_paths import slug
from onepiece.errors import ConfigError, ValidationError
from onepiece.services.ports import Backends
from onepiece.state.deliveries import DeliveryRecord


def context_bucket(services: Backends, context: str) -> str:
    delivery = services.settings.delivery
    return delivery.vendor_out_bucket if context == "vendor_out" else delivery.client_out_bucket


def check_bucket(services: Backends, context: str, *, dry_run: bool = False) -> None:
    """Stop on a bad bucket name (or, for real, unreachable storage) before the ZIP is written.

    Otherwise the ZIP would be left behind, and the same command refused without
    --overwrite once the storage is fixed.
    """
    bucket = context_bucket(services, context)
    try:
        services.storage.check_bucket(bucket)
    except ValidationError as exc:
        setting = f"delivery.{context}_bucket"
        raise ConfigError(
            f"{setting} {bucket!r} is not a valid bucket name", hint=exc.hint
        ) from exc
    if not dry_run:
        services.storage.ensure_bucket(bucket)


def upload_delivery(
    services: Backends, record: DeliveryRecord, output: Path, doc: bytes, table: bytes
) -> DeliveryRecord:
    """Put the ZIP and its manifests in the context's bucket under PROJECT/ID/."""
    storage = services.storage
    bucket = context_bucket(services, record.context)
    storage.ensure_bucket(bucket)
    prefix = f"{slug(record.project)}/{record.id}"
    zip_key = f"{prefix}/{output.name}"
    storage.put_file(bucket, zip_key, output, checksum_algorithm=services.settings.ingest.checksum)
    uris = []
    for name, data in (("manifest.json", doc), ("manifest.csv", table)):
        storage.put_bytes(bucket, f"{prefix}/{name}", data)
        uris.append(storage.uri(bucket, f"{prefix}/{name}"))
    return DeliveryRecord.from_dict(
        {**record.to_dict(), "zip_uri": storage.uri(bucket, zip_key), "manifest_uris": uris}
    )
