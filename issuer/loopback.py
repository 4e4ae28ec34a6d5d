"""Whether a host name or URL stays on this machine (RFC 6890 loopback, RFC 6761 `localhost`).

    is_loopback_host("127.0.0.1") -> True;  is_loopback_host("0.0.0.0") -> False
    url_is_loopback("http://[::1]:8545") -> True;  url_is_loopback("http://10.0.0.5:8545") -> False

Used where something safe only on one machine must not reach a network: anvil's public development
mnemonic as registry governor (issuer.chain.backends), and a master key kept beside the database
of a server listening beyond loopback (issuer.data_folder). Names are not resolved: a name that
happens to point at 127.0.0.1 today may not tomorrow, so only `localhost` and `*.localhost` count.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 (bracketed or not), `localhost` and `*.localhost`; else False."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def url_is_loopback(url: str) -> bool:
    """Whether the host of `url` is loopback (False for a URL without a host or that cannot be parsed)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return bool(host) and is_loopback_host(host)
