"""RDF Dataset Canonicalization under a work budget (RDFC-1.0, section "Dataset Poisoning").

RDFC-1.0 labels blank nodes that look alike by the Hash N-Degree Quads algorithm, which tries every
permutation of the look-alikes, recursively. A small document whose blank nodes form a clique (a
"poison dataset") therefore costs factorial time: a 2 KB credential with 8 such nodes took a
minute of CPU, 10 nodes hours. The specification asks implementations to bound this work; this
module does it around pyld's reference implementation (the algorithm itself is not re-written):

- every call of Hash N-Degree Quads costs one unit, plus one per quad of its blank node;
- each such call is charged, before its permutations run, for the permutations it is about to
  try: the sum over its groups of related blank nodes of `k! * k` (k nodes in a group), the worst
  case its loop can take (pruning may make it cheaper, never dearer).

First-degree hashing is linear in the dataset and not charged: the structural limits
(`verifier.structure`, at most 4,000 JSON values) bound it.

Past the budget, `TooComplexError` (a `CanonicalizationError`, code `too_complex`) is raised before
the expensive step starts, so an over-budget document is refused in milliseconds. Ordinary
credentials never reach N-degree hashing at all (each blank node carries distinct data) and spend
nothing.
"""

from __future__ import annotations

import math
from typing import Any

from pyld.canon import URDNA2015

DEFAULT_WORK_UNITS = 5_000
"""Enough for any credential with a handful of look-alike blank nodes (a 4-clique: 1,300 units); a
poison clique of 8 blank nodes needs millions."""
_FACTORIAL_CAP = 20  # 20! is far past any budget: no need to compute bigger factorials


class TooComplexError(Exception):
    """The work budget ran out. Carries the units spent and the limit (both integers)."""

    def __init__(self, spent: int, limit: int) -> None:
        super().__init__(f"canonicalization needs more than {limit:,} work units")
        self.spent = spent
        self.limit = limit


class WorkBudget:
    """A count of canonicalization work units with a limit; not thread-safe (one per document).

    `spent` can be read after a run (tests bound it; benchmarks print it).
    """

    def __init__(self, limit: int = DEFAULT_WORK_UNITS) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, units: int) -> None:
        """Charge `units`; TooComplexError when the total would pass the limit (nothing charged then)."""
        if self.spent + units > self.limit:
            raise TooComplexError(self.spent + units, self.limit)
        self.spent += units


class BudgetedURDNA2015(URDNA2015):
    """pyld's URDNA2015 (RDFC-1.0) charging a `WorkBudget` for its expensive steps."""

    def __init__(self, budget: WorkBudget) -> None:
        super().__init__()
        self.budget = budget

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        self.budget.spend(1)
        return super().hash_n_degree_quads(id_, issuer)

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        # Charged before the related hashes are computed: their number is the node's quads.
        self.budget.spend(len(self.blank_node_info[id_]["quads"]))
        groups = super().create_hash_to_related(id_, issuer)
        self.budget.spend(
            sum(math.factorial(min(len(nodes), _FACTORIAL_CAP)) * len(nodes) for nodes in groups.values())
        )
        return groups
