"""Throughput of the credential primitives, per core (one process, one thread).

    .venv/bin/python benchmarks/bench_credentials.py [--seconds 2] [--distinct 400]

Prints credentials per second for RDFC canonicalization (MedCred's path and plain pyld),
eddsa-rdfc-2022 sign and verify, eddsa-jcs-2022 sign and verify, and the time to build a Merkle
tree of 10,000 leaves. Every iteration works on a different credential (distinct ids, recipients,
salts), so no per-document cache can flatter the figures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from issuer.credential_builder import IssuerProfile, Recipient, build_credential
from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.merkle_tree import MerkleTree, build_tree
from issuer.signing import sign
from issuer.templates import list_templates
from verifier.canonicalize import canonicalize_with_pyld, rdfc
from verifier.data_integrity import verify_proofs
from verifier.merkle import credential_digest


def credentials(count: int) -> list[dict[str, Any]]:
    """`count` distinct unsigned credentials across all templates, with a status entry."""
    key = Ed25519KeyPair.from_seed(bytes(range(32)))
    did = did_key_for(key.public_key_multibase)
    issuer = IssuerProfile(did, "St Elsewhere Simulation Centre", "https://sim.example.org")
    templates = list(list_templates().values())
    start = datetime(2025, 1, 1, tzinfo=UTC)
    result = []
    for i in range(count):
        status = {
            "id": f"https://sim.example.org/status/1#{i}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(i),
            "statusListCredential": "https://sim.example.org/status/1",
        }
        result.append(
            build_credential(
                templates[i % len(templates)],
                issuer,
                Recipient(f"learner{i}@hospital.example.org", f"Learner {i}" if i % 2 else None),
                valid_from=start + timedelta(minutes=i),
                credential_status=status,
            )
        )
    return result


def rate(label: str, work: Callable[[Any], Any], items: Sequence[Any], seconds: float) -> float:
    """Run `work` over `items` (cycled) for about `seconds`; print and return items per second."""
    for item in items[:5]:
        work(item)  # warm caches that every real process warms once
    done, began = 0, time.perf_counter()
    deadline = began + seconds
    for item in itertools.cycle(items):
        work(item)
        done += 1
        if done % 20 == 0 and time.perf_counter() >= deadline:
            break
    per_second = done / (time.perf_counter() - began)
    print(f"{label:<44} {per_second:>9,.0f} /s/core   ({1000 / per_second:.3f} ms each)")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per figure")
    parser.add_argument("--distinct", type=int, default=400, help="distinct credentials to cycle through")
    args = parser.parse_args()

    key = Ed25519KeyPair.from_seed(bytes(range(32)))
    method = did_key_verification_method(key.public_key_multibase)
    unsigned = credentials(args.distinct)
    rdfc_signed = [sign(c, key, method) for c in unsigned]
    jcs_signed = [sign(c, key, method, cryptosuite="eddsa-jcs-2022") for c in unsigned]
    assert all(verify_proofs(c).verified for c in rdfc_signed[:20] + jcs_signed[:20])

    print(f"MedCred credential benchmarks: Python {sys.version.split()[0]}, pid {os.getpid()}, one core")
    rate("RDFC canonicalization (MedCred)", rdfc, unsigned, args.seconds)
    rate("RDFC canonicalization (pyld reference path)", canonicalize_with_pyld, unsigned, args.seconds)
    rate("eddsa-rdfc-2022 sign", lambda c: sign(c, key, method), unsigned, args.seconds)
    rate("eddsa-rdfc-2022 verify", verify_proofs, rdfc_signed, args.seconds)
    rate(
        "eddsa-jcs-2022 sign",
        lambda c: sign(c, key, method, cryptosuite="eddsa-jcs-2022"),
        unsigned,
        args.seconds,
    )
    rate("eddsa-jcs-2022 verify", verify_proofs, jcs_signed, args.seconds)
    rate("credential digest (keccak of JCS)", credential_digest, rdfc_signed, args.seconds)

    many = [rdfc_signed[i % len(rdfc_signed)] for i in range(10_000)]
    began = time.perf_counter()
    digests = [credential_digest(c) for c in many]
    digest_time = time.perf_counter() - began
    began = time.perf_counter()
    tree = MerkleTree.from_digests(digests)
    tree_time = time.perf_counter() - began
    began = time.perf_counter()
    for index in range(len(tree)):
        tree.proof(index)
    path_time = time.perf_counter() - began
    print(
        f"{'Merkle tree of 10,000 leaves':<44} {tree_time * 1000:>9,.0f} ms build from digests "
        f"({10_000 / tree_time:,.0f} leaves/s), {digest_time * 1000:,.0f} ms digests, "
        f"{path_time * 1000:,.0f} ms all paths"
    )
    assert build_tree(many[:3]).root == MerkleTree.from_digests(digests[:3]).root


if __name__ == "__main__":
    main()
