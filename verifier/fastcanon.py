"""A specialised RDFC-1.0 path for the documents MedCred meets every day, byte-identical to pyld.

Why: verifying an `eddsa-rdfc-2022` proof canonicalizes two documents, and pyld spends most of its
time re-processing the same type-scoped contexts and walking generic code paths: about 2 ms per
credential. A licensing body checking a roster needs far more than 500 credentials a second.

How: this module reuses pyld for the hard part, context processing (memoised here per
(active context, local context) pair, so each scoped context is processed once per process), and
implements, for a restricted subset of JSON-LD, what pyld does afterwards:

1. expansion, mirroring pyld's `_expand` / `_expand_object` / `_expand_value` step for step
   (property-scoped and type-scoped contexts, reverting non-propagated contexts, `@set` and `@graph`
   containers, type coercion to `@id`, `@vocab` and datatypes), emitting RDF quads directly;
2. RDFC-1.0 for datasets whose blank nodes all have distinct first-degree hashes (which is the case
   for credentials and proof configurations: each blank node carries distinct data); the general
   case needs the N-degree hashing, and is left to pyld.

Anything outside the subset (keywords other than @context/@id/@type, language maps, lists, JSON
literals, blank node identifiers in the input, relative IRIs, undefined terms, non-unique
first-degree hashes, characters that need RDFC-1.0's rarer escapes, ...) raises `_Bail`
internally and the caller falls back to the reference path, which then either produces the result
or the precise error. The fast path never decides that a document is invalid.

Tested byte-identical to pyld on every test document and on hypothesis-generated variants.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from typing import Any

from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdProcessor, _canonicalize_double

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")
# Characters that need RDFC-1.0's rarer escapes (\f, \uXXXX, IRI delimiters): left to the reference
# path, which writes them as rdf-canonize does (`verifier.nquads`), or refuses lone surrogates.
_BAD_LITERAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\ud800-\udfff]')
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"'})
_KEYWORD_LIKE = re.compile(r"^@[a-zA-Z]+$")
_MEMO_LIMIT = 4096


class _Bail(Exception):
    """The document is outside the fast path's subset: use the reference path."""


