"""Teaching materials of DET disciplines: rule R4 (clause 3.7).

For each DET discipline, the teacher uploads the discipline's teaching-and-methodology complex
(ПОӘК, the syllabus complex) and its digital educational resources (DER) to the Moodle DLS, and
records it here with the Moodle course's link. A discipline is complete when all three are
recorded; INET's compliance list shows the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import InvalidInput
from .text import check_code, check_url, optional_text

MOODLE_COURSE = "MOODLE_COURSE"
SYLLABUS_COMPLEX = "SYLLABUS_COMPLEX"
DER = "DER"


@dataclass(frozen=True)
class MaterialsRecord:
    """What a teacher records; ``None`` keeps what was recorded before."""

    code: str
    title: str | None
    moodle_course_url: str | None
    syllabus_complex_uploaded: bool | None
    der_uploaded: bool | None

    @classmethod
    def checked(cls, *, code: str, title: str | None, moodle_course_url: str | None,
                syllabus_complex_uploaded: bool | None, der_uploaded: bool | None
                ) -> MaterialsRecord:
        url = None
        if moodle_course_url is not None and moodle_course_url.strip():
            url = check_url(moodle_course_url, "moodleCourseUrl")
            if len(url) > 2000:
                raise InvalidInput("moodleCourseUrl is longer than 2000 characters.",
                                   field="moodleCourseUrl")
        return cls(check_code(code, "disciplineCode"),
                   optional_text(title, "title", max_length=500), url,
                   syllabus_complex_uploaded, der_uploaded)


class DisciplineMaterials(Aggregate):
    """One DET discipline's materials on Moodle, keyed by the discipline's code."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/disciplines/{code}/materials")

    @classmethod
    def register(cls, record: MaterialsRecord) -> DisciplineMaterials:
        return cls(code=record.code, title=record.title)

    @event("Registered")
    def __init__(self, *, code: str, title: str | None) -> None:
        self.code = code
        self.title = title
        self.moodle_course_url: str | None = None
        self.syllabus_complex_uploaded = False
        self.der_uploaded = False
        self.updated_on: date | None = None

    def record(self, record: MaterialsRecord, *, on: date) -> bool:
        """Record what changed; ``False`` (and no event) when nothing did."""
        title = self.title if record.title is None else record.title
        url = self.moodle_course_url if record.moodle_course_url is None \
            else record.moodle_course_url
        complex_ = self.syllabus_complex_uploaded if record.syllabus_complex_uploaded is None \
            else record.syllabus_complex_uploaded
        der = self.der_uploaded if record.der_uploaded is None else record.der_uploaded
        if (title, url, complex_, der) == (self.title, self.moodle_course_url,
                                           self.syllabus_complex_uploaded, self.der_uploaded):
            return False
        self._recorded(title=title, moodle_course_url=url, syllabus_complex_uploaded=complex_,
                       der_uploaded=der, on=on)
        return True

    @event("Recorded")
    def _recorded(self, *, title: str | None, moodle_course_url: str | None,
                  syllabus_complex_uploaded: bool, der_uploaded: bool, on: date) -> None:
        self.title = title
        self.moodle_course_url = moodle_course_url
        self.syllabus_complex_uploaded = syllabus_complex_uploaded
        self.der_uploaded = der_uploaded
        self.updated_on = on

    @property
    def missing(self) -> list[str]:
        return [item for item, done in ((MOODLE_COURSE, self.moodle_course_url is not None),
                                        (SYLLABUS_COMPLEX, self.syllabus_complex_uploaded),
                                        (DER, self.der_uploaded)) if not done]

    @property
    def complete(self) -> bool:
        return not self.missing
