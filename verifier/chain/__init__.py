"""Reading the CredentialRegistry contract: connecting to a node and the cached views the verifier
needs. Writing lives in `issuer.chain`."""
