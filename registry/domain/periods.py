"""Dated things the regulation talks about: periods (both ends inclusive) and orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .errors import InvalidInput
from .text import clean_text


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def checked(cls, start: date, end: date, what: str = "period") -> Period:
        if end < start:
            raise InvalidInput(f"The {what} ends ({end}) before it starts ({start}).",
                               field=what)
        return cls(start, end)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Order:
    """An order or directive: its number and date."""

    number: str
    issued_on: date

    @classmethod
    def checked(cls, number: str, issued_on: date, what: str = "order") -> Order:
        return cls(clean_text(number, f"{what} number", max_length=100), issued_on)

    def as_dict(self) -> dict[str, str]:
        return {"number": self.number, "issued_on": self.issued_on.isoformat()}

