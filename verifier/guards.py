"""The pipeline's guards against hostile work: structural limits before any cryptography, and no
network fetch for a credential whose signature did not hold or that is already INVALID (issue 9).

Kept out of `verifier.pipeline` so that the pipeline only calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifier.report import CheckStatus, Report
from verifier.structure import StructureError, check_structure


def check_limits(credential: Mapping[str, Any], report: Report) -> bool:
    """Add a failed `structure` check and return False if the credential passes a structural limit
    (`verifier.structure`: proofs, proof chain, contexts, size); True (nothing added) otherwise."""
    try:
        check_structure(credential)
    except StructureError as exc:
        report.add("structure", CheckStatus.FAIL, exc.code, f"The credential is not checked: {exc}")
        return False
    return True


def worth_fetching(report: Report) -> bool:
    """Whether network checks may run: the `signature` check passed and no check has failed so far
    (a status list cannot turn an INVALID credential VALID, so it is not fetched for one)."""
    check = report.check("signature")
    return (
        check is not None
        and check.status is CheckStatus.PASS
        and not any(c.status is CheckStatus.FAIL for c in report.checks)
    )
