"""The hardened fetcher (verifier.fetch) against real HTTP servers on 127.0.0.1.

Loopback is one of the refused address ranges, so the positive paths run with the test server's
origin in `allow_hosts`, and the refusals with it absent: exactly how a deployment's
`[network] allow_hosts` is used.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hostile_servers import SECRET, HostileServer, closed_port, hostile_server

from verifier.config import ConfigError, parse_config
from verifier.fetch import (
    Fetcher,
    FetchError,
    FetchPolicy,
    address_is_public,
    normalize_origin,
)

GENERIC = "could not be fetched: the host is unreachable, did not answer in time, or is not a public address."


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with hostile_server() as served:
        yield served


def _refusal(fetcher: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url)
    return caught.value


def _tail(error: FetchError) -> str:
    """The sentence without the URL it starts with."""
    return str(error).split(" could not be fetched", 1)[-1]


def test_the_allowed_origin_is_fetched(server: HostileServer) -> None:
    fetcher = Fetcher(FetchPolicy(allow_hosts=server.allow))
    assert b"s3cr3t-internal-token" in fetcher.get(server.base_url + "/secret")


def test_loopback_private_link_local_and_the_like_all_read_the_same(server: HostileServer) -> None:
    """Open port, closed port, private, link-local, multicast, unspecified, IPv4-mapped IPv6, a DNS name
    for loopback: the same sentence and code, and nothing of what the internal service would say."""
    fetcher = Fetcher(FetchPolicy(timeout=2.0))
    port = server.base_url.rsplit(":", 1)[1]
    urls = [
        f"{server.base_url}/secret",  # open port, answering secrets
        f"http://127.0.0.1:{closed_port()}/secret",  # closed port
        f"http://localhost:{port}/secret",  # a name that resolves to loopback
        f"http://[::1]:{port}/secret",
        f"http://[::ffff:127.0.0.1]:{port}/secret",  # IPv4-mapped IPv6
        f"http://0.0.0.0:{port}/secret",
        "http://[::]/secret",
        "http://10.0.0.1/secret",  # private (never connected to: would be filtered)
        "http://192.168.1.1:22/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://[fe80::1]/",
        "http://224.0.0.1/",  # multicast
        "http://100.64.0.1/",  # shared address space
        "http://2130706433/secret",  # 127.0.0.1 as one decimal number
    ]
    before = server.count("/secret")
    errors = [_refusal(fetcher, url) for url in urls]
    assert {e.code for e in errors} == {"fetch_unreachable"}
    assert {_tail(e) for e in errors} == {": " + GENERIC.split(": ", 1)[1]}
    for error in errors:
        assert "s3cr3t" not in str(error)
        assert "metadata-service" not in str(error)
    assert server.count("/secret") == before  # never even asked


def test_an_allowed_origin_does_not_open_the_host_s_other_ports(server: HostileServer) -> None:
    fetcher = Fetcher(FetchPolicy(allow_hosts=server.allow))
    with hostile_server() as other:  # same host, other port: not allowed
        error = _refusal(fetcher, other.base_url + "/secret")
        assert other.count() == 0
    assert error.code == "fetch_unreachable"


def test_a_redirect_to_an_internal_address_is_checked_again(server: HostileServer) -> None:
    with hostile_server() as internal:
        url = server.redirect("/to-internal", internal.base_url + "/secret")
        error = _refusal(Fetcher(FetchPolicy(allow_hosts=server.allow)), url)
        assert internal.count() == 0
    assert error.code == "fetch_unreachable"
    assert "s3cr3t" not in str(error)


def test_redirects_followed_within_the_limit(server: HostileServer) -> None:
    fetcher = Fetcher(FetchPolicy(allow_hosts=server.allow, max_redirects=2))
    server.redirect("/r1", "/r2")
    server.redirect("/r2", "/secret")
    assert b"metadata-service" in fetcher.get(server.base_url + "/r1")
    server.redirect("/loop", "/loop")
    assert _refusal(fetcher, server.base_url + "/loop").code == "fetch_redirects"
    server.redirect("/to-file", "file:///etc/passwd")
    assert _refusal(fetcher, server.base_url + "/to-file").code == "fetch_redirects"


def test_https_only_refuses_plain_http_and_a_downgrade(server: HostileServer) -> None:
    fetcher = Fetcher(FetchPolicy(allow_hosts=server.allow))
    with pytest.raises(FetchError, match="not served over HTTPS"):
        fetcher.get(server.base_url + "/secret", https_only=True)


def test_a_dripping_server_is_cut_off_at_the_total_deadline(server: HostileServer) -> None:
    """One byte every 0.2 s for 12 s: every read returns quickly, so only a total deadline stops it."""
    url = server.drip("/drip", total=60, every=0.2)
    error = _refusal(Fetcher(FetchPolicy(timeout=1.0, allow_hosts=server.allow)), url)
    assert error.code == "fetch_unreachable"
    assert "did not answer in time" in str(error)


def test_the_deadline_also_covers_a_server_that_never_answers() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        origin = f"127.0.0.1:{listener.getsockname()[1]}"
        error = _refusal(
            Fetcher(FetchPolicy(timeout=0.5, allow_hosts=frozenset({origin}))), f"http://{origin}/"
        )
    finally:
        listener.close()
    assert error.code == "fetch_unreachable"


def test_the_size_cap_while_streaming_and_from_content_length(server: HostileServer) -> None:
    fetcher = Fetcher(FetchPolicy(max_bytes=100_000, allow_hosts=server.allow))
    error = _refusal(fetcher, server.endless("/endless"))
    assert error.code == "fetch_too_large"
    server.json("/big", {"x": "y" * 200_000})
    assert _refusal(fetcher, server.base_url + "/big").code == "fetch_too_large"


def test_http_error_statuses_name_the_status_only(server: HostileServer) -> None:
    server.json("/forbidden", SECRET, status=403)
    error = _refusal(Fetcher(FetchPolicy(allow_hosts=server.allow)), server.base_url + "/forbidden")
    assert error.code == "fetch_http_status"
    assert "HTTP 403" in str(error)
    assert "s3cr3t" not in str(error)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://[::1]:99999/",
        "http://exa mple.org/",
        "http://user:password@example.org/",
        "https://example.org@127.0.0.1/",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "//example.org/x",
        "",
        "http://example.org/" + "a" * 1_500_000,
        "http://\udcff/",
    ],
)
def test_malformed_urls_are_a_fetch_error_never_an_exception(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        Fetcher().get(url)
    assert caught.value.code == "fetch_url_invalid"
    assert len(str(caught.value)) < 300  # a 1.5 MB URL is not echoed back


def test_failures_are_cached_briefly_and_the_cache_is_bounded(server: HostileServer) -> None:
    fetcher = Fetcher(FetchPolicy(allow_hosts=server.allow, failure_cache_size=50, failure_ttl=60))
    missing = server.base_url + "/missing-once"
    before = server.count("/missing-once")
    for _ in range(5):
        assert _refusal(fetcher, missing).code == "fetch_http_status"
    assert server.count("/missing-once") == before + 1  # asked once, then remembered
    for n in range(2_000):
        _refusal(fetcher, f"http://10.0.0.1/{n}")
    assert fetcher.failure_count() == 50
    expiring = Fetcher(FetchPolicy(allow_hosts=server.allow, failure_ttl=0))
    _refusal(expiring, missing)
    _refusal(expiring, missing)
    assert server.count("/missing-once") == before + 3  # a zero TTL remembers nothing


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("10.1.2.3", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("2001:db8::1", False),
        ("not an address", False),
    ],
)
def test_address_classification(address: str, public: bool) -> None:
    assert address_is_public(address) is public


def test_allow_hosts_in_the_verifier_configuration() -> None:
    config = parse_config('[network]\nallow_hosts = ["127.0.0.1:8000", "LocalHost:8443", "[::1]:9000"]\n')
    assert config.allow_hosts == {"127.0.0.1:8000", "localhost:8443", "[::1]:9000"}
    assert config.fetcher().policy.allow_hosts == config.allow_hosts
    assert config.fetcher() is config.fetcher()  # one per policy and process
    assert normalize_origin("http://127.0.0.1") == "127.0.0.1:80"
    for bad in ('"127.0.0.1"', '"127.0.0.1:8000/path"', "[1]", '"127.0.0.1:99999"'):
        with pytest.raises(ConfigError, match="allow_hosts"):
            parse_config(f"[network]\nallow_hosts = [{bad}]\n")
    with pytest.raises(ConfigError, match="allow_hosts must be a list"):
        parse_config('[network]\nallow_hosts = "127.0.0.1:8000"\n')
