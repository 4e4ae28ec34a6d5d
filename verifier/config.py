"""The verifier's trust configuration: which registries it believes, and its network limits.

A credential names the chain and registry it was anchored on, but the verifier only believes
registries listed here: anyone can deploy a look-alike registry and anchor forgeries on it. The file
is TOML, found at `--config`, `$MEDCRED_VERIFIER_CONFIG`, `<data-dir>/verifier.toml`, or
`~/.config/medcred/verifier.toml`, in that order:

    [[registry]]
    name = "MedCred local chain"
    chain = "eip155:31337"
    address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    rpc_url = "http://127.0.0.1:8545"

    [[trusted_issuer]]     # an issuer trusted without a registry (see verifier/trust.py)
    did = "did:web:school.example"
    name = "Example School of Medicine"

    [[trust_list]]         # a published list of issuer DIDs: a file (relative to this one) or URL
    name = "Example accreditation list"
    source = "lists/accredited.json"

    [network]
    timeout = 5            # seconds, for RPC, did:web and status list fetches
    did_web = true         # resolve did:web over HTTPS
    did_web_folder = ""    # a folder of did.json files consulted first (offline use)
    status_list = true     # fetch Bitstring Status Lists
    fetch_credentials = true  # allow `verify URL`
    allow_hosts = []       # loopback/private origins ("127.0.0.1:8000") that may be fetched

    [cache]
    ttl_seconds = 60       # how long a long-running server trusts a cached chain read
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_utils import is_address, to_checksum_address

from verifier.errors import InputError
from verifier.fetch import Fetcher, FetchPolicy, default_fetcher, origin_of, parse_allow_hosts
from verifier.trust import TrustedIssuer, TrustListSource, parse_trust_lists, parse_trusted_issuers

CONFIG_ENV = "MEDCRED_VERIFIER_CONFIG"
CONFIG_FILENAME = "verifier.toml"
FETCH_MAX_BYTES = 4 * 1024 * 1024
"""Cap on any fetched document; callers apply their own, smaller caps (credentials, DID documents)."""
_CAIP2 = re.compile(r"^eip155:([1-9][0-9]{0,19})$")


class ConfigError(InputError):
    """The trust configuration file is missing or malformed."""


@dataclass(frozen=True)
class TrustedRegistry:
    name: str
    chain_id: int
    address: str
    rpc_url: str | None = None
    w3: Any = field(default=None, compare=False, repr=False)
    """An already-connected Web3 (in-process chains in tests); takes precedence over `rpc_url`."""

    @property
    def chain(self) -> str:
        return f"eip155:{self.chain_id}"


@dataclass(frozen=True)
class VerifierConfig:
    registries: tuple[TrustedRegistry, ...] = ()
    timeout: float = 5.0
    did_web: bool = True
    did_web_folder: Path | None = None
    status_list: bool = True
    fetch_credentials: bool = True
    cache_ttl_seconds: float | None = 60.0
    source: Path | None = None
    allow_hosts: frozenset[str] = frozenset()
    """Origins (`host:port`) that may be fetched although they are loopback or private addresses."""
    trusted_issuers: tuple[TrustedIssuer, ...] = ()
    trust_lists: tuple[TrustListSource, ...] = ()

    @property
    def trusts_anything(self) -> bool:
        """Whether any registry, trusted issuer or trust list is configured (else nothing can be
        checked: every credential's issuer would be untrusted)."""
        return bool(self.registries or self.trusted_issuers or self.trust_lists)

    def find_registry(self, chain_id: int, address: str) -> TrustedRegistry | None:
        for registry in self.registries:
            if registry.chain_id == chain_id and registry.address.lower() == address.lower():
                return registry
        return None

    def with_registry(self, registry: TrustedRegistry) -> VerifierConfig:
        return replace(self, registries=(*self.registries, registry))

    def fetch_policy(self) -> FetchPolicy:
        """The limits of every outbound fetch under this configuration (see verifier.fetch)."""
        return FetchPolicy(timeout=self.timeout, max_bytes=FETCH_MAX_BYTES, allow_hosts=self.allow_hosts)

    def fetcher(self) -> Fetcher:
        """The process-wide hardened fetcher for this configuration's policy (shared, thread-safe)."""
        return default_fetcher(self.fetch_policy())

    def allowing_origin(self, url: str) -> VerifierConfig:
        """The same configuration, also allowed to fetch from the origin of `url` (the local issuer)."""
        origin = origin_of(url)
        if origin in self.allow_hosts:
            return self
        return replace(self, allow_hosts=self.allow_hosts | {origin})

    def offline(self) -> VerifierConfig:
        """The same trust with every network fetch except chain reads switched off."""
        return replace(self, did_web=False, status_list=False, fetch_credentials=False)


def _registry(entry: Any, where: str) -> TrustedRegistry:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each [[registry]] must be a table.")
    missing = [k for k in ("chain", "address") if k not in entry]
    if missing:
        raise ConfigError(f"{where}: a [[registry]] lacks {', '.join(missing)}.")
    match = _CAIP2.match(str(entry["chain"]))
    if match is None:
        raise ConfigError(f"{where}: chain {entry['chain']!r} is not a CAIP-2 EVM id such as eip155:1.")
    address = entry["address"]
    if not isinstance(address, str) or not is_address(address):
        raise ConfigError(f"{where}: registry address {address!r} is not an Ethereum address.")
    rpc_url = entry.get("rpc_url")
    if rpc_url is not None and not (isinstance(rpc_url, str) and rpc_url.startswith(("http://", "https://"))):
        raise ConfigError(f"{where}: rpc_url must be an http(s) URL.")
    return TrustedRegistry(
        name=str(entry.get("name") or f"registry {address}"),
        chain_id=int(match.group(1)),
        address=to_checksum_address(address),
        rpc_url=rpc_url,
    )


def parse_config(text: str, where: str = "the configuration") -> VerifierConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}.") from None
    registries = data.get("registry", [])
    if isinstance(registries, dict):
        registries = [registries]
    network = data.get("network", {}) or {}
    cache = data.get("cache", {}) or {}
    try:
        timeout = float(network.get("timeout", 5.0))
        ttl = cache.get("ttl_seconds", 60.0)
        ttl = None if ttl in (None, -1) else float(ttl)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: timeout and ttl_seconds must be numbers.") from None
    if timeout <= 0:
        raise ConfigError(f"{where}: timeout must be positive.")
    folder = network.get("did_web_folder") or None
    allow = network.get("allow_hosts", [])
    if not isinstance(allow, list):
        raise ConfigError(f'{where}: allow_hosts must be a list such as ["127.0.0.1:8000"].')
    try:
        allow_hosts = parse_allow_hosts(allow)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}.") from None
    return VerifierConfig(
        registries=tuple(_registry(r, where) for r in registries),
        timeout=timeout,
        did_web=bool(network.get("did_web", True)),
        did_web_folder=Path(folder) if folder else None,
        status_list=bool(network.get("status_list", True)),
        fetch_credentials=bool(network.get("fetch_credentials", True)),
        cache_ttl_seconds=ttl,
        allow_hosts=allow_hosts,
        trusted_issuers=parse_trusted_issuers(data.get("trusted_issuer", []), where),
        trust_lists=parse_trust_lists(data.get("trust_list", []), where),
    )


