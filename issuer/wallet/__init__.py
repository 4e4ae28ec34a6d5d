"""Wallets: OpenID for Verifiable Credential Issuance 1.0 (final), pre-authorized code flow.

A learner's claim page offers the credential to a wallet (a QR code and an
`openid-credential-offer://` link holding the offer by value). The wallet reads the issuer's
metadata (`metadata`), exchanges the offer's pre-authorized code for an access token (`offers`),
asks for a `c_nonce` (`nonces`), proves possession of its key with a JWT key proof (`proofs`) and
receives a newly signed credential whose `credentialSubject.id` is its DID (`holder_credential`),
anchored like any other. The HTTP endpoints are `issuer.web.wallet`; every error is one the
specification names (`errors`).
"""
