"""The schema object, ``registry.api.schema:schema``; ``schema/schema.graphql`` is printed
from it (``registry schema``) and a test fails when the two drift."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.printer import print_schema
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from .audit import AuditQuery
from .certificates import CertificateMutation, CertificateQuery
from .errors import annotate
from .execution import LeanSchema
from .hooks import LeanExtensionsRunner
from .learners import ErasureMutation, LearnerMutation, LearnerQuery
from .materials import MaterialsMutation, MaterialsQuery
from .moocs import MoocMutation, MoocQuery
from .pipeline import RegistryOperation
from .platforms import PlatformMutation, PlatformQuery
from .programmes import ProgrammeMutation, ProgrammeQuery
from .statistics import StatisticsQuery
from .subscriptions import Subscription
from .timeline import TimelineQuery


def root(name: str, description: str, types: tuple[type, ...]) -> type:
    """A root type composed of each feature's fields, with its description."""
    merged = merge_types(name, types)
    merged.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return merged


# The root types compose each feature's queries and mutations.
Query = root("Query", "Reads of the DET Registry, all from projections of the event log. Send "
             "'Authorization: Bearer <token>'; without one only the public fields answer "
             "(verifyCertificate, certificate, platform(s), mooc(s), onlineProctoring, "
             "disciplineTeaching, the audit log's checkpoint and proofs). A field the role "
             "may not read answers null with a FORBIDDEN error.",
             (PlatformQuery, MoocQuery, LearnerQuery, CertificateQuery, AuditQuery,
              ProgrammeQuery, MaterialsQuery, StatisticsQuery, TimelineQuery))
Mutation = root("Mutation", "Commands: each needs a token whose role may run it "
                "(UNAUTHENTICATED, FORBIDDEN), stores its events or nothing (a refusal has "
                "extensions.code), and answers the object as the views show it afterwards.",
                (PlatformMutation, MoocMutation, LearnerMutation, CertificateMutation,
                 ProgrammeMutation, MaterialsMutation, ErasureMutation))


class RegistrySchema(LeanSchema):
    def create_extensions_runner(self, execution_context: ExecutionContext,
                                 extensions: list[SchemaExtension]) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)

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
    # One extension runs the registry's steps of each operation (registry.api.pipeline):
    # operations by transport (subscriptions over WebSocket only), the limits (the parser's
    # token limit, the limits rule first), parsing and validation cached and off the event
    # loop, introspection gated per request after the cache, extensions.consistency.
    extensions=[RegistryOperation],
    # Executed with graphql-core's machinery skipped where it cannot change the answer: plain
    # leaves inline, objects without the type dispatch, resolvers called directly
    # (registry.api.execution, LeanSchema).
)


def sdl() -> str:
    return print_schema(schema) + "\n"
