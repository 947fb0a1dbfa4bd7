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
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pyld import jsonld

__all__ = ["CONTEXTS", "UnsafeDocument", "canonicalize", "load_document"]

#: Context URL → its data file in ``registry/signing/contexts/``.
CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json":
        "ob-v3p0-context-3.0.3.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
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

    processor = jsonld.JsonLdProcessor(on_property_dropped=_dropped)
    try:
        expanded = processor.expand(document, {"documentLoader": loader, "base": None})
        _check_iris(expanded)
        nquads: str = processor.normalize(expanded, {
            "algorithm": "URDNA2015", "format": "application/n-quads",
            "documentLoader": loader})
    except jsonld.JsonLdError as error:
        cause = error.__cause__
        while cause is not None and not isinstance(cause, UnsafeDocument):
            cause = cause.__cause__
        if isinstance(cause, UnsafeDocument):
            raise cause from None
        raise UnsafeDocument(f"JSON-LD processing failed: {error}") from None
    return nquads
