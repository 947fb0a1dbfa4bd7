"""API tokens: created by the CLI, known to the registry only by their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from ..domain.access import ApiToken, Principal, Role
from .base import Saved
from .learners import LearnerCommands


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class TokenCommands(LearnerCommands):
    def create_token(self, *, name: str, role: Role, learner_id: UUID | None,
                     faculty: str | None = None, courses: list[str] | None = None) -> Saved:
        """A new bearer token: returned once (as the value), stored only as its SHA-256."""
        if learner_id is not None:
            self.get_learner(learner_id)
        secret = "det_" + secrets.token_urlsafe(32)
        token = ApiToken.create(token_sha256=token_digest(secret), name=name, role=role,
                                learner_id=learner_id, faculty=faculty, courses=courses)
        return self._save(token, value=secret)

    def principal_for(self, secret: str) -> Principal | None:
        try:
            token: ApiToken = self.repository.get(ApiToken.create_id(token_digest(secret)))
        except AggregateNotFoundError:
            return None
        return None if token.revoked else token.principal