class _Canonicalizer:
    """Per-loader state: the pyld processor, its options and the memoised contexts and IRIs."""

    def __init__(self, loader: Any) -> None:
        self.processor = JsonLdProcessor()
        self.options: dict[str, Any] = {
            "base": None,
            "documentLoader": loader,
            "contextResolver": ContextResolver(loader.context_cache, loader),
            "processingMode": "json-ld-1.1",
            "isFrame": False,
            "keepFreeFloatingNodes": False,
            "extractAllScripts": False,
        }
        self.initial = self.processor._get_initial_context(self.options)
        # (id(active), key of local, propagate, override) -> (active, local, result): the first two
        # keep the keyed objects alive so that their ids are not reused.
        self.contexts: dict[tuple, tuple[Any, Any, Any]] = {}
        self.vocab_iris: dict[tuple[int, str], str | None] = {}
        self.property_info: dict[tuple[int, str], tuple] = {}
        self.lock = threading.RLock()
        self.quads: set[tuple[str, str, str, str]] = set()
        self.counter = 0

    # -- contexts ---------------------------------------------------------------------------------

    def process(self, active: Any, local: Any, *, propagate: bool = True, override: bool = False) -> Any:
        if isinstance(local, str):
            local_key: Any = local
        elif isinstance(local, list) and all(isinstance(item, str) for item in local):
            local_key = tuple(local)
        elif isinstance(local, dict):
            local_key = id(local)  # scoped contexts: objects owned by memoised active contexts
        else:
            raise _Bail
        key = (id(active), local_key, propagate, override)
        hit = self.contexts.get(key)
        if hit is not None:
            return hit[2]
        with self.lock:  # pyld's caches are not thread-safe; misses are rare
            if isinstance(local_key, int) and not self._owned(local):
                raise _Bail  # an inline context from the document itself
            try:
                result = self.processor._process_context(
                    active, local, self.options, propagate=propagate, override_protected=override
                )
            except Exception as exc:
                raise _Bail from exc
            if len(self.contexts) > _MEMO_LIMIT:
                self.contexts.clear()
                self.vocab_iris.clear()
                self.property_info.clear()
            self.contexts[key] = (active, local, result)
        return result

    def _owned(self, local: dict) -> bool:
        """Whether `local` is a scoped context held by a memoised active context."""
        for _, _, ctx in self.contexts.values():
            for definition in ctx["mappings"].values():
                if definition and definition.get("@context") is local:
                    return True
        return False

    def vocab_iri(self, ctx: Any, value: str) -> str | None:
        """pyld's `_expand_iri(ctx, value, vocab=True)`, memoised per context."""
        key = (id(ctx), value)
        try:
            return self.vocab_iris[key]
        except KeyError:
            pass
        if value.startswith("@") and not _is_keyword(value):
            raise _Bail
        try:
            iri = self.processor._expand_iri(ctx, value, vocab=True, base=None)
        except Exception as exc:
            raise _Bail from exc
        self.vocab_iris[key] = iri
        return iri

    @staticmethod
    def document_iri(ctx: Any, value: str) -> str:
        """pyld's `_expand_iri(ctx, value, base=None)` (document-relative), for absolute results only."""
        if value.startswith("@"):
            raise _Bail
        prefix, colon, suffix = value.partition(":")
        if not colon or prefix == "_":
            raise _Bail  # relative IRI, or a blank node identifier from the document
        if not suffix.startswith("//"):
            mapping = ctx["mappings"].get(prefix)
            if mapping and mapping.get("_prefix"):
                value = mapping["@id"] + suffix
        if not _ABSOLUTE_IRI.match(value):
            raise _Bail
        return value

    # -- expansion to quads -----------------------------------------------------------------------

    def canonicalize(self, doc: dict[str, Any]) -> str:
        """Canonicalize in a per-call view (own quads and blank node counter, shared memos): thread-safe."""
        run = object.__new__(_Canonicalizer)
        run.__dict__.update(self.__dict__)
        run.quads = set()
        run.counter = 0
        if "@context" not in doc:
            raise _Bail
        ctx = run.process(run.initial, doc["@context"])
        run.node(ctx, None, doc, "", top=True)
        return run.urdna2015()

    def blank(self) -> str:
        self.counter += 1
        return f"_:f{self.counter}"

    def node(
        self, active: Any, active_property: str | None, element: dict, graph: str, top: bool = False
    ) -> str:
        """Expand one node object into quads in `graph`; return its subject term."""
        if not element:
            raise _Bail
        # The property-scoped context is looked up before reverting, applied after (pyld's _expand).
        scoped = None
        if active_property is not None:
            definition = active["mappings"].get(active_property)
            scoped = definition.get("@context") if definition else None
        # Revert a non-propagated (type-scoped) context, except for a bare reference {"id": ...}.
        if active.get("previousContext") is not None and not top:
            must_revert = True
            if len(element) <= 2 and "@context" not in element:
                for key in sorted(element):
                    expanded = self.vocab_iri(active, key)
                    if expanded == "@value":
                        raise _Bail  # a value object: not handled here
                    if expanded == "@id" and len(element) == 1:
                        must_revert = False
                        break
            if must_revert:
                active = active["previousContext"]
        if scoped is not None:
            active = self.process(active, scoped, override=True)
        if "@context" in element and not top:
            active = self.process(active, element["@context"])
        type_scoped = active
        types: list[str] = []
        subject_id: str | None = None
        for key in sorted(element):
            if key == "@context":
                continue
            expanded = self.vocab_iri(active, key)
            if expanded == "@type":
                value = element[key]
                values = value if isinstance(value, list) else [value]
                if not all(isinstance(v, str) for v in values) or not values:
                    raise _Bail
                types.extend(values)
                for type_name in sorted(values):
                    definition = type_scoped["mappings"].get(type_name)
                    scoped = definition.get("@context") if definition else None
                    if scoped is not None and scoped is not False:
                        active = self.process(active, scoped, propagate=False)
        keys = []
        for key in sorted(element):
            if key == "@context":
                continue
            expanded = self.vocab_iri(active, key)
            if expanded == "@id":
                value = element[key]
                if not isinstance(value, str) or subject_id is not None:
                    raise _Bail
                subject_id = self.document_iri(active, value)
            elif expanded == "@type":
                continue
            elif not expanded or expanded[0] in "@_" or not _ABSOLUTE_IRI.match(expanded):
                raise _Bail  # keywords other than @id/@type, blank node predicates, relative IRIs
            else:
                keys.append((key, expanded))
        if subject_id is None:
            subject = self.blank()
        else:
            if _BAD_IRI.search(subject_id):
                raise _Bail
            subject = f"<{subject_id}>"
        for type_name in types:
            iri = self.vocab_iri(type_scoped, type_name)
            if iri is None or not _ABSOLUTE_IRI.match(iri) or iri.startswith("_:") or _BAD_IRI.search(iri):
                raise _Bail
            if not _ABSOLUTE_IRI.match(iri):  # pragma: no cover - guarded above
                raise _Bail
            self.quads.add((subject, RDF_TYPE, f"<{iri}>", graph))
        for key, predicate in keys:
            self.property(active, key, predicate, element[key], subject, graph)
        return subject

    def property(self, active: Any, key: str, predicate: str, value: Any, subject: str, graph: str) -> None:
        info_key = (id(active), key)
        info = self.property_info.get(info_key)
        if info is None:
            info = self._property_info(active, key, predicate)
            self.property_info[info_key] = info
        pred, term_ctx, is_graph, literal = info
        add = self.quads.add
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, dict):
                if is_graph:
                    name = self.blank()
                    self.node(term_ctx, key, item, name)
                    add((subject, pred, name, graph))
                else:
                    add((subject, pred, self.node(term_ctx, key, item, graph), graph))
            elif isinstance(item, list):
                self.property(active, key, predicate, item, subject, graph)
            elif item is None:
                continue
            else:
                if is_graph:
                    raise _Bail
                add((subject, pred, self.value(term_ctx, literal, item), graph))

    def _property_info(self, active: Any, key: str, predicate: str) -> tuple[str, Any, bool, tuple]:
        """What expanding values of `key` needs, checked once per (context, key)."""
        definition = active["mappings"].get(key)
        if definition is None or definition.get("reverse") or "@nest" in definition or "@index" in definition:
            raise _Bail
        if _BAD_IRI.search(predicate):
            raise _Bail
        term_ctx = active
        scoped = definition.get("@context")
        if scoped is not None:
            term_ctx = self.process(active, scoped, override=True)
        container = definition.get("@container") or []
        if any(c not in ("@set", "@graph") for c in container):
            raise _Bail
        if definition.get("@type") == "@json":
            raise _Bail
        return f"<{predicate}>", term_ctx, "@graph" in container, self._literal_info(term_ctx, key)

    def _literal_info(self, ctx: Any, key: str) -> tuple:
        """(coercion, datatype, plain strings allowed) for scalar values of `key` in `ctx`."""
        definition = ctx["mappings"].get(key)
        if definition is None:
            return ("bail", None, False)
        type_ = definition.get("@type")
        datatype = type_ if type_ not in (None, "@id", "@vocab", "@none") else None
        if datatype is not None and (
            datatype.startswith("@") or not _ABSOLUTE_IRI.match(datatype) or _BAD_IRI.search(datatype)
        ):
            return ("bail", None, False)
        plain_ok = not (
            "@language" in definition
            or "@direction" in definition
            or "@language" in ctx
            or "@direction" in ctx
        )
        return (type_ if type_ in ("@id", "@vocab") else "literal", datatype, plain_ok, ctx)

    def value(self, ctx: Any, literal: tuple, value: Any) -> str:
        """An N-Quads object term for a scalar, as pyld's _expand_value + _object_to_rdf give it."""
        mode, datatype, plain_ok = literal[0], literal[1], literal[2]
        if mode == "bail":
            raise _Bail
        if isinstance(value, str):
            if mode in ("@id", "@vocab"):
                iri = (
                    self.document_iri(literal[3], value)
                    if mode == "@id"
                    else self.vocab_iri(literal[3], value)
                )
                if iri is None or not _ABSOLUTE_IRI.match(iri) or iri[0] == "_" or _BAD_IRI.search(iri):
                    raise _Bail
                return f"<{iri}>"
            if datatype is None and not plain_ok:
                raise _Bail
            if datatype == XSD_DOUBLE or _BAD_LITERAL.search(value):
                raise _Bail
            escaped = value.translate(_ESCAPES)
            return f'"{escaped}"^^<{datatype}>' if datatype else f'"{escaped}"'
        if isinstance(value, bool):
            return f'"{"true" if value else "false"}"^^<{datatype or XSD_BOOLEAN}>'
        if isinstance(value, float):
            if datatype == XSD_DOUBLE or math.isnan(value) or math.isinf(value):
                raise _Bail
            if value.is_integer():
                if abs(value) >= 1e21:
                    raise _Bail
                return f'"{int(value)}"^^<{datatype or XSD_INTEGER}>'
            return f'"{_canonicalize_double(value)}"^^<{datatype or XSD_DOUBLE}>'
        if isinstance(value, int):
            if datatype == XSD_DOUBLE or abs(value) >= 10**21:
                raise _Bail
            return f'"{value}"^^<{datatype or XSD_INTEGER}>'
        raise _Bail

    # -- RDFC-1.0 for distinct first-degree hashes ------------------------------------------------

    def urdna2015(self) -> str:
        quads = self.quads
        mentions: dict[str, list[tuple[str, str, str, str]]] = {}
        for quad in quads:
            s, _, o, g = quad
            if (s[0] == "_" and s in (o, g)) or (o[0] == "_" and o == g):
                raise _Bail  # pyld lists such a quad twice for the node; leave that case to it
            if s[0] == "_":
                mentions.setdefault(s, []).append(quad)
            if o[0] == "_" and o != s:
                mentions.setdefault(o, []).append(quad)
            if g and g[0] == "_" and g not in (s, o):
                mentions.setdefault(g, []).append(quad)
        hashes: dict[str, str] = {}
        for label, related in mentions.items():
            lines = sorted(_line(quad, label) for quad in related)
            hashes[hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()] = label
        if len(hashes) != len(mentions):
            raise _Bail  # two blank nodes look alike at first degree: needs N-degree hashing
        canonical = {label: f"_:c14n{i}" for i, (_, label) in enumerate(sorted(hashes.items()))}
        lines = []
        get = canonical.get
        for s, p, o, g in quads:
            if g:
                lines.append(f"{get(s, s)} {p} {get(o, o)} {get(g, g)} .\n")
            else:
                lines.append(f"{get(s, s)} {p} {get(o, o)} .\n")
        lines.sort()
        return "".join(lines)


