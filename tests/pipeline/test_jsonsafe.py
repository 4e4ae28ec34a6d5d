"""Deeply nested JSON is refused before the C decoder can overflow the stack."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.jsonsafe import DuplicateMemberError, JsonTooDeepError, find_duplicate, loads, nesting_exceeds

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=20,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_scanner_agrees_with_the_parsed_depth(value: object) -> None:
    text = json.dumps(value)
    depth = _depth(value)
    assert nesting_exceeds(text, depth) is False
    if depth > 0:
        assert nesting_exceeds(text, depth - 1) is True
    assert loads(text, max_depth=max(depth, 1)) == value


def test_refuses_deep_input_even_with_a_raised_recursion_limit() -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)  # what py_ecc does on import
    try:
        with pytest.raises(JsonTooDeepError):
            loads("[" * 300_000 + "]" * 300_000)
        with pytest.raises(ValueError, match="nested"):
            loads(b'{"a": ' * 100 + b"1" + b"}" * 100)
    finally:
        sys.setrecursionlimit(old)


def test_brackets_inside_strings_do_not_count() -> None:
    assert loads(json.dumps({"s": "[" * 500 + '\\"{' * 100})) == {"s": "[" * 500 + '\\"{' * 100}


def test_a_byte_order_mark_is_skipped() -> None:
    assert loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert loads("\ufeff[1, 2]") == [1, 2]
    with pytest.raises(json.JSONDecodeError):
        loads('\ufeff\ufeff{"a": 1}')  # one mark, at the start only


@pytest.mark.parametrize(
    "text",
    ['{"a": 1, "a": 1}', '{"x": {"name": "A", "name": "B"}}', '[{"ok": 1}, {"b": 1, "c": 2, "b": 3}]'],
)
def test_duplicate_member_names_are_refused(text: str) -> None:
    with pytest.raises(DuplicateMemberError) as caught:
        loads(text)
    assert caught.value.code == "duplicate_member"
    assert isinstance(caught.value, ValueError)  # callers that catch bad JSON catch this too


def test_duplicates_can_be_marked_per_item() -> None:
    items = loads(
        '[{"ok": 1}, {"x": {"b": 1, "b": 2}}, {"same": {"a": 1}, "other": {"a": 2}}]', duplicates="mark"
    )
    assert [find_duplicate(item) for item in items] == [None, "b", None]


@given(json_values)
def test_parsing_first_agrees_with_the_scanner(value: object) -> None:
    """`loads` parses first when there are few brackets: it must refuse exactly what the scan does."""
    text = json.dumps(value)
    for limit in (1, 2, 3):
        try:
            loads(text, max_depth=limit)
            refused = False
        except JsonTooDeepError:
            refused = True
        assert refused is nesting_exceeds(text, limit)


@pytest.mark.parametrize("depth", [990, 1000, 1500, 1900, 2500])
def test_nesting_past_the_recursion_limit_is_too_deep_not_malformed(depth: int) -> None:
    """A found attack: 1,000-2,000 levels (few enough brackets to parse first) hit the interpreter's
    recursion limit inside the C decoder; that must read as "nested too deep", never "not JSON"
    or an uncaught RecursionError (which callers catching ValueError would turn into a 500)."""
    text = '{"a":' + "[" * depth + "]" * depth + "}"
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default, as in a verification worker (no py_ecc there)
    try:
        with pytest.raises(JsonTooDeepError):
            loads(text)
    finally:
        sys.setrecursionlimit(old)
