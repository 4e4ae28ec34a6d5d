"""The verifier configuration the issuer's own verifier page uses.

`<data_dir>/verifier.toml` (written by `medcred registry deploy` on chains with an RPC URL) says
which registries to trust. The in-process `memory` chain has no URL, so there the registry the
service itself anchors on is added with the live Web3 connection: `medcred serve --chain memory`
can then verify what it just issued.

The issuer's own verifier page may always fetch from the issuer's own public origin (its credential
URLs and status lists), even when that is a loopback address in development: see
`trusting_own_origin`.
"""

from __future__ import annotations

from collections.abc import Callable

from issuer.service import IssuerService
from verifier.config import TrustedRegistry, VerifierConfig, load_config


def verifier_config_for(service: IssuerService) -> VerifierConfig:
    config = load_config(None, service.config.data_dir)
    if service.config.settings.chain != "memory":
        return config
    context = service.chain.context()
    deployment = context.deployment
    if config.find_registry(deployment.chain_id, deployment.address) is not None:
        return config
    return config.with_registry(
        TrustedRegistry(
            "MedCred in-process chain", deployment.chain_id, deployment.address, w3=context.chain.w3
        )
    )


def trusting_own_origin(
    config: VerifierConfig | Callable[[], VerifierConfig], public_url: str
) -> Callable[[], VerifierConfig]:
    """`config` (or what the callable returns), also allowed to fetch from `public_url`'s origin.

    The hardened fetcher refuses loopback and private addresses unless allowed; the issuer's page
    fetching the issuer's own credentials and status lists is always allowed.
    """

    def resolved() -> VerifierConfig:
        base = config() if callable(config) else config
        return base.allowing_origin(public_url)

    return resolved