def _line(quad: tuple[str, str, str, str], label: str) -> str:
    """A quad in N-Quads with `label` as _:a and every other blank node as _:z (first-degree hash)."""
    s, p, o, g = quad
    if s[0] == "_":
        s = "_:a" if s == label else "_:z"
    if o[0] == "_":
        o = "_:a" if o == label else "_:z"
    if g:
        if g[0] == "_":
            g = "_:a" if g == label else "_:z"
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


_KEYWORDS = frozenset(
    {
        "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@graph",
        "@id", "@import", "@included", "@index", "@json", "@language", "@list", "@nest", "@none",
        "@omitDefault", "@prefix", "@preserve", "@propagate", "@protected", "@requireAll", "@reverse",
        "@set", "@type", "@value", "@version", "@vocab",
    }
)  # fmt: skip


def _is_keyword(value: str) -> bool:
    return value in _KEYWORDS


_CANONICALIZERS: dict[int, tuple[Any, _Canonicalizer]] = {}


def try_canonicalize(doc: dict[str, Any], loader: Any) -> str | None:
    """The canonical N-Quads of `doc`, or None when the reference path must handle it."""
    entry = _CANONICALIZERS.get(id(loader))
    if entry is None or entry[0] is not loader:
        entry = (loader, _Canonicalizer(loader))
        _CANONICALIZERS[id(loader)] = entry
    try:
        return entry[1].canonicalize(doc)
    except _Bail:
        return None
    except Exception:
        return None
