"""``orderBy`` of the lists (contract v2): a field and a direction (default ``ASC``), mapped
once to the view column that holds it; ties are broken by the key."""

from __future__ import annotations

from enum import Enum

import strawberry

from .relay import Order


@strawberry.enum(description="The direction of a list's order.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(description="What MOOCs are ordered by.")
class MoocOrderField(Enum):
    CODE = "code"
    TITLE = "title_sort"  # the Kazakh title, else the Russian, else the English
    STATUS = "status"
    CREDITS = "credits"


@strawberry.enum(description="What learners are ordered by.")
class LearnerOrderField(Enum):
    FULL_NAME = "name_sort"
    REGISTERED_AT = "registered_at"


@strawberry.enum(description="What enrolments are ordered by.")
class EnrollmentOrderField(Enum):
    ENROLLED_AT = "enrolled_at"
    TOTAL_POINTS = "total_points"
    FINAL_NUMERIC = "final_sort"  # not yet examined: first ascending, last descending


@strawberry.enum(description="What certificates are ordered by.")
class CertificateOrderField(Enum):
    ISSUED_ON = "issued_on"
    NUMBER = "number"
    FULL_NAME = "name_sort"


@strawberry.enum(description="What programme packages are ordered by.")
class ProgramSubmissionOrderField(Enum):
    START_DATE = "start_date"
    CREATED_AT = "created_at"


def _order(field: Enum, direction: SortDirection | None) -> Order:
    return Order(field.name, str(field.value), direction is SortDirection.DESC)


@strawberry.input(description="The order of a list of MOOCs.")
class MoocOrderInput:
    field: MoocOrderField
    direction: SortDirection | None = None

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of learners.")
class LearnerOrderInput:
    field: LearnerOrderField
    direction: SortDirection | None = None

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of enrolments.")
class EnrollmentOrderInput:
    field: EnrollmentOrderField
    direction: SortDirection | None = None

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of certificates.")
class CertificateOrderInput:
    field: CertificateOrderField
    direction: SortDirection | None = None

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of programme packages.")
class ProgramSubmissionOrderInput:
    field: ProgramSubmissionOrderField
    direction: SortDirection | None = None

    def order(self) -> Order:
        return _order(self.field, self.direction)


def order_of(given: MoocOrderInput | LearnerOrderInput | EnrollmentOrderInput
             | CertificateOrderInput | ProgramSubmissionOrderInput | None,
             default: Order) -> Order:
    return default if given is None else given.order()
