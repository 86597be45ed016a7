"""OPENCUE_HOSTS parsing: host:port lists, and errors that name the bad entry."""

from __future__ import annotations

import pytest

from onepiece.adapters.farms.opencue.client import CuebotClient, parse_hosts
from onepiece.config import load_config
from onepiece.errors import ConfigError


def test_comma_separated_hosts_are_split_and_trimmed() -> None:
    assert parse_hosts(" cuebot01:8443, cuebot02.example.com:8443 ,") == (
        "cuebot01:8443",
        "cuebot02.example.com:8443",
    )


def test_ipv4_and_bracketed_ipv6_hosts_are_accepted() -> None:
    assert parse_hosts("127.0.0.1:8443,[::1]:8443") == ("127.0.0.1:8443", "[::1]:8443")


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_no_hosts_means_not_configured(raw: str | None) -> None:
    assert parse_hosts(raw) == ()


@pytest.mark.parametrize(
    ("raw", "bad"),
    [
        ("cuebot01", "'cuebot01' has no port"),
        ("cuebot01:8443,cuebot02", "'cuebot02' has no port"),
        ("cuebot01:port", "invalid port 'port'"),
        ("cuebot01:70000", "invalid port '70000'"),
        ("cuebot01:", "invalid port ''"),
        ("http://cuebot01:8443", "invalid host name 'http://cuebot01'"),
        ("cue bot:8443", "invalid host name 'cue bot'"),
        (":8443", "':8443' has no port"),
        (",,", "names no host"),
    ],
)
def test_malformed_hosts_name_the_bad_value(raw: str, bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_hosts(raw)
    assert bad in caught.value.message
    assert "OPENCUE_HOSTS" in caught.value.message
    assert caught.value.hint and "host:port" in caught.value.hint


def test_opencue_variables_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCUE_HOSTS", "cuebot01:8443")
    monkeypatch.setenv("OPENCUE_DEFAULT_SHOW", "pipe")
    monkeypatch.setenv("OPENCUE_FACILITY", "cloud")
    monkeypatch.setenv("OPENCUE_CACHE_SECONDS", "0")
    opencue = load_config().settings.opencue
    assert (opencue.hosts, opencue.default_show, opencue.facility) == (
        "cuebot01:8443",
        "pipe",
        "cloud",
    )
    assert opencue.cache_seconds == 0


def test_client_without_hosts_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not configured"):
        CuebotClient((), 5.0)
