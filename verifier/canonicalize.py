"""Canonical forms that signatures and digests are computed over.

- `rdfc(doc)`: RDF Dataset Canonicalization (RDFC-1.0, i.e. URDNA2015) as N-Quads, for
  `eddsa-rdfc-2022`. Runs pyld with the bundled-contexts loader, in *safe mode*: JSON-LD silently
  drops what its contexts do not define, so an undefined property would be outside the signature
  (and the reference JavaScript verifier refuses such credentials). Safe mode here raises instead,
  for the same conditions jsonld.js's `safe: true` refuses: a dropped property, a relative `@id` or
  `@type` reference, an unknown context URL.
- `jcs(obj)`: the JSON Canonicalization Scheme (RFC 8785), for `eddsa-jcs-2022` and digests.

Every failure is a `CanonicalizationError` (an `InputError`) with a machine `code`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import rfc8785
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer
from pyld.jsonld import JsonLdError, JsonLdProcessor

from verifier import fastcanon, nquads
from verifier.canon_budget import BudgetedURDNA2015, TooComplexError, WorkBudget
from verifier.errors import InputError
from verifier.jsonld_loader import BundledDocumentLoader, ContextNotBundledError, default_loader

# jsonld.js and pyld use this same test for "absolute IRI" (blank node labels included).
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")


# What pyld raises on malformed input: its own errors, and plain Python errors from deeper code
# (e.g. ValueError for a relative context URL). All of them mean "this is not valid JSON-LD".
_PYLD_ERRORS = (JsonLdError, ValueError, TypeError, KeyError, AttributeError, IndexError)


class CanonicalizationError(InputError):
    """A document cannot be canonicalized safely. `code` says why, for machines."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


_MAX_SAFE_INTEGER = 2**53 - 1


def _json_dumps_is_jcs(obj: Any) -> bool:
    """Whether `json.dumps(sort_keys=True)` writes `obj` exactly as RFC 8785 does: no floats, no
    integer beyond +-(2**53 - 1) (JCS writes numbers as IEEE doubles), and no member name with a
    character beyond U+FFFF (JCS sorts names by UTF-16 code units, Python by code points). String
    escaping is the same in both. Iterative: no recursion on hostile depth."""
    stack = [obj]
    while stack:
        node = stack.pop()
        kind = type(node)  # exact types: json.loads makes no subclasses, and a subclass goes slow
        if kind is str or kind is bool or node is None:
            continue
        if kind is int:
            if -_MAX_SAFE_INTEGER <= node <= _MAX_SAFE_INTEGER:
                continue
            return False
        if kind is dict:
            for key in node:
                if type(key) is not str or (not key.isascii() and max(key) > "\uffff"):
                    return False
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        else:
            return False
    return True


def jcs(obj: Any) -> bytes:
    """RFC 8785 canonical JSON (UTF-8 bytes).

    Documents of the common shape (no floats, see `_json_dumps_is_jcs`) are written by the C JSON
    encoder, about 10x faster than `rfc8785` and byte-identical (tested against it); anything else
    goes to `rfc8785`, which also raises for what JCS cannot write (NaN, lone surrogates...).
    """
    if _json_dumps_is_jcs(obj):
        try:
            text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
            return text.encode("utf-8")
        except (UnicodeEncodeError, ValueError, RecursionError):
            pass  # a lone surrogate, or too deep: rfc8785 says why
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        raise CanonicalizationError(
            f"The document cannot be written as canonical JSON (RFC 8785): {exc}.", "jcs_invalid"
        ) from exc


