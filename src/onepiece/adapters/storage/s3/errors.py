"""botocore exceptions translated to OnePiece's, most specific first.

Used as ``with s3_errors.mapped(endpoint, bucket, key): client.call(...)``:
our own errors pass through, botocore's become one clear message with a hint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from onepiece.errors import (
    ConfigError,
    ObjectNotFound,
    OnePieceError,
    StorageError,
    StorageUnavailable,
)

CREDENTIALS_HINT = (
    "set AWS_PROFILE (or storage.aws_profile) to a profile in ~/.aws, "
    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
}
_UNAVAILABLE = {"ServiceUnavailable", "SlowDown", "InternalError", "503", "500", "RequestTimeout"}


def where(bucket: str | None, key: str | None) -> str:
    if bucket and key:
        return f"s3://{bucket}/{key}"
    return f"s3://{bucket}" if bucket else "S3"


def translate(
    exc: BaseException, endpoint: str, bucket: str | None = None, key: str | None = None
) -> OnePieceError:
    """Our exception for a botocore/s3transfer one (returned, so callers ``raise ... from``)."""
    from botocore import exceptions as bce

    target = where(bucket, key)
    context = {"endpoint": endpoint, "bucket": bucket, "key": key}
    if isinstance(exc, bce.ProfileNotFound):
        return ConfigError(f"AWS profile not found: {exc}", hint=CREDENTIALS_HINT)
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return ConfigError(f"no usable AWS credentials for {endpoint}", hint=CREDENTIALS_HINT)
    if isinstance(exc, bce.CredentialRetrievalError | bce.TokenRetrievalError):
        return ConfigError(f"cannot load AWS credentials: {exc}", hint=CREDENTIALS_HINT)
    if isinstance(
        exc,
        bce.EndpointConnectionError
        | bce.ConnectTimeoutError
        | bce.ReadTimeoutError
        | bce.ConnectionClosedError
        | bce.ResponseStreamingError
        | bce.ConnectionError
        | bce.HTTPClientError,
    ):
        return StorageUnavailable(
            f"cannot reach S3 endpoint {endpoint}: {exc}",
            hint="check storage.endpoint_url (ONEPIECE_STORAGE_ENDPOINT_URL) and the network",
            context=context,
        )
    if isinstance(exc, bce.ClientError):
        return _client_error(exc, endpoint, bucket, key, target, context)
    if isinstance(exc, bce.ParamValidationError):
        return StorageError(f"invalid S3 request for {target}: {exc}", context=context)
    if isinstance(exc, bce.NoRegionError):
        return ConfigError(
            "no AWS region configured", hint="set storage.region or AWS_DEFAULT_REGION"
        )
    return StorageError(f"S3 error on {target} ({endpoint}): {exc}", context=context)


def _client_error(
    exc: BaseException,
    endpoint: str,
    bucket: str | None,
    key: str | None,
    target: str,
    context: dict[str, str | None],
) -> OnePieceError:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) or {}
    code = str(error.get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    message = error.get("Message") or code or str(exc)
    context = {**context, "code": code}
    if code == "NoSuchBucket":
        return ObjectNotFound(
            f"bucket {bucket!r} does not exist at {endpoint}",
            hint="create it first, or check the bucket name",
            context=context,
        )
    if code in _NOT_FOUND or status == 404:
        return ObjectNotFound(f"no object {target}", context=context)
    if code in _BAD_CREDENTIALS:
        return ConfigError(
            f"S3 at {endpoint} refused the credentials ({code})",
            hint=CREDENTIALS_HINT,
        )
    if code in ("AccessDenied", "403", "Forbidden") or status == 403:
        return StorageError(
            f"access denied to {target} at {endpoint}",
            hint="check the credentials' permissions on that bucket",
            context=context,
        )
    if code in _UNAVAILABLE or (isinstance(status, int) and status >= 500):
        return StorageUnavailable(
            f"S3 at {endpoint} is unavailable ({code or status}) for {target}: {message}",
            hint="retry later",
            context=context,
        )
    return StorageError(f"S3 refused {target} ({code}): {message}", context=context)


@contextlib.contextmanager
def mapped(endpoint: str, bucket: str | None = None, key: str | None = None) -> Iterator[None]:
    """Translate botocore errors raised inside the block; ours pass through."""
    from botocore.exceptions import BotoCoreError, ClientError
    from s3transfer.exceptions import RetriesExceededError, S3CopyFailedError

    try:
        yield
    except OnePieceError:
        raise
    except (BotoCoreError, ClientError, S3CopyFailedError, RetriesExceededError) as exc:
        raise translate(exc, endpoint, bucket, key) from exc
