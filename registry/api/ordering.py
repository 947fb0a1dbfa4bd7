"""``orderBy`` of the lists (contract v2): a field and a direction (default ``ASC``), mapped
once to the view column that holds it; ties are broken by the key."""

from __future__ import annotations

from enum import Enum

import strawberry

from .relay import Order


@strawberry.enum(description="The direction of a list's order.")
class SortDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Ascending: smallest, earliest, A first "
                                                   "(the default).")
    DESC = strawberry.enum_value("DESC", description="Descending: largest, latest, Я first.")


@strawberry.enum(description="What MOOCs are ordered by.")
class MoocOrderField(Enum):
    CODE = strawberry.enum_value("code", description="The MOOC's code (the default).")
    # the Kazakh title, else the Russian, else the English
    TITLE = strawberry.enum_value("title_sort", description="The title: the Kazakh one, else "
                                                            "the Russian, else the English.")
    STATUS = strawberry.enum_value("status", description="The lifecycle status, by name.")
    CREDITS = strawberry.enum_value("credits", description="The ECTS credits.")


@strawberry.enum(description="What learners are ordered by.")
class LearnerOrderField(Enum):
    FULL_NAME = strawberry.enum_value("name_sort", description="The full name (the default), "
                                                               "case-insensitively.")
    REGISTERED_AT = strawberry.enum_value("registered_at", description="When the learner was "
                                                                       "registered.")


@strawberry.enum(description="What enrolments are ordered by.")
class EnrollmentOrderField(Enum):
    ENROLLED_AT = strawberry.enum_value("enrolled_at", description="When the learner enrolled "
                                                                   "(the default).")
    TOTAL_POINTS = strawberry.enum_value("total_points", description="totalPoints (0–300).")
    # not yet examined: first ascending, last descending
    FINAL_NUMERIC = strawberry.enum_value(
        "final_sort", description="finalGrade.numeric (0–100); not yet examined first "
                                  "ascending, last descending.")


@strawberry.enum(description="What certificates are ordered by.")
class CertificateOrderField(Enum):
    ISSUED_ON = strawberry.enum_value("issued_on", description="The issue date (the default, "
                                                               "newest first).")
    NUMBER = strawberry.enum_value("number", description="The certificate number.")
    FULL_NAME = strawberry.enum_value("name_sort", description="The holder's full name, "
                                                               "case-insensitively.")


@strawberry.enum(description="What programme packages are ordered by.")
class ProgramSubmissionOrderField(Enum):
    START_DATE = strawberry.enum_value("start_date", description="The programme's start date "
                                                                 "(the default).")
    CREATED_AT = strawberry.enum_value("created_at", description="When the package was "
                                                                 "created.")


DIRECTION = "ASC (the default) or DESC; ties are broken by the key, so the order is total."


def _order(field: Enum, direction: SortDirection | None) -> Order:
    return Order(field.name, str(field.value), direction is SortDirection.DESC)


@strawberry.input(description="The order of a list of MOOCs.")
class MoocOrderInput:
    field: MoocOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection | None = strawberry.field(default=None, description=DIRECTION)

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of learners.")
class LearnerOrderInput:
    field: LearnerOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection | None = strawberry.field(default=None, description=DIRECTION)

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of enrolments.")
class EnrollmentOrderInput:
    field: EnrollmentOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection | None = strawberry.field(default=None, description=DIRECTION)

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of certificates.")
class CertificateOrderInput:
    field: CertificateOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection | None = strawberry.field(default=None, description=DIRECTION)

    def order(self) -> Order:
        return _order(self.field, self.direction)


@strawberry.input(description="The order of a list of programme packages.")
class ProgramSubmissionOrderInput:
    field: ProgramSubmissionOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection | None = strawberry.field(default=None, description=DIRECTION)

    def order(self) -> Order:
        return _order(self.field, self.direction)


def order_of(given: MoocOrderInput | LearnerOrderInput | EnrollmentOrderInput
             | CertificateOrderInput | ProgramSubmissionOrderInput | None,
             default: Order) -> Order:
    return default if given is None else given.order()
