"""The schema object, ``registry.api.schema:schema``; ``schema/schema.graphql`` is printed
from it (``registry schema``) and a test fails when the two drift."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.printer import print_schema
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from .audit import AuditQuery
from .certificates import CertificateMutation, CertificateQuery
from .consistency import ConsistencyReport
from .errors import annotate
from .introspection import IntrospectionNeedsToken
from .learners import ErasureMutation, LearnerMutation, LearnerQuery
from .limits import ParserCacheOffLoop, QueryLimits, ValidationCacheOffLoop
from .materials import MaterialsMutation, MaterialsQuery
from .moocs import MoocMutation, MoocQuery
from .platforms import PlatformMutation, PlatformQuery
from .programmes import ProgrammeMutation, ProgrammeQuery
from .statistics import StatisticsQuery
from .subscriptions import OperationsByTransport, Subscription
from .timeline import TimelineQuery

# The root types compose each feature's queries and mutations.
Query = merge_types("Query", (PlatformQuery, MoocQuery, LearnerQuery, CertificateQuery, AuditQuery,
                              ProgrammeQuery, MaterialsQuery, StatisticsQuery, TimelineQuery))
Mutation = merge_types(
    "Mutation", (PlatformMutation, MoocMutation, LearnerMutation, CertificateMutation,
                 ProgrammeMutation, MaterialsMutation, ErasureMutation)
)


class RegistrySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context: Any = execution_context.context if execution_context else None
        settings = getattr(context, "settings", None)
        annotate(errors, production=bool(settings and settings.production))


schema = RegistrySchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    # The limits (registry.api.limits) set the parser's token limit and add their validation
    # rules; parsing and validation are cached and run off the event loop; introspection is
    # gated per request, after the cache. Subscriptions run over WebSocket only, queries and
    # mutations over HTTP only (registry.api.subscriptions).
    extensions=[OperationsByTransport, QueryLimits, ParserCacheOffLoop, ValidationCacheOffLoop,
                IntrospectionNeedsToken, ConsistencyReport],
)


def sdl() -> str:
    return print_schema(schema) + "\n"
