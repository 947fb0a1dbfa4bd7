"""Writers racing on one aggregate lose nothing and rarely see ``CONFLICT`` (issue 10): 20
simultaneous corrections of one score, on each back-end."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from support import ADMIN, OnPostgres, OnSQLite, StorageCase, enrolled, published_mooc, scored

from registry.bootstrap import Container
from registry.domain.errors import Conflict

WRITERS = 20


class ConcurrentCorrections(StorageCase):
    def test_twenty_simultaneous_corrections_of_one_score(self, registry: Container) -> None:
        service = registry.service
        published_mooc(service)
        enrollment = scored(service, enrolled(service, "KAZLIT-101"), (50, 50, 50))
        eid = uuid.UUID(enrollment["id"])
        before = len(service.history(eid))
        start = threading.Barrier(WRITERS)
        outcomes: list[Any] = [None] * WRITERS

        def correct(n: int) -> None:
            start.wait()
            try:
                service.run(ADMIN, lambda cmd: cmd.enrollments.record_score(
                    enrollment_id=eid, component="RATING_1", points=60 + n,
                    reason=f"correction {n}"))
                outcomes[n] = "ok"
            except Conflict as conflict:
                outcomes[n] = conflict
            except Exception as error:  # pragma: no cover - the failure the test looks for
                outcomes[n] = error

        threads = [threading.Thread(target=correct, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        succeeded = [n for n, outcome in enumerate(outcomes) if outcome == "ok"]
        others = [outcome for outcome in outcomes if outcome != "ok"]
        assert all(isinstance(outcome, Conflict) for outcome in others), others
        assert len(succeeded) >= WRITERS - 2, f"{len(others)} of {WRITERS} answered CONFLICT"
        # Nothing lost: one history entry per success, each with its own points and reason.
        added = service.history(eid)[before:]
        assert len(added) == len(succeeded)
        assert sorted(entry["personal"]["reason"] for entry in added) == sorted(
            f"correction {n}" for n in succeeded)
        assert sorted(entry["data"]["points"] for entry in added) == sorted(
            60 + n for n in succeeded)
        # Each correction saw the one before it: the chain of previous values is unbroken.
        assert [entry["data"]["previous"] for entry in added] == [50] + [
            entry["data"]["points"] for entry in added[:-1]]
        last = added[-1]["data"]["points"]
        assert service.doc("enrollments", str(eid))["totalPoints"] == last + 100


class TestOnSQLite(OnSQLite, ConcurrentCorrections):
    pass


class TestOnPostgres(OnPostgres, ConcurrentCorrections):
    pass
