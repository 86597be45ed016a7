"""The original specification's buckets `vendor_in`/`client_in` (issue 14, item 16).

On local storage a bucket is a folder, so the example works as written; S3
refuses the name and the one-line error suggests the name it would accept.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Run
from tests.e2e.test_cli_errors import DELIVERY, _approved_demo, one_error_line
from tests.ingest_support import data_dir

SPEC_ARGS = ("--vendor-bucket", "vendor_in", "--client-bucket", "client_in")


@pytest.mark.parametrize(
    ("command", "source", "bucket"),
    [(("aws", "ingest"), "vendor", "vendor_in"), (("ingest",), "client", "client_in")],
)
def test_the_spec_example_ingests_into_underscore_folders_on_local_storage(
    onepiece: Run, isolated_env: Path, command: tuple[str, ...], source: str, bucket: str
) -> None:
    result = onepiece(
        *command, str(DELIVERY), "--project", "Frost Giant", "--show-code", "FG",
        "--source", source, *SPEC_ARGS,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = data_dir(isolated_env) / "storage" / bucket / "FG"
    assert folder.is_dir()
    assert any(path.is_file() for path in folder.rglob("*.mov"))


def test_deliver_to_an_underscore_bucket_on_local_storage(onepiece: Run, tmp_path: Path) -> None:
    _approved_demo(onepiece)
    output = tmp_path / "FG.zip"
    env = {"ONEPIECE_DELIVERY_CLIENT_OUT_BUCKET": "client_out"}
    result = onepiece(
        "shotgrid", "deliver", "-p", "demo", "--context", "client_out", "--output", str(output),
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert output.exists()


@pytest.mark.parametrize(
    ("bucket", "suggested"), [("vendor_in", "vendor-in"), ("Vendor_Drop_2024", "vendor-drop-2024")]
)
def test_on_s3_the_error_suggests_the_valid_name(
    onepiece: Run, s3_endpoint_url: str, isolated_env: Path, bucket: str, suggested: str
) -> None:
    env = {"ONEPIECE_STORAGE_BACKEND": "s3", "ONEPIECE_STORAGE_ENDPOINT_URL": s3_endpoint_url}
    result = onepiece(
        "ingest", str(DELIVERY), "-p", "demo", "-s", "FG", "--vendor-bucket", bucket, env=env
    )
    assert result.returncode == 4, result.stderr
    line = one_error_line(result.stderr)
    assert f"invalid bucket name {bucket!r}" in line and f"S3 would accept {suggested!r}" in line
    assert not (data_dir(isolated_env) / "tracker.db").exists()
