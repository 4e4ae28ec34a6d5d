"""A small real world for pipeline tests: a registry on a chain, accredited institutions with keys,
and credentials signed and anchored exactly as the issuer does it (no mocks)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from issuer.anchor_proof import AnchorInfo, attach_anchor_proofs
from issuer.chain.backends import Chain
from issuer.chain.registry_writer import RegistryWriter, deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.credential_builder import IssuerProfile, Recipient, build_credential
from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.merkle_tree import build_tree
from issuer.signing import sign, signing_time
from issuer.templates import load_template
from verifier.config import TrustedRegistry, VerifierConfig


@dataclass
class Institution:
    name: str
    account: LocalAccount
    writer: RegistryWriter
    key: Ed25519KeyPair
    did: str
    key_valid_from: int = 0
    """The registered key's start (its registration block time), as the issuer records it."""

    @property
    def method(self) -> str:
        return did_key_verification_method(self.key.public_key_multibase)

    @property
    def profile(self) -> IssuerProfile:
        return IssuerProfile(did=self.did, name=self.name)


@dataclass
class World:
    chain: Chain
    address: str
    governor: RegistryWriter
    institutions: list[Institution] = field(default_factory=list)

    @classmethod
    def create(cls, chain: Chain) -> World:
        sender = TransactionSender(chain.w3, chain.governor())
        deployment = deploy_registry(sender)
        return cls(
            chain=chain, address=deployment.address, governor=RegistryWriter(sender, deployment.address)
        )

    def config(self, **overrides: Any) -> VerifierConfig:
        registry = TrustedRegistry(
            name="MedCred test registry", chain_id=self.chain.chain_id, address=self.address, w3=self.chain.w3
        )
        options: dict[str, Any] = {"registries": (registry,), "status_list": False, "did_web": False}
        options.update(overrides)
        return VerifierConfig(**options)

    def institution(
        self, name: str = "Northbridge Resuscitation Council", *, register_key: bool = True
    ) -> Institution:
        account = Account.create()
        self.governor.sender.send_value(account.address, 10**18, "funding")
        key = Ed25519KeyPair.generate()
        did = did_key_for(key.public_key_multibase)
        self.governor.add_issuer(account.address, did, name)
        writer = RegistryWriter(TransactionSender(self.chain.w3, account), self.address)
        valid_from = 0
        if register_key:
            result = writer.register_key(key.fingerprint, int(time.time()) - 3600, 0)
            valid_from = int(self.chain.w3.eth.get_block(result.block_number)["timestamp"])
        inst = Institution(
            name=name, account=account, writer=writer, key=key, did=did, key_valid_from=valid_from
        )
        self.institutions.append(inst)
        return inst

    def issue(
        self,
        inst: Institution,
        count: int = 1,
        *,
        template: str = "acls",
        valid_from: datetime | None = None,
        holder: str | None = "Dr Ada Okafor",
        email: str = "ada.okafor@example.org",
        credential_status: dict[str, Any] | None = None,
        base_url: str | None = None,
        created: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """`count` signed credentials (ids under `base_url` when given, as the issuer makes them;
        dated `created`, default: as the issuer dates them)."""
        valid_from = valid_from or datetime.now(UTC) - timedelta(days=1)
        out = []
        for i in range(count):
            unsigned = build_credential(
                load_template(template),
                inst.profile,
                Recipient(email=email if count == 1 else f"{i}.{email}", name=holder),
                valid_from=valid_from,
                credential_status=credential_status,
                base_url=base_url,
            )
            out.append(
                sign(unsigned, inst.key, inst.method, created=created or signing_time(inst.key_valid_from))
            )
        return out

    def anchor(self, inst: Institution, credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
        tree = build_tree(credentials)
        result = inst.writer.anchor(tree.root, len(credentials))
        block = self.chain.w3.eth.get_block(result.block_number)
        info = AnchorInfo(
            chain_id=self.chain.chain_id,
            registry=self.address,
            merkle_root=tree.root,
            transaction_hash=result.tx_hash,
            block_number=result.block_number,
            block_time=datetime.fromtimestamp(block["timestamp"], UTC),
        )
        return attach_anchor_proofs(credentials, tree, info)

    def issue_anchored(self, inst: Institution, count: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
        return self.anchor(inst, self.issue(inst, count, **kwargs))
