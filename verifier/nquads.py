"""Canonical N-Quads, written byte for byte as RDFC-1.0 and its reference implementations write them.

RDFC-1.0 serializes quads in the canonical N-Quads form (RDF 1.1/1.2 N-Triples §canonical):
- in literals, `\\b \\t \\n \\f \\r \\" \\\\` as ECHAR, every other character of U+0000-U+001F and
  U+007F as UCHAR `\\uXXXX` (upper-case hex), everything else as itself (UTF-8);
- in IRIs, U+0000-U+0020 and `< > " { } | ^ \\` `` ` `` as UCHAR `\\uXXXX`.

This is what rdf-canonize (behind jsonld.js and the reference JavaScript verifiers) writes, and what
the W3C RDF canonicalization test suite's case test060 ("n-quads escaping") expects. pyld's own
serializer escapes only `\\ \\t \\n \\r "`, so a description with U+000C (pasted from a PDF) would
hash differently from every other implementation: `install()` makes pyld's canonicalizer use this
serializer instead (for blank-node hashing and for the output alike).
"""

from __future__ import annotations

from typing import Any

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_LITERAL = {code: f"\\u{code:04X}" for code in (*range(0x20), 0x7F)}
_LITERAL.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})
_IRI = {code: f"\\u{code:04X}" for code in (*range(0x21), *map(ord, '<>"{}|^`\\'))}


def escape_literal(value: str) -> str:
    """A literal's lexical form as canonical N-Quads writes it between the quotes."""
    return value.translate(_LITERAL)


def escape_iri(value: str) -> str:
    """An IRI as canonical N-Quads writes it between `<` and `>`."""
    return value.translate(_IRI)


def _term(term: dict[str, Any]) -> str:
    if term["type"] == "IRI":
        return "<" + escape_iri(term["value"]) + ">"
    return term["value"]  # a blank node label: _:c14n0


def serialize_quad(triple: dict[str, Any], graph_name: str | None = None) -> str:
    """One quad (pyld's dict form: subject, predicate, object, optional name) as a canonical N-Quads
    line ending in " .\\n". Same signature as `pyld.nquads.serialize_nquad`."""
    obj = triple["object"]
    graph = triple.get("name", {"value": graph_name})["value"]
    line = _term(triple["subject"]) + " " + _term(triple["predicate"]) + " "
    if obj["type"] in ("IRI", "blank node"):
        line += _term(obj)
    else:
        line += '"' + escape_literal(obj["value"]) + '"'
        if obj["datatype"] == RDF_LANGSTRING:
            if obj.get("language"):
                line += "@" + obj["language"]
        elif obj["datatype"] != XSD_STRING:
            line += "^^<" + escape_iri(obj["datatype"]) + ">"
    if graph is not None:
        line += " " + (graph if graph.startswith("_:") else "<" + escape_iri(graph) + ">")
    return line + " .\n"


def install() -> None:
    """Make pyld's RDFC-1.0 (URDNA2015) implementation serialize with `serialize_quad`.

    pyld's canon module calls the module-level name `serialize_nquad`; rebinding it there changes
    nothing else in pyld. Idempotent.
    """
    from pyld import canon  # noqa: PLC0415 - only canonicalization needs pyld

    canon.serialize_nquad = serialize_quad
