"""``extensions.consistency`` (SPEC §2): a write whose views did not catch up in time still
answers its success, and says so — so a client neither retries it (a duplicate) nor trusts a
list it reads next to show it yet."""

from __future__ import annotations

from typing import Any

from strawberry.types import ExecutionContext


def consistency_extension(context: ExecutionContext) -> dict[str, Any]:
    """The answer's ``extensions.consistency``, when a write's views did not catch up."""
    consistency = getattr(context.context, "consistency", None)
    if consistency is None:
        return {}
    return {"consistency": consistency.as_extension()}
