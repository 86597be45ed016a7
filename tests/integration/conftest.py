"""Integration fixtures: real components on loopback."""

from tests.s3_endpoint import s3_endpoint_url, s3_server

__all__ = ["s3_endpoint_url", "s3_server"]
