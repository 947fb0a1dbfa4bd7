"""Queries: public look-ups (platform, MOOC, certificate, verification) and the reads that
need a token (learners, enrolments)."""

from __future__ import annotations

import uuid
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from ..domain.access import Action
from ..domain.errors import InvalidInput
from .context import Context
from .types import Certificate, Enrollment, Learner, Mooc, Platform, Verification, check_owner


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a valid {what} id.", field="id") from None


@strawberry.type
class Query:
    @strawberry.field
    async def platform(self, info: Info[Context, Any], code: str) -> Optional[Platform]:
        doc = await info.context.call(info.context.service.platform, code)
        return Platform.from_doc(doc) if doc else None

    @strawberry.field
    async def mooc(self, info: Info[Context, Any], code: str) -> Optional[Mooc]:
        doc = await info.context.call(info.context.service.mooc, code)
        return Mooc.from_doc(doc) if doc else None

    @strawberry.field
    async def learner(self, info: Info[Context, Any], id: strawberry.ID) -> Optional[Learner]:
        info.context.require(Action.READ_LEARNERS)
        doc = await info.context.call(info.context.service.learner, parse_id(id, "learner"))
        if doc is None:
            return None
        check_owner(info.context, doc["id"], Action.READ_LEARNERS)
        return Learner.from_doc(doc)

    @strawberry.field
    async def enrollment(
        self, info: Info[Context, Any], id: strawberry.ID
    ) -> Optional[Enrollment]:
        info.context.require(Action.READ_ENROLLMENTS)
        doc = await info.context.call(
            info.context.service.enrollment, parse_id(id, "enrollment")
        )
        if doc is None:
            return None
        check_owner(info.context, doc["learnerId"], Action.READ_ENROLLMENTS)
        return Enrollment.from_doc(doc)

    @strawberry.field(description="A certificate by its number (public: what the paper shows).")
    async def certificate(self, info: Info[Context, Any], number: str) -> Optional[Certificate]:
        doc = await info.context.call(info.context.service.certificate, number)
        return Certificate.from_doc(doc, info.context) if doc else None

    @strawberry.field(description="Check a certificate's signed token (the QR's fragment).")
    async def verify_certificate(self, info: Info[Context, Any], token: str) -> Verification:
        result = await info.context.call(info.context.service.verify_token, token)
        return Verification.from_result(result, info.context)
