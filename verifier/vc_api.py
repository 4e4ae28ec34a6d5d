"""The W3C VC API verify answers: a verification result as JSON, and its HTTP status.

`POST /credentials/verify` and `POST /presentations/verify` answer 200 when the credential or
presentation is verified (verdict VALID), and 422 (Unprocessable Content) when it was read and
checked but failed (INVALID, PENDING, SUSPENDED), with the verification result in the body either
way: the W3C and CCG VC API test suites expect a 4xx (400 or 422) for a credential that does not
verify, and clients built on them read `verified`, `checks`, `warnings` and `errors` (MedCred adds
`verdict`: VALID, INVALID, PENDING or SUSPENDED). The 422 body is an RFC 9457 problem
(`application/problem+json`: type, title, status, detail) whose extension members are that same
verification result. A request that cannot be verified at all (not JSON, no credential in it) is
a 400 problem.

Warnings and errors are RFC 9457 problem details. Their `type` is one of the VC Data Model 2.0
§7.1 error types where one fits (PARSING_ERROR, CRYPTOGRAPHIC_SECURITY_ERROR, MALFORMED_VALUE_ERROR,
RANGE_ERROR), otherwise a MedCred URN naming the check (`urn:medcred:problem:<check>:<code>`); `code`
and `check` carry MedCred's machine reason, `detail` the sentence the page shows.
"""

from __future__ import annotations

from typing import Any

from verifier.presentation import PresentationReport
from verifier.report import VALID, Check, CheckStatus, Report

HTTP_VERIFIED = 200
HTTP_NOT_VERIFIED = 422
VC_DM_ERRORS = "https://www.w3.org/TR/vc-data-model#"
_ERROR_TYPES = {
    "parse": "PARSING_ERROR",
    "presentation": "MALFORMED_VALUE_ERROR",
    "schema": "MALFORMED_VALUE_ERROR",
    "signature": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "holder_proof": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "challenge": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "domain": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "validity": "RANGE_ERROR",
}


def problem(check: Check) -> dict[str, Any]:
    """One failed or warning check as an RFC 9457 problem detail object."""
    family = _ERROR_TYPES.get(check.name)
    kind = f"{VC_DM_ERRORS}{family}" if family else f"urn:medcred:problem:{check.name}:{check.code}"
    return {
        "type": kind,
        "title": f"{check.name}: {check.code}",
        "detail": check.message,
        "check": check.name,
        "code": check.code,
    }


def _lists(checks: list[Check]) -> dict[str, Any]:
    return {
        "checks": [c.name for c in checks if c.status is CheckStatus.PASS],
        "warnings": [problem(c) for c in checks if c.status in (CheckStatus.PENDING, CheckStatus.WARN)],
        "errors": [problem(c) for c in checks if c.status is CheckStatus.FAIL],
    }


def credential_result(report: Report) -> dict[str, Any]:
    """The VC API VerificationResult for one credential, with MedCred's full report beside it."""
    return {
        "verified": report.status == VALID,
        "verdict": report.status,
        **_lists(report.checks),
        "report": report.to_json(),
    }


def presentation_result(report: PresentationReport) -> dict[str, Any]:
    """The VC API VerificationResult for a presentation: its own checks, `problemDetails` for
    everything that failed (the presentation's and its credentials'), `results` for challenge,
    domain and holder, and one credential result per embedded credential."""
    own = _lists(report.checks)
    credential_results = [
        {**credential_result(c.report), "holderBound": c.holder_bound} for c in report.credentials
    ]
    results: dict[str, Any] = {}
    for name, given in (("challenge", report.challenge), ("domain", report.domain)):
        check = report.check(name)
        if given is not None:
            results[name] = {"valid": check is not None and check.status is CheckStatus.PASS, "input": given}
    holder_proof = report.check("holder_proof")
    results["holder"] = {
        "valid": holder_proof is not None and holder_proof.status is CheckStatus.PASS,
        "input": report.holder,
    }
    return {
        "verified": report.status == VALID,
        "verdict": report.status,
        **own,
        "problemDetails": own["errors"] + [e for r in credential_results for e in r["errors"]],
        "results": results,
        "presentationResult": {"verified": not report.failed, **own},
        "credentialResults": credential_results,
        "report": report.to_json(),
    }


def http_status(report: Report | PresentationReport) -> int:
    """200 for a verified credential or presentation, 422 for one that was checked and failed."""
    return HTTP_VERIFIED if report.status == VALID else HTTP_NOT_VERIFIED


def answer(report: Report | PresentationReport, result: dict[str, Any]) -> tuple[dict[str, Any], int, str]:
    """(body, HTTP status, media type) for a verification `result` of `report`: the result as
    JSON when verified; otherwise an RFC 9457 problem carrying the result as extension members."""
    status = http_status(report)
    if status == HTTP_VERIFIED:
        return result, status, "application/json"
    first = report.failed[0] if report.failed else None
    problem_type = problem(first)["type"] if first is not None else "urn:medcred:problem:not-verified"
    body = {
        **result,
        "type": problem_type,
        "title": f"Not verified: {report.status}",
        "status": status,
        "detail": report.headline,
    }
    return body, status, "application/problem+json"
