"""In production (``REGISTRY_PRODUCTION=1``) introspection needs a token; outside it, it works
without one (SPEC §4). The web layer says, per request, whether it is allowed.

The check runs when the operation is about to execute, not as a validation rule: validation
results are cached by document, and a document validated for a request with a token must not
pass unchecked for one without.
"""

from __future__ import annotations

from contextvars import ContextVar

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
)
from strawberry.types import ExecutionContext

from ..domain.errors import Unauthenticated

introspection_allowed: ContextVar[bool] = ContextVar("introspection_allowed", default=True)

META_FIELDS = ("__schema", "__type")


def introspects(document: DocumentNode) -> FieldNode | None:
    """The first ``__schema`` or ``__type`` field anywhere in the document."""
    stack = [definition.selection_set for definition in document.definitions
             if isinstance(definition, ExecutableDefinitionNode)]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode) and selection.name.value in META_FIELDS:
                return selection
            if isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                stack.append(selection.selection_set)
    return None


def refuse_introspection_without_token(context: ExecutionContext) -> None:
    """When introspection is not allowed for this request, a document that introspects
    answers the refusal instead of executing."""
    if not introspection_allowed.get() and context.graphql_document is not None:
        node = introspects(context.graphql_document)
        if node is not None:
            refusal = Unauthenticated("In production, introspection needs a bearer token.")
            error = GraphQLError(refusal.message, node, original_error=refusal)
            context.result = ExecutionResult(data=None, errors=[error])
