"""RDF Dataset Canonicalization under a work budget (RDFC-1.0, section "Dataset Poisoning").

RDFC-1.0 labels blank nodes that look alike by the Hash N-Degree Quads algorithm, which tries every
permutation of the look-alikes, recursively. A small document whose blank nodes form a clique (a
"poison dataset") therefore costs factorial time: a 2 KB credential with 8 such nodes took a
minute of CPU, 10 nodes hours. The specification asks implementations to bound this work; this
module does it around pyld's reference implementation (the algorithm itself is not re-written):

- every call of Hash N-Degree Quads costs one unit, plus one per quad of its blank node (the
  related-hash step);
- every group of related blank nodes costs one unit per node (hashing them);
- every permutation it tries costs one unit plus one per identifier its path issuer holds: the
  issuer copy the algorithm makes for each permutation (step 5.4.1). The copy is where the charge
  is made: the issuer handed to the algorithm is a `_ChargingIssuer`, whose copies charge the
  budget and are charging too, down the recursion.

Past the budget, `TooComplexError` is raised from inside the algorithm, which stops at once; the
caller turns it into a CanonicalizationError (code `too_complex`). A unit is a few microseconds
of work, so the default budget is tens of milliseconds at worst. Ordinary credentials (each blank
node carries distinct data) never reach N-degree hashing and spend nothing; a presentation holding
an Open Badges credential, some of whose blank nodes look alike, spends under a hundred.
First-degree hashing is linear in the dataset and not charged: the structural limits
(`verifier.structure`) bound it.
"""

from __future__ import annotations

from typing import Any

from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer

DEFAULT_WORK_UNITS = 4_000
"""About 5 ms of work at most (a unit is 1-2 µs): a verifier open to anyone spends no more on a
hostile document. A presentation holding an anchored Open Badges credential needs under 100, a
4-node blank-node clique 3,848; a 5-node clique 36,125 (refused), an 8-node one billions."""


class TooComplexError(Exception):
    """The work budget ran out. Carries the units it would have taken and the limit (integers)."""

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


class _ChargingIssuer(IdentifierIssuer):
    """pyld's identifier issuer whose every copy (one per permutation tried) charges the budget."""

    def __init__(self, prefix: str, budget: WorkBudget) -> None:
        super().__init__(prefix)
        self.budget = budget

    @classmethod
    def wrapping(cls, issuer: IdentifierIssuer, budget: WorkBudget) -> _ChargingIssuer:
        wrapped = cls(issuer.prefix, budget)
        wrapped.counter, wrapped.existing, wrapped.order = issuer.counter, issuer.existing, issuer.order
        return wrapped

    def __deepcopy__(self, memo: dict[int, Any]) -> _ChargingIssuer:
        self.budget.spend(1 + len(self.order))
        twin = _ChargingIssuer(self.prefix, self.budget)
        twin.counter, twin.existing, twin.order = self.counter, dict(self.existing), list(self.order)
        return twin


class BudgetedURDNA2015(URDNA2015):
    """pyld's URDNA2015 (RDFC-1.0) charging a `WorkBudget` for its expensive steps."""

    def __init__(self, budget: WorkBudget) -> None:
        super().__init__()
        self.budget = budget

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        self.budget.spend(1 + len(self.blank_node_info[id_]["quads"]))
        if not isinstance(issuer, _ChargingIssuer):
            issuer = _ChargingIssuer.wrapping(issuer, self.budget)
        return super().hash_n_degree_quads(id_, issuer)

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        groups = super().create_hash_to_related(id_, issuer)
        self.budget.spend(sum(len(nodes) for nodes in groups.values()))
        return groups
