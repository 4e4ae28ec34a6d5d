"""MedCred's canonicalizer against jsonld.js (the reference verifiers' library), recorded once."""

from __future__ import annotations

import pytest

from credentials.helpers import VECTORS, load_json
from verifier.canonicalize import CanonicalizationError, canonicalize_with_pyld, rdfc

CASES = load_json(VECTORS / "jsonldjs-safe-mode-crosscheck.json")["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
@pytest.mark.parametrize("fast", [True, False])
def test_same_bytes_or_same_refusal(case, fast) -> None:
    if "nquads" in case:
        assert rdfc(case["document"], fast=fast) == case["nquads"]
    else:
        with pytest.raises(CanonicalizationError):
            rdfc(case["document"], fast=fast)
        with pytest.raises(CanonicalizationError):
            canonicalize_with_pyld(case["document"])
