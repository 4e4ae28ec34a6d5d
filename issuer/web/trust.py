"""The verifier configuration the issuer's own verifier page uses.

`<data_dir>/verifier.toml` (written by `medcred registry deploy` on chains with an RPC URL) says
which registries to trust. The in-process `memory` chain has no URL, so there the registry the
service itself anchors on is added with the live Web3 connection: `medcred serve --chain memory`
can then verify what it just issued.
"""

from __future__ import annotations

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
