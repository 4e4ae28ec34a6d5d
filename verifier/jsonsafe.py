"""Parsing untrusted JSON: the one helper for every JSON that comes from outside.

Files, URLs, HTTP bodies (the Flask apps' JSON provider), DID documents and status lists all go
through `loads`, which:

- refuses nesting deeper than `MAX_DEPTH` before parsing. CPython's C json decoder recurses once
  per level, guarded only by the interpreter's recursion limit, which some libraries raise (py_ecc
  sets it to 100,000): `json.loads("[" * 100_000)` could overflow the C stack and kill the process.
- accepts a UTF-8 byte-order mark (U+FEFF) before the text, as Windows tools write one; RFC 8259
  §8.1 lets a parser ignore it.
- refuses duplicate member names (I-JSON, RFC 7493 §2.3): with them, what a person reads (often the
  first `name`) and what a program uses (Python keeps the last) differ, which is a forgery aid.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from verifier.errors import InputError

MAX_DEPTH = 64
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""A JSON string, escapes included (the "unrolled loop" form: linear, no backtracking)."""
_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_PARSE_FIRST_BRACKETS = 2_000
"""Up to this many brackets, text is parsed before its depth is measured: the C decoder recurses
at most once per bracket, far from overflowing a thread's stack even when a library has raised
the interpreter's recursion limit (see the module docstring). A credential has a few hundred."""
# What json.loads makes besides lists and dicts: containers of these alone end a branch.
_SCALARS = frozenset({str, int, float, bool, type(None)})


BOM = "\ufeff"


class JsonTooDeepError(InputError, ValueError):
    """Nested deeper than allowed. A ValueError too, so JSON-decoding callers treat it as bad JSON."""


class DuplicateMemberError(InputError, ValueError):
    """An object has the same member name twice (RFC 7493 forbids it). A ValueError too, so
    JSON-decoding callers treat it as bad JSON. `name` is the repeated member name."""

    code = "duplicate_member"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The JSON has the member name {name[:80]!r} twice in one object; which one is meant is "
            "ambiguous (I-JSON, RFC 7493), so it is refused."
        )
        self.name = name


class MarkedDuplicates(dict):
    """An object that had duplicate member names, kept (last value wins) when `loads` is called with
    `duplicates="mark"`, so that a batch can refuse one item of an array rather than the file."""

    duplicate_name: str = ""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise DuplicateMemberError(name)
            seen.add(name)
    return result


def _mark_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    marked = MarkedDuplicates(pairs)
    try:
        _refuse_duplicates(pairs)
    except DuplicateMemberError as exc:
        marked.duplicate_name = exc.name
    return marked


def find_duplicate(value: Any) -> str | None:
    """The first duplicated member name inside a value parsed with `duplicates="mark"`, or None
    (iterative: no recursion on hostile depth)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, MarkedDuplicates):
            return node.duplicate_name
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def strip_bom(data: bytes) -> bytes:
    """`data` without a leading UTF-8 byte-order mark (for callers that sniff raw bytes)."""
    return data[3:] if data[:3] == b"\xef\xbb\xbf" else data


def nesting_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests deeper than `limit` (brackets inside strings do not count).

    Runs in C for the bulk of the text (one regex pass drops the strings, one finds the brackets,
    `accumulate` walks them), so a 2 MB body costs a few milliseconds: this runs on every request
    body, hostile ones included. For text that is not JSON the answer may be wrong either way;
    the decoder then refuses the text (or overflows Python's recursion limit, which callers treat
    as too deep).
    """
    if text.count("[") + text.count("{") <= limit:
        return False  # cannot nest deeper than it has brackets: skip the scan (the common case)
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return bool(brackets) and max(accumulate(map(_STEP.__getitem__, brackets))) > limit


def loads(
    data: str | bytes | bytearray,
    *,
    max_depth: int = MAX_DEPTH,
    duplicates: str = "refuse",
    **kwargs: Any,
) -> Any:
    """`json.loads` for untrusted text: a leading BOM is skipped; nesting deeper than `max_depth`
    raises JsonTooDeepError; a duplicate member name raises DuplicateMemberError (or, with
    `duplicates="mark"`, gives a `MarkedDuplicates` object: see `find_duplicate`).

    Raises ValueError (json.JSONDecodeError, UnicodeDecodeError) for malformed input like
    `json.loads` does; all the errors above are ValueErrors too.
    """
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if text[:1] == BOM:
        text = text[1:]
    brackets = text.count("[") + text.count("{")
    # Deeper than it has brackets it cannot be; with few brackets the C decoder cannot recurse far
    # enough to hurt, so parse first (fast) and measure the depth of the result; only text with very
    # many brackets is scanned before it is parsed.
    parse_first = brackets <= _PARSE_FIRST_BRACKETS
    if not parse_first and nesting_exceeds(text, max_depth):
        raise _too_deep(max_depth)
    if "object_pairs_hook" not in kwargs and "object_hook" not in kwargs:
        kwargs["object_pairs_hook"] = _mark_duplicates if duplicates == "mark" else _refuse_duplicates
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:  # deeper than the interpreter's recursion limit allows: far past max_depth
        raise _too_deep(max_depth) from None
    if parse_first and brackets > max_depth and deeper_than(value, max_depth):
        raise _too_deep(max_depth)
    return value


def _too_deep(limit: int) -> JsonTooDeepError:
    return JsonTooDeepError(f"The JSON is nested more than {limit} levels deep.")


def deeper_than(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests deeper than `limit` levels of brackets (the depth `loads` refuses
    past `max_depth`: `[]` and `{"a": 1}` are 1 deep). Level by level, containers only, and no
    recursion, so hostile depth costs nothing extra; a list of 40,000 strings is one C pass
    (`map(type, ...)`), because this runs on every credential handed to `Verifier.verify`."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            if not _SCALARS.issuperset(map(type, children)):
                below.extend([child for child in children if isinstance(child, dict | list)])
        level = below
    return False
