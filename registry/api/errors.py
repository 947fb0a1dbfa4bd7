"""Refusals at the GraphQL edge: one place maps every error to its stable code (SPEC §3).

* a :class:`~registry.domain.errors.DomainError` raised by a resolver → its ``code``;
* an error with no resolver path (the request's syntax, an unknown field, a value that is not
  a valid ``Date`` or a 32-bit ``Int``) → ``INVALID_INPUT``;
* a document over the cost, depth, alias, fragment or token limits (:mod:`.limits`) →
  ``QUERY_TOO_COMPLEX``;
* anything else is a bug: ``INTERNAL_SERVER_ERROR``, logged with its traceback, and in
  production its message is hidden.
In production, no message suggests names ("Did you mean …?"): they would map the schema.
Expected refusals are not logged as errors (they are answers, not failures).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError

from ..domain.errors import DomainError
from ..storage.errors import unavailable_reason

log = logging.getLogger("registry.api")

INTERNAL = "INTERNAL_SERVER_ERROR"
UNAVAILABLE = "UNAVAILABLE"  # also a store that cannot be read now (DomainError for writes)

SUGGESTION = re.compile(r"\s*Did you mean .*\?$", re.DOTALL)


class QueryTooComplex(DomainError):
    """A GraphQL document over one of the limits; refused before any resolver runs."""

    code = "QUERY_TOO_COMPLEX"


class AsOfUnsupported(DomainError):
    """A field kept by a projection for today only (not rebuilt from events), asked of a
    record read with ``asOf``: refused rather than answered with today's value."""

    code = "AS_OF_UNSUPPORTED"


def classify(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code
    if error.path is None:
        return "INVALID_INPUT"
    if original is not None and unavailable_reason(original) is not None:
        return UNAVAILABLE
    return INTERNAL


def annotate(errors: list[GraphQLError], *, production: bool) -> None:
    for error in errors:
        code = classify(error)
        extensions: dict[str, Any] = dict(error.extensions or {})
        extensions["code"] = code
        original = error.original_error
        if isinstance(original, DomainError) and original.details:
            extensions["details"] = {k: v for k, v in original.details.items()
                                     if isinstance(v, (str, int, bool, list))}
        error.extensions = extensions
        if code == UNAVAILABLE and not isinstance(original, DomainError):
            reason = unavailable_reason(original) if original else None
            error.message = f"The registry cannot read its store now: {reason}; try again later."
        if production and error.path is None:
            error.message = SUGGESTION.sub("", error.message)
        if code == INTERNAL:
            log.error("unexpected error in %s", error.path, exc_info=original or error)
            if production:
                error.message = "Internal error: the registry's operators have been told."