def default_config_path(data_dir: Path | None = None) -> Path | None:
    """The first configuration file that exists in the documented search order."""
    candidates: list[Path] = []
    if os.environ.get(CONFIG_ENV):
        candidates.append(Path(os.environ[CONFIG_ENV]))
    if data_dir is not None:
        candidates.append(Path(data_dir) / CONFIG_FILENAME)
    candidates.append(Path.home() / ".config" / "medcred" / CONFIG_FILENAME)
    return next((c for c in candidates if c.is_file()), None)


def load_config(path: str | Path | None = None, data_dir: Path | None = None) -> VerifierConfig:
    """Load `path`, or the default file; with none at all, a config that trusts no registry."""
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"The verifier configuration {file} does not exist.")
    else:
        file = default_config_path(data_dir)
        if file is None:
            return VerifierConfig()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The verifier configuration {file} cannot be read: {exc}.") from None
    return replace(parse_config(text, str(file)), source=file)


def render_config(registries: list[TrustedRegistry], allow_hosts: Iterable[str] = ()) -> str:
    """TOML text for `registries` (and `[network] allow_hosts`), as `medcred registry deploy` writes it."""
    lines = ["# MedCred verifier trust configuration: the registries this verifier believes.", ""]
    for registry in registries:
        lines += [
            "[[registry]]",
            f"name = {_toml_str(registry.name)}",
            f'chain = "{registry.chain}"',
            f'address = "{registry.address}"',
        ]
        if registry.rpc_url:
            lines.append(f"rpc_url = {_toml_str(registry.rpc_url)}")
        lines.append("")
    lines += ["[network]", "timeout = 5", "did_web = true", "status_list = true"]
    allowed = sorted(set(allow_hosts))
    if allowed:
        lines.append("allow_hosts = [" + ", ".join(_toml_str(o) for o in allowed) + "]")
    lines.append("")
    return "\n".join(lines)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
