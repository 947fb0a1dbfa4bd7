"""Programme documents and package commands on each storage back-end: written once, run on
SQLite and PostgreSQL (the PostgreSQL case skips without a server, except in CI)."""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from datetime import date

import filesamples
import pytest
from support import ADMIN, OnPostgres, OnSQLite, StorageCase
from test_storage import event_count

from registry.application.context import CommandContext
from registry.application.documents import CHUNK_BYTES, stage_upload
from registry.bootstrap import Container, build
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.access import Principal, Role
from registry.domain.errors import Forbidden, InvalidTransition, SubmissionIncomplete
from registry.domain.programmes import Attachment, DocumentKind

FACULTY = "Faculty of Law"
DEAN = Principal(name="Law dean's office", role=Role.FACULTY, faculty=FACULTY)
AS_DEAN = CommandContext(actor_name=DEAN.name, actor_role="faculty")


def big_pdf(size: int) -> bytes:
    head = filesamples.pdf()
    return head + b"%" * (size - len(head))


class ProgrammeStorageCase(StorageCase):
    """Abstract: subclasses provide ``settings`` for one back-end."""

    def create(self, registry: Container, disciplines: tuple[str, ...] = ("Civil law",)) -> str:
        key: str = registry.service.run(AS_DEAN, lambda cmd: cmd.programmes.create(
            actor=DEAN, title="LLM for practitioners", program_type="OTHER", faculty=FACULTY,
            start_date=date(2026, 10, 1), disciplines=list(disciplines)))
        return key

    def attach(self, registry: Container, key: str, kind: str, content: bytes,
               discipline: str | None = None, **marks: object) -> None:
        attachment = Attachment.checked(
            kind=kind, discipline=discipline,
            has_distance_learning_part=marks.get("part"),  # type: ignore[arg-type]
            registration_number=marks.get("number"))  # type: ignore[arg-type]
        staged = stage_upload(io.BytesIO(content), f"{kind}.pdf", max_bytes=25 * 1024 * 1024)
        registry.service.run(AS_DEAN, lambda cmd: cmd.programmes.attach_document(
            actor=DEAN, submission_id=uuid.UUID(key), attachment=attachment, staged=staged))

    # -- the document store ---------------------------------------------------------------

    def test_a_document_is_stored_once_in_chunks_and_read_back(self,
                                                               registry: Container) -> None:
        store = registry.documents
        content = big_pdf(2 * CHUNK_BYTES + 12345)
        staged = stage_upload(io.BytesIO(content), "big.pdf", max_bytes=len(content))
        assert store.info(staged.sha256) is None
        store.put(staged)
        store.put(staged)  # idempotent
        info = store.info(staged.sha256)
        assert info is not None
        assert (info.size, info.media_type) == (len(content), "application/pdf")
        chunks = list(store.chunks(staged.sha256))
        assert len(chunks) == 3 and all(len(c) <= CHUNK_BYTES for c in chunks)
        assert hashlib.sha256(b"".join(chunks)).hexdigest() == staged.sha256
        assert store.info("0" * 64) is None and list(store.chunks("0" * 64)) == []
        assert store.info("not a hash") is None

    def test_concurrent_puts_of_one_file_store_it_once(self, registry: Container) -> None:
        content = big_pdf(CHUNK_BYTES + 1)
        errors: list[BaseException] = []

        def put() -> None:
            try:
                staged = stage_upload(io.BytesIO(content), "x.pdf", max_bytes=len(content))
                registry.documents.put(staged)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=put) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        sha = hashlib.sha256(content).hexdigest()
        assert b"".join(registry.documents.chunks(sha)) == content

    # -- the package's commands -------------------------------------------------------------

    def test_a_package_from_draft_to_acceptance(self, registry: Container) -> None:
        key = self.create(registry)
        before = event_count(registry)
        with pytest.raises(SubmissionIncomplete):
            registry.service.run(AS_DEAN, lambda cmd: cmd.programmes.submit(
                actor=DEAN, submission_id=uuid.UUID(key)))
        assert event_count(registry) == before
        for kind in DocumentKind:
            if kind is DocumentKind.SYLLABUS:
                self.attach(registry, key, kind.value, filesamples.pdf("civil"), "Civil law",
                            part=True)
            else:
                self.attach(registry, key, kind.value, filesamples.pdf(kind.value),
                            number="DIR-9" if kind is DocumentKind.VICE_RECTOR_ORDER else None)
        self.attach(registry, key, "TIMETABLE", filesamples.pdf("timetable v2"))
        registry.service.run(AS_DEAN, lambda cmd: cmd.programmes.submit(
            actor=DEAN, submission_id=uuid.UUID(key)))
        registry.service.run(ADMIN, lambda cmd: cmd.programmes.accept(
            submission_id=uuid.UUID(key)))
        doc = registry.service.doc("program_submissions", key)
        assert doc["status"] == "ACCEPTED" and doc["missing"] == []
        assert len(doc["documents"]) == 7 and len(doc["versions"]) == 8
        timetable = [v for v in doc["versions"] if v["kind"] == "TIMETABLE"]
        assert [v["version"] for v in timetable] == [1, 2]
        for version in doc["versions"]:
            stored = b"".join(registry.documents.chunks(version["sha256"]))
            assert hashlib.sha256(stored).hexdigest() == version["sha256"]
        refs = registry.service.find("program_documents", {"sha256": timetable[0]["sha256"]})
        assert [r["submissionId"] for r in refs] == [key]
        with pytest.raises(InvalidTransition):
            registry.service.run(ADMIN, lambda cmd: cmd.programmes.return_to_faculty(
                submission_id=uuid.UUID(key), reason="too late"))

    def test_another_faculty_is_refused_and_nothing_is_stored(self,
                                                              registry: Container) -> None:
        key = self.create(registry)
        other = Principal(name="x", role=Role.FACULTY, faculty="Faculty of History")
        content = filesamples.pdf("history")
        staged = stage_upload(io.BytesIO(content), "h.pdf", max_bytes=10**6)
        attachment = Attachment.checked(kind="CURRICULUM", discipline=None,
                                        has_distance_learning_part=None,
                                        registration_number=None)
        before = event_count(registry)
        with pytest.raises(Forbidden):
            registry.service.run(AS_DEAN, lambda cmd: cmd.programmes.attach_document(
                actor=other, submission_id=uuid.UUID(key), attachment=attachment,
                staged=staged))
        assert event_count(registry) == before
        assert registry.documents.info(staged.sha256) is None

    def test_a_restart_and_a_second_process_see_the_documents(
        self, settings: Settings, clock: FixedClock
    ) -> None:
        first = build(settings, clock, poll_interval=0.05)
        second = build(settings, clock, poll_interval=0.05)
        try:
            key = self.create(first)
            content = filesamples.xlsx()
            self.attach(first, key, "COST_ESTIMATE", content)
            assert second.wait_for_views(first.app.last_notification_id()).current
            (version,) = second.service.doc("program_submissions", key)["documents"]
            assert b"".join(second.documents.chunks(version["sha256"])) == content
        finally:
            first.close()
            second.close()
        third = build(settings, clock, poll_interval=0.05)
        try:
            doc = third.service.doc("program_submissions", key)
            sha = doc["documents"][0]["sha256"]
            assert b"".join(third.documents.chunks(sha)) == content
        finally:
            third.close()

    def test_materials_are_recorded_once_per_change(self, registry: Container) -> None:
        from registry.domain.materials import MaterialsRecord

        def record(**kw: object) -> None:
            values: dict[str, object] = {"code": "LAW-101", "title": None,
                                         "moodle_course_url": None,
                                         "syllabus_complex_uploaded": None,
                                         "der_uploaded": None}
            values.update(kw)
            registry.service.run(ADMIN, lambda cmd: cmd.materials.record(
                MaterialsRecord.checked(**values)))  # type: ignore[arg-type]

        record(title="Civil law")
        record(syllabus_complex_uploaded=True)
        before = event_count(registry)
        record(syllabus_complex_uploaded=True)  # nothing new: no event
        assert event_count(registry) == before
        assert registry.service.find("teaching_materials", {"complete": False})[0]["missing"] \
            == ["MOODLE_COURSE", "DER"]


class TestSQLiteProgrammes(OnSQLite, ProgrammeStorageCase):
    pass


class TestPostgresProgrammes(OnPostgres, ProgrammeStorageCase):
    pass
