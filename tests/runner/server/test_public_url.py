from __future__ import annotations

import pytest

from runner.server._public_url import PublicUrl, clean_host

REQUEST = {"host": "127.0.0.1:3334"}


def test_the_configured_public_url_wins_with_the_requests_path_and_query() -> None:
    rules = PublicUrl.from_settings("https://calls.example.com/prefix/")
    url = rules.url(
        "http", {**REQUEST, "x-forwarded-host": "evil.test"}, "127.0.0.1", "/voice/webhook", "a=1"
    )
    assert url == "https://calls.example.com/prefix/voice/webhook?a=1"


def test_forwarding_headers_are_ignored_unless_the_config_allows_them() -> None:
    forwarded = {**REQUEST, "x-forwarded-host": "calls.example.com", "x-forwarded-proto": "https"}
    assert PublicUrl().url("http", forwarded, "127.0.0.1", "/w", "") == "http://127.0.0.1:3334/w"
    trusting = PublicUrl.from_settings(None, trust_forwarding_headers=True)
    assert trusting.url("http", forwarded, "127.0.0.1", "/w", "") == "https://calls.example.com/w"


def test_a_forwarded_host_outside_allowed_hosts_is_never_used() -> None:
    rules = PublicUrl.from_settings(None, ["calls.example.com"])
    evil = {**REQUEST, "x-forwarded-host": "evil.test"}
    assert rules.url("http", evil, "127.0.0.1", "/w", "") == "http://127.0.0.1:3334/w"
    good = {**REQUEST, "x-original-host": "Calls.Example.com"}
    assert rules.url("http", good, "127.0.0.1", "/w", "") == "http://calls.example.com/w"


@pytest.mark.parametrize(
    ("client", "believed"), [("10.0.0.1", True), ("::ffff:10.0.0.1", True), ("10.0.0.2", False)]
)
def test_only_trusted_proxies_may_forward(client: str, believed: bool) -> None:
    rules = PublicUrl.from_settings(None, ["calls.example.com"], ["10.0.0.1"])
    forwarded = {**REQUEST, "x-forwarded-host": "calls.example.com"}
    expected = "http://calls.example.com/w" if believed else "http://127.0.0.1:3334/w"
    assert rules.url("http", forwarded, client, "/w", "") == expected


@pytest.mark.parametrize("host", ["user@evil.test", "", "bad host", "x" * 300, "a..b/c"])
def test_hosts_that_are_not_hosts_are_refused(host: str) -> None:
    assert clean_host(host) is None
    assert PublicUrl().url("http", {"host": host}, "127.0.0.1", "/w", "") is None


def test_hosts_are_lower_cased() -> None:
    assert clean_host("Calls.Example.COM:8443") == "calls.example.com:8443"
    assert clean_host("[::1]:3334") == "[::1]:3334"
