"""The event feed and time travel on each back-end (SPEC §9): positions from the store, keyset
pages while others write, the audit log's indexes in one statement, and — a property over
random command sequences — ``asOf {position: P}`` equals what the projection showed right
after P, and a replay of the events up to P through the presenters, for every P."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import (
    ADMIN,
    OnPostgres,
    OnSQLite,
    StorageCase,
    certified,
    enrolled,
    published_mooc,
    revoked,
)

from registry.application.service import RegistryService
from registry.application.timeline import AsOf, EventFilter
from registry.bootstrap import Container
from registry.clock import FixedClock
from registry.domain.certificates import Certificate
from registry.domain.errors import DomainError
from registry.domain.moocs import Mooc
from registry.projections.presenters import rows_for

TABLES = ("moocs", "learners", "enrollments", "certificates")

STEP = st.one_of(
    st.tuples(st.just("score"), st.sampled_from(["RATING_1", "MIDTERM", "RATING_2"]),
              st.integers(0, 100)),
    st.tuples(st.just("exam"), st.integers(0, 100)),
    st.tuples(st.just("pass")),  # good scores and exam, so certificates happen
    st.tuples(st.just("issue")),
    st.tuples(st.just("issue")),
    st.tuples(st.just("revoke")),
    st.tuples(st.just("reissue"), st.sampled_from([None, "Әлия Құрманова-Жанқызы"])),
    st.tuples(st.just("close")),
)

_codes = itertools.count(1)


def replayed(container: Container, table: str, key: str, aggregate_id: uuid.UUID,
             position: int) -> dict[str, Any] | None:
    """The row as a full replay of the notification log up to ``position`` presents it."""
    app = container.app
    stored = [n for n in app.recorder.select_notifications(start=1, limit=100_000,
                                                           stop=position)
              if n.originator_id == aggregate_id]
    state = None
    for stored_event in app.mapper.to_domain_events(stored):
        state = stored_event.mutate(state)
    if state is None:
        return None
    return next((dict(r.doc) for r in rows_for(state) if r.table == table and r.key == key),
                None)


class TimelineCases(StorageCase):
    def test_positions_are_the_notification_ids(self, registry: Container) -> None:
        cert = certified(registry.service)
        cert_id = Certificate.create_id(cert["number"])
        notifications = registry.app.recorder.select_notifications(start=1, limit=10_000)
        expected = [(n.originator_version, n.id) for n in notifications
                    if n.originator_id == cert_id]
        assert registry.service.timeline.positions.positions(cert_id) == expected
        assert registry.service.timeline.positions.positions(uuid.uuid4()) == []

    def test_keyset_pages_while_others_write(self, registry: Container) -> None:
        service = registry.service
        code = published_mooc(service, "PAGE-101")["code"]
        enrolled(service, code, "Learner One")
        seen: list[int] = []
        after = 0
        where = EventFilter(aggregate_type="Enrollment")
        for round_ in range(10):
            page = service.events(where, after, 1)
            seen += [e["position"] for e in page.events]
            if round_ < 3:
                enrolled(service, code, f"Learner {round_ + 2}")
            if not page.has_next and round_ >= 3:
                break
            after = seen[-1]
        every = service.events(where, 0, 100).events
        assert seen == [e["position"] for e in every] and len(every) == 4
        unfiltered = service.events(EventFilter(), 0, 100)
        positions = [e["position"] for e in unfiltered.events]
        assert positions == sorted(positions) and unfiltered.has_next is (
            registry.app.last_notification_id() > positions[-1])

    def test_filters_by_metadata_and_time(self, registry: Container, clock: FixedClock) -> None:
        service = registry.service
        cert = certified(service)
        start = clock.now()
        clock.set(start + timedelta(days=1))
        revoked(service, cert["number"], "forged")
        late = service.events(EventFilter(recorded_from=start + timedelta(hours=1)), 0, 100)
        assert [e["type"] for e in late.events] == ["Revoked"]
        by_admin = service.events(EventFilter(actor_name="Test Admin", type="Issued"), 0, 100)
        assert [e["aggregateType"] for e in by_admin.events] == ["Certificate"]

    def test_log_indexes_in_one_call(self, registry: Container) -> None:
        certified(registry.service)
        head = registry.app.last_notification_id()
        registry.audit_runner.wait(head)
        found = registry.audit.leaf_indexes(list(range(1, head + 1)) + [head + 50])
        notifications = registry.app.recorder.select_notifications(start=1, limit=10_000)
        assert found == {n.id: registry.audit.log_index(n.originator_id, n.originator_version)
                         for n in notifications}

    def test_as_of_time_and_position(self, registry: Container, clock: FixedClock) -> None:
        service = registry.service
        cert = certified(service)
        issued = clock.now()
        clock.set(issued + timedelta(days=1))
        revoked(service, cert["number"], "forged")
        number = cert["number"]
        assert service.certificate_as_of(number, AsOf(time=issued))["status"] == "ACTIVE"
        assert service.certificate_as_of(number, AsOf(time=clock.now()))["status"] == "REVOKED"
        assert service.certificate_as_of(number, AsOf(time=issued - timedelta(seconds=1))
                                         ) is None
        assert service.as_of("moocs", "NOPE-1", AsOf(position=10**6)) is None

    @settings(max_examples=12, deadline=None,
              # one registry per test, a fresh MOOC and learner per example; the same
              # property runs once per back-end class (the differing executors)
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.differing_executors])
    @given(certified_first=st.booleans(), steps=st.lists(STEP, min_size=1, max_size=8))
    def test_as_of_equals_the_projection_and_a_replay_for_every_position(
            self, registry: Container, clock: FixedClock, certified_first: bool,
            steps: list[tuple[Any, ...]]) -> None:
        if certified_first:  # most random scores never lead to a certificate
            steps = [("pass",), ("issue",), *steps]
        service = registry.service
        start = registry.app.last_notification_id()
        code = f"PROP-{next(_codes)}"
        published_mooc(service, code)
        enrollment = enrolled(service, code, "Әлия Құрманова")
        keys: dict[tuple[str, str], uuid.UUID] = {
            ("moocs", code): Mooc.create_id(code),
            ("learners", enrollment["learnerId"]): uuid.UUID(enrollment["learnerId"]),
            ("enrollments", enrollment["id"]): uuid.UUID(enrollment["id"]),
        }
        shown: list[tuple[int, Any, dict[tuple[str, str], Any]]] = []

        def snapshot() -> None:
            moment = clock.now()
            position = registry.app.last_notification_id()
            shown.append((position, moment, {k: service.get(*k) for k in keys}))
            clock.set(moment + timedelta(minutes=1))

        snapshot()
        for step in steps:
            try:
                number = self._run(service, enrollment["id"], code, step)
            except DomainError:
                continue
            if number is not None:
                keys[("certificates", number)] = Certificate.create_id(number)
            snapshot()

        for position, moment, docs in shown:
            for (table, key), doc in docs.items():
                assert service.as_of(table, key, AsOf(position=position)) == doc, (table, key)
                assert service.as_of(table, key, AsOf(time=moment)) == doc, (table, key)
        head = registry.app.last_notification_id()
        event(f"certificates: {sum(1 for table, _ in keys if table == 'certificates')}")
        for position in range(start, head + 1):
            for (table, key), aggregate_id in keys.items():
                expected = replayed(registry, table, key, aggregate_id, position)
                assert service.as_of(table, key, AsOf(position=position)) == expected, (
                    table, key, position)

    @staticmethod
    def _run(service: RegistryService, enrollment_id: str, code: str,
             step: tuple[Any, ...]) -> str | None:
        """Run one step; the certificate number it created or touched, if any."""
        eid = uuid.UUID(enrollment_id)
        kind = step[0]
        if kind == "score":
            service.run(ADMIN, lambda cmd: cmd.enrollments.record_score(
                enrollment_id=eid, component=step[1], points=step[2], reason="correction"))
            return None
        if kind == "pass":
            for component in ("RATING_1", "MIDTERM", "RATING_2"):
                service.run(ADMIN, lambda cmd, c=component: cmd.enrollments.record_score(
                    enrollment_id=eid, component=c, points=90, reason="correction"))
            kind, step = "exam", ("exam", 90)
        if kind == "exam":
            service.run(ADMIN, lambda cmd: cmd.enrollments.record_final_exam(
                enrollment_id=eid, points=step[1], mode="ON_CAMPUS"))
            return None
        if kind == "close":
            service.run(ADMIN, lambda cmd: cmd.moocs.close(code))
            return None
        if kind == "issue":
            number: str = service.run(ADMIN, lambda cmd: cmd.certificates.issue(
                enrollment_id=eid))
            return number
        current = service.get("enrollments", enrollment_id)
        latest = current["certificateNumber"] if current else None
        if latest is None:
            return None
        if kind == "revoke":
            service.run(ADMIN, lambda cmd: cmd.certificates.revoke(number=latest,
                                                                   reason="forged"))
            return latest
        reissued: str = service.run(ADMIN, lambda cmd: cmd.certificates.reissue(
            number=latest, full_name=step[1], reason="name corrected"))
        return reissued


class TestTimelineOnSQLite(OnSQLite, TimelineCases):
    pass


class TestTimelineOnPostgres(OnPostgres, TimelineCases):
    pass
