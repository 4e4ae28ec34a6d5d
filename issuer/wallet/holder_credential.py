"""The holder-bound credential a wallet receives: a newly signed copy of a claimed credential whose
`credentialSubject.id` is the holder's DID.

It goes through the ordinary issuing path (`IssuerService.issue_credential`, the VC-API's): checked
against VC 2.0 and the Open Badges 3.0 schema, signed with the institution's key and the original's
cryptosuite, given its own id and status list entry, stored pending and anchored by the worker like
any other. It keeps what the original says about the learner (name, hashed e-mail identifier,
results, credits, evidence, validity dates) and the same achievement record: the catalog version
(`achievement_id`) or built-in template the original was issued with (a catalog version that has
since been replaced or retired is refused: ConflictError). No claim e-mail is sent for it: the
learner is holding it already.
"""

from __future__ import annotations

import copy
from typing import Any

from issuer.service import CredentialRecord, IssuedCredential, IssuerService
from verifier.data_integrity import EDDSA_JCS_2022, EDDSA_RDFC_2022

ASSIGNED = ("id", "issuer", "credentialStatus", "proof")
"""Properties the new credential gets anew (MedCred assigns them)."""


def _cryptosuite(document: dict[str, Any]) -> str:
    proofs = document.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict) and proof.get("cryptosuite") in (EDDSA_RDFC_2022, EDDSA_JCS_2022):
            return str(proof["cryptosuite"])
    return EDDSA_RDFC_2022


def holder_credential_request(
    record: CredentialRecord, holder_did: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(credential, options) for `issue_credential`: the record's credential for `holder_did`."""
    document = record.document
    credential = {k: copy.deepcopy(v) for k, v in document.items() if k not in ASSIGNED}
    issuer = document.get("issuer")
    credential["issuer"] = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = credential["credentialSubject"]
    subject["id"] = holder_did
    options: dict[str, Any] = {
        "allowDuplicate": True,
        "deliverByEmail": False,
        "cryptosuite": _cryptosuite(document),
    }
    if record.template == "catalog" and record.achievement_id:
        subject.pop("achievement", None)
        options["achievement"] = record.achievement_id
    elif record.template not in ("catalog", "inline"):
        subject.pop("achievement", None)
        options["template"] = record.template
    return credential, options


def issue_holder_credential(
    service: IssuerService, record: CredentialRecord, holder_did: str
) -> IssuedCredential:
    """Sign, store (pending) and return the holder-bound copy of `record` for `holder_did`.

    InputError if the result is not a valid credential; ConflictError when the catalog version was
    replaced or retired since (a new version is issued by the institution, not by a wallet).
    """
    credential, options = holder_credential_request(record, holder_did)
    return service.issue_credential(record.institution, credential, options)
