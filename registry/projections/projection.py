"""The registry's projection: each event → the new state of its aggregate → view rows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking

from .presenters import rows_for
from .view import RegistryView


class RegistryProjection:
    """Writes, for each event, its aggregate's rows and the event's tracking record in one
    transaction. The aggregate is rebuilt at the event's version, so a replay from any
    position writes exactly what was true then; events without a read model still advance
    the tracking position (else waiting for that position would never end)."""

    def __init__(self, app: Application[UUID], view: RegistryView) -> None:
        self.app = app
        self.view = view

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        aggregate: Any = self.app.repository.get(
            domain_event.originator_id, version=domain_event.originator_version
        )
        self.view.save(rows_for(aggregate), tracking)
