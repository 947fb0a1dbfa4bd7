"""Aggregates → read-model rows: plain values in the shape the API serves.

Every derived value (``approved``, ``totalPoints``, ``admitted``, the final grade, ``passed``,
the certificate's status) is asked of the domain here, once per event, so the API only reads.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from eventsourcing.domain import Aggregate

from ..domain.certificates import Certificate
from ..domain.enrollments import Enrollment
from ..domain.keys import KeyRing
from ..domain.learners import Learner
from ..domain.moocs import Mooc
from ..domain.periods import Order, Period
from ..domain.platforms import Platform
from ..domain.proctoring import Proctoring
from ..domain.search import search_key
from ..domain.status import StatusSlot
from ..domain.teaching import DisciplineTeaching
from .projection import Row


@singledispatch
def rows_for(aggregate: Aggregate) -> list[Row]:
    """Aggregates without a read model (tokens, IIN claims, proctoring) give no rows."""
    return []


@rows_for.register
def _platform(p: Platform) -> list[Row]:
    doc = {
        "code": p.code, "name": p.name, "url": p.url, "kind": p.kind.value,
        "ownership": p.ownership.value, "approved": p.approved,
        "decisionNumber": p.decision_number,
        "decidedOn": p.decided_on.isoformat() if p.decided_on else None,
        "suspended": p.suspended, "suspensionReason": p.suspension,
    }
    return [Row("platforms", p.code, doc)]


@rows_for.register
def _mooc(m: Mooc) -> list[Row]:
    doc = {
        "code": m.code, "title": m.title.as_dict(), "language": m.language,
        "credits": m.credits, "hours": m.hours, "department": m.department,
        "status": m.status.value, "platformCode": m.platform_code, "remarks": m.remarks,
        "courseTitle": m.course_title, "version": m.version,
    }
    titles = m.title.as_dict()
    search = search_key([m.code, *titles.values()])
    shown = next((t for lang in ("kk", "ru", "en") if (t := titles.get(lang))), "")
    return [Row("moocs", m.code, doc, {"search": search, "title_sort": shown.casefold()})]


@rows_for.register
def _learner(learner: Learner) -> list[Row]:
    def period(p: Period | None) -> dict[str, str] | None:
        return None if p is None else p.as_dict()

    def order(o: Order | None) -> dict[str, str] | None:
        return None if o is None else o.as_dict()

    identity = learner.identity
    doc = {
        "id": str(learner.id), "fullName": learner.full_name,
        "fullNameLatin": learner.full_name_latin, "email": learner.email,
        "identity": None if identity is None else {
            "method": identity["method"].value,
            "verifiedOn": identity["verified_on"].isoformat()},
        "businessTrip": period(learner.business_trip),
        "restoration": order(learner.restoration),
        "abroad": period(learner.abroad),
        "returnOrder": order(learner.return_order),
        "directive": None if learner.directive is None else {
            **learner.directive.as_dict(), "disciplines": learner.directive_disciplines},
        "internship": period(learner.internship),
        "studyWindow": period(learner.study_window),
        "erased": learner.erased,
    }
    search = search_key([learner.full_name, learner.full_name_latin])
    return [Row("learners", str(learner.id), doc, {
        "search": search, "name_sort": learner.full_name.casefold(),
        "registered_at": learner.created_on.isoformat()})]


@rows_for.register
def _enrollment(e: Enrollment) -> list[Row]:
    grade = e.final_grade
    doc: dict[str, Any] = {
        "id": str(e.id), "learnerId": str(e.learner_id), "moocCode": e.mooc_code,
        "scores": {component.value: points for component, points in e.scores.items()},
        "totalPoints": e.total_points, "admitted": e.admitted,
        "exam": None if e.exam is None else {"points": e.exam.points, "mode": e.exam.mode.value,
                                             "heldOn": e.exam.held_on.isoformat()},
        "finalGrade": None if grade is None else {"numeric": grade.numeric, "letter": grade.letter},
        "passed": e.passed, "certificateNumber": e.certificate_number,
    }
    return [Row("enrollments", str(e.id), doc, {
        "enrolled_at": e.created_on.isoformat(),
        "final_sort": -1 if grade is None else grade.numeric})]


@rows_for.register
def _certificate(c: Certificate) -> list[Row]:
    doc = {
        "number": c.number, "token": c.token, "credential": c.credential,
        "status": c.status.value,
        "fullName": c.full_name, "courseTitle": c.course_title, "credits": c.credits,
        "issuedOn": c.issued_on.isoformat(), "kid": c.kid, "moocCode": c.mooc_code,
        "enrollmentId": str(c.enrollment_id), "learnerId": str(c.learner_id),
        "supersededBy": c.superseded_by, "supersedes": c.supersedes,
        "revocationReason": c.revocation_reason,
        "holderErased": c.holder_erased,
    }
    search = search_key([c.full_name, c.number])
    return [Row("certificates", c.number, doc, {"search": search,
                                                "name_sort": c.full_name.casefold()})]


@rows_for.register
def _status_slot(s: StatusSlot) -> list[Row]:
    doc = {"number": s.number, "statusList": s.status_list, "index": s.index}
    return [Row("status_slots", s.number, doc)]


@rows_for.register
def _proctoring(p: Proctoring) -> list[Row]:
    changes = [{"effectiveFrom": day.isoformat(), "available": available, "system": system}
               for day, available, system in p.changes]
    return [Row("settings", "proctoring", {"changes": changes})]


@rows_for.register
def _teaching(t: DisciplineTeaching) -> list[Row]:
    doc = {"discipline": t.discipline,
           "platforms": [{"platformCode": code, "agreement": agreement}
                         for code, agreement in sorted(t.platforms.items())]}
    return [Row("teaching", t.discipline, doc)]


# -- programme packages (R3) and teaching materials (R4) -------------------------------------

from ..domain.materials import DisciplineMaterials
from ..domain.programmes import DocumentVersion, ProgramSubmission, faculty_key


def _document_version(v: DocumentVersion) -> dict[str, Any]:
    return {
        "kind": v.kind.value, "discipline": v.discipline, "filename": v.filename,
        "sha256": v.sha256, "size": v.size, "version": v.version, "mediaType": v.media_type,
        "hasDistanceLearningPart": v.has_distance_learning_part,
        "registrationNumber": v.registration_number, "uploadedOn": v.uploaded_on.isoformat(),
    }


@rows_for.register
def _program_submission(p: ProgramSubmission) -> list[Row]:
    key = str(p.id)
    doc = {
        "id": key, "title": p.title, "type": p.program_type.value, "faculty": p.faculty,
        "startDate": p.start_date.isoformat(), "disciplines": list(p.disciplines),
        "status": p.status.value, "lastSubmissionDay": p.last_submission_day.isoformat(),
        "documents": [_document_version(v) for v in p.documents],
        "versions": [_document_version(v) for v in p.versions],
        "missing": p.missing, "returnReason": p.return_reason,
        "history": [{"status": s.status.value, "on": s.on.isoformat(), "reason": s.reason}
                    for s in p.steps],
        "version": p.version,
    }
    faculty = faculty_key(p.faculty)
    rows = [Row("program_submissions", key, doc, {
        "faculty_key": faculty, "start_month": p.start_date.isoformat()[:7],
        "created_at": p.created_on.isoformat()})]
    # Who may download a stored file: one row per (file, package) that holds it.
    for v in {v.sha256: v for v in p.versions}.values():
        rows.append(Row("program_documents", f"{v.sha256}:{key}", {
            "sha256": v.sha256, "submissionId": key, "faculty": p.faculty,
            "filename": v.filename, "mediaType": v.media_type, "size": v.size,
        }, {"faculty_key": faculty}))
    return rows


@rows_for.register
def _discipline_materials(m: DisciplineMaterials) -> list[Row]:
    doc = {
        "code": m.code, "title": m.title, "moodleCourseUrl": m.moodle_course_url,
        "syllabusComplexUploaded": m.syllabus_complex_uploaded, "derUploaded": m.der_uploaded,
        "missing": m.missing, "complete": m.complete,
        "updatedOn": m.updated_on.isoformat() if m.updated_on else None,
    }
    return [Row("teaching_materials", m.code, doc)]


@rows_for.register
def _key_ring(ring: KeyRing) -> list[Row]:
    def iso(day: Any) -> str | None:
        return day.isoformat() if day else None

    return [
        Row("keys", key.kid, {
            "kid": key.kid, "jwk": key.public_jwk, "activeFrom": iso(key.active_from),
            "activeUntil": iso(key.active_until), "compromisedSince": iso(key.compromised_since),
            "compromiseReason": key.compromise_reason,
        }, {"active": key.active})
        for key in ring.keys.values()
    ]
