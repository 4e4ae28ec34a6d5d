"""The issuer's signature on a credential, whatever secures it: a Data Integrity proof set
(eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020; `verifier.data_integrity`) or a VC-JWT
(EdDSA, ES256; `verifier.vc_jwt`). One entry point, so the pipeline has one signature check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifier.data_integrity import VerificationResult, verify_proofs
from verifier.did import DidResolver
from verifier.jsonld_loader import BundledDocumentLoader
from verifier.vc_jwt import DecodedJwt, verify


def check_signature(
    credential: Mapping[str, Any],
    jwt: DecodedJwt | None,
    *,
    resolver: DidResolver,
    loader: BundledDocumentLoader | None = None,
) -> VerificationResult:
    """Verify the credential's securing mechanism: `jwt` when it came as a VC-JWT (its embedded
    proofs, if any, are not what secures it), otherwise its Data Integrity proofs. Never raises."""
    if jwt is None:
        return verify_proofs(credential, resolver=resolver, loader=loader)
    result = verify(jwt, resolver=resolver)
    return VerificationResult(result.verified, result.code, result.message, (result,))
