"""The pipeline's guards against hostile work: structural limits before any cryptography, and no
network fetch for a credential whose signature did not hold or whose issuer nobody vouches for
(issue 9).

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

    A credential of a known issuer that fails elsewhere (an untrusted registry, a missing anchor)
    still has its status list read, so that its report can say it was revoked; one whose issuer
    nobody vouches for does not (`nobody_vouches`)."""
    check = report.check("signature")
    return check is not None and check.status is CheckStatus.PASS


def nobody_vouches(report: Report, *, every_source_answered: bool) -> bool:
    """Whether nothing the configuration trusts (a registry, a trust list, a trusted issuer) knows
    the issuer for certain: the `trust` check failed with `issuer_not_trusted`, every trusted
    registry answered (`every_source_answered`) and no trust list failed to load.

    Anyone can sign a credential with a key of their own and name any status list URL in it: were
    that list fetched, every such credential would make the verifier fetch a URL of the sender's
    choosing (a fresh host name each time: a resolver lookup and up to the fetch deadline, in a
    verification worker). A list published by an issuer nobody vouches for changes nothing in the
    verdict, which is INVALID already. When a source could not be asked, the issuer may well be
    known, and its list is read as before, so that a revocation still shows."""
    trust = report.check("trust")
    if trust is None or trust.status is not CheckStatus.FAIL or trust.code != "issuer_not_trusted":
        return False
    lists_failed = any(c.name == "trust_list" and c.status is CheckStatus.WARN for c in report.checks)
    return every_source_answered and not lists_failed
