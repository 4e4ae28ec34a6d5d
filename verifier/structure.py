"""Structural limits checked before any cryptography (issue 9: a credential must not be able to buy
minutes of CPU with a few kilobytes).

Canonicalizing and hashing a proof costs time proportional to the document, once per proof, and a
chained proof (`previousProof`) signs the document together with the proofs it names, so 400
chained proofs cost 400 canonicalizations of a growing document (43 s), and 50,000 `@context`
entries cost 64 s of context processing. JSON-LD's node map adds each value of a property only if
it is not there yet, comparing it with every value before it, so one array of n values costs n²/2
comparisons (6,000 values: 18 s). These limits are far above what any credential needs (MedCred's
own have two proofs, a chain of two, two contexts, a few hundred JSON values and arrays of a few
items) and far below what hurts:

| limit | default | code |
|---|---|---|
| proofs in the proof set | 8 | `too_many_proofs` |
| length of a `previousProof` chain (proofs) | 4 | `proof_chain_too_long` (a cycle: `proof_chain_cycle`) |
| `@context` entries, counted everywhere in the document | 32 | `too_many_contexts` |
| JSON values (objects, arrays, strings, numbers...) | 4,000 | `too_large` |
| sum over arrays of (length)² | 250,000 (one array of 500) | `too_large` |

`check_structure` walks the parsed JSON once, iteratively, and stops at the first limit passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier.errors import InputError


@dataclass(frozen=True)
class StructureLimits:
    """The limits (see the module docstring); counts, not bytes."""

    max_proofs: int = 8
    max_proof_chain: int = 4
    max_contexts: int = 32
    max_values: int = 4_000
    max_array_work: int = 250_000


DEFAULT_LIMITS = StructureLimits()


class StructureError(InputError):
    """A document passes a structural limit. `code` names the limit (see the module docstring)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def check_structure(document: Any, limits: StructureLimits = DEFAULT_LIMITS) -> None:
    """Raise StructureError if `document` (parsed JSON) passes one of `limits`; else return None."""
    _check_counts(document, limits)
    if isinstance(document, Mapping):
        _check_proofs(document.get("proof"), limits)


def _check_counts(document: Any, limits: StructureLimits) -> None:
    values = contexts = array_work = 0
    stack = [document]
    while stack:
        node = stack.pop()
        values += 1
        if values > limits.max_values:
            raise StructureError(
                f"The document holds more than {limits.max_values:,} JSON values; "
                "that is far more than a credential needs, so it is not checked.",
                "too_large",
            )
        if isinstance(node, Mapping):
            if "@context" in node:
                context = node["@context"]
                contexts += len(context) if isinstance(context, list) else 1
                if contexts > limits.max_contexts:
                    raise StructureError(
                        f"The document has more than {limits.max_contexts} @context entries; "
                        "no credential needs that many, so it is not checked.",
                        "too_many_contexts",
                    )
            stack.extend(node.values())
        elif isinstance(node, list):
            array_work += len(node) * len(node)
            if array_work > limits.max_array_work:
                raise StructureError(
                    f"The document's arrays are too long to check (one has {len(node):,} items).",
                    "too_large",
                )
            stack.extend(node)


def _check_proofs(proof: Any, limits: StructureLimits) -> None:
    if proof is None:
        return
    proofs = proof if isinstance(proof, list) else [proof]
    if len(proofs) > limits.max_proofs:
        raise StructureError(
            f"The credential carries {len(proofs):,} proofs; at most {limits.max_proofs} are checked.",
            "too_many_proofs",
        )
    previous: dict[str, list[str]] = {}
    for item in proofs:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            named = item.get("previousProof")
            names = [named] if isinstance(named, str) else named if isinstance(named, list) else []
            previous[item["id"]] = [n for n in names if isinstance(n, str)]
    # The longest previousProof chain, counted in proofs (memoised depth-first walk, no recursion).
    depth: dict[str, int] = {}
    for start in previous:
        stack: list[tuple[str, bool]] = [(start, False)]
        on_path: set[str] = set()
        while stack:
            node, done = stack.pop()
            if done:
                on_path.discard(node)
                depth[node] = 1 + max((depth.get(p, 0) for p in previous.get(node, [])), default=0)
                if depth[node] > limits.max_proof_chain:
                    raise StructureError(
                        f"The credential's proofs form a previousProof chain longer than "
                        f"{limits.max_proof_chain}; it is not checked.",
                        "proof_chain_too_long",
                    )
                continue
            if node in depth:
                continue
            if node in on_path:
                raise StructureError("The credential's previousProof references go round in a circle.",
                                     "proof_chain_cycle")  # fmt: skip
            on_path.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in previous.get(node, []) if p in previous and p not in depth)
