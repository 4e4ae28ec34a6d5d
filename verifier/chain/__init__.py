"""Reading the CredentialRegistry contract: connecting to a node and the cached views the verifier
needs. Writing lives in `issuer.chain`."""

from verifier.chain.keyfile_deferral import defer_eth_keyfile

# Before any module of this package imports web3 (keyfile_deferral.py says why).
defer_eth_keyfile()
