"""Opening the chain and the recorded registry for a command, from the global settings."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from issuer.chain.backends import Chain, open_chain
from issuer.chain.deployment import Deployment, DeploymentStore
from issuer.chain.registry_writer import RegistryWriter
from issuer.chain.transactions import TransactionSender
from issuer.data_folder import write_private
from issuer.loopback import url_is_loopback
from verifier.chain.registry_reader import RegistryReader
from verifier.config import CONFIG_FILENAME, TrustedRegistry, load_config, render_config
from verifier.settings import Settings


@dataclass
class RegistryContext:
    chain: Chain
    deployment: Deployment

    @property
    def reader(self) -> RegistryReader:
        return RegistryReader(self.chain.w3, self.deployment.address, chain_id=self.deployment.chain_id)

    def writer(self, account: LocalAccount, confirmations: int = 1) -> RegistryWriter:
        return RegistryWriter(
            TransactionSender(self.chain.w3, account, confirmations), self.deployment.address
        )


def deployment_store(settings: Settings, chain: Chain) -> DeploymentStore:
    return DeploymentStore(settings.data_dir, persistent=chain.kind != "memory")


def open_registry(settings: Settings) -> RegistryContext:
    """The chain of `settings` and the registry recorded for it; clear errors when either is missing."""
    chain = open_chain(settings.chain, settings.data_dir)
    deployment = deployment_store(settings, chain).require(chain.chain_id)
    context = RegistryContext(chain=chain, deployment=deployment)
    context.reader.check()
    return context


def record_deployment(settings: Settings, chain: Chain, deployment: Deployment) -> None:
    """Remember a deployment, and make the local verifier trust it.

    On a chain with an RPC URL the registry is also written into `<data-dir>/verifier.toml`, so that
    `medcred verify` on this machine trusts the registry it just deployed, and nothing else.
    """
    deployment_store(settings, chain).save(deployment)
    trust_deployment(settings, chain, deployment)


def trust_deployment(settings: Settings, chain: Chain, deployment: Deployment) -> None:
    """Write (or refresh) this chain's entry in `<data-dir>/verifier.toml`, keeping the others.

    Called again whenever the local chain starts, because its port can change between runs.
    """
    if chain.rpc_url is None:
        return
    path = settings.data_dir / CONFIG_FILENAME
    existing = load_config(path) if path.is_file() else None
    kept = [r for r in (existing.registries if existing else ()) if r.chain_id != deployment.chain_id]
    name = (
        "MedCred local chain" if chain.kind == "local" else f"MedCred registry on chain {deployment.chain_id}"
    )
    trusted = TrustedRegistry(name, deployment.chain_id, deployment.address, chain.rpc_url)
    allowed = existing.allow_hosts if existing else ()
    write_private(path, render_config([*kept, trusted], allow_hosts=allowed))


def allow_local_origin(settings: Settings, url: str) -> None:
    """Let the local verifier (`<data-dir>/verifier.toml`) fetch from `url`'s origin, if loopback.

    `medcred run` serves credentials and status lists on 127.0.0.1; the hardened fetcher refuses
    loopback addresses unless `[network] allow_hosts` lists the origin, so `medcred verify URL` on
    this machine needs it. A public origin needs nothing and is not written.
    """
    path = settings.data_dir / CONFIG_FILENAME
    if not url_is_loopback(url) or not path.is_file():
        return
    config = load_config(path)
    updated = config.allowing_origin(url)
    if updated.allow_hosts != config.allow_hosts:
        write_private(path, render_config(list(config.registries), updated.allow_hosts))
