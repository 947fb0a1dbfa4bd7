"""The schema's one extension: what the registry adds to each GraphQL operation, step by step.

Each step is a function of the module it belongs to; this class only runs them at their
stage of strawberry's operation, in this order:

* **operation** — which operation types this transport runs (:func:`.subscriptions.
  operations_by_transport`: subscriptions over WebSocket only), then the request's limits:
  the parser's token limit and the limits rule first among the validation rules
  (:func:`.limits.apply_limits`);
* **parse** — the document, from the recent-documents cache or parsed in the thread pool,
  a parser limit refused as ``QUERY_TOO_COMPLEX`` (:func:`.limits.parse_operation`);
* **validate** — likewise cached or validated in the thread pool
  (:func:`.limits.validate_operation`);
* **execute** — introspection refused without a token in production
  (:func:`.introspection.refuse_introspection_without_token`), before any resolver runs;
* **results** — ``extensions.consistency`` when a write's views lagged
  (:func:`.consistency.consistency_extension`).

One extension rather than one per step: strawberry makes each extension object per request
and, per stage, asks each whether it has a hook and wraps every hook it finds in a context
manager: made one, a ``{ __typename }`` costs 15 % fewer instructions in process
(``bench/README.md``, "Hot paths", 2026-12-08). The steps, their order and the stages they
run at are what the six extensions did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from .consistency import consistency_extension
from .introspection import refuse_introspection_without_token
from .limits import apply_limits, parse_operation, validate_operation
from .subscriptions import operations_by_transport


class RegistryOperation(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        operations_by_transport(context)
        apply_limits(context)
        yield

    async def on_parse(self) -> AsyncIterator[None]:
        await parse_operation(self.execution_context)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        await validate_operation(self.execution_context)
        yield

    def on_execute(self) -> Iterator[None]:
        refuse_introspection_without_token(self.execution_context)
        yield

    def get_results(self) -> dict[str, Any]:
        return consistency_extension(self.execution_context)
