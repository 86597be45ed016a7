"""Pure parts of the ShotGrid adapter: mapping, error classification, configuration."""

from __future__ import annotations

import errno
import socket
import xmlrpc.client
from datetime import UTC, datetime

import pytest

from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.adapters.trackers.shotgrid import media_fields as media
from onepiece.adapters.trackers.shotgrid.retry import field_in_message, is_transient, translate
from onepiece.adapters.trackers.shotgrid.session import request_count
from onepiece.bootstrap import build_tracker
from onepiece.config import Settings
from onepiece.domain.entities import Version
from onepiece.errors import ConfigError, TrackerRejected, TrackerUnavailable

SITE_CODES = ["wtg", "rdy", "ip", "rev", "apr", "fin", "hld", "omt"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("apr", "apr"),
        ("approved", "apr"),
        ("Approved", "apr"),
        ("in progress", "ip"),
        ("on_hold", "hld"),
        ("mystery", "mystery"),  # left for ShotGrid to reject with the field named
        (None, None),
    ],
)
def test_outgoing_status_writes_a_code_the_site_knows(
    value: str | None, expected: str | None
) -> None:
    assert sgs.outgoing_status(value, SITE_CODES, {}) == expected


def test_outgoing_status_follows_the_studio_status_map() -> None:
    assert sgs.outgoing_status("cbb", ["wtg", "cbb", "rev"], {"cbb": "review"}) == "cbb"
    assert sgs.outgoing_status("review", ["wtg", "cbb"], {"cbb": "review"}) == "cbb"
    assert sgs.outgoing_status("approved", None, {}) == "approved"  # site codes unknown


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("sg_checksum is not a valid field for entity Version", "Version.sg_checksum"),
        ("API create() Shot.sg_cut_ni doesn't exist", "Shot.sg_cut_ni"),
        ("Shot.sg_cut_in is of type number, but data soon is not of type int", "Shot.sg_cut_in"),
        ("Permission denied", None),
    ],
)
def test_schema_errors_name_their_field(message: str, field: str | None) -> None:
    assert field_in_message(message) == field


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (xmlrpc.client.ProtocolError("site", 503, "busy", {}), True),
        (xmlrpc.client.ProtocolError("site", 429, "slow down", {}), True),
        (xmlrpc.client.ProtocolError("site", 500, "oops", {}), True),
        (xmlrpc.client.ProtocolError("site", 404, "no", {}), False),
        (xmlrpc.client.ProtocolError("site", 403, "blocked", {}), False),
        (ConnectionResetError("reset"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror("unknown host"), False),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), True),
        (FileNotFoundError(errno.ENOENT, "no such CA file"), False),
        (ValueError("bug"), False),
    ],
)
def test_only_transient_failures_are_retried(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_auth_and_outage_errors_translate_to_our_tree() -> None:
    from shotgun_api3.shotgun import AuthenticationFault

    auth = translate(AuthenticationFault("Can't authenticate script 'x'"), "list projects", "site")
    assert isinstance(auth, TrackerRejected) and auth.context["kind"] == "auth"
    down = translate(xmlrpc.client.ProtocolError("s", 503, "busy", {}), "list projects", "site")
    assert isinstance(down, TrackerUnavailable) and "HTTP 503" in down.message


def _sdk_connection_failures() -> list[BaseException]:
    import ssl

    from shotgun_api3.lib.httplib2 import ProxiesUnavailableError, ServerNotFoundError
    from shotgun_api3.lib.httplib2.socks import GeneralProxyError, Socks5Error

    return [
        ServerNotFoundError("Unable to find the server at nosuchhost.invalid"),
        ProxiesUnavailableError("Proxy support missing but proxy use was requested!"),
        GeneralProxyError("Connection refused"),
        Socks5Error("general SOCKS server failure"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
        TimeoutError("timed out"),
    ]


@pytest.mark.parametrize("exc", _sdk_connection_failures(), ids=lambda e: type(e).__name__)
def test_every_way_of_not_reaching_the_site_is_tracker_unavailable(exc: BaseException) -> None:
    down = translate(exc, "list projects", "https://site.example")
    assert isinstance(down, TrackerUnavailable)
    assert "https://site.example" in down.message and down.hint


def test_batches_needed_are_the_ceiling_of_items_over_batch_size() -> None:
    assert [request_count(n, 100) for n in (0, 1, 100, 101, 1000)] == [0, 1, 1, 2, 10]


def test_version_fields_survive_the_round_trip_through_shotgrid_rows() -> None:
    version = Version(
        project="FG",
        code="FG_ep010_sc01_0010_comp_v001",
        shot="sc01_0010",
        asset="comp",
        path="/shows/FG/comp.1001-1010#.exr",
        size=2**40,
        user="zoro",
        metadata={"k": [1, 2]},
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    row = {"id": 7, **media.version_data(version, 1, None)}
    assert row["sg_path_to_frames"] == version.path and "sg_path_to_movie" not in row
    assert media.version_from("FG", row, {}) == version


def test_paths_become_url_fields_and_come_back_unchanged() -> None:
    for path in ("/shows/FG/a.exr", "s3://client-out/FG/a.mov"):
        assert media.path_from(media.path_value(path)) == path
    assert media.path_from({"local_path": "/mnt/a.exr", "url": "file:///x"}) == "/mnt/a.exr"


def test_missing_credentials_name_every_missing_variable() -> None:
    settings = Settings(tracker={"backend": "shotgrid"}, shotgrid={"url": "https://s.example"})
    with pytest.raises(ConfigError) as caught:
        build_tracker(settings)
    assert "ONEPIECE_SHOTGRID_SCRIPT" in caught.value.message
    assert "ONEPIECE_SHOTGRID_KEY" in caught.value.message
    assert "ONEPIECE_SHOTGRID_URL" not in caught.value.message


def test_a_configured_url_selects_the_shotgrid_tracker_without_connecting() -> None:
    settings = Settings(shotgrid={"url": "https://127.0.0.1:9", "script": "op", "key": "k3y-value"})
    tracker = build_tracker(settings)
    assert settings.tracker_backend == "shotgrid"
    assert tracker.name == "shotgrid"


def test_a_url_without_http_is_a_config_error() -> None:
    settings = Settings(
        shotgrid={"url": "studio.shotgrid.autodesk.com", "script": "op", "key": "k3y"}
    )
    with pytest.raises(ConfigError, match="invalid ShotGrid URL"):
        build_tracker(settings)


@pytest.mark.parametrize("path", ["/s/a.#.exr", "/s/a.@@@.exr", "/s/a.%04d.exr", "/s/a.$F4.exr"])
def test_every_frame_padding_token_goes_to_path_to_frames(path: str) -> None:
    version = Version(project="FG", code="FG_v001", path=path)
    row = media.version_data(version, 1, None)
    assert row["sg_path_to_frames"] == path and "sg_path_to_movie" not in row


def test_a_movie_goes_to_path_to_movie() -> None:
    row = media.version_data(Version(project="FG", code="FG_v001", path="/s/a.mov"), 1, None)
    assert row["sg_path_to_movie"] == "/s/a.mov" and "sg_path_to_frames" not in row
