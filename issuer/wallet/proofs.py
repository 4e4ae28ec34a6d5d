"""The wallet's JWT key proof (OpenID4VCI 1.0 §8.2.1.1 and Appendix F.1), checked with joserfc.

A proof is a JWS whose header has `typ: openid4vci-proof+jwt`, an asymmetric `alg` (EdDSA with an
Ed25519 key, ES256 with a P-256 key) and the holder's key, either as `kid` (a DID URL of a
`did:key` or `did:jwk`, resolved offline) or as `jwk` (then the holder is that key's `did:jwk`);
never both. Its claims: `aud` the Credential Issuer Identifier, `iat` when it was made (not in the
future beyond `CLOCK_SKEW`, not older than `MAX_AGE`), `nonce` a `c_nonce` from the nonce endpoint.
The holder's DID becomes the new credential's `credentialSubject.id`.

Failures are `invalid_proof`, except a nonce that was never issued, expired or was spent:
`invalid_nonce`, which tells the wallet to fetch a new one and sign again (§8.3.1.2).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from issuer.wallet.errors import Oid4vciError
from issuer.wallet.metadata import PROOF_JWT_TYP
from verifier import jsonsafe
from verifier.did import DidResolutionError, DidResolver, split_did_url
from verifier.errors import InputError
from verifier.multikey import MultikeyError
from verifier.public_keys import ED25519, PublicKey, key_from_jwk
from verifier.vc_jwt import JWT_ALGORITHMS, REGISTRY

MAX_PROOF_CHARS = 16 * 1024
CLOCK_SKEW = timedelta(seconds=60)
MAX_AGE = timedelta(minutes=5)
PROOF_ALGORITHMS = {alg: key for alg, key in JWT_ALGORITHMS.items() if alg in ("EdDSA", "ES256")}


@dataclass(frozen=True)
class HolderKey:
    """The key a proof was signed with: `did` names the holder, `method` its verification method."""

    did: str
    method: str
    key: PublicKey


def _invalid(description: str) -> Oid4vciError:
    return Oid4vciError("invalid_proof", description)


def _did_jwk(jwk: dict[str, Any]) -> str:
    public = {k: jwk[k] for k in ("kty", "crv", "x", "y") if k in jwk}
    text = json.dumps(public, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return "did:jwk:" + base64.urlsafe_b64encode(text).decode("ascii").rstrip("=")


def _holder_key(header: dict[str, Any], resolver: DidResolver) -> HolderKey:
    kid, jwk = header.get("kid"), header.get("jwk")
    if "x5c" in header or "trust_chain" in header or "key_attestation" in header:
        raise _invalid("Only a kid (did:key or did:jwk) or a jwk may name the proof's key.")
    if kid is not None and jwk is not None:
        raise _invalid("The proof names its key twice (kid and jwk): give one.")
    try:
        if isinstance(jwk, dict):
            key = key_from_jwk(jwk)
            did = _did_jwk(jwk)
            return HolderKey(did, did + "#0", key)
        if not isinstance(kid, str) or not kid.startswith(("did:key:", "did:jwk:")):
            raise _invalid("The proof's kid must be a did:key or did:jwk URL (or give a jwk).")
        did, fragment = split_did_url(kid)
        method_url = kid if fragment else (f"{did}#0" if did.startswith("did:jwk:") else f"{did}#{did[8:]}")
        document, method = resolver.dereference(method_url)
        if method.controller != did or not document.authorizes(method_url, "assertionMethod"):
            raise _invalid(f"The key {method_url[:200]} is not one its DID lets sign.")
        return HolderKey(did, method_url, method.key)
    except (DidResolutionError, MultikeyError) as exc:
        raise _invalid(f"The proof's key cannot be read: {exc}") from exc


def verify_key_proof(
    token: Any,
    *,
    audience: str,
    spend_nonce: Callable[[str], bool],
    resolver: DidResolver,
    now: datetime | None = None,
) -> HolderKey:
    """Check one JWT key proof for the issuer `audience`; the holder's key, or Oid4vciError.

    `spend_nonce(nonce)` says whether the nonce is a live c_nonce, and spends it; it is called
    only once the signature holds, so a forged proof cannot burn a wallet's nonce.
    """
    if not isinstance(token, str) or len(token) > MAX_PROOF_CHARS or token.count(".") != 2:
        raise _invalid("The proof must be a JWT (a compact JWS).")
    try:
        extracted = jws.extract_compact(token.encode("ascii"), registry=REGISTRY)
        header = extracted.headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise _invalid("The proof is not a readable JWT.") from exc
    if header.get("typ") != PROOF_JWT_TYP:
        raise _invalid(f"The proof's typ must be {PROOF_JWT_TYP}.")
    alg = header.get("alg")
    if alg not in PROOF_ALGORITHMS:
        raise _invalid(f"The proof's alg must be one of {', '.join(PROOF_ALGORITHMS)}.")
    holder = _holder_key(header, resolver)
    if PROOF_ALGORITHMS[alg] != holder.key.algorithm:
        raise _invalid(f"The proof says {alg}, but its key is a {holder.key.algorithm} key.")
    jose_key = (OKPKey if holder.key.algorithm == ED25519 else ECKey).import_key(holder.key.jwk)
    try:
        verified = jws.deserialize_compact(token, jose_key, registry=REGISTRY)
    except JoseError as exc:
        raise _invalid("The proof's signature does not match its key.") from exc
    try:
        claims = jsonsafe.loads(verified.payload)
    except (InputError, ValueError) as exc:
        raise _invalid("The proof's claims are not a JSON object.") from exc
    if not isinstance(claims, dict):
        raise _invalid("The proof's claims are not a JSON object.")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise _invalid(f"The proof's aud must be this credential issuer ({audience}).")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise _invalid("The proof has no iat (when it was made).")
    moment = now or datetime.now(UTC)
    made = datetime.fromtimestamp(iat, UTC) if abs(iat) < 1e11 else None
    if made is None or made > moment + CLOCK_SKEW or made < moment - MAX_AGE:
        raise _invalid("The proof's iat is not recent: sign a new proof.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise Oid4vciError("invalid_nonce", "The proof has no nonce: get a c_nonce from the nonce endpoint.")
    if not spend_nonce(nonce):
        raise Oid4vciError(
            "invalid_nonce", "The proof's nonce is not a live c_nonce: get a new one from the nonce endpoint."
        )
    return holder
