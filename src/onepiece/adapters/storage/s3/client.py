"""The boto3 S3 client (profile, region, endpoint, retries, timeouts) and buckets.

boto3 is imported here, lazily, only when an S3 storage is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onepiece.adapters.storage.s3 import errors as s3_errors
from onepiece.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def make_client(
    *,
    endpoint_url: str | None,
    region: str | None,
    profile: str | None,
    max_pool_connections: int,
    max_attempts: int,
    connect_timeout: float,
    read_timeout: float,
) -> S3Client:
    """A new client; credentials come from the profile or boto3's usual chain."""
    import boto3  # noqa: TID251 - heavy SDK, loaded only when S3 is used
    from botocore.config import Config

    options: dict[str, Any] = {}
    if endpoint_url:
        # S3-compatible servers (MinIO, Ceph, moto) expect path-style URLs and
        # may reject the SDK's newer default transport checksums; our own
        # checksum is verified end to end on every get.
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    config = Config(
        # total_max_attempts counts the first try (botocore's max_attempts counts retries
        # only): a call waits at most max_attempts x (connect + read timeout).
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=max_pool_connections,
        tcp_keepalive=True,
        **options,
    )
    with s3_errors.mapped(endpoint_url or "AWS"):
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
            client = session.client("s3", endpoint_url=endpoint_url, config=config)
        except ValueError as exc:  # botocore's "Invalid endpoint"
            raise ConfigError(
                f"invalid S3 endpoint {endpoint_url!r}: {exc}",
                hint="set storage.endpoint_url to a URL such as http://127.0.0.1:9000",
            ) from exc
    client.meta.events.register_last("before-call.s3", _expect_continue_for_large_bodies)
    return client


# botocore asks the server for "100 Continue" before every body it sends: a round
# trip and a wait per frame of a sequence. Worth it only where a refusal saves
# sending much (the AWS SDK for Go draws the line at 2 MB as well).
EXPECT_CONTINUE_MIN_BYTES = 2 * 1024 * 1024


def _expect_continue_for_large_bodies(params: dict[str, Any], **_: Any) -> None:
    """Runs after botocore's own ``add_expect_header``: drops it for small bodies."""
    headers = params.get("headers", {})
    if "Expect" not in headers:
        return
    from botocore.utils import determine_content_length

    size = determine_content_length(params.get("body"))
    if size is not None and size < EXPECT_CONTINUE_MIN_BYTES:
        del headers["Expect"]


def error_code(exc: Any) -> str:
    """The S3 error code of a botocore ClientError ("NoSuchKey", "404", ...)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def probe_buckets(client: S3Client, endpoint: str) -> str:
    """List buckets to prove the endpoint answers; returns a note for the caller's line."""
    from botocore.exceptions import ClientError

    with s3_errors.mapped(endpoint):
        try:
            client.list_buckets()
        except ClientError as exc:
            if error_code(exc) != "AccessDenied":
                raise
            # Reachable and authenticated; these credentials just may not list.
            return " (reachable; listing buckets is not allowed)"
    return ""


def create_bucket_if_missing(client: S3Client, bucket: str, endpoint: str) -> None:
    from botocore.exceptions import ClientError

    with s3_errors.mapped(endpoint, bucket):
        try:
            client.head_bucket(Bucket=bucket)
            return
        except ClientError as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
        region = client.meta.region_name
        arguments: dict[str, Any] = {"Bucket": bucket}
        if region and region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**arguments)
        except ClientError as exc:
            code = error_code(exc)
            if code == "BucketAlreadyExists":
                raise StorageError(
                    f"bucket {bucket!r} already exists and belongs to another account",
                    hint="bucket names are global on AWS: choose another name",
                ) from exc
            if code != "BucketAlreadyOwnedByYou":  # a concurrent create by us is fine
                raise
