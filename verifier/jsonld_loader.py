"""A JSON-LD document loader that serves only the contexts bundled with MedCred.

Canonicalizing a credential must never touch the network: a remote context could change under a
signature, leak which credential is being checked, or hang the verifier. So every context a
credential may use ships in `schemas/contexts/` (listed in its `index.json`), is parsed once, and
any other URL is refused with an error that names it.

The W3C example context (`https://www.w3.org/ns/credentials/examples/v2`) is bundled only for the
W3C test vectors: it defines `@vocab`, which would make every undefined term "defined", so it is
served only by a loader created with `include_examples=True`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from cachetools import LRUCache

from verifier.errors import InputError
from verifier.resources import schemas_dir

EXAMPLE_CONTEXTS = frozenset({"https://www.w3.org/ns/credentials/examples/v2"})
"""Bundled, but served only on request (test vectors)."""


class _LockedLRUCache(LRUCache):
    """cachetools' LRUCache reorders itself on every read: guard it for threaded verifiers."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self._lock = threading.RLock()

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            super().__delitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            return super().get(key, default)


class ContextNotBundledError(InputError):
    """A credential names a JSON-LD context that MedCred does not bundle."""

    code = "context_not_bundled"

    def __init__(self, url: str) -> None:
        super().__init__(
            f"The JSON-LD context {url!r} is not one of the contexts bundled with MedCred, "
            "and contexts are never fetched from the network."
        )
        self.url = url


def contexts_dir() -> Path:
    """The folder of bundled context files."""
    return schemas_dir() / "contexts"


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    with (contexts_dir() / "index.json").open(encoding="utf-8") as handle:
        return dict(json.load(handle))


@cache
def _parsed(url: str) -> dict[str, Any]:
    with (contexts_dir() / _index()[url]).open(encoding="utf-8") as handle:
        return json.load(handle)


def bundled_context_urls(*, include_examples: bool = False) -> frozenset[str]:
    """The context URLs the default loader serves."""
    urls = frozenset(_index())
    return urls if include_examples else urls - EXAMPLE_CONTEXTS


def load_context(url: str, *, include_examples: bool = False) -> dict[str, Any]:
    """The parsed bundled context document for `url` (a private copy the caller may modify)."""
    if url not in bundled_context_urls(include_examples=include_examples):
        raise ContextNotBundledError(url)
    return copy.deepcopy(_parsed(url))


class BundledDocumentLoader:
    """A pyld document loader (`loader(url, options) -> RemoteDocument`) over the bundled contexts.

    `extra` adds contexts (URL -> parsed document), e.g. an institution's own vocabulary; they are
    still local. Instances are hashable by identity, so pyld's context cache can key on them.
    """

    def __init__(
        self, *, include_examples: bool = False, extra: Mapping[str, dict[str, Any]] | None = None
    ) -> None:
        self.include_examples = include_examples
        self._extra = {url: copy.deepcopy(doc) for url, doc in (extra or {}).items()}
        self._urls = bundled_context_urls(include_examples=include_examples) | frozenset(self._extra)
        # pyld's cache of resolved (and processed) contexts, private to this loader so that a
        # context served by one loader is never served from cache by a stricter one.
        self.context_cache: LRUCache = _LockedLRUCache(maxsize=64)

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this loader serves."""
        return self._urls

    def document(self, url: str) -> dict[str, Any]:
        """The parsed context for `url`, or ContextNotBundledError."""
        if url in self._extra:
            return copy.deepcopy(self._extra[url])
        if url not in self._urls:
            raise ContextNotBundledError(url)
        return copy.deepcopy(_parsed(url))

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": self.document(url),
            # "static" lets pyld keep the resolved context (and contexts processed from it).
            "tag": "static",
        }


_DEFAULT = BundledDocumentLoader()
_WITH_EXAMPLES = BundledDocumentLoader(include_examples=True)


def default_loader(*, include_examples: bool = False) -> BundledDocumentLoader:
    """The shared loader (one instance each way, so processed contexts are cached across calls)."""
    return _WITH_EXAMPLES if include_examples else _DEFAULT
