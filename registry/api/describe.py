"""Descriptions for the schema's enums whose values the domain defines (issue 12 §6).

The domain's enums stay plain Python (``registry/domain`` knows nothing of GraphQL), so their
values cannot be ``strawberry.enum_value(…)``: :func:`described_enum` gives the GraphQL enum its
description and one for every value, and refuses — at import, so the schema cannot be built —
an enum with a value left undescribed."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])
T = TypeVar("T")


def described_enum(cls: E, description: str, values: Mapping[str, str]) -> E:
    """``strawberry.enum(cls)`` with ``description`` and ``values`` (member name → its
    description) for every member."""
    names = [member.name for member in cls]
    if sorted(names) != sorted(values):
        raise ValueError(f"{cls.__name__}: describe exactly {names}; got {sorted(values)}.")
    # Strawberry may have made the enum's definition already (a field annotated with it in a
    # module imported earlier): describe that one, which the field keeps, rather than a new one.
    if not hasattr(cls, "__strawberry_definition__"):
        strawberry.enum(cls)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    definition.description = description
    for value in definition.values:
        value.description = values[value.name]
    return cls


# The one argument of every mutation that takes an input object: ``input: Input[XInput]``.
INPUT = "The command's values; each field of the input type says what it is."
Input = Annotated[T, strawberry.argument(description=INPUT)]
