"""MedCred issuer: signs, stores, anchors and revokes credentials. Depends on `verifier`, never
the other way round."""
