"""MedCred verifier: checks Open Badges 3.0 credentials, their Data Integrity proofs and their
on-chain anchors. Installs and runs without any of the issuer's dependencies."""

__version__ = "0.1.0"
