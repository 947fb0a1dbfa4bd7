"""In production (``REGISTRY_PRODUCTION=1``) introspection needs a token; outside it, it works
without one (SPEC §4). The web layer says, per request, whether it is allowed."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from graphql import FieldNode, GraphQLError, ValidationRule

from ..domain.errors import Unauthenticated

introspection_allowed: ContextVar[bool] = ContextVar("introspection_allowed", default=True)


class IntrospectionNeedsToken(ValidationRule):
    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in ("__schema", "__type") and not introspection_allowed.get():
            refusal = Unauthenticated("In production, introspection needs a bearer token.")
            self.report_error(GraphQLError(refusal.message, node, original_error=refusal))
