"""Gas used by each registry operation, and anchoring gas per credential by batch size.

    .venv/bin/python benchmarks/gas.py [--chain memory|local|URL]

Gas does not depend on the backend (same EVM rules, cancun); `memory` needs nothing running.
For comparison: an attestation service such as EAS pays one attestation transaction per credential,
whereas one anchor covers a whole batch.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from eth_account import Account

from issuer.chain.backends import open_chain
from issuer.chain.registry_writer import RegistryWriter, deploy_registry
from issuer.chain.transactions import TransactionSender

TARGET_ANCHOR = 60_000
TARGET_REVOKE_PER_CREDENTIAL = 6_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chain", default="memory")
    parser.add_argument("--data-dir", default=os.environ.get("MEDCRED_DATA_DIR", "./var"))
    args = parser.parse_args()

    chain = open_chain(args.chain, Path(args.data_dir))
    governor = TransactionSender(chain.w3, chain.governor())
    deployment = deploy_registry(governor)
    deploy_gas = chain.w3.eth.get_transaction_receipt(deployment.tx_hash)["gasUsed"]
    registry = RegistryWriter(governor, deployment.address)

    issuer_account = Account.create()
    governor.send_value(issuer_account.address, 10**18, "funding")
    add = registry.add_issuer(issuer_account.address, "did:web:bench.example", "Benchmark School of Medicine")
    issuer = RegistryWriter(TransactionSender(chain.w3, issuer_account), deployment.address)
    key = issuer.register_key(os.urandom(32), 0, 0)

    rows: list[tuple[str, int]] = [
        ("deploy", deploy_gas),
        ("add-issuer", add.gas_used),
        ("register key", key.gas_used),
    ]
    anchors: dict[int, int] = {}
    for size in (1, 10, 100, 1_000, 10_000):
        anchors[size] = issuer.anchor(os.urandom(32), size).gas_used
    rows.append(("anchor (one root)", anchors[1]))

    root = os.urandom(32)
    issuer.anchor(root, 1_000)
    rows.append(("revoke one", issuer.revoke(root, 500).gas_used))
    bulk = issuer.revoke_batch(root, list(range(100)), "superseded").gas_used
    rows.append(("revoke 100 in bulk", bulk))
    scattered = issuer.revoke_batch(root, list(range(101, 1_000, 9)), "superseded")
    rows.append((f"revoke {len(range(101, 1_000, 9))} scattered in bulk", scattered.gas_used))

    key_id = os.urandom(32)
    issuer.register_key(key_id, 0, 0)
    rows.append(("retire key", issuer.retire_key(key_id, 2**40).gas_used))
    rows.append(("suspend issuer", registry.suspend_issuer(issuer_account.address).gas_used))
    rows.append(
        (
            "restore key window",
            registry.restore_key_window(issuer_account.address, key_id, 2**40 - 10, 0).gas_used,
        )
    )
    rows.append(
        ("move issuer", registry.move_issuer(issuer_account.address, Account.create().address).gas_used)
    )

    print(f"Chain: {chain.kind} (chain id {chain.chain_id})\n")
    print(f"{'operation':<32}{'gas':>12}")
    for name, gas in rows:
        print(f"{name:<32}{gas:>12,}")
    per_credential = bulk / 100
    print(f"\n{'revocation per credential (bulk 100)':<40}{per_credential:>10,.0f}", end="")
    print(f"   target <= {TARGET_REVOKE_PER_CREDENTIAL:,}")
    print(f"{'anchor (one root)':<40}{anchors[1]:>10,}   target <= {TARGET_ANCHOR:,}")
    print("\nAmortized anchoring gas per credential")
    print(f"{'batch size':>12}{'anchor gas':>14}{'gas / credential':>20}")
    for size, gas in anchors.items():
        print(f"{size:>12,}{gas:>14,}{gas / size:>20,.1f}")


if __name__ == "__main__":
    main()
