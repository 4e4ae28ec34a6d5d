"""The verifier web page and the VC-API verify endpoint (Flask; the 'web' extra)."""
