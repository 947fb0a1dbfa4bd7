"""Who causes the events of the command now running, and why (R11's metadata).

The API and the CLI open a :func:`command_context`; the mapper stamps every event stored inside
it with the actor (token name and role), on whose behalf, when it was recorded, and the
correlation and causation ids.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class CommandContext:
    actor_name: str
    actor_role: str
    on_behalf_of: str | None = None
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None

    def metadata(self, recorded_at: str) -> dict[str, Any]:
        # (by hand, not dataclasses.asdict: it runs for every event stored, and asdict's
        # deep copy was a quarter of a gradebook import's time)
        return {"actor_name": self.actor_name, "actor_role": self.actor_role,
                "on_behalf_of": self.on_behalf_of, "correlation_id": self.correlation_id,
                "causation_id": self.causation_id, "recorded_at": recorded_at}


SYSTEM = CommandContext(actor_name="registry", actor_role="system")

_current: contextvars.ContextVar[CommandContext] = contextvars.ContextVar(
    "registry_command_context", default=SYSTEM
)


def current_context() -> CommandContext:
    return _current.get()


@contextmanager
def command_context(context: CommandContext) -> Iterator[CommandContext]:
    """Run a command inside ``context``; each command gets its own causation id."""
    ctx = replace(context, causation_id=context.causation_id or str(uuid.uuid4()))
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
