"""The pipeline's guards against hostile work: structural limits before any cryptography, and no
network fetch for a credential whose signature did not hold (issue 9).

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


def signature_held(report: Report) -> bool:
    """Whether the report's `signature` check passed: network checks (status lists) run only then.

    A credential that fails elsewhere (an untrusted registry, a missing anchor) still has its status
    list read, so that its report can say it was revoked."""
    check = report.check("signature")
    return check is not None and check.status is CheckStatus.PASS