def rdfc(
    doc: Any,
    *,
    loader: BundledDocumentLoader | None = None,
    fast: bool = True,
    budget: WorkBudget | None = None,
) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, in safe mode.

    `fast` lets documents of the common shapes take MedCred's specialised path (`fastcanon`), which
    is tested byte-identical to pyld and hands anything unusual back to pyld. `budget` bounds the
    blank-node labelling work (`verifier.canon_budget`; a fresh default budget when None): past it,
    CanonicalizationError with code `too_complex`.
    """
    loader = loader or default_loader()
    if not isinstance(doc, dict):
        raise CanonicalizationError("A JSON-LD document must be a JSON object.", "jsonld_invalid")
    if fast:
        result = fastcanon.try_canonicalize(doc, loader)
        if result is not None:
            return result
    return canonicalize_with_pyld(doc, loader=loader, budget=budget)


def canonicalize_with_pyld(
    doc: dict[str, Any], *, loader: BundledDocumentLoader | None = None, budget: WorkBudget | None = None
) -> str:
    """The reference path: pyld expansion (safe mode), RDF conversion and URDNA2015 under `budget`."""
    loader = loader or default_loader()
    dataset = to_dataset(doc, loader=loader)
    _check_characters(dataset)
    budget = budget or WorkBudget()
    try:
        return BudgetedURDNA2015(budget).main(
            dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"}
        )
    except TooComplexError as exc:
        raise CanonicalizationError(
            "The document is too complex to canonicalize: its blank nodes would need more than "
            f"{exc.limit:,} units of work to label (an RDFC-1.0 poison dataset).",
            "too_complex",
        ) from None
    except (JsonLdError, RecursionError, ValueError) as exc:  # pragma: no cover - defensive
        raise CanonicalizationError(f"RDF canonicalization failed: {exc}.", "rdfc_failed") from exc


# RDFC-1.0 escapes control characters and IRI delimiters in its own way (`verifier.nquads`, which
# pyld's canonicalizer uses once `nquads.install()` ran). Only lone surrogates remain: they cannot be
# written as UTF-8 at all (JavaScript implementations would silently sign U+FFFD instead), so two
# different strings would share one signature. No credential needs them: refuse them.
_BAD_CHARACTER = re.compile(r"[\ud800-\udfff]")
nquads.install()


def _check_characters(dataset: dict[str, list[Any]]) -> None:
    for graph_name, triples in dataset.items():
        if _BAD_CHARACTER.search(graph_name):
            raise _unsupported(graph_name)
        for triple in triples:
            for position in ("subject", "predicate", "object"):
                term = triple[position]
                for value in (term["value"], term.get("datatype") or "", term.get("language") or ""):
                    if _BAD_CHARACTER.search(value):
                        raise _unsupported(value)


def _unsupported(value: str) -> CanonicalizationError:
    bad = _BAD_CHARACTER.search(value)
    char = f"U+{ord(bad.group()):04X}" if bad else "a lone surrogate"
    return CanonicalizationError(
        f"The document contains {char} (half of a UTF-16 surrogate pair) in {value[:60]!r}, which "
        "cannot be written as UTF-8; remove it.",
        "unsupported_character",
    )


def _options(loader: BundledDocumentLoader) -> dict[str, Any]:
    return {
        "base": None,  # keep relative IRIs relative (pyld would resolve "" against example.org)
        "documentLoader": loader,
        "contextResolver": ContextResolver(loader.context_cache, loader),
        "processingMode": "json-ld-1.1",
        "extractAllScripts": True,
        "produceGeneralizedRdf": False,
        "rdfDirection": None,
    }


def expand_safe(doc: dict[str, Any], *, loader: BundledDocumentLoader | None = None) -> list[Any]:
    """JSON-LD expansion that refuses what safe mode refuses (see the module docstring)."""
    loader = loader or default_loader()
    dropped: list[str | None] = []
    processor = JsonLdProcessor(on_property_dropped=dropped.append)
    try:
        expanded = processor.expand(doc, _options(loader))
    except _PYLD_ERRORS as exc:
        raise _translate(exc) from exc
    except RecursionError as exc:
        raise CanonicalizationError("The JSON-LD document is nested too deeply.", "jsonld_invalid") from exc
    if dropped:
        names = ", ".join(sorted({str(term) for term in dropped}))
        raise CanonicalizationError(
            f"The document uses terms that its @context does not define ({names}); "
            "they would be left out of the signature.",
            "undefined_term",
        )
    _check_references(expanded)
    return expanded


def to_dataset(doc: dict[str, Any], *, loader: BundledDocumentLoader | None = None) -> dict[str, list[Any]]:
    """The RDF dataset (pyld's dict form: graph name -> triples) of a document, in safe mode."""
    loader = loader or default_loader()
    expanded = expand_safe(doc, loader=loader)
    processor = JsonLdProcessor()
    options = _options(loader)
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    try:
        processor._create_node_map(expanded, node_map, "@default", issuer)
        dataset = {}
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default" or _ABSOLUTE_IRI.match(graph_name):
                dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    except _PYLD_ERRORS as exc:
        raise _translate(exc) from exc
    return dataset


def _check_references(node: Any) -> None:
    """Refuse relative @id and @type references (jsonld.js safe mode: they vanish from the RDF)."""
    if isinstance(node, list):
        for item in node:
            _check_references(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if isinstance(datatype, str) and datatype != "@json" and not _ABSOLUTE_IRI.match(datatype):
            raise _relative("@type", datatype)
        return
    node_id = node.get("@id")
    if isinstance(node_id, str) and not _ABSOLUTE_IRI.match(node_id):
        raise _relative("@id", node_id)
    for type_iri in node.get("@type", ()):
        if isinstance(type_iri, str) and not _ABSOLUTE_IRI.match(type_iri):
            raise _relative("@type", type_iri)
    for key, value in node.items():
        if key not in ("@id", "@type"):
            _check_references(value)


def _relative(kind: str, value: str) -> CanonicalizationError:
    what = "type" if kind == "@type" else "identifier"
    return CanonicalizationError(
        f"The {what} {value!r} is not an absolute IRI and no @context defines it; "
        "it would be left out of the signature.",
        "relative_type" if kind == "@type" else "relative_id",
    )


def _translate(exc: BaseException) -> CanonicalizationError:
    """Turn a pyld error into a CanonicalizationError, surfacing an unbundled context by name."""
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 20:
        if isinstance(cause, ContextNotBundledError):
            return CanonicalizationError(str(cause), cause.code)
        if isinstance(cause, RecursionError):
            return CanonicalizationError("The JSON-LD document is nested too deeply.", "jsonld_invalid")
        cause = cause.__cause__ or cause.__context__
        seen += 1
    detail = getattr(exc, "code", None) or getattr(exc, "type", None) or "invalid JSON-LD"
    message = str(exc).splitlines()[0] if str(exc) else "invalid JSON-LD"
    return CanonicalizationError(f"The document is not valid JSON-LD ({detail}): {message}", "jsonld_invalid")
