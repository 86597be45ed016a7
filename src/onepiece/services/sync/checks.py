"""What ``aws sync-to/sync-from`` asks S3 with boto3 when s5cmd's answer is not enough.

s5cmd reports a missing credential chain, an unknown profile or a missing
bucket per file (or not at all), so its summary would count nothing, or one
failure for many files. Asking S3 once for the bucket turns each into one
line with a hint: credentials and profiles are configuration (exit 3), a
missing bucket fails every file the sync would have sent (exit 7). The sync
asks before s5cmd runs only for a dry run or a profile the AWS files do not
name (s5cmd would quietly use other credentials); otherwise at its first
failure (services/sync/s3.py).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from onepiece.adapters.storage.s3 import errors as s3_errors
from onepiece.adapters.storage.s3.client import error_code, make_client
from onepiece.config import Settings
from onepiece.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NO_CREDENTIALS = "NoCredentialProviders"  # s5cmd's word for an empty credential chain


MISSING_BUCKET_HINT = "create it first, or check --bucket"


def check_remote(*, bucket: str, profile: str | None, settings: Settings) -> str | None:
    """Raise ConfigError (credentials, profile) before any transfer; say why the bucket fails.

    Returns the reason when the bucket does not exist, None when it does.
    """
    from botocore.exceptions import ClientError

    endpoint = settings.storage.endpoint_url or "AWS"
    with s3_errors.mapped(endpoint, bucket):
        client = _client(profile, settings)
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            return f"bucket {bucket!r} does not exist at {endpoint}"
    return None


def profile_is_named(profile: str) -> bool:
    """Do the AWS config or credentials files name this profile? (read as the CLIs do)"""
    import configparser

    home = Path.home() / ".aws"
    files = {
        os.environ.get("AWS_CONFIG_FILE") or str(home / "config"): f"profile {profile}",
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or str(home / "credentials"): profile,
    }
    for path, section in files.items():
        parser = configparser.RawConfigParser()
        try:
            parser.read(os.path.expanduser(path), encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return False  # unreadable: let boto3 say what is wrong
        if parser.has_section(section) or (profile == "default" and parser.has_section(profile)):
            return True
    return False


def remote_sizes(
    *, bucket: str, prefix: str, profile: str | None, settings: Settings
) -> dict[str, int]:
    """``s3://bucket/key`` -> size under ``prefix``: s5cmd's dry-run downloads omit sizes."""
    sizes: dict[str, int] = {}
    with s3_errors.mapped(settings.storage.endpoint_url or "AWS", bucket):
        pages = _client(profile, settings).get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                sizes[f"s3://{bucket}/{item['Key']}"] = int(item["Size"])
    return sizes


def _client(profile: str | None, settings: Settings) -> S3Client:
    return make_client(
        endpoint_url=settings.storage.endpoint_url,
        region=settings.storage.region,
        profile=profile,
        max_pool_connections=1,
        max_attempts=2,
        connect_timeout=5,
        read_timeout=15,
    )


def credentials_error(profile: str | None) -> ConfigError:
    """s5cmd found no credentials although boto3 did (its chain is shorter)."""
    return ConfigError(
        f"s5cmd found no AWS credentials{f' for profile {profile!r}' if profile else ''}",
        hint=s3_errors.CREDENTIALS_HINT,
    )


def local_files(folder: Path, include: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """Files a sync-to would consider: under ``folder``, matching include, not exclude."""
    found: list[str] = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            relative = os.path.relpath(os.path.join(dirpath, name), folder)
            if include and not any(_matches(relative, p) for p in include):
                continue
            if any(_matches(relative, p) for p in exclude):
                continue
            found.append(os.path.join(dirpath, name))
    return sorted(found)


def _matches(relative: str, pattern: str) -> bool:
    return fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(
        os.path.basename(relative), pattern
    )
