"""Checking a URL that a user typed, pasted or encoded in a QR code, before anything uses it.

    from verifier.urls import MalformedURLError, check_http_url
    url = check_http_url("https://school.example/credentials/1")   # the URL, stripped
    check_http_url("http://[::1")   # MalformedURLError: "'http://[::1' is not a valid URL: ..."

The standard library's `urlsplit`, `ipaddress` and the IDNA codec (RFC 3490) raise plain
`ValueError`/`UnicodeError` on a broken authority (an unclosed IPv6 bracket, a port that is not a
number, an empty or 64-character label), and HTTP clients raise their own errors later still. One
check at the door turns all of them into an `InputError` with a sentence the web pages answer with
400 and the CLI with exit code 2, instead of a 500 and a logged traceback.

Only the URL's shape is checked here. Which hosts may be fetched (loopback, private addresses,
redirects) is the hardened fetcher's business (`verifier.fetch`).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

from verifier.errors import InputError

MAX_URL_CHARS = 2048
"""Longer than any credential, status list or DID document URL; what browsers and CDNs accept."""
_SHOWN_CHARS = 80
_SCHEMES = ("http", "https")


class MalformedURLError(InputError):
    """A URL that cannot be a web address (a sentence naming the URL, shortened, and why)."""


def _shown(url: str) -> str:
    short = url if len(url) <= _SHOWN_CHARS else url[:_SHOWN_CHARS] + "…"
    return repr(short)


def _refuse(url: str, why: str) -> MalformedURLError:
    return MalformedURLError(f"{_shown(url)} is not a valid URL: {why}.")


def _check_host(url: str, parts: SplitResult) -> None:
    netloc = parts.netloc.rpartition("@")[2]
    host = parts.hostname or ""
    if not host:
        raise _refuse(url, "it names no host")
    if netloc.startswith("["):  # an IP literal (RFC 3986 section 3.2.2): IPv6 only, no zone
        if "%" in host:
            raise _refuse(url, "an IPv6 zone (the part after %) has no meaning outside this machine")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _refuse(url, "the part in brackets is not an IPv6 address") from None
        return
    try:
        host.encode("idna")  # empty or over-long labels, characters no host name may hold
    except UnicodeError:
        raise _refuse(url, "its host name is not a valid domain name") from None


def check_http_url(url: str) -> str:
    """`url` stripped, if it is a well-formed http(s) URL with a host; else MalformedURLError.

    Refused: other schemes, control characters or spaces, more than MAX_URL_CHARS characters, no
    host, a broken IPv6 literal, a non-numeric or out-of-range port, an invalid domain name.
    """
    url = url.strip()
    if not url:
        raise MalformedURLError("The URL is empty.")
    if len(url) > MAX_URL_CHARS:
        raise _refuse(url, f"it is longer than {MAX_URL_CHARS:,} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise _refuse(url, "it contains spaces or control characters")
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            raise _refuse(url, "only http:// and https:// addresses can be fetched")
        _check_host(url, parts)
        _ = parts.port  # raises ValueError for "abc" or 99999
    except MalformedURLError:
        raise
    except ValueError as exc:
        text = str(exc).lower()
        if "port" in text:
            why = "its port is not a number from 0 to 65535"
        elif "ipv6" in text:
            why = "the part in brackets is not a complete IPv6 address"
        else:
            why = "it cannot be parsed"
        raise _refuse(url, why) from None
    return url
