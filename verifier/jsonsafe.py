"""Parsing untrusted JSON without crashing the process.

CPython's C json decoder recurses once per nesting level. Its guard is the interpreter's recursion
limit, which some libraries raise (py_ecc sets it to 100,000), so `json.loads("[" * 100_000)` can
overflow the C stack and kill the process with a segmentation fault — no exception handler runs.
Every JSON that comes from outside (files, URLs, HTTP bodies, DID documents, status lists) goes
through `loads`, which measures the nesting on the text first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from verifier.errors import InputError

MAX_DEPTH = 64
_STRUCTURE = re.compile(r'[\[\]{}"\\]')


class JsonTooDeepError(InputError, ValueError):
    """Nested deeper than allowed. A ValueError too, so JSON-decoding callers treat it as bad JSON."""


def nesting_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests deeper than `limit` (strings and escapes are skipped correctly)."""
    depth, in_string, skip_until = 0, False, -1
    for match in _STRUCTURE.finditer(text):
        pos, char = match.start(), match.group()
        if pos < skip_until:
            continue
        if in_string:
            if char == "\\":
                skip_until = pos + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """`json.loads` that refuses text nested deeper than `max_depth` (JsonTooDeepError).

    Raises ValueError (json.JSONDecodeError, UnicodeDecodeError) for malformed input like
    `json.loads` does.
    """
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if nesting_exceeds(text, max_depth):
        raise JsonTooDeepError(f"The JSON is nested more than {max_depth} levels deep.")
    return json.loads(text, **kwargs)
