"""JSON-LD for the registry's credentials: the contexts it ships, and RDF canonicalisation.

Library: **pyld** (3.x), whose ``URDNA2015`` is the algorithm W3C standardised as RDFC-1.0
(the ``eddsa-rdfc-2022`` cryptosuite's canonicalisation; the W3C test vector passes through
it, ``tests/unit/test_credentials.py``).

Two things a verifier does that pyld does not do by itself, and that we do here:

* **No network.** Every context a credential or DID document names is a data file in
  ``registry/signing/contexts/`` (with its licence, ``LICENCES.md`` there); any other URL is
  refused, so nothing is ever fetched at run time.
* **Safe mode.** The DCC's and Digital Bazaar's verifiers refuse a document with a term no
  context defines, a relative ``@id`` or ``@type``; pyld silently drops them and would sign
  what the verifier later rejects. :func:`canonicalize` raises :class:`UnsafeDocument` instead.

And one thing for speed. pyld (like jsonld.js) processes every *type-scoped* context
(``OpenBadgeCredential``, ``Achievement``, ``DataIntegrityProof``, …) afresh for each node of
each document, because a non-propagating context starts from a new clone with a new ``_uuid``
and so never hits its own cache. That is half of a credential's signing time.
:class:`_Processor` memoises a processed context by the *frozen* active context it started
from (its ``_uuid``) and the local context object it applied (identity, kept alive by the
entry): both immutable, so the answer is the one pyld would compute again. The W3C test vector
and the JavaScript verifiers (tests/unit/test_credentials.py) check the result.
"""

from __future__ import annotations

import json
import threading
from importlib import resources
from typing import Any

from cachetools import LRUCache
from pyld import jsonld

__all__ = ["CONTEXTS", "UnsafeDocument", "canonicalize", "load_document"]

#: Context URL → its data file in ``registry/signing/contexts/``.
CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json":
        "ob-v3p0-context-3.0.3.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-signature-2020-v1.jsonld",
}


class UnsafeDocument(ValueError):
    """The document would lose data in JSON-LD processing (undefined term, relative IRI) or
    names a context the registry does not ship."""


def _read(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("contexts", name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


# Read once, at import: a live server survives its package being replaced (web/assets.py).
_LOADED = {url: _read(name) for url, name in CONTEXTS.items()}


def _context(url: str) -> dict[str, Any]:
    return _LOADED[url]


def load_document(url: str, options: Any = None, *,
                  extra: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """pyld's document loader: the shipped contexts (and ``extra`` ones a test adds), never
    the network."""
    if extra and url in extra:
        document = extra[url]
    elif url in CONTEXTS:
        document = _context(url)
    else:
        raise UnsafeDocument(f"context {url} is not shipped with the registry")
    # "static": pyld keeps the processed context across calls (else it re-processes the
    # shipped contexts, and hashes each, on every signature)
    return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, with processed contexts memoised (see the module's docstring)."""

    def expand(self, input_: Any, options: Any) -> Any:
        """The expanded document (``normalize`` expands through here), checked for
        relative IRIs."""
        expanded = super().expand(input_, options)
        _check_iris(expanded)
        return expanded

    _memo: LRUCache[tuple[Any, ...], tuple[Any, Any]] = LRUCache(maxsize=1024)
    _lock = threading.Lock()

    def _process_context(self, active_ctx: Any, local_ctx: Any, options: Any,
                         override_protected: bool = False, propagate: bool = True,
                         validate_scoped: bool = True, cycles: Any = None) -> Any:
        # only a context object embedded in a document (a scoped context): a URL's meaning
        # depends on the document loader, which differs between calls (tests add contexts)
        embedded = isinstance(local_ctx, (dict, jsonld.frozendict)) and "@import" not in local_ctx
        frozen = isinstance(active_ctx, jsonld.frozendict) and "_uuid" in active_ctx
        if not (embedded and frozen) or cycles:
            return super()._process_context(active_ctx, local_ctx, options, override_protected,
                                             propagate, validate_scoped, cycles)
        key = (active_ctx["_uuid"], id(local_ctx), override_protected, propagate,
               validate_scoped, options.get("base"), options.get("processingMode"))
        with self._lock:
            hit = self._memo.get(key)
        if hit is not None and hit[0] is local_ctx:
            return hit[1]
        result = super()._process_context(active_ctx, local_ctx, options, override_protected,
                                          propagate, validate_scoped, cycles)
        if isinstance(result, jsonld.frozendict):
            with self._lock:
                self._memo[key] = (local_ctx, result)
        return result


def _dropped(term: str | None) -> None:
    raise UnsafeDocument(f"JSON-LD term {term!r} is defined by no context")


def _check_iris(node: Any) -> None:
    """Every ``@id`` and ``@type`` of the expanded document is absolute or a blank node."""
    if isinstance(node, list):
        for item in node:
            _check_iris(item)
        return
    if not isinstance(node, dict):
        return
    identifiers = [node["@id"]] if "@id" in node else []
    if "@type" in node and "@value" not in node:
        types = node["@type"]
        identifiers += types if isinstance(types, list) else [types]
    for iri in identifiers:
        if not isinstance(iri, str) or not (iri.startswith("_:") or ":" in iri):
            raise UnsafeDocument(f"{iri!r} is not an absolute IRI")
    for key, value in node.items():
        if key not in ("@id", "@type", "@value"):
            _check_iris(value)


def canonicalize(document: dict[str, Any], *,
                 extra: dict[str, dict[str, Any]] | None = None) -> str:
    """The RDFC-1.0 canonical N-Quads of ``document``; :class:`UnsafeDocument` when JSON-LD
    processing would drop any part of it."""

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        return load_document(url, options, extra=extra)

    processor = _Processor(on_property_dropped=_dropped)
    try:
        nquads: str = processor.normalize(document, {
            "algorithm": "URDNA2015", "format": "application/n-quads", "base": None,
            "documentLoader": loader})
    except jsonld.JsonLdError as error:
        cause = error.__cause__
        while cause is not None and not isinstance(cause, UnsafeDocument):
            cause = cause.__cause__
        if isinstance(cause, UnsafeDocument):
            raise cause from None
        raise UnsafeDocument(f"JSON-LD processing failed: {error}") from None
    return nquads
