"""The registry's projections: one per read model, each with its tables and version.

Bump a projection's ``version`` whenever its tables or its presentation change: the engine
then builds the new version in new tables in the background while the old ones keep serving,
and switches when it has caught up (README: projections).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

from ..domain.certificates import Certificate
from ..domain.enrollments import Enrollment
from ..domain.keys import KeyRing
from ..domain.learners import Learner
from ..domain.materials import DisciplineMaterials
from ..domain.moocs import Mooc
from ..domain.platforms import Platform
from ..domain.proctoring import Proctoring
from ..domain.programmes import ProgramSubmission
from ..domain.status import StatusSlot
from ..domain.teaching import DisciplineTeaching
from .presenters import rows_for
from .projection import AggregateProjection, Projection, Row
from .statistics import StatisticsProjection
from .tables import ViewTable, doc, hidden


def _uuid(key: str) -> UUID | None:
    try:
        return UUID(key)
    except ValueError:
        return None


class Presented(AggregateProjection):
    """Rows from ``presenters.rows_for`` (one function per aggregate type)."""

    def present(self, aggregate: Any) -> list[Row]:
        return rows_for(aggregate)


class Platforms(Presented):
    name = "platforms"
    version = 1
    aggregates = (Platform,)
    tables = (ViewTable("platforms", (
        doc("code"), doc("name"), doc("url"), doc("kind", index=True), doc("ownership"),
        doc("approved", "bool", index=True), doc("decisionNumber"), doc("decidedOn", "date"),
        doc("suspended", "bool"), doc("suspensionReason"),
    )),)
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {
        "platforms": Platform.create_id}


class Moocs(Presented):
    name = "moocs"
    version = 3  # v2: title order; v3: trigram-indexed search in Latin too
    aggregates = (Mooc,)
    tables = (ViewTable("moocs", (
        doc("code", index=True), doc("title", "json"), doc("language", index=True),
        doc("credits", "int", index=True),
        doc("hours", "int"), doc("department", index=True), doc("status", index=True),
        doc("platformCode", index=True), doc("remarks"), doc("courseTitle"),
        doc("version", "int"), hidden("search", "search"), hidden("title_sort"),
    )),)
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {"moocs": Mooc.create_id}


class Learners(Presented):
    name = "learners"
    version = 3  # v2: name and registration orders; v3: trigram-indexed search
    aggregates = (Learner,)
    tables = (ViewTable("learners", (
        doc("id"), doc("fullName"), doc("fullNameLatin"), doc("email"), doc("identity", "json"),
        doc("businessTrip", "json"), doc("restoration", "json"), doc("abroad", "json"),
        doc("returnOrder", "json"), doc("directive", "json"), doc("internship", "json"),
        doc("studyWindow", "json"), doc("erased", "bool"), hidden("search", "search"),
        hidden("name_sort"), hidden("registered_at"),
    )),)
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {"learners": _uuid}


class Enrollments(Presented):
    name = "enrollments"
    version = 2  # v2: enrolment-time and final-grade orders
    aggregates = (Enrollment,)
    tables = (ViewTable("enrollments", (
        doc("id"), doc("learnerId", index=True), doc("moocCode", index=True),
        doc("scores", "json"), doc("totalPoints", "int", index=True),
        doc("admitted", "bool", index=True),
        doc("exam", "json"), doc("finalGrade", "json"), doc("passed", "bool", index=True),
        doc("certificateNumber", index=True), hidden("enrolled_at"),
        hidden("final_sort", "int"),
    )),)
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {"enrollments": _uuid}


class Certificates(Presented):
    name = "certificates"
    # v2: holder-name order; v3: trigram-indexed search; v4: Open Badges credential, and each
    # certificate's status-list slot (SPEC §11)
    version = 4
    aggregates = (Certificate, StatusSlot)
    tables = (ViewTable("certificates", (
        doc("number", index=True), doc("token"), doc("credential"), doc("status", index=True),
        doc("fullName"),
        doc("courseTitle"), doc("credits", "int"), doc("issuedOn", "date", index=True),
        doc("kid", index=True), doc("moocCode", index=True),
        doc("enrollmentId", index=True), doc("learnerId", index=True), doc("supersededBy"),
        doc("supersedes"), doc("revocationReason"), doc("holderErased", "bool"),
        hidden("search", "search"), hidden("name_sort"),
    )), ViewTable("status_slots", (
        # keyed by certificate number; a slot's id follows from its list and index only
        doc("number"), doc("statusList", "int", index=True), doc("index", "int"),
    )))
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {
        "certificates": Certificate.create_id, "status_slots": lambda _number: None}


class Programmes(Presented):
    name = "programmes"
    version = 2  # v2: creation order
    aggregates = (ProgramSubmission,)
    tables = (
        ViewTable("program_submissions", (
            doc("id"), doc("title"), doc("type"), doc("faculty"),
            doc("startDate", "date", index=True), doc("disciplines", "json"),
            doc("status", index=True), doc("lastSubmissionDay", "date"),
            doc("documents", "json"), doc("versions", "json"), doc("missing", "json"),
            doc("returnReason"), doc("history", "json"), doc("version", "int"),
            hidden("faculty_key"), hidden("start_month"), hidden("created_at"),
        )),
        ViewTable("program_documents", (
            doc("sha256", index=True), doc("submissionId"), doc("faculty"), doc("filename"),
            doc("mediaType"), doc("size", "bigint"), hidden("faculty_key"),
        )),
    )
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {"program_submissions": _uuid}


class Keys(Presented):
    name = "keys"
    version = 1
    aggregates = (KeyRing,)
    tables = (ViewTable("keys", (
        doc("kid"), doc("jwk", "json"), doc("activeFrom", "date"), doc("activeUntil", "date"),
        doc("compromisedSince", "date"), doc("compromiseReason"), hidden("active", "bool"),
    )),)
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {
        "keys": lambda _kid: KeyRing.ID}


class Teaching(Presented):
    """Which platforms each discipline teaches on (R2, clause 3.7), and the proctoring
    settings that decide how its exams are sat."""

    name = "teaching"
    version = 1
    aggregates = (DisciplineTeaching, Proctoring)
    tables = (
        ViewTable("teaching", (doc("discipline"), doc("platforms", "json"))),
        ViewTable("settings", (doc("changes", "json"),)),
    )
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {
        "teaching": DisciplineTeaching.create_id, "settings": lambda _name: Proctoring.ID}


class Materials(Presented):
    name = "materials"
    version = 1
    aggregates = (DisciplineMaterials,)
    tables = (ViewTable("teaching_materials", (
        doc("code"), doc("title"), doc("moodleCourseUrl"), doc("syllabusComplexUploaded", "bool"),
        doc("derUploaded", "bool"), doc("missing", "json"), doc("complete", "bool", index=True),
        doc("updatedOn", "date"),
    )),)
    locate: ClassVar[dict[str, Callable[[str], UUID | None]]] = {
        "teaching_materials": DisciplineMaterials.create_id}


def projections() -> list[Projection]:
    """Every projection of a running registry, in the order their status is shown."""
    return [Platforms(), Moocs(), Learners(), Enrollments(), Certificates(), Programmes(),
            Keys(), Teaching(), Materials(), StatisticsProjection()]
