"""One-change mutations of a JSON document, for the mutation fuzz of anchored credentials.

Each `Mutation` changes exactly one thing: one scalar value, one array element (removed, duplicated,
moved), one object member (removed, renamed, added), or the shape of one value (a single-element
array unwrapped, an object replaced by its id). Serialization details (whitespace, key order in the
file) are not mutations: JSON parsing erases them before anything is checked.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Path = tuple[str | int, ...]

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class Mutation:
    """A named single change at `path`; `apply` returns a changed deep copy of the document."""

    path: Path
    kind: str
    change: Callable[[Any], Any]

    @property
    def label(self) -> str:
        return "/".join(str(p) for p in self.path) + f" :: {self.kind}"

    def apply(self, document: Any) -> Any:
        return self.change(copy.deepcopy(document))


def _get(document: Any, path: Path) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _replace(path: Path, make: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A change that replaces the value at `path` with `make(old)`."""

    def change(document: Any) -> Any:
        if not path:
            return make(document)
        parent = _get(document, path[:-1])
        parent[path[-1]] = make(parent[path[-1]])
        return document

    return change


def _flip_char(text: str, at: int, alphabet: str) -> str:
    old = text[at]
    new = next(c for c in alphabet if c != old and c.lower() != old.lower())
    return text[:at] + new + text[at + 1 :]


def _string_variants(value: str) -> Iterator[tuple[str, Any]]:
    yield "append char", value + "x"
    yield "prepend space", " " + value
    if value:
        yield "drop last char", value[:-1]
        yield "empty", ""
        alphabet = "0123456789abcdef" if _HEX.match(value) else _BASE58
        yield "change first char", _flip_char(value, 0, alphabet)
        yield "change middle char", _flip_char(value, len(value) // 2, alphabet)
        yield "change last char", _flip_char(value, len(value) - 1, alphabet)
    if value.upper() != value:
        yield "upper case", value.upper()
    if _HEX.match(value) and value[2:].upper() != value[2:]:
        yield "hex digits upper case", "0x" + value[2:].upper()
    if _DATETIME.match(value):
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        for label, delta in (("+1s", timedelta(seconds=1)), ("-1 day", timedelta(days=-1)),
                             ("+1 year", timedelta(days=366))):  # fmt: skip
            yield f"date {label}", (moment + delta).strftime("%Y-%m-%dT%H:%M:%SZ")
    yield "to number", 7
    yield "to null", None
    yield "to list", [value]


def _number_variants(value: int | float) -> Iterator[tuple[str, Any]]:
    yield "+1", value + 1
    yield "-1", value - 1
    if value != 0:
        yield "zero", 0
        yield "negate", -value
    yield "times 2**64", value * 2**64 + 1
    yield "as string", str(value)
    yield "plus a half", value + 0.5
    yield "to bool", True


def _list_variants(value: list[Any]) -> Iterator[tuple[str, Callable[[list[Any]], Any]]]:
    n = len(value)
    for i in range(n):
        yield f"remove [{i}]", lambda v, i=i: v[:i] + v[i + 1 :]
        yield f"duplicate [{i}]", lambda v, i=i: [*v[: i + 1], copy.deepcopy(v[i]), *v[i + 1 :]]
    for i in range(n - 1):
        if value[i] != value[i + 1]:
            yield f"swap [{i}] and [{i + 1}]", lambda v, i=i: [*v[:i], v[i + 1], v[i], *v[i + 2 :]]
    if n == 1:
        yield "unwrap single element", lambda v: v[0]
    if n:
        yield "empty list", lambda v: []
    yield "append string", lambda v: [*v, "x"]


def _object_variants(value: dict[str, Any]) -> Iterator[tuple[str, Callable[[dict[str, Any]], Any]]]:
    for key in value:
        yield f"remove {key}", lambda v, k=key: {kk: vv for kk, vv in v.items() if kk != k}
        yield f"rename {key}", lambda v, k=key: {(kk + "X" if kk == k else kk): vv for kk, vv in v.items()}
    yield "add member", lambda v: {**v, "extra": "x"}
    yield "add description", lambda v: {**v, "description": "x"} if "description" not in v else None
    if isinstance(value.get("id"), str):
        yield "replace by its id", lambda v: v["id"]
    yield "to list", lambda v: [v]


def mutations(document: Any, path: Path = ()) -> Iterator[Mutation]:
    """Every one-change mutation of `document`, depth first (the root itself is mutated too)."""
    if isinstance(document, bool):
        yield Mutation(path, "flip bool", _replace(path, lambda v: not v))
        yield Mutation(path, "bool to string", _replace(path, lambda v: str(v).lower()))
    elif isinstance(document, int | float):
        for kind, new in _number_variants(document):
            yield Mutation(path, f"number {kind}", _replace(path, lambda _v, new=new: new))
    elif isinstance(document, str):
        for kind, new in _string_variants(document):
            yield Mutation(path, f"string {kind}", _replace(path, lambda _v, new=new: new))
    elif isinstance(document, list):
        for kind, make in _list_variants(document):
            yield Mutation(path, f"array {kind}", _replace(path, make))
        for i, item in enumerate(document):
            yield from mutations(item, (*path, i))
    elif isinstance(document, dict):
        for kind, make in _object_variants(document):
            if make(document) is not None:
                yield Mutation(path, f"object {kind}", _replace(path, make))
        for key, item in document.items():
            yield from mutations(item, (*path, key))
    elif document is None:
        yield Mutation(path, "null to string", _replace(path, lambda _v: ""))
