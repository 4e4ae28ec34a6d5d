"""MedCred's JCS (RFC 8785) fast path writes exactly what the `rfc8785` library writes, or hands over."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.canonicalize import CanonicalizationError, jcs

# Text with controls, quotes, backslashes, U+2028, U+E000-U+FFFF and astral characters (which sort
# differently by UTF-16 code units than by code points), as member names too.
text = st.text(
    alphabet=st.characters(codec="utf-8")
    | st.sampled_from('\x00\x08\x1f\x7f"\\\u2028\ue000\uffff\U0001f600'),
    max_size=8,
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_same_bytes_or_same_refusal_as_rfc8785(value) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        with pytest.raises(CanonicalizationError):
            jcs(value)
        return
    assert jcs(value) == expected


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(CanonicalizationError):
        jcs({"a": "\ud800"})
